@media
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
