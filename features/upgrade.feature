@group
@req:inviteToCall @req:onCallTypeChanged
Feature: A one-to-one call becomes a group call
  Inviting a third user into a one-to-one call upgrades it: everyone in it
  gets onCallTypeChanged(GROUP) before the invitee rings. After that, one
  member leaving no longer ends the call for the others.

  Scenario: Inviting a third user upgrades the call
    Given alice, bob, carol are online
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    When alice invites carol
    Then alice sees the call become a group call
    And bob sees the call become a group call
    And bob is told alice invited carol
    And carol receives an incoming video call from alice
    When carol accepts
    Then alice sees carol on call
    When bob hangs up
    Then bob's call ends with reason HANGUP
    And alice sees bob leave
    And alice's current call is ONCALL
    And carol's current call is ONCALL

  Scenario: The callee can invite too
    Given alice, bob, carol are online
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When bob invites carol
    Then alice sees the call become a group call
    And alice is told bob invited carol
    And carol receives an incoming audio call from alice
