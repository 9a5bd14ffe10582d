@core
@req:startCall @req:acceptCall @req:endCall @req:inviteToCall
@req:joinCall @req:getCurrentCallSession
Feature: A user acts only on calls they belong to
  Accepting, ending or inviting on someone else's call gets a code and
  changes nothing; so do inviting someone already in the call or unknown to
  the app, and joining a call that is one-to-one or over.

  Background:
    Given alice, bob, carol are online
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected

  Scenario: Accepting someone else's call
    When carol tries to accept alice's call
    Then the attempt fails with CALL_ID_INVALID
    And alice's current call is ONCALL
    And carol has no current call

  Scenario: Hanging up someone else's call
    When carol tries to hang up alice's call
    Then the attempt fails with CALL_ID_INVALID
    And alice's current call is ONCALL
    And bob's current call is ONCALL

  Scenario: Inviting without being in a call
    When carol tries to invite dave
    Then the attempt fails with NOT_IN_CALL

  Scenario: Inviting someone already in the call
    When alice tries to invite bob
    Then the attempt fails with USER_ALREADY_IN_CALL
    And alice's current call is ONCALL

  Scenario: Inviting a user the app does not have
    When alice tries to invite zed
    Then the attempt fails with USER_ID_INVALID
    And bob's current call is ONCALL

  Scenario: Joining a one-to-one call
    When carol tries to join alice's call
    Then the attempt fails with SINGLE_CALL_NOT_SUPPORT_MULTI_PERSON
    And carol has no current call

  Scenario: Joining a call that is over
    When alice hangs up
    Then bob's call ends with reason REMOTE_HANGUP
    When carol tries to join call "call-1"
    Then the attempt fails with CALL_ID_INVALID
    And carol has no current call
