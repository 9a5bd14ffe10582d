@group
@req:inviteToCall @req:onRemoteUserInvited
Feature: Inviting users during a group call
  The invitees ring with the inviter as inviterUserId; the members already
  in the call are told who was invited (not the inviter), and everyone sees
  each invitee ring and join.

  Scenario: A member invites two users into a group call
    Given alice, bob, carol, dave, erin are online
    When alice calls bob, carol for audio as a group call
    And bob accepts
    Then alice and bob are connected
    When bob invites dave, erin
    Then alice is told bob invited dave, erin
    And carol is told bob invited dave, erin
    And dave receives an incoming audio call from alice
    And alice sees dave ringing
    When dave accepts
    Then bob sees dave on call
    And alice sees dave on call

  Scenario: An invitation cannot be taken back; the invitee may still decline
    Given alice, bob, carol, dave are online
    When alice calls bob, carol for audio as a group call
    And bob accepts
    Then alice and bob are connected
    When alice invites dave
    And dave rejects
    Then dave's call ends with reason REJECT
    And alice sees dave leave
    And alice's current call is ONCALL

  Scenario: A busy invitee is reported, and still rings
    Given alice, bob, carol, dave are online
    When carol calls dave for audio
    And dave accepts
    Then carol and dave are connected
    When alice calls bob for audio as a group call
    And bob accepts
    Then alice and bob are connected
    When alice invites dave
    Then alice is told dave is busy
    And dave receives an incoming audio call from alice
    And dave's current call is ONCALL

  Scenario: An offline invitee is invited, not rung, until they come online
    Given alice, bob, carol are online
    When alice calls bob, carol for audio as a group call
    And bob accepts
    Then alice and bob are connected
    When alice invites dave
    Then alice sees dave invited
    When dave comes online
    Then dave receives an incoming audio call from alice
    And alice sees dave ringing

  @project
  Scenario: Inviting beyond the app's participant limit
    Given alice, bob, carol, dave are online in app "small-group"
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice invites carol
    And carol accepts
    Then alice sees carol on call
    When alice tries to invite dave
    Then the attempt fails with PARTICIPANT_LIMIT_EXCEEDED
    And dave has no current call
