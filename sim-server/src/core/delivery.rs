//! Delivery of call notes: to the user's devices the note targets, numbered
//! with the user's next sequence number; to a push notification when the
//! user has no live device; through the user's signaling fault, if any (`faults.rs`).

use nccall_protocol::{CallMediaType, PushConfig, ServerEvent};
use serde::Serialize;

use super::{Output, ServerCore};
use crate::calls::{DeviceId, Note, Target, UserKey};
use crate::clock::Millis;

/// Why a push was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PushKind {
    /// A call rings for a user who is offline.
    IncomingCall,
    /// A call ended for a user who is offline, with the ender's push settings.
    HangUp,
}

/// One push notification the simulated cloud "sent".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PushRecord {
    /// When it was sent (server clock).
    pub at: Millis,
    /// The app of the user.
    pub app: String,
    /// The user this is about.
    pub user_id: String,
    /// Incoming call or hang-up.
    pub kind: PushKind,
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// The caller, for an incoming call.
    pub from_user_id: Option<String>,
    /// Audio, or audio and video.
    pub media_type: Option<CallMediaType>,
    /// The caller's free-form text, passed through untouched.
    pub extra: Option<String>,
    /// How the callee's push notification reads, when they are offline.
    pub push_config: PushConfig,
}

impl ServerCore {
    pub(super) fn deliver_notes(&mut self, now: Millis) {
        let notes: Vec<Note> = self.calls.drain_notes().collect();
        for note in notes {
            self.deliver(now, note);
        }
        self.log_finished_calls(now);
    }

    /// Sends one note to the devices it targets; records a push if the user
    /// has none online. Returns whether any device got it.
    pub(super) fn deliver(&mut self, now: Millis, note: Note) -> bool {
        if let ServerEvent::CallEnded { call_id, .. } = &note.event {
            // The call is over for this user: so is their media in it.
            self.outputs.push_back(Output::ReleaseMedia {
                call_id: call_id.clone(),
                user: note.to.user.clone(),
            });
        }
        let devices: Vec<DeviceId> = match self.online.get(&note.to) {
            Some(set) => set
                .iter()
                .copied()
                .filter(|d| match note.target {
                    Target::AllDevices => true,
                    Target::Device(t) => *d == t,
                    Target::OtherDevices(t) => *d != t,
                })
                .collect(),
            None => {
                self.record_push(now, &note);
                return false;
            }
        };
        if devices.is_empty() {
            return false;
        }
        for device in devices {
            // Numbered and kept for a resume even while the device is detached.
            let Some((conn, frame)) = self.number_event(device, &note.event) else {
                continue;
            };
            self.send_to_user(&note.to, Output::Send { conn, frame });
        }
        true
    }

    fn record_push(&mut self, now: Millis, note: &Note) {
        let UserKey { app, user } = &note.to;
        let record =
            |kind, call_id: &str, from, media_type, extra, config: &PushConfig| PushRecord {
                at: now,
                app: app.clone(),
                user_id: user.clone(),
                kind,
                call_id: call_id.to_string(),
                from_user_id: from,
                media_type,
                extra,
                push_config: config.clone(),
            };
        let push = match (&note.event, &note.push) {
            (
                ServerEvent::CallReceived {
                    call_id,
                    inviter_user_id,
                    media_type,
                    extra,
                    ..
                },
                config,
            ) => record(
                PushKind::IncomingCall,
                call_id,
                Some(inviter_user_id.clone()),
                Some(*media_type),
                extra.clone(),
                &config.clone().unwrap_or_default(),
            ),
            (ServerEvent::CallEnded { call_id, .. }, Some(config)) => {
                record(PushKind::HangUp, call_id, None, None, None, config)
            }
            _ => return,
        };
        self.pushes.push(push);
    }
}
