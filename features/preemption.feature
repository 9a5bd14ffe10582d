@core
@req:acceptCall
Feature: Several incoming calls, and answering one while in another
  A second call rings without disturbing the active one. Answering it ends
  the active call first (the spec: "the SDK ends the current call internally
  before answering the new one"; only one call is active, there is no hold).
  That is a hang-up: the user is told HANGUP, the other party REMOTE_HANGUP
  (the ancestor's reasons; the spec names none).

  Background:
    Given alice, bob, carol are online
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When carol calls bob for video
    Then bob receives an incoming video call from carol
    And bob's current call is ONCALL

  Scenario: Accepting the second call ends the first
    When bob accepts the call from carol
    Then bob's call ends with reason HANGUP
    And alice's call ends with reason REMOTE_HANGUP
    And bob and carol are connected
    And bob's current call is ONCALL

  Scenario: Rejecting the second call leaves the first alone
    When bob rejects the call from carol
    Then bob's call ends with reason REJECT
    And carol's call ends with reason REMOTE_REJECT
    And bob's current call is ONCALL
    And alice's current call is ONCALL

  Scenario: The second caller cancels
    When carol hangs up
    Then carol's call ends with reason CANCEL
    And bob's call ends with reason REMOTE_CANCEL
    And bob's current call is ONCALL

  Scenario: The second call times out while the first goes on
    When 60 seconds pass
    Then bob's call ends with reason NO_RESPONSE
    And carol's call ends with reason REMOTE_NO_RESPONSE
    And bob's current call is ONCALL
    And alice's current call is ONCALL

  Scenario: Hanging up without a call id ends the active call, not the ringing one
    When bob hangs up
    Then bob's call ends with reason HANGUP
    And alice's call ends with reason REMOTE_HANGUP
    And bob's current call is BUSYLINE_RINGING
    When bob accepts
    Then bob and carol are connected
