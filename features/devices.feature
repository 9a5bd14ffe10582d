@devices
@req:getAudioInputDevices @req:getAudioOutputDevices @req:getVideoInputDevices @req:selectAudioInputDevice
@req:selectAudioOutputDevice @req:selectVideoInputDevice
Feature: Devices
  Virtual devices (fixtures/devices.yaml) can be listed, selected (also in a
  call) and plugged or unplugged. When the device in use goes away the
  engine falls back to the default (the first of its kind); when none is
  left, it switches the microphone (or camera) off and the other side is
  told; the call goes on.

  Background:
    Given alice, bob are online

  Scenario: Listing the built-in virtual devices
    Then alice's audio inputs are mic-builtin
    And alice's audio outputs are speaker-builtin
    And alice's video inputs are camera-front
    When alice plugs in "mic-usb"
    Then alice's audio inputs are mic-builtin, mic-usb
    And alice uses microphone "mic-builtin"

  Scenario: Selecting devices, and an unknown id
    When alice plugs in "mic-usb"
    And alice selects microphone "mic-usb"
    Then alice uses microphone "mic-usb"
    When alice tries to select microphone "no-such-mic"
    Then the attempt fails with DEVICE_ID_INVALID
    And alice uses microphone "mic-usb"
    When alice tries to select speaker "mic-usb"
    Then the attempt fails with DEVICE_ID_INVALID

  Scenario: Selecting a speaker, before and during a call
    When alice plugs in "speaker-usb"
    And alice selects speaker "speaker-usb"
    Then alice uses speaker "speaker-usb"
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    And alice hears bob
    When alice selects speaker "speaker-builtin"
    Then alice uses speaker "speaker-builtin"
    And alice hears bob

  Scenario: Unplugging the selected microphone falls back to the default
    When alice plugs in "mic-usb"
    And alice selects microphone "mic-usb"
    And alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice unplugs "mic-usb"
    Then alice uses microphone "mic-builtin"
    And alice's microphone is on
    And bob's call shows alice with camera off and microphone on

  Scenario: Unplugging the last microphone switches it off; the call goes on
    When alice calls bob for audio
    And bob accepts
    Then alice and bob are connected
    When alice unplugs "mic-builtin"
    Then bob sees alice's microphone off
    And alice has no microphone in use
    And alice's microphone is off
    And alice's current call is ONCALL
    When alice plugs in "mic-builtin"
    Then alice uses microphone "mic-builtin"
    And alice's microphone is off

  Scenario: Switching cameras during a video call restarts capture on the new one
    When alice calls bob for video
    And bob accepts
    Then alice and bob are connected
    And alice's camera captures 640x480 at 15 fps from "camera-front"
    When alice plugs in "camera-usb"
    And alice selects camera "camera-usb"
    Then alice's camera captures 640x480 at 15 fps from "camera-usb"
