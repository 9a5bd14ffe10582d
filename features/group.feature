@group
@req:startCall @req:acceptCall @req:endCall @req:joinCall
@req:onRemoteUserStateChanged @req:onCallEnded
Feature: Group calls
  A group call rings every callee; each joins when they answer. Someone who
  hangs up leaves alone. The call ends for everyone when fewer than two
  members remain (connected or still ringing), or when the caller leaves
  before anyone answered.

  Background:
    Given alice, bob, carol, dave are online

  Scenario: Everyone answers, then one leaves and the others go on
    When alice calls bob, carol for audio as a group call
    Then bob receives an incoming audio call from alice
    And carol receives an incoming audio call from alice
    When bob accepts
    Then alice and bob are connected
    When carol accepts
    Then carol sees bob on call
    And alice sees carol on call
    When bob hangs up
    Then bob's call ends with reason HANGUP
    And alice sees bob leave
    And carol sees bob leave
    And alice's current call is ONCALL
    When carol hangs up
    Then alice's call ends with reason REMOTE_HANGUP

  Scenario: The caller leaving after an answer does not end the call
    When alice calls bob, carol for video as a group call
    And bob accepts
    And carol accepts
    Then bob sees carol on call
    When alice hangs up
    Then alice's call ends with reason HANGUP
    And bob sees alice leave
    And bob's current call is ONCALL
    And carol's current call is ONCALL

  Scenario: The caller cancelling before anyone answered ends it for all
    When alice calls bob, carol for audio as a group call
    Then bob receives an incoming audio call from alice
    When alice hangs up
    Then alice's call ends with reason CANCEL
    And bob's call ends with reason REMOTE_CANCEL
    And carol's call ends with reason REMOTE_CANCEL

  Scenario: One callee does not answer; the call goes on without them
    When alice calls bob, carol for audio as a group call
    And bob accepts
    Then alice and bob are connected
    When 60 seconds pass
    Then carol's call ends with reason NO_RESPONSE
    And alice sees carol leave
    And alice's current call is ONCALL

  Scenario: Everyone rejects
    When alice calls bob, carol for audio as a group call
    Then bob receives an incoming audio call from alice
    And carol receives an incoming audio call from alice
    When bob rejects
    Then alice sees bob leave
    And alice's current call is CALLING
    When carol rejects
    Then alice's call ends with reason REMOTE_REJECT

  Scenario: Joining an ongoing group call directly
    When alice calls bob, carol for audio as a group call
    And bob accepts
    Then alice and bob are connected
    When dave joins alice's call
    Then alice sees dave on call
    And bob sees dave on call
    And dave's current call is ONCALL
    And dave's call has alice ONCALL, bob ONCALL, carol RINGING

  Scenario: Someone who left can join again
    When alice calls bob, carol for audio as a group call
    And bob accepts
    And carol accepts
    Then carol sees bob on call
    When carol hangs up
    Then carol's call ends with reason HANGUP
    When carol joins alice's call
    Then alice sees carol on call
    And carol's current call is ONCALL
