@faults
Feature: Faults on the signaling path
  The simulator can delay a user's events (in its own time), deliver them
  in reverse order, or cut the user off without closing anything (a
  partition: a half-open link). Events are numbered before a fault touches
  them: the engine processes them in order whatever order they arrive in,
  detects a silent link by its heartbeats, and a resume brings back what
  the partition swallowed.

  Scenario: Delayed events arrive late and in order, and the call goes on
    Given alice, bob are online
    When bob's events are delayed by 2000 ms
    And alice calls bob for audio
    Then bob has heard nothing yet
    When 2 seconds pass
    Then bob receives an incoming audio call from alice
    When bob's link to the server heals
    And bob accepts
    Then alice and bob are connected

  Scenario: Events that arrive in reverse order are processed in order
    Given alice, bob are online
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    When the next 3 events to bob arrive in reverse order
    And alice turns her camera off
    And alice turns her microphone off
    And alice hangs up
    Then bob sees alice's camera off
    And bob sees alice's microphone off
    And bob's call ends with reason REMOTE_HANGUP

  Scenario: A partition is detected by heartbeats and healed by a resume
    Given the server asks for a heartbeat every 200 ms
    And alice, bob are online
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When bob is cut off from the server
    Then bob is reconnecting
    When alice turns her microphone off
    And bob's link to the server heals
    Then bob reconnects
    And bob sees alice's microphone off
    And bob's current call is ONCALL

  Scenario: Switching the camera fails when the other side cannot be told
    Given the server asks for a heartbeat every 200 ms
    And alice, bob are online
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    When alice is cut off from the server
    And alice tries to turn her camera off
    Then the attempt fails
    And bob's call shows alice with camera on and microphone on
