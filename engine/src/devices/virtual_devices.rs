//! Virtual devices: declared in YAML, pluggable from tests, with sources
//! whose output is known in advance (a sine tone, numbered frames).
//!
//! ```yaml
//! microphones: [{ id: mic-builtin, label: Built-in microphone, tone_hz: 440 }]
//! speakers:    [{ id: speaker-builtin, label: Built-in speakers }]
//! cameras:     [{ id: camera-front, label: Front camera }]
//! ```

use std::sync::Mutex;

use nccall_protocol::ErrorCode;
use serde::Deserialize;
use tokio::sync::watch;

use super::{DeviceInfo, DeviceKind, DeviceProvider};
use crate::error::{CallError, CallResult};
use crate::video::VideoConfig;

/// The built-in virtual devices (`fixtures/devices.yaml`).
pub const DEFAULT_DEVICES_YAML: &str = include_str!("../../../fixtures/devices.yaml");

/// The virtual devices of `fixtures/devices.yaml`, by kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualDevicesSpec {
    /// Microphones (each a tone).
    #[serde(default)]
    pub microphones: Vec<VirtualDeviceSpec>,
    /// Speakers.
    #[serde(default)]
    pub speakers: Vec<VirtualDeviceSpec>,
    /// Cameras (each drawing numbered frames with a marker).
    #[serde(default)]
    pub cameras: Vec<VirtualDeviceSpec>,
}

/// One virtual device.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualDeviceSpec {
    /// Its device id.
    pub id: String,
    /// Its label.
    pub label: String,
    /// Microphones only: the frequency of the tone it produces.
    #[serde(default)]
    pub tone_hz: Option<u32>,
    /// Whether it is plugged in at start (default yes).
    #[serde(default = "yes")]
    pub plugged: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug)]
struct Slot {
    kind: DeviceKind,
    spec: VirtualDeviceSpec,
}

/// A set of virtual devices shared by an engine and whoever plugs them.
#[derive(Debug)]
pub struct VirtualDevices {
    slots: Mutex<Vec<Slot>>,
    changes: watch::Sender<u64>,
}

impl VirtualDevices {
    /// The devices `spec` lists, plugged as it says.
    pub fn from_spec(spec: VirtualDevicesSpec) -> Self {
        let mut slots = Vec::new();
        for (kind, list) in [
            (DeviceKind::AudioInput, spec.microphones),
            (DeviceKind::AudioOutput, spec.speakers),
            (DeviceKind::VideoInput, spec.cameras),
        ] {
            slots.extend(list.into_iter().map(|spec| Slot { kind, spec }));
        }
        VirtualDevices {
            slots: Mutex::new(slots),
            changes: watch::Sender::new(0),
        }
    }

    /// From YAML in the form of `fixtures/devices.yaml`; PARAM_ERROR if it does not read.
    pub fn from_yaml(text: &str) -> CallResult<Self> {
        let spec: VirtualDevicesSpec = serde_norway::from_str(text).map_err(|e| {
            CallError::new(ErrorCode::ParamError, format!("invalid devices YAML: {e}"))
        })?;
        Ok(Self::from_spec(spec))
    }

    /// The built-in set: one microphone (440 Hz), one speaker, one camera,
    /// and a few more unplugged ones to plug in from tests.
    pub fn builtin() -> Self {
        match Self::from_yaml(DEFAULT_DEVICES_YAML) {
            Ok(devices) => devices,
            Err(e) => panic!("fixtures/devices.yaml is invalid: {e}"),
        }
    }

    /// Plugs a declared device in.
    pub fn plug(&self, device_id: &str) -> CallResult<()> {
        self.set_plugged(device_id, true)
    }

    /// Unplugs a device: engines using it fall back (see `selection.rs`).
    pub fn unplug(&self, device_id: &str) -> CallResult<()> {
        self.set_plugged(device_id, false)
    }

    fn set_plugged(&self, device_id: &str, plugged: bool) -> CallResult<()> {
        {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            let slot = slots
                .iter_mut()
                .find(|s| s.spec.id == device_id)
                .ok_or_else(|| {
                    CallError::new(
                        ErrorCode::DeviceIdInvalid,
                        format!("no virtual device {device_id:?}"),
                    )
                })?;
            if slot.spec.plugged == plugged {
                return Ok(());
            }
            slot.spec.plugged = plugged;
        }
        self.changes.send_modify(|n| *n += 1);
        Ok(())
    }

    /// The tone a microphone produces, if it is a virtual microphone.
    pub fn tone_of(&self, device_id: &str) -> Option<ToneSource> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .iter()
            .find(|s| s.kind == DeviceKind::AudioInput && s.spec.id == device_id)
            .map(|s| ToneSource::new(s.spec.tone_hz.unwrap_or(440), 48_000))
    }
}

impl DeviceProvider for VirtualDevices {
    fn devices(&self, kind: DeviceKind) -> Vec<DeviceInfo> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .iter()
            .filter(|s| s.kind == kind && s.spec.plugged)
            .map(|s| DeviceInfo {
                device_id: s.spec.id.clone(),
                label: s.spec.label.clone(),
                kind,
            })
            .collect()
    }

    fn changes(&self) -> Option<watch::Receiver<u64>> {
        Some(self.changes.subscribe())
    }
}

/// A virtual microphone's signal: a sine tone, 16-bit mono.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToneSource {
    /// The tone's pitch.
    pub frequency_hz: u32,
    /// Samples a second.
    pub sample_rate: u32,
}

impl ToneSource {
    /// A tone of `frequency_hz` at `sample_rate` (at least 1).
    pub fn new(frequency_hz: u32, sample_rate: u32) -> Self {
        ToneSource {
            frequency_hz,
            sample_rate: sample_rate.max(1),
        }
    }

    /// `count` samples starting at sample number `start`: the same numbers
    /// always give the same samples, so a receiver can check what it got.
    pub fn samples(&self, start: u64, count: usize) -> Vec<i16> {
        let mut out = vec![0; count];
        self.fill(start, &mut out);
        out
    }

    /// [`ToneSource::samples`] into a buffer the caller owns.
    pub fn fill(&self, start: u64, out: &mut [i16]) {
        let step =
            std::f64::consts::TAU * f64::from(self.frequency_hz) / f64::from(self.sample_rate);
        for (i, sample) in out.iter_mut().enumerate() {
            let phase = step * (start + i as u64) as f64;
            *sample = (phase.sin() * f64::from(i16::MAX) * 0.5) as i16;
        }
    }
}

/// A virtual camera's output: frame `n` says who made it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoFrame {
    /// Its number since capture started, from 0.
    pub number: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Capture time of the frame, from the start of capture.
    pub timestamp_us: u64,
}

/// Numbered frames at the configured resolution and frame rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameSource {
    /// Resolution and frame rate.
    pub config: VideoConfig,
}

impl FrameSource {
    /// Frame `number`: its size and capture time.
    pub fn frame(&self, number: u64) -> VideoFrame {
        let (width, height) = self.config.resolution.size();
        let fps = u64::from(self.config.frame_rate.code().max(1));
        VideoFrame {
            number,
            width,
            height,
            timestamp_us: number * 1_000_000 / fps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nccall_protocol::{VideoFrameRate, VideoResolution};

    #[test]
    fn builtin_devices_list_and_unplug() {
        let d = VirtualDevices::builtin();
        let mics = d.devices(DeviceKind::AudioInput);
        assert!(!mics.is_empty());
        let first = mics[0].device_id.clone();
        let changes = d.changes().unwrap();
        d.unplug(&first).unwrap();
        assert!(changes.has_changed().unwrap());
        assert!(
            !d.devices(DeviceKind::AudioInput)
                .iter()
                .any(|m| m.device_id == first)
        );
        assert_eq!(
            d.unplug("nope").unwrap_err().code(),
            ErrorCode::DeviceIdInvalid
        );
        d.plug(&first).unwrap();
        assert_eq!(d.devices(DeviceKind::AudioInput)[0].device_id, first);
    }

    #[test]
    fn tone_is_a_sine_of_the_declared_frequency() {
        let tone = ToneSource::new(1000, 48_000);
        let s = tone.samples(0, 48);
        // One full period of 1 kHz at 48 kHz is 48 samples: it starts at 0,
        // peaks a quarter in, and crosses zero again half-way.
        assert_eq!(s[0], 0);
        assert!(s[12] > 16_000);
        assert!(s[24].abs() < 10);
        assert_eq!(
            tone.samples(12, 1)[0],
            s[12],
            "samples depend only on their number"
        );
    }

    #[test]
    fn frames_carry_number_size_and_time() {
        let config = VideoConfig {
            resolution: VideoResolution::R640x360,
            frame_rate: VideoFrameRate::Fps24,
            ..VideoConfig::default()
        };
        let f = FrameSource { config }.frame(48);
        assert_eq!(
            (f.number, f.width, f.height, f.timestamp_us),
            (48, 640, 360, 2_000_000)
        );
    }
}
