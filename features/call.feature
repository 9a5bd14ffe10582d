@core
@req:startCall @req:acceptCall @req:endCall @req:getCurrentCallSession
@req:onCallReceived @req:onCallConnected @req:onCallEnded @req:onRemoteUserStateChanged
@req:onStartTimeReceived @req:getCallId @req:getCallState @req:getCallType
@req:getMediaType @req:getRemoteParticipants @req:getCallerUserId @req:getInviterUserId
Feature: One-to-one call
  A caller places a call, the callee answers, and either side hangs up.
  The server fixes one billing start time and tells both sides.

  Background:
    Given alice, bob are online

  Scenario: Callee answers an audio call
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    And alice sees bob ringing
    When bob accepts
    Then alice and bob are connected
    And alice and bob see the same start time

  Scenario: Caller hangs up a connected call
    When alice calls bob for video
    Then bob receives an incoming video call from alice
    When bob accepts
    Then alice and bob are connected
    When 42 seconds pass
    And alice hangs up
    Then alice's call ends with reason HANGUP
    And bob's call ends with reason REMOTE_HANGUP
    And alice has no current call
    And bob has no current call

  Scenario: Callee hangs up a connected call
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When bob accepts
    Then alice and bob are connected
    When bob hangs up
    Then bob's call ends with reason HANGUP
    And alice's call ends with reason REMOTE_HANGUP

  Scenario: Both sides see the same start time, however late the answer
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When 59 seconds pass
    And bob accepts
    Then alice and bob are connected
    And alice and bob see the same start time

  Scenario: The caller's extra data reaches the callee
    When alice calls bob for audio with extra "ticket-42"
    Then bob receives the extra "ticket-42"

  Scenario: A connected call does not time out
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When bob accepts
    Then alice and bob are connected
    When 3600 seconds pass
    Then alice's current call is ONCALL
    And bob's current call is ONCALL

  Scenario: After a call ends, the same users can call again
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When alice hangs up
    Then alice's call ends with reason CANCEL
    And bob's call ends with reason REMOTE_CANCEL
    When bob calls alice for audio
    Then alice receives an incoming audio call from bob
    When alice accepts
    Then alice and bob are connected
