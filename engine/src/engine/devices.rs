//! The spec's device API (lists and selection) and the real audio
//! devices of a call: opened when a call with media connects, switched
//! when the selection changes, released when it ends or a device goes.

use std::sync::Arc;

use nccall_protocol::CallState;

use super::shell::lock;
use super::{CallEngine, Inner, State};
use crate::devices::{DeviceInfo, DeviceKind};
use crate::error::CallResult;

/// The real audio devices open for the current call, by id.
#[derive(Debug, Default)]
pub(super) struct OpenAudio {
    /// The call they were opened for was connected (with media).
    pub(super) in_call: bool,
    pub(super) microphone: Option<String>,
    pub(super) speaker: Option<String>,
}

impl CallEngine {
    /// Follows the device provider's changes on a task (once; needs a
    /// tokio runtime, so it is retried at `connect` if there was none).
    pub(super) fn watch_devices(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Some(mut changes) = self.inner.config.devices.changes() else {
            return;
        };
        {
            let mut st = self.inner.lock_state();
            if st.watching_devices {
                return;
            }
            st.watching_devices = true;
        }
        let inner = Arc::downgrade(&self.inner);
        runtime.spawn(async move {
            while changes.changed().await.is_ok() {
                match inner.upgrade() {
                    Some(inner) => inner.on_devices_changed(),
                    None => return,
                }
            }
        });
    }

    /// `getAudioInputDevices`.
    pub fn get_audio_input_devices(&self) -> Vec<DeviceInfo> {
        self.inner.config.devices.devices(DeviceKind::AudioInput)
    }

    /// `getAudioOutputDevices`.
    pub fn get_audio_output_devices(&self) -> Vec<DeviceInfo> {
        self.inner.config.devices.devices(DeviceKind::AudioOutput)
    }

    /// `getVideoInputDevices`.
    pub fn get_video_input_devices(&self) -> Vec<DeviceInfo> {
        self.inner.config.devices.devices(DeviceKind::VideoInput)
    }

    /// `selectAudioInputDevice`; also during a call. Unknown id: DEVICE_ID_INVALID, nothing changes.
    pub fn select_audio_input_device(&self, device_id: &str) -> CallResult<()> {
        self.select(DeviceKind::AudioInput, device_id)
    }

    /// `selectAudioOutputDevice`.
    pub fn select_audio_output_device(&self, device_id: &str) -> CallResult<()> {
        self.select(DeviceKind::AudioOutput, device_id)
    }

    /// `selectVideoInputDevice`; during a call the capture restarts on the
    /// new camera (with the latest video config).
    pub fn select_video_input_device(&self, device_id: &str) -> CallResult<()> {
        self.select(DeviceKind::VideoInput, device_id)
    }

    /// Re-reads the device lists now and applies the loss rule. The engine
    /// does this by itself when its provider reports changes (virtual
    /// devices do); call it for providers that cannot (cpal), e.g. when the
    /// platform says devices changed.
    pub fn refresh_devices(&self) {
        self.inner.on_devices_changed();
    }

    /// The device of `kind` in use now (the selected one, or the default).
    pub fn device_in_use(&self, kind: DeviceKind) -> Option<String> {
        let available = self.inner.config.devices.devices(kind);
        self.inner.lock_state().selection.in_use(kind, &available)
    }

    pub(super) fn select(&self, kind: DeviceKind, device_id: &str) -> CallResult<()> {
        let available = self.inner.config.devices.devices(kind);
        let mut st = self.inner.lock_state();
        let before = st.selection.clone();
        st.selection.select(kind, device_id, &available)?;
        self.inner.update_capture(&mut st);
        if kind != DeviceKind::VideoInput {
            // During a call a real device is opened now: if it cannot be,
            // the selection and the device in use stay as they were.
            if let Err(e) = self.inner.update_audio_devices(&mut st) {
                st.selection = before;
                let _ = self.inner.update_audio_devices(&mut st);
                return Err(e);
            }
        }
        Ok(())
    }
}

impl Inner {
    /// Whether this call's audio devices should be open: a connected call
    /// with media.
    pub(super) fn audio_call(&self, st: &State) -> bool {
        self.config.media_enabled
            && st
                .machine
                .current_session()
                .is_some_and(|s| s.call_state() == CallState::OnCall)
    }

    /// Opens, switches or closes the microphone and speaker to match the
    /// call and the selection. Providers with virtual devices open
    /// nothing (the media path plays the marker tone); a real device that
    /// fails to open leaves its kind closed, and the error is returned.
    pub(super) fn update_audio_devices(&self, st: &mut State) -> CallResult<()> {
        let in_call = self.audio_call(st);
        st.open_audio.in_call = in_call;
        let provider = self.config.devices.clone();
        let mut result = Ok(());
        for kind in [DeviceKind::AudioInput, DeviceKind::AudioOutput] {
            let want = if in_call {
                st.selection.in_use(kind, &provider.devices(kind))
            } else {
                None
            };
            let open = match kind {
                DeviceKind::AudioInput => &mut st.open_audio.microphone,
                _ => &mut st.open_audio.speaker,
            };
            if *open == want {
                continue;
            }
            // Close first: a device may not be opened twice.
            match kind {
                DeviceKind::AudioInput => *lock(&self.media.microphone) = None,
                _ => *lock(&self.media.speaker) = None,
            }
            *open = None;
            let Some(device_id) = want else { continue };
            let opened = match kind {
                DeviceKind::AudioInput => provider
                    .open_microphone(&device_id)
                    .map(|m| *lock(&self.media.microphone) = m),
                _ => provider
                    .open_speaker(&device_id)
                    .map(|s| *lock(&self.media.speaker) = s),
            };
            match opened {
                Ok(()) => *open = Some(device_id),
                Err(e) => result = Err(e),
            }
        }
        result
    }

    /// The device lists changed: fall back, or switch the microphone or
    /// camera off when no device of its kind is left (`devices/selection.rs`).
    pub(super) fn on_devices_changed(&self) {
        let provider = self.config.devices.clone();
        let events = {
            let mut st = self.lock_state();
            let losses = st.selection.refresh(&|kind| provider.devices(kind));
            for loss in losses.iter().filter(|l| l.now.is_none()) {
                tracing::info!(
                    "{:?} device {} is gone and none is left",
                    loss.kind,
                    loss.was
                );
                match loss.kind {
                    DeviceKind::AudioInput => {
                        st.machine.set_local_media(None, Some(false));
                    }
                    DeviceKind::VideoInput => {
                        st.machine.set_local_media(Some(false), None);
                    }
                    DeviceKind::AudioOutput => {}
                }
            }
            if let Err(e) = self.update_audio_devices(&mut st) {
                tracing::warn!("after a device change: {e}");
            }
            self.pump(&mut st)
        };
        self.deliver(events);
    }
}
