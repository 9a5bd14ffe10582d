@faults @logs
@req:getHistoryCallLogs
Feature: Restarting the simulator
  The simulator can be stopped and started again on the same address and
  data directory, as a server process restarts: every connection closes,
  engines reconnect on their own, call logs are still there. What only
  lived in memory is gone: device sessions (a resume is refused, so the
  engine ends its calls with NETWORK_ERROR) and calls in progress.

  Scenario: Stored logs survive a restart; a call in progress ends with the network reason
    Given the simulator keeps its data on disk
    And alice, bob are online
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice hangs up
    Then alice's call ends with reason HANGUP
    And bob's call ends with reason REMOTE_HANGUP
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When the simulator restarts
    Then alice reconnects
    And bob reconnects
    And alice's call ends with reason NETWORK_ERROR
    And bob's call ends with reason NETWORK_ERROR
    And alice's history holds 1 call
    And bob's history holds 1 call
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice hangs up
    Then alice's call ends with reason HANGUP
    And bob's call ends with reason REMOTE_HANGUP
    And alice's history holds 2 calls
    And bob's history holds 2 calls
