@core
@req:requestChangeMediaType @req:cancelChangeMediaType @req:replyChangeMediaType @req:onMediaTypeChangeRequestReceived
@req:onMediaTypeChangeResultReceived
Feature: Changing the media type of a one-to-one call
  Either side asks; the other agrees or refuses; the asker may cancel while
  it is pending; unanswered, it times out after 60 s. Both sides get the
  result with the call's media type afterwards, which changes only when the
  server allows it. One request at a time per call; one-to-one calls only.

  Background:
    Given alice, bob are online

  Scenario: Audio to video, agreed
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice asks to switch to video
    Then bob is asked by alice to switch to video
    When bob agrees
    Then alice and bob see the change end ALLOWED with video
    And bob sees alice's camera on
    And alice sees bob's camera on
    And alice's call is a video call

  Scenario: Video to audio, agreed
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    When bob asks to switch to audio
    Then alice is asked by bob to switch to audio
    When alice agrees
    Then alice and bob see the change end ALLOWED with audio
    And alice sees bob's camera off
    And bob's call is an audio call

  Scenario: Refused
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice asks to switch to video
    Then bob is asked by alice to switch to video
    When bob refuses
    Then alice and bob see the change end REJECTED with audio
    And bob's call is an audio call

  Scenario: Cancelled by the asker
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    When alice asks to switch to audio
    Then bob is asked by alice to switch to audio
    When alice cancels her request
    Then alice and bob see the change end CANCELED with video
    When bob tries to agree to alice's request
    Then the attempt fails with TRANSACTION_ID_INVALID

  Scenario: Nobody answers for 60 seconds
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice asks to switch to video
    Then bob is asked by alice to switch to video
    When 59 seconds pass
    Then alice's call is an audio call
    And the change has not ended for alice and bob
    When 1 second passes
    Then alice and bob see the change end TIMEOUT with audio

  Scenario: A request to the media type the call already has
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    When alice tries to ask to switch to video
    Then the attempt fails with MEDIATYPE_INVALID

  Scenario: One request at a time
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice asks to switch to video
    Then bob is asked by alice to switch to video
    When bob tries to ask to switch to video
    Then the attempt fails with MEDIA_TYPE_CHANGE_PENDING
    When alice tries to ask to switch to video
    Then the attempt fails with MEDIA_TYPE_CHANGE_PENDING

  Scenario: Both sides ask at the same instant; the first wins, the other answers it
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice and bob both ask to switch to video at the same instant
    Then the attempt fails with MEDIA_TYPE_CHANGE_PENDING
    And bob is asked by alice to switch to video
    When bob agrees
    Then alice and bob see the change end ALLOWED with video

  Scenario: Answers with a wrong id, from the wrong side, or too late
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice asks to switch to video
    Then bob is asked by alice to switch to video
    When bob tries to agree with transaction "tx-99"
    Then the attempt fails with TRANSACTION_ID_INVALID
    When alice tries to agree to alice's request
    Then the attempt fails with TRANSACTION_ID_INVALID
    When bob tries to cancel alice's request
    Then the attempt fails with TRANSACTION_ID_INVALID
    When bob agrees
    Then alice and bob see the change end ALLOWED with video
    When bob tries to agree to alice's request
    Then the attempt fails with TRANSACTION_ID_INVALID

  Scenario: The call ends while a request is pending: no result follows
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice asks to switch to video
    Then bob is asked by alice to switch to video
    When bob hangs up
    Then alice's call ends with reason REMOTE_HANGUP
    When 60 seconds pass
    Then alice has no current call

  Scenario: Not in a group call, and not before the call is connected
    Given carol is online
    When alice calls bob for audio
    Then bob receives an incoming audio call from alice
    When alice tries to ask to switch to video
    Then the attempt fails with CALL_STATE_INVALID
    When bob accepts
    Then alice and bob are connected
    When alice invites carol
    Then alice sees the call become a group call
    When alice tries to ask to switch to video
    Then the attempt fails with GROUP_CALL_NOT_SUPPORTED

  Scenario: No invitation while a request is pending
    Given carol is online
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice asks to switch to video
    And alice tries to invite carol
    Then the attempt fails with MEDIA_TYPE_CHANGE_PENDING
