@core
@req:enableCamera @req:enableMicrophone @req:isMicrophoneEnabled @req:onRemoteCameraStateChanged
@req:onRemoteMicrophoneStateChanged
Feature: Camera and microphone
  Each side switches its camera and microphone; the other side is told
  (disabled: true means off) and its participant list shows it. A choice
  made before a call applies from the call's first moment. A camera sends
  video only in a video call.

  Background:
    Given alice, bob are online

  Scenario: Turning the microphone off and on during a call
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice turns her microphone off
    Then bob sees alice's microphone off
    And bob's call shows alice with camera off and microphone off
    And alice's microphone is off
    When alice turns her microphone on
    Then bob sees alice's microphone on

  Scenario: Turning the camera off and on during a video call
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    When bob turns his camera off
    Then alice sees bob's camera off
    And alice's call shows bob with camera off and microphone on
    When bob turns his camera on
    Then alice sees bob's camera on

  Scenario: A choice made before the call applies when it starts
    When bob turns his camera off
    And bob turns his microphone off
    And alice calls bob for video
    Then bob receives an incoming video call from alice
    When bob accepts
    Then alice and bob are connected
    And alice's call shows bob with camera off and microphone off
    And bob's camera is off

  Scenario: The caller's choice travels with the call
    When alice turns her microphone off
    And alice calls bob for video
    Then bob receives an incoming video call from alice
    When bob accepts
    Then alice and bob are connected
    And bob's call shows alice with camera on and microphone off

  Scenario: A camera switched on in an audio call sends nothing until the call has video
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    And bob's call shows alice with camera off and microphone on
    When alice asks to switch to video
    And bob agrees
    Then alice and bob see the change end ALLOWED with video
    And bob sees alice's camera on
