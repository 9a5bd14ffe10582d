@devices
@req:createVideoConfigBuilder @req:setVideoConfig
Feature: Video capture configuration, and push configuration checks
  The default capture is 640x480 at 15 fps. A new configuration takes
  effect the next time capture starts (a new call, a camera switch, the
  camera turned back on), never in the middle of one. Bad values get
  PARAM_ERROR.

  Background:
    Given alice, bob are online

  Scenario: The default, then a new config at the next capture start
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And alice's camera captures 640x480 at 15 fps
    When alice sets the video config to 640x360 at 24 fps with bitrate 300 to 1200
    Then alice's camera captures 640x480 at 15 fps
    When alice turns her camera off
    Then alice's camera is not capturing
    When alice turns her camera on
    Then alice's camera captures 640x360 at 24 fps

  Scenario: A config set before the call is used from its start
    When alice sets the video config to 1280x720 at 30 fps
    And alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And alice's camera captures 1280x720 at 30 fps

  Scenario: An audio call captures no video
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    And alice's camera is not capturing

  @project
  Scenario: Bitrates out of order or out of range are refused
    When alice tries to set the video config to 640x480 at 15 fps with bitrate 1200 to 300
    Then the attempt fails with PARAM_ERROR
    When alice tries to set the video config to 640x480 at 15 fps with bitrate 0 to 300
    Then the attempt fails with PARAM_ERROR
    When alice tries to set the video config to 640x480 at 15 fps with bitrate 300 to 20000
    Then the attempt fails with PARAM_ERROR

  @project
  Scenario: A push title that is too long is refused before anything is sent
    When alice tries to call bob with a push title of 200 characters
    Then the attempt fails with PARAM_ERROR
    And alice has no current call

  Scenario: A new config takes effect when the camera is switched
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And alice's camera captures 640x480 at 15 fps from "camera-front"
    When alice sets the video config to 640x360 at 24 fps
    Then alice's camera captures 640x480 at 15 fps from "camera-front"
    When alice plugs in "camera-usb"
    And alice selects camera "camera-usb"
    Then alice's camera captures 640x360 at 24 fps from "camera-usb"

  Scenario: A remote view bound once the other side is ONCALL shows their frames
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And bob's call has alice ONCALL
    When alice watches bob
    Then alice sees bob's frames
