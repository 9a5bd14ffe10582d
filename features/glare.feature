@core
@req:startCall
Feature: Glare: two users call each other at the same instant
  The server decides: the first call to reach it wins. The second caller is
  refused with SESSION_EXIST (their phone is already ringing with the first
  call, which they can answer), so there is never a second, half-open call.

  Scenario: Both call at once; one call survives and connects
    Given alice, bob are online
    When alice and bob call each other for audio at the same instant
    Then the attempt fails with SESSION_EXIST
    And bob receives an incoming audio call from alice
    And alice's current call is CALLING
    When bob accepts
    Then alice and bob are connected

  Scenario: The engine refuses locally once the other call has rung
    Given alice, bob are online
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When bob tries to call alice for audio
    Then the attempt fails with SESSION_EXIST
    And bob's current call is RINGING
