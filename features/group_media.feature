@media @serial @group
@req:setLocalVideoView @req:setRemoteVideoView @req:setConnectionQualityHandler @req:onReceiveQualityChanged
@req:onAudioVolumeChanged
Feature: Media in group calls
  One peer connection per member still: the first remote member rides the
  audio and video m-lines that also send, every further one gets a recvonly
  audio and video pair (a receive slot). When a call grows past its largest
  size so far, the engine renegotiates the same connection (updateMedia) to
  add slots; a slot freed by a member who left is reused without one.

  Scenario: In a three-way video call each member sees and hears both others
    Given alice, bob, carol are online
    And alice watches bob
    And alice watches carol
    And bob watches alice
    And bob watches carol
    And carol watches alice
    And carol watches bob
    When alice calls bob, carol for video as a group call
    And bob accepts
    And carol accepts
    Then alice sees carol on call
    And alice's view of bob shows 10 frames of 640x480
    And alice's view of carol shows 10 frames of 640x480
    And bob's view of alice shows 10 frames of 640x480
    And bob's view of carol shows 10 frames of 640x480
    And carol's view of alice shows 10 frames of 640x480
    And carol's view of bob shows 10 frames of 640x480
    And alice hears bob
    And alice hears carol
    And bob hears carol

  Scenario: A one-to-one call upgraded by an invitation renegotiates for the newcomer
    Given alice, bob, carol are online
    And alice watches bob
    And alice watches carol
    And bob watches carol
    And carol watches alice
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And alice's view of bob shows 5 frames of 640x480
    When alice invites carol
    And carol accepts
    Then bob sees carol on call
    And alice's view of carol shows 10 frames of 640x480
    And bob's view of carol shows 10 frames of 640x480
    And carol's view of alice shows 10 frames of 640x480
    And alice's view of bob shows 5 frames of 640x480

  Scenario: A member who leaves frees a slot; the next member reuses it
    Given alice, bob, carol, dave are online
    And alice watches carol
    And alice watches dave
    And carol watches dave
    When alice calls bob, carol for video as a group call
    And bob accepts
    And carol accepts
    Then alice's view of carol shows 5 frames of 640x480
    When bob hangs up
    Then alice sees bob leave
    When alice invites dave
    And dave accepts
    Then alice's view of dave shows 10 frames of 640x480
    And carol's view of dave shows 10 frames of 640x480
    And alice's view of carol shows 5 frames of 640x480
    And the media server holds 3 peer connections

  Scenario: Each remote member's resolution is chosen on its own
    Given alice, bob, carol are online
    And alice watches bob in low resolution
    And alice watches carol
    When alice calls bob, carol for video as a group call
    And bob accepts
    And carol accepts
    Then alice's view of bob shows 10 frames of 320x240
    And alice's view of carol shows 10 frames of 640x480

  Scenario: Reception and volume are reported per remote member
    Given alice, bob, carol are online
    When alice calls bob, carol for video as a group call
    And bob accepts
    And carol accepts
    Then alice's reception from bob is EXCELLENT
    And alice's reception from carol is EXCELLENT
    And alice hears bob at a volume above zero
    And alice hears carol at a volume above zero
    When carol turns her camera off
    And carol turns her microphone off
    Then alice's reception from carol is DOWN
    And alice's reception from bob is EXCELLENT
