@core
@req:endCall
Feature: Rejecting an incoming call
  The callee ends a call that rings: the callee sees REJECT, the caller
  REMOTE_REJECT, and neither has a call afterwards.

  Scenario: Callee rejects an audio call
    Given alice, bob are online
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When bob rejects
    Then bob's call ends with reason REJECT
    And alice sees bob leave
    And alice's call ends with reason REMOTE_REJECT
    And alice has no current call
    And bob has no current call

  Scenario: Callee rejects a video call
    Given alice, bob are online
    When alice calls bob for video
    Then bob receives an incoming video call from alice
    When bob rejects
    Then bob's call ends with reason REJECT
    And alice's call ends with reason REMOTE_REJECT
