//! Devices: where microphones, speakers and cameras come from, and which one
//! is selected.
//!
//! - [`DeviceProvider`] — the abstraction: lists devices of a kind and tells
//!   when the list changes.
//! - `virtual_devices.rs` — the default: devices declared in YAML that can be
//!   plugged and unplugged, with a microphone that produces a known tone and
//!   a camera that produces numbered frames.
//! - `audio_io.rs` — an open microphone or speaker ([`AudioCapture`],
//!   [`AudioPlayback`]) in the media path's format.
//! - `cpal_host.rs` (feature `cpal`) — the host's real audio devices;
//!   `cpal_streams.rs` opens them, `audio_buffers.rs` and `resample.rs` sit
//!   between a device's clock and rate and the media path's.
//! - `selection.rs` — the sans-IO choice of device per kind, and what
//!   happens when the chosen one disappears.

#[cfg(feature = "cpal")]
mod audio_buffers;
mod audio_io;
#[cfg(feature = "cpal")]
mod cpal_host;
#[cfg(feature = "cpal")]
mod cpal_streams;
#[cfg(feature = "cpal")]
mod resample;
mod selection;
mod virtual_devices;

use std::sync::Arc;

use tokio::sync::watch;

use crate::error::CallResult;
pub use audio_io::{AudioCapture, AudioPlayback, FRAME_SAMPLES, SAMPLE_RATE};

#[cfg(feature = "cpal")]
pub use cpal_host::CpalDevices;
pub use selection::{DeviceLoss, DeviceSelection};
pub use virtual_devices::{
    FrameSource, ToneSource, VideoFrame, VirtualDeviceSpec, VirtualDevices, VirtualDevicesSpec,
};

/// The three kinds of device the spec knows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum DeviceKind {
    /// A microphone.
    AudioInput,
    /// A speaker.
    AudioOutput,
    /// A camera.
    VideoInput,
}

impl DeviceKind {
    /// Every kind, in this order.
    pub const ALL: [DeviceKind; 3] = [
        DeviceKind::AudioInput,
        DeviceKind::AudioOutput,
        DeviceKind::VideoInput,
    ];

    pub(crate) fn index(self) -> usize {
        match self {
            DeviceKind::AudioInput => 0,
            DeviceKind::AudioOutput => 1,
            DeviceKind::VideoInput => 2,
        }
    }
}

/// One device as the app sees it (the analogue of a browser `MediaDeviceInfo`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    /// Stable id, what the select calls take.
    pub device_id: String,
    /// Name for people.
    pub label: String,
    /// Microphone, speaker or camera.
    pub kind: DeviceKind,
}

/// A source of devices. The first device of a kind is that kind's default.
pub trait DeviceProvider: std::fmt::Debug + Send + Sync + 'static {
    /// The devices of `kind` present now.
    fn devices(&self, kind: DeviceKind) -> Vec<DeviceInfo>;

    /// A receiver that changes whenever the device lists change, if the
    /// provider can tell.
    fn changes(&self) -> Option<watch::Receiver<u64>> {
        None
    }

    /// Opens microphone `device_id` for a call. `Ok(None)`: the device is
    /// virtual, and the engine sends its user's marker tone
    /// (`docs/media.md`). An error (the device is busy, gone, or speaks no
    /// usable format) leaves the call without captured audio.
    fn open_microphone(&self, device_id: &str) -> CallResult<Option<Box<dyn AudioCapture>>> {
        let _ = device_id;
        Ok(None)
    }

    /// Opens speaker `device_id` for a call. `Ok(None)`: the device is
    /// virtual, and received audio is decoded and measured but not played.
    fn open_speaker(&self, device_id: &str) -> CallResult<Option<Arc<dyn AudioPlayback>>> {
        let _ = device_id;
        Ok(None)
    }
}
