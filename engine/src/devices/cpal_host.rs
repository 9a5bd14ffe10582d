//! The host's real audio devices, through cpal (feature `cpal`). cpal knows
//! no cameras: video inputs are empty. On a machine without a sound card
//! the lists may be empty or hold ALSA's `null` device; both are fine.

use cpal::traits::{DeviceTrait, HostTrait};

use std::sync::Arc;

use super::{AudioCapture, AudioPlayback, DeviceInfo, DeviceKind, DeviceProvider, cpal_streams};
use crate::error::CallResult;

/// The default cpal host's input and output devices, listed on each call.
#[derive(Debug, Default)]
pub struct CpalDevices;

impl CpalDevices {
    /// The host's devices (nothing is opened until a call needs one).
    pub fn new() -> Self {
        CpalDevices
    }
}

impl DeviceProvider for CpalDevices {
    fn devices(&self, kind: DeviceKind) -> Vec<DeviceInfo> {
        let host = cpal::default_host();
        let devices = match kind {
            DeviceKind::AudioInput => host.input_devices().map(|d| d.collect::<Vec<_>>()),
            DeviceKind::AudioOutput => host.output_devices().map(|d| d.collect::<Vec<_>>()),
            DeviceKind::VideoInput => return Vec::new(),
        };
        let devices = match devices {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("cpal cannot list {kind:?} devices: {e}");
                return Vec::new();
            }
        };
        let mut seen = std::collections::HashSet::new();
        devices
            .into_iter()
            .filter_map(|d| {
                let id = d
                    .id()
                    .map(|id| id.to_string())
                    .unwrap_or_else(|_| d.to_string());
                let label = d
                    .description()
                    .map(|desc| desc.name().to_string())
                    .unwrap_or_else(|_| d.to_string());
                seen.insert(id.clone()).then_some(DeviceInfo {
                    device_id: id,
                    label,
                    kind,
                })
            })
            .collect()
    }

    fn open_microphone(&self, device_id: &str) -> CallResult<Option<Box<dyn AudioCapture>>> {
        Ok(Some(Box::new(cpal_streams::open_microphone(device_id)?)))
    }

    fn open_speaker(&self, device_id: &str) -> CallResult<Option<Arc<dyn AudioPlayback>>> {
        Ok(Some(Arc::new(cpal_streams::open_speaker(device_id)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs on any machine: lists whatever the host has (possibly nothing)
    /// and checks the lists are well formed.
    #[test]
    fn lists_the_host_devices_without_failing() {
        let provider = CpalDevices::new();
        for kind in [DeviceKind::AudioInput, DeviceKind::AudioOutput] {
            let list = provider.devices(kind);
            println!(
                "cpal {kind:?}: {:?}",
                list.iter()
                    .map(|d| (&d.device_id, &d.label))
                    .collect::<Vec<_>>()
            );
            let ids: std::collections::HashSet<_> =
                list.iter().map(|d| d.device_id.as_str()).collect();
            assert_eq!(ids.len(), list.len(), "device ids are unique");
            assert!(
                list.iter()
                    .all(|d| d.kind == kind && !d.device_id.is_empty())
            );
        }
        assert!(provider.devices(DeviceKind::VideoInput).is_empty());
    }
}
