@core @req:setCallEventHandler @req:getVersion @req:removeVideoView
Feature: The event handler, the version, and removing a view
  The rig records events through the engine's event stream; an app
  registers an event handler (setCallEventHandler). Both are told the same
  callbacks in the same order.

  Scenario: The event handler hears what the event stream does
    Given alice, bob are online
    And alice also listens with an event handler
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    When alice turns her camera off
    And bob hangs up
    Then alice's call ends with reason REMOTE_HANGUP
    And alice's event handler heard what her event stream did

  Scenario: The version
    Then the engine reports a semantic version

  @media @serial
  Scenario: A removed view shows nothing more
    Given alice, bob are online
    And alice watches bob
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And alice's view of bob shows 5 frames of 640x480
    When alice stops watching bob
    Then alice's view of bob stays still while 25 audio packets arrive
