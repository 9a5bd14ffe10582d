@core
@req:startCall @req:endCall @req:onCallEnded @req:onRemoteUserStateChanged
Feature: Cancelling an outgoing call
  The caller hangs up before the callee answers: the caller sees CANCEL,
  the callee REMOTE_CANCEL and a missed call.

  Scenario: Caller cancels while the callee's phone rings
    Given alice, bob are online
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When 10 seconds pass
    And alice hangs up
    Then alice's call ends with reason CANCEL
    And bob's call ends with reason REMOTE_CANCEL
    And bob has no current call

  Scenario: A cancelled call can no longer be accepted
    Given alice, bob are online
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When alice hangs up
    Then bob's call ends with reason REMOTE_CANCEL
    When bob tries to accept alice's last call
    Then the attempt fails
    When bob tries to hang up
    Then the attempt fails with NOT_IN_CALL
