@core
@req:startCall @req:acceptCall @req:endCall @req:onCallReceived
@req:onRemoteUserStateChanged @req:onCallEnded
Feature: Calling a user who is busy
  A callee who is already in a call (ringing or connected) is busy.
  start_call always answers code 0 with a call id, and lists busy callees in
  busyLineUserList with their state in their other call. The app's busy
  policy decides the rest:
  - ring (default, as the ancestor): the busy callee still rings, in state
    BUSYLINE_RINGING, and the caller waits in BUSYLINE_WAIT;
  - reject: the busy callee is left out; a one-to-one call ends at once for
    the caller with REMOTE_BUSY_LINE, a group call goes on without them.

  Scenario: A busy callee still rings by default
    Given alice, bob, carol are online
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When carol calls bob for audio
    Then carol is told bob is busy
    And carol's current call is BUSYLINE_WAIT
    And carol sees bob busy-line ringing
    And bob receives an incoming audio call from carol
    And bob's current call is ONCALL

  Scenario: A callee whose phone is already ringing is busy too
    Given alice, bob, carol are online
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When carol calls bob for video
    Then carol is told bob is busy
    And bob receives an incoming video call from carol

  Scenario: With the reject policy a one-to-one call to a busy user ends at once
    Given alice, bob, carol are online in app "busy-reject"
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When carol calls bob for audio
    Then carol is told bob is busy
    And carol sees bob leave
    And carol's call ends with reason REMOTE_BUSY_LINE
    And bob's current call is ONCALL
    And alice's current call is ONCALL

  Scenario: With the reject policy a group call leaves only the busy callees out
    Given alice, bob, carol, dave are online in app "busy-reject"
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When carol calls bob, dave for audio as a group call
    Then carol is told bob is busy
    And dave receives an incoming audio call from carol
    And carol's call has dave RINGING
