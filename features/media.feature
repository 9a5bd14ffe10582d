@media @serial
@req:setLocalVideoView @req:setRemoteVideoView @req:enableCamera @req:enableMicrophone
Feature: Media through the simulator's SFU
  When a one-to-one call connects, each engine publishes one peer connection
  (real ICE, DTLS and SRTP on loopback) to the simulator's media server, which
  forwards each side's audio and video to the other. Media is real: H.264
  pictures with a marker drawn in them (sender, frame number, capture time),
  and Opus audio of the sender's own tone; the receiver decodes both.

  Background:
    Given alice, bob are online
    And alice watches bob
    And bob watches alice

  Scenario: A video call carries video and audio both ways
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And bob's view of alice shows 10 frames of 640x480
    And alice's view of bob shows 10 frames of 640x480
    And alice's own view shows 640x480
    And bob sees alice's frames
    And alice sees bob's frames
    And bob hears alice
    And alice hears bob

  Scenario: The capture config travels with the frames
    When alice sets the video config to 320x240 at 30 fps
    And alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And bob's view of alice shows 10 frames of 320x240

  Scenario: Camera off stops the video; microphone off stops the audio
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And bob's view of alice shows 5 frames of 640x480
    When alice turns her camera off
    Then bob sees alice's camera off
    And bob's view of alice stays still while 25 audio packets arrive
    When alice turns her camera on
    Then bob's view of alice shows 5 frames of 640x480
    When alice turns her microphone off
    Then bob sees alice's microphone off
    And bob hears nothing from alice while 15 frames arrive

  Scenario: Switching to audio stops video both ways
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And bob's view of alice shows 5 frames of 640x480
    When alice asks to switch to audio
    And bob agrees
    Then alice and bob see the change end ALLOWED with audio
    And bob's view of alice stays still while 25 audio packets arrive
    And alice's view of bob stays still while 25 audio packets arrive

  Scenario: Hanging up releases every peer connection
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And bob's view of alice shows 5 frames of 640x480
    When alice hangs up
    Then bob's call ends with reason REMOTE_HANGUP
    And alice has no media connection
    And bob has no media connection
    And the media server holds no peer connections

  Scenario: Disconnecting during a call releases its media
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And bob's view of alice shows 5 frames of 640x480
    When alice disconnects
    Then alice's call ends with reason NETWORK_ERROR
    And alice has no media connection

  Scenario: A video call needs a local view first
    When alice tries to call bob for video without a local view
    Then the attempt fails with LOCAL_VIEW_NOT_SET
    And alice has no current call

  Scenario: A video call cannot be answered without a local view
    When alice calls bob for video
    Then bob receives an incoming video call from alice
    When bob tries to accept alice's video call on a device without a local view
    Then the attempt fails with LOCAL_VIEW_NOT_SET
    And bob's current call is RINGING
    And alice's current call is CALLING
