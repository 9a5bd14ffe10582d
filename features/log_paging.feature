@logs
@req:getHistoryCallLogs @req:getOngoingCallLogs @req:deleteCallLogsForMe @req:deleteAllCallLogsForMe
Feature: Paging through the call history
  getHistoryCallLogs pages with a strict cursor: -1 starts at the newest
  (DESC) and, the spec's first value in either order, at the oldest (ASC);
  each page's syncTime is the next
  startTime. No log is skipped or repeated, also when logs share a
  millisecond or calls end while paging. Deleting is for the deleter only.

  Background:
    Given alice, bob are online

  Scenario: 250 logs, newest first and oldest first, 20 at a time
    Given alice has 250 past calls with bob, one every 60 seconds
    When alice pages her history newest first, 20 at a time
    Then alice saw 250 logs, each once, in newest-first order
    When alice pages her history oldest first, 20 at a time
    Then alice saw 250 logs, each once, in oldest-first order

  Scenario: 100 logs that ended in the same millisecond
    Given alice has 100 past calls with bob, all ending in the same millisecond
    When alice pages her history newest first, 20 at a time
    Then alice saw 100 logs, each once, in newest-first order
    When bob pages his history oldest first, 7 at a time
    Then bob saw 100 logs, each once, in oldest-first order

  Scenario: A call that ends while paging neither repeats nor hides a log
    Given alice has 60 past calls with bob, one every 60 seconds
    When alice reads one page of 20, newest first
    And alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When bob hangs up
    Then alice's call ends with reason REMOTE_HANGUP
    When alice reads the rest newest first, 20 at a time
    Then alice saw 60 logs, each once, in newest-first order
    And alice's history does not include alice's last call
    And alice's newest log is alice's last call

  Scenario: Deleting some logs is for me only; unknown ids are reported
    Given alice has 30 past calls with bob, one every 60 seconds
    When alice deletes her 10 newest logs and 2 unknown ids
    And alice pages her history newest first, 20 at a time
    Then alice saw 20 logs, each once, in newest-first order
    When bob pages his history newest first, 20 at a time
    Then bob saw 30 logs, each once, in newest-first order

  Scenario: Deleting all logs
    Given alice has 30 past calls with bob, one every 60 seconds
    When alice deletes all her logs
    And alice pages her history newest first, 20 at a time
    Then alice saw 0 logs, each once, in newest-first order
    When bob pages his history oldest first, 50 at a time
    Then bob saw 30 logs, each once, in oldest-first order

  Scenario: Page sizes and batch sizes have limits
    When alice tries to read a page of 0
    Then the attempt fails with PARAM_ERROR
    When alice tries to read a page of 101
    Then the attempt fails with PARAM_ERROR
    When alice tries to delete 101 logs at once
    Then the attempt fails with PARAM_ERROR

  Scenario: Ongoing calls are listed until they end
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    And alice's ongoing calls are alice's current call
    And bob's ongoing calls are alice's current call
    When alice hangs up
    Then bob's call ends with reason REMOTE_HANGUP
    And alice has no ongoing calls
