@media @serial
@req:setRemoteVideoView
Feature: The low-resolution stream
  Every video publisher also sends a low-resolution layer: a second video
  track with half the width and half the height. A remote view bound with
  enable_low_resolution_stream receives that layer; the SFU switches a
  receiver between the layers when the view's choice changes mid-call.

  Scenario: One side watches the other in low resolution
    Given alice, bob are online
    And alice watches bob
    And bob watches alice in low resolution
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And bob's view of alice shows 10 frames of 320x240
    And alice's view of bob shows 10 frames of 640x480

  Scenario: Switching layers during the call
    Given alice, bob are online
    And alice watches bob
    And bob watches alice
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And bob's view of alice shows 5 frames of 640x480
    When bob watches alice in low resolution
    Then bob's view of alice shows 5 frames of 320x240
    When bob watches alice in full resolution
    Then bob's view of alice shows 5 frames of 640x480
