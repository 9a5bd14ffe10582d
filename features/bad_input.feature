@core
@req:startCall @req:acceptCall @req:endCall @req:joinCall
@req:getCurrentCallSession
Feature: Bad input gets a code, never a panic, and changes nothing
  Every refused call returns a stable numeric code (docs/codes.md) with a
  message, and leaves the engine's state as it was.

  Scenario: Calling nobody
    Given alice is online
    When alice tries to call nobody for audio
    Then the attempt fails with USER_LIST_INVALID
    And alice has no current call

  Scenario: Calling the same user twice in one list
    Given alice, bob are online
    When alice tries to call bob, bob for audio as a group call
    Then the attempt fails with USER_LIST_INVALID

  Scenario: A one-to-one call with two callees
    Given alice, bob, carol are online
    When alice tries to call bob, carol for audio
    Then the attempt fails with SINGLE_CALL_NOT_SUPPORT_MULTI_PERSON
    And alice has no current call

  Scenario: Calling yourself
    Given alice is online
    When alice tries to call alice for video
    Then the attempt fails with USER_ID_INVALID
    And alice has no current call

  Scenario: Calling a user the app does not have
    Given alice is online
    When alice tries to call zed for audio
    Then the attempt fails with USER_ID_INVALID
    And alice has no current call

  Scenario: Calling before connecting
    Given alice has not connected
    When alice tries to call bob for audio
    Then the attempt fails with SIGNAL_DISCONNECTED
    And alice has no current call

  Scenario: Starting a second call while in one
    Given alice, bob, carol are online
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When alice tries to call carol for audio
    Then the attempt fails with SESSION_EXIST
    And alice's current call is CALLING

  Scenario: Accepting a call id nobody knows
    Given alice is online
    When alice tries to accept call "no-such-call"
    Then the attempt fails with CALL_ID_INVALID
    And alice has no current call

  Scenario: Accepting an empty call id
    Given alice is online
    When alice tries to accept call ""
    Then the attempt fails with CALL_ID_INVALID

  Scenario: The caller accepting their own outgoing call
    Given alice, bob are online
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When alice tries to accept her own call
    Then the attempt fails with CALL_STATE_INVALID
    And alice's current call is CALLING
    And bob's current call is RINGING

  Scenario: Accepting a call that is already connected
    Given alice, bob are online
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When bob accepts
    Then alice and bob are connected
    When bob tries to accept his own call
    Then the attempt fails with CALL_STATE_INVALID
    And bob's current call is ONCALL

  Scenario: Hanging up with no call
    Given alice is online
    When alice tries to hang up
    Then the attempt fails with NOT_IN_CALL

  Scenario: Hanging up a call id nobody knows
    Given alice is online
    When alice tries to hang up call "no-such-call"
    Then the attempt fails with CALL_ID_INVALID

  @project
  Scenario: A group call over the app's participant limit
    Given alice, bob, carol, dave are online in app "small-group"
    When alice tries to call bob, carol, dave for audio as a group call
    Then the attempt fails with PARTICIPANT_LIMIT_EXCEEDED
    And alice has no current call

  Scenario: Connecting with an unknown app key
    When alice tries to connect to app "no-such-app" with token "alice-token"
    Then the attempt fails with APP_KEY_INVALID

  Scenario: Connecting to an app without audio and video calling
    When alice tries to connect to app "calling-disabled" with token "alice-token"
    Then the attempt fails with RTC_SERVICE_UNAVAILABLE

  Scenario: Connecting with a wrong token
    When alice tries to connect to app "conformance" with token "not-alices-token"
    Then the attempt fails with TOKEN_INVALID
