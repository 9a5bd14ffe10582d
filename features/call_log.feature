@logs
@req:onLocalCallLogReceived @req:onServerCallLogReceived
Feature: Call logs after a call
  When a call ends, every participant gets the server's log
  (onServerCallLogReceived); in a one-to-one call each side also builds its
  own (onLocalCallLogReceived), and the two agree on every field but the
  server's syncTime. A user who was offline gets the server log on connecting.

  Background:
    Given alice, bob are online

  Scenario: A connected call, hung up
    When alice calls bob for video with extra "ticket-7"
    And bob accepts
    Then alice and bob are connected
    When 95 seconds pass
    And bob hangs up
    Then alice's local and server logs agree
    And bob's local and server logs agree

  Scenario: Rejected
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When bob rejects
    Then alice's local and server logs agree
    And bob's local and server logs agree

  Scenario: Cancelled: a missed call for the callee
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When alice hangs up
    Then bob's local and server logs agree
    And alice's local and server logs agree

  Scenario: Not answered
    When alice calls bob for audio
    And 60 seconds pass
    Then alice's local and server logs agree
    And bob's local and server logs agree

  Scenario: Busy (reject policy): the caller's log says so
    Given carol, dave, erin are online in app "busy-reject"
    When carol calls dave for audio
    And dave accepts
    Then carol and dave are connected
    When erin calls dave for audio
    Then erin's call ends with reason REMOTE_BUSY_LINE
    And erin's local and server logs agree

  Scenario: Missed while offline: the log arrives on connecting
    Given carol is online
    When carol calls erin for audio
    And 60 seconds pass
    Then carol's call ends with reason REMOTE_NO_RESPONSE
    When erin comes online
    Then erin gets a server log of a missed call ended NO_RESPONSE

  Scenario: A group call: server logs for everyone, no local logs
    Given carol is online
    When alice calls bob, carol for audio as a group call
    And bob accepts
    And carol accepts
    Then carol sees bob on call
    When alice hangs up
    And bob hangs up
    Then carol gets a server log of an answered call ended REMOTE_HANGUP
    And alice gets a server log of an answered call ended HANGUP
    And alice gets no local log

  Scenario: The target id given to startCall is in every log of the call
    When alice calls bob for audio with target id "room-7"
    And bob accepts
    Then alice and bob are connected
    When alice hangs up
    Then alice's call ends with reason HANGUP
    And bob's call ends with reason REMOTE_HANGUP
    And alice's local and server logs agree
    And bob's local and server logs agree
    And alice's newest log has target id "room-7"
    And bob's newest log has target id "room-7"
