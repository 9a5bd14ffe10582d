@media @serial @faults
Feature: Media reconnect
  Media and signaling take separate paths. A signaling drop leaves the peer
  connection alone. A media path silent for the engine's loss timeout (1 s
  in the suite; 5 s by default) is lost: the engine closes the connection,
  builds and publishes a new one (the media server drops the old one), and
  keeps trying with backoff until the path works again, for as long as the
  call lasts.

  Background:
    Given alice, bob are online
    And alice watches bob
    And bob watches alice
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And alice's view of bob shows 5 frames of 640x480

  Scenario: A media outage longer than the loss timeout is followed by a new peer connection
    When 100% of the media packets to alice are lost
    Then alice's media connection is lost
    When the media impairment to alice is lifted
    Then alice's media reconnects
    And alice's view of bob shows 10 frames of 640x480
    And bob's view of alice shows 10 frames of 640x480
    And the media server holds 2 peer connections

  Scenario: A signaling drop leaves the media alone
    When alice's connection drops
    Then alice reconnects
    And alice's view of bob shows 10 frames of 640x480
    And alice still has her first media connection
