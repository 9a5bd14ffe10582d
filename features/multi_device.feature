@core
@req:acceptCall @req:endCall
Feature: One user on several devices
  A call rings on every device of the callee. Answering on one ends the
  ringing on the others with ACCEPT_BY_OTHER_CLIENT; rejecting on one ends
  it on the others with HANGUP_BY_OTHER_CLIENT. Later events of the call go
  only to the device that is in it.

  Background:
    Given alice, bob are online
    And bob@tablet is online

  Scenario: Answered on one device, the other stops ringing
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    And bob@tablet receives an incoming audio call from alice
    When bob@tablet accepts
    Then bob's call ends with reason ACCEPT_BY_OTHER_CLIENT
    And alice and bob@tablet are connected
    And bob has no current call
    When alice hangs up
    Then bob@tablet's call ends with reason REMOTE_HANGUP

  Scenario: Rejected on one device, the other stops ringing
    When alice calls bob for video
    Then bob receives an incoming video call from alice
    And bob@tablet receives an incoming video call from alice
    When bob rejects
    Then bob's call ends with reason REJECT
    And bob@tablet's call ends with reason HANGUP_BY_OTHER_CLIENT
    And alice's call ends with reason REMOTE_REJECT

  Scenario: A device that connects while the call rings rings too
    Given bob@phone has not connected
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When bob@phone comes online
    Then bob@phone receives an incoming audio call from alice

  Scenario: Answering a second call on another device ends the first on its device
    Given carol is online
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When carol calls bob for video
    Then bob@tablet receives an incoming video call from carol
    When bob@tablet accepts the call from carol
    Then bob's call ends with reason OTHER_CLIENT_JOINED_CALL
    And alice's call ends with reason REMOTE_OTHER_CLIENT_JOINED_CALL
    And bob@tablet and carol are connected
