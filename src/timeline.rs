//! Normalised timelines: what each participant saw, as YAML-ready values.
//!
//! Call ids become `call#1`, `call#2`... in order of first appearance across
//! all participants (taken in name order), so the same call has the same
//! alias for everyone. Server times become offsets from the scenario start,
//! `+0ms`, which a virtual clock makes exact. Enum values are shown as
//! `NAME(code)` so that a changed number shows in a diff too.

use std::collections::BTreeMap;

use nccall::{CallEvent, CallLog, CallSession, RemoteParticipant};
use serde_json::{Map, Value, json};

pub struct Normaliser {
    epoch: i64,
    call_ids: Vec<String>,
}

impl Normaliser {
    pub fn new(epoch: i64) -> Self {
        Normaliser {
            epoch,
            call_ids: Vec::new(),
        }
    }

    pub fn call(&mut self, id: &str) -> String {
        let n = match self.call_ids.iter().position(|c| c == id) {
            Some(i) => i + 1,
            None => {
                self.call_ids.push(id.to_string());
                self.call_ids.len()
            }
        };
        format!("call#{n}")
    }

    pub fn time(&self, t: i64) -> String {
        format!("{:+}ms", t - self.epoch)
    }

    /// One event as `{callbackName: {field: value, ...}}`.
    pub fn event(&mut self, event: &CallEvent) -> Value {
        let fields = match event {
            CallEvent::CallReceived(e) => {
                let mut m = self.session(&e.session);
                if let Some(extra) = &e.extra {
                    m.insert("extra".into(), json!(extra));
                }
                m
            }
            CallEvent::CallEnded(e) => {
                let mut m = Map::new();
                m.insert("reason".into(), json!(e.reason.to_string()));
                m.extend(self.session(&e.session));
                m
            }
            CallEvent::CallConnected(e) => self.session(&e.session),
            CallEvent::RemoteUserStateChanged(e) => {
                let mut m = Map::new();
                m.insert("callId".into(), json!(self.call(&e.call_id)));
                m.insert("userId".into(), json!(e.user_id));
                m.insert("userState".into(), json!(e.user_state.to_string()));
                if let Some(r) = e.reason {
                    m.insert("reason".into(), json!(r.to_string()));
                }
                m
            }
            CallEvent::StartTimeReceived(e) => {
                let mut m = Map::new();
                m.insert("startTime".into(), json!(self.time(e.start_time)));
                m
            }
            CallEvent::RemoteUserInvited(e) => {
                let mut m = Map::new();
                m.insert("callId".into(), json!(self.call(&e.call_id)));
                m.insert("inviteeUserList".into(), json!(e.invitee_user_list));
                m.insert("inviterUserId".into(), json!(e.inviter_user_id));
                m
            }
            CallEvent::CallTypeChanged(e) => {
                let mut m = Map::new();
                m.insert("callId".into(), json!(self.call(&e.call_id)));
                m.insert("callType".into(), json!(e.call_type.to_string()));
                m
            }
            CallEvent::MediaTypeChangeRequestReceived(e) => {
                let mut m = Map::new();
                m.insert("userId".into(), json!(e.user_id));
                m.insert("transactionId".into(), json!(e.transaction_id));
                m.insert("mediaType".into(), json!(e.media_type.to_string()));
                m
            }
            CallEvent::MediaTypeChangeResultReceived(e) => {
                let mut m = Map::new();
                m.insert("userId".into(), json!(e.user_id));
                m.insert("transactionId".into(), json!(e.transaction_id));
                m.insert("mediaType".into(), json!(e.media_type.to_string()));
                m.insert("result".into(), json!(e.result.to_string()));
                m
            }
            CallEvent::RemoteCameraStateChanged(e) | CallEvent::RemoteMicrophoneStateChanged(e) => {
                let mut m = Map::new();
                m.insert("callId".into(), json!(self.call(&e.call_id)));
                m.insert("userId".into(), json!(e.user_id));
                m.insert("disabled".into(), json!(e.disabled));
                m
            }
            CallEvent::ServerCallLogReceived(e) => self.call_log(&e.call_log),
            CallEvent::LocalCallLogReceived(e) => {
                // A device that ends a call on its own (it disconnected)
                // can only estimate the server's clock: its last reading
                // plus the time since. Whole seconds of the scenario's
                // clock (which moves in whole seconds) keep that estimate
                // from making the snapshot depend on the machine's speed.
                let mut log = e.call_log.clone();
                let floor = |t: i64| t - (t - self.epoch).rem_euclid(1000);
                log.end_time = log.end_time.map(floor);
                log.duration_ms -= log.duration_ms.rem_euclid(1000);
                self.call_log(&log)
            }
            // A kind of event added after this renderer: its name alone, so
            // that a snapshot never holds an unnormalised id or time.
            _ => Map::new(),
        };
        json!({ event.callback_name(): Value::Object(fields) })
    }

    /// A call log with every field, normalised; `syncTime` as microseconds
    /// from the scenario start (it is the end time in µs, nudged to be unique).
    pub fn call_log(&mut self, log: &CallLog) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("callId".into(), json!(self.call(&log.call_id)));
        m.insert("callerUserId".into(), json!(log.caller_user_id));
        m.insert("inviterUserId".into(), json!(log.inviter_user_id));
        let participants: Vec<String> = log
            .participants
            .iter()
            .map(|p| format!("{} {}", p.user_id, p.user_state))
            .collect();
        m.insert("participants".into(), json!(participants));
        m.insert("callType".into(), json!(log.call_type.to_string()));
        m.insert("mediaType".into(), json!(log.media_type.to_string()));
        m.insert("direction".into(), json!(log.direction.name()));
        if let Some(t) = log.start_time {
            m.insert("startTime".into(), json!(self.time(t)));
        }
        if let Some(t) = log.end_time {
            m.insert("endTime".into(), json!(self.time(t)));
        }
        m.insert("durationMs".into(), json!(log.duration_ms));
        if let Some(r) = log.end_reason {
            m.insert("endReason".into(), json!(r.to_string()));
        }
        m.insert("missed".into(), json!(log.missed));
        if let Some(extra) = &log.extra {
            m.insert("extra".into(), json!(extra));
        }
        if let Some(target) = &log.target_id {
            m.insert("targetId".into(), json!(target));
        }
        if let Some(sync) = log.sync_time {
            m.insert(
                "syncTime".into(),
                json!(format!("{:+}us", sync - self.epoch * 1000)),
            );
        }
        m
    }

    fn session(&mut self, s: &CallSession) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("callId".into(), json!(self.call(s.call_id())));
        m.insert("callState".into(), json!(s.call_state().to_string()));
        m.insert("callType".into(), json!(s.call_type().to_string()));
        m.insert("mediaType".into(), json!(s.media_type().to_string()));
        m.insert("callerUserId".into(), json!(s.caller_user_id()));
        m.insert("inviterUserId".into(), json!(s.inviter_user_id()));
        let remote: Vec<Value> = s.remote_participants().iter().map(participant).collect();
        m.insert("remoteParticipants".into(), Value::Array(remote));
        if let Some(t) = s.start_time() {
            m.insert("startTime".into(), json!(self.time(t)));
        }
        m
    }

    /// Every participant's events, by name.
    pub fn timelines<'a>(
        &mut self,
        people: impl IntoIterator<Item = (&'a str, &'a [CallEvent])>,
    ) -> BTreeMap<String, Vec<Value>> {
        let mut sorted: Vec<_> = people.into_iter().collect();
        sorted.sort_by_key(|(name, _)| *name);
        sorted
            .into_iter()
            .map(|(name, events)| {
                (
                    name.to_string(),
                    events.iter().map(|e| self.event(e)).collect(),
                )
            })
            .collect()
    }
}

/// A participant on one line: `bob RINGING(102) camera:off mic:on`.
fn participant(p: &RemoteParticipant) -> Value {
    let on = |b: bool| if b { "on" } else { "off" };
    json!(format!(
        "{} {} camera:{} mic:{}",
        p.user_id(),
        p.user_state(),
        on(p.is_camera_enabled()),
        on(p.is_microphone_enabled())
    ))
}
