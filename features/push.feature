@push
@req:createAndroidPushConfigBuilder
Feature: Push notifications for users who are offline
  A callee with no live device is INVITED, not rung; the simulator records
  an incoming-call push carrying the call's pushConfig and extra. If the
  callee connects while the call still rings, it rings on that device. An
  endCall with a pushConfig produces a hang-up push to a party who is offline.

  Scenario: An offline callee gets a push, then rings on connecting
    Given alice is online
    When alice calls bob for video with push "Incoming call" / "alice is calling" and extra "room-7"
    Then alice sees bob invited
    And bob got an incoming call push from alice titled "Incoming call" with extra "room-7"
    When bob comes online
    Then bob receives an incoming video call from alice
    And alice sees bob ringing
    When bob accepts
    Then alice and bob are connected

  Scenario: Cancelling a call to an offline callee sends a hang-up push
    Given alice is online
    When alice calls bob for audio with push "Incoming call" / "alice is calling" and extra "x"
    And alice hangs up with push "Missed call" / "alice called"
    Then alice's call ends with reason CANCEL
    And bob got a hang-up push titled "Missed call"
    When bob comes online
    Then bob has no current call

  Scenario: Online callees get no push
    Given alice, bob are online
    When alice calls bob for audio with push "Incoming call" / "alice is calling" and extra "x"
    Then bob receives an incoming audio call from alice
    And no push was sent
