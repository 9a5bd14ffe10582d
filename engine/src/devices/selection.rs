//! Which device of each kind is in use, and what happens when it goes away.
//!
//! Rule: a kind uses the device the app selected, or the first device of
//! that kind (the default) when it selected none. When the selected device
//! disappears, the selection falls back to the default; when no device of
//! the kind is left, the engine switches the microphone (or camera) off —
//! the other side sees `onRemoteMicrophoneStateChanged` /
//! `onRemoteCameraStateChanged` with `disabled: true` — and the call goes
//! on. Plugging a device back does not switch anything on by itself.

use nccall_protocol::ErrorCode;

use super::{DeviceInfo, DeviceKind};
use crate::error::{CallError, CallResult};

/// A kind whose device in use changed because devices came or went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLoss {
    /// The kind of device.
    pub kind: DeviceKind,
    /// The device that was in use and is gone.
    pub was: String,
    /// The device now in use, `None` if no device of the kind is left.
    pub now: Option<String>,
}

/// Which device of each kind the app chose and which is in use (the
/// chosen one while present, else the kind's default).
#[derive(Debug, Clone, Default)]
pub struct DeviceSelection {
    chosen: [Option<String>; 3],
    in_use: [Option<String>; 3],
}

impl DeviceSelection {
    /// Selects `device_id` among `available` (devices of `kind`).
    pub fn select(
        &mut self,
        kind: DeviceKind,
        device_id: &str,
        available: &[DeviceInfo],
    ) -> CallResult<()> {
        if !available.iter().any(|d| d.device_id == device_id) {
            return Err(CallError::new(
                ErrorCode::DeviceIdInvalid,
                format!("no {kind:?} device {device_id:?}"),
            ));
        }
        self.chosen[kind.index()] = Some(device_id.to_string());
        self.in_use[kind.index()] = Some(device_id.to_string());
        Ok(())
    }

    /// The device of `kind` in use, given what is available.
    pub fn in_use(&self, kind: DeviceKind, available: &[DeviceInfo]) -> Option<String> {
        let chosen = self.chosen[kind.index()].as_ref();
        chosen
            .filter(|id| available.iter().any(|d| &d.device_id == *id))
            .cloned()
            .or_else(|| available.first().map(|d| d.device_id.clone()))
    }

    /// Recomputes the devices in use after the lists changed and reports
    /// every kind whose device changed. A chosen device that vanished is
    /// forgotten, so that it does not come back by surprise.
    pub fn refresh(&mut self, lists: &dyn Fn(DeviceKind) -> Vec<DeviceInfo>) -> Vec<DeviceLoss> {
        let mut losses = Vec::new();
        for kind in DeviceKind::ALL {
            let available = lists(kind);
            let i = kind.index();
            if let Some(chosen) = &self.chosen[i]
                && !available.iter().any(|d| &d.device_id == chosen)
            {
                self.chosen[i] = None;
            }
            let now = self.in_use(kind, &available);
            let was = std::mem::replace(&mut self.in_use[i], now.clone());
            if let Some(was) = was
                && now.as_ref() != Some(&was)
            {
                losses.push(DeviceLoss { kind, was, now });
            }
        }
        losses
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mic(id: &str) -> DeviceInfo {
        DeviceInfo {
            device_id: id.into(),
            label: id.into(),
            kind: DeviceKind::AudioInput,
        }
    }

    #[test]
    fn selection_falls_back_to_the_default_then_to_nothing() {
        let mut sel = DeviceSelection::default();
        let both = vec![mic("a"), mic("b")];
        assert!(
            sel.refresh(&|k| if k == DeviceKind::AudioInput {
                both.clone()
            } else {
                vec![]
            })
            .is_empty()
        );
        assert_eq!(
            sel.select(DeviceKind::AudioInput, "zz", &both)
                .unwrap_err()
                .code(),
            ErrorCode::DeviceIdInvalid
        );
        assert_eq!(
            sel.in_use(DeviceKind::AudioInput, &both).as_deref(),
            Some("a"),
            "nothing chosen: the default"
        );
        sel.select(DeviceKind::AudioInput, "b", &both).unwrap();

        let only_a = vec![mic("a")];
        let lost = sel.refresh(&|k| {
            if k == DeviceKind::AudioInput {
                only_a.clone()
            } else {
                vec![]
            }
        });
        assert_eq!(
            lost,
            vec![DeviceLoss {
                kind: DeviceKind::AudioInput,
                was: "b".into(),
                now: Some("a".into())
            }]
        );

        let lost = sel.refresh(&|_| vec![]);
        assert_eq!(
            lost,
            vec![DeviceLoss {
                kind: DeviceKind::AudioInput,
                was: "a".into(),
                now: None
            }]
        );

        // "b" comes back: it is not chosen any more, the default is used.
        let back = vec![mic("a"), mic("b")];
        assert!(
            sel.refresh(&|k| if k == DeviceKind::AudioInput {
                back.clone()
            } else {
                vec![]
            })
            .is_empty()
        );
        assert_eq!(
            sel.in_use(DeviceKind::AudioInput, &back).as_deref(),
            Some("a")
        );
    }
}
