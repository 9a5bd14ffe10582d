@core
@req:onCallEnded
Feature: Nobody answers
  An unanswered call rings for the app's ring timeout (60 s unless the
  fixture says otherwise), then ends: NO_RESPONSE for the callee,
  REMOTE_NO_RESPONSE for the caller. Time here is virtual.

  Scenario: The call stops ringing after 60 seconds
    Given alice, bob are online
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When 59 seconds pass
    Then alice's current call is CALLING
    And bob's current call is RINGING
    When 1 second passes
    Then alice's call ends with reason REMOTE_NO_RESPONSE
    And bob's call ends with reason NO_RESPONSE

  Scenario: The ring timeout is a fixture setting
    Given alice, bob are online in app "quick-ring"
    When alice calls bob for video
    Then bob receives an incoming video call from alice
    When 15 seconds pass
    Then alice's call ends with reason REMOTE_NO_RESPONSE
    And bob's call ends with reason NO_RESPONSE

  Scenario: A callee who is not online is not rung, and the call still times out
    Given alice is online
    When alice calls bob for audio
    Then alice's current call is CALLING
    When 60 seconds pass
    Then alice's call ends with reason REMOTE_NO_RESPONSE
