@media @serial
@req:setConnectionQualityHandler @req:onSendQualityChanged @req:onReceiveQualityChanged @req:onAudioVolumeChanged
Feature: Connection quality
  Every second during a call with media the engine reads its peer
  connection's RTP statistics and reports send and receive quality, and audio
  volume, when they change. Loss injected in the simulator's media path makes
  the quality fall; lifting it lets it recover.

  Scenario: Quality falls under loss and recovers when it is lifted
    Given alice, bob are online
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And alice's reception from bob is EXCELLENT
    And alice hears bob at a volume above zero
    When 30% of the media packets to alice are lost
    Then alice's reception from bob is POOR or worse
    When the media loss to alice is lifted
    Then alice's reception from bob is GOOD or better

  Scenario: Added delay shows in the round trip and in the view's lag
    Given alice, bob are online
    And alice watches bob
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And alice's reception from bob is EXCELLENT
    When the media path to alice adds 200 ms of delay
    Then alice's view of bob lags by at least 200 ms
    And alice's sending is GOOD or worse
    And alice measures a round trip of at least 200 ms

  Scenario: Jitter on the path is measured and lowers the reception
    Given alice, bob are online
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And alice's reception from bob is EXCELLENT
    When the media path to alice adds 80 ms of jitter
    Then alice measures at least 30 ms of jitter from bob
    And alice's reception from bob is GOOD or worse
    When the media impairment to alice is lifted
    Then alice's reception from bob is EXCELLENT

  Scenario: A bandwidth cap below the video's rate loses packets
    Given alice, bob are online
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And alice's reception from bob is EXCELLENT
    When the media path to alice is capped at 150 kbps
    Then alice's reception from bob is POOR or worse
    When the media impairment to alice is lifted
    Then alice's reception from bob is GOOD or better

  Scenario: A full outage from a fixture profile, then recovery
    Given alice, bob are online
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And alice's reception from bob is EXCELLENT
    When alice's network follows the "outage" profile
    Then alice's reception from bob is DOWN
    When the media impairment to alice is lifted
    Then alice's reception from bob is GOOD or better
