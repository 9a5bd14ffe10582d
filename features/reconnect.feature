@faults
Feature: Reconnect and resume
  When the signaling connection drops, the engine reconnects on its own and
  resumes its session: every event the server sent in the meantime arrives
  after the resume, exactly once and in order, and the call goes on. The
  server keeps a session 30 seconds (virtual time) after its connection
  dropped; past that the device leaves its calls with NETWORK_ERROR, the
  others see REMOTE_NETWORK_ERROR, and the engine ends the call too when it
  learns its session is gone.

  Background:
    Given alice, bob are online
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected

  Scenario: A dropped connection is resumed and the call goes on
    When bob's connection drops
    Then bob reconnects
    When alice turns her microphone off
    Then bob sees alice's microphone off
    And bob's current call is ONCALL

  Scenario: Events sent during an outage arrive after it, once and in order
    When bob's network goes down
    Then bob is reconnecting
    When alice turns her microphone off
    And alice turns her microphone on
    And alice turns her microphone off
    And 20 seconds pass
    And bob's network comes back
    Then bob reconnects
    And bob sees alice's microphone off
    And bob sees alice's microphone on
    And bob sees alice's microphone off
    And bob's current call is ONCALL
    And alice's current call is ONCALL

  Scenario: An outage longer than the window ends the call for both
    When bob's network goes down
    And 31 seconds pass
    Then alice's call ends with reason REMOTE_NETWORK_ERROR
    When bob's network comes back
    Then bob reconnects
    And bob's call ends with reason NETWORK_ERROR
    And bob has no current call

  Scenario: Two short outages in a row
    When bob's connection drops
    Then bob reconnects
    When bob's connection drops
    Then bob reconnects
    When alice hangs up
    Then bob's call ends with reason REMOTE_HANGUP
