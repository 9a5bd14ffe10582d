//! The exactly-once rules every engine's timeline obeys, whatever the
//! network did, written as checks that return what they found broken
//! (empty when all hold). Used by the net's property test; they hold for
//! any SDK's timeline, so a driver-based check can use them too.
//!
//! For one device:
//! - a call is received at most once, connected at most once, and ended
//!   at most once (`onCallEnded` exactly once for every call it knew, once
//!   everything settled);
//! - nothing about a call comes after its `onCallEnded` but its logs;
//! - `onCallConnected`, if it comes, comes before `onCallEnded`.
//!
//! For the two sides of a one-to-one call that both ended it as the server
//! said (neither lost its session): connected on both sides or neither, and
//! their server logs agree on when it started and who took part.

use std::collections::{BTreeMap, BTreeSet};

use nccall::{CallEndReason, CallEvent, CallLog};

/// The call an event is about, where it names one. `onStartTimeReceived`
/// and the media-type events name none (the spec's shapes): they count
/// for no call here.
pub fn call_of(event: &CallEvent) -> Option<&str> {
    match event {
        CallEvent::CallReceived(e) => Some(e.session.call_id()),
        CallEvent::CallEnded(e) => Some(e.session.call_id()),
        CallEvent::CallConnected(e) => Some(e.session.call_id()),
        CallEvent::LocalCallLogReceived(e) | CallEvent::ServerCallLogReceived(e) => {
            Some(&e.call_log.call_id)
        }
        CallEvent::RemoteCameraStateChanged(e) | CallEvent::RemoteMicrophoneStateChanged(e) => {
            Some(&e.call_id)
        }
        CallEvent::RemoteUserInvited(e) => Some(&e.call_id),
        CallEvent::RemoteUserStateChanged(e) => Some(&e.call_id),
        CallEvent::CallTypeChanged(e) => Some(&e.call_id),
        // The start time and media-type events; and any added later.
        _ => None,
    }
}

/// What one device's timeline says about one call.
#[derive(Debug, Default, Clone)]
pub struct CallSummary {
    pub received: usize,
    pub connected: usize,
    pub ended: Vec<CallEndReason>,
    pub server_log: Option<CallLog>,
}

/// Each call's summary, by call id.
pub fn summarise(timeline: &[CallEvent]) -> BTreeMap<String, CallSummary> {
    let mut calls: BTreeMap<String, CallSummary> = BTreeMap::new();
    for event in timeline {
        let Some(call) = call_of(event) else { continue };
        let s = calls.entry(call.to_string()).or_default();
        match event {
            CallEvent::CallReceived(_) => s.received += 1,
            CallEvent::CallConnected(_) => s.connected += 1,
            CallEvent::CallEnded(e) => s.ended.push(e.reason),
            CallEvent::ServerCallLogReceived(e) => s.server_log = Some(e.call_log.clone()),
            _ => {}
        }
    }
    calls
}

/// The rules for one device. `known` are calls the device knew of other
/// than from events (the ones it started); with `settled`, every call it
/// knew must have ended.
pub fn check_device(
    user: &str,
    timeline: &[CallEvent],
    known: &BTreeSet<String>,
    settled: bool,
) -> Vec<String> {
    let mut broken = Vec::new();
    let mut ended: BTreeSet<&str> = BTreeSet::new();
    for (n, event) in timeline.iter().enumerate() {
        let Some(call) = call_of(event) else { continue };
        let is_log = matches!(
            event,
            CallEvent::LocalCallLogReceived(_) | CallEvent::ServerCallLogReceived(_)
        );
        if ended.contains(call) && !is_log {
            broken.push(format!(
                "{user}: event #{n} {} about {call} after its onCallEnded",
                event.callback_name()
            ));
        }
        if matches!(event, CallEvent::CallEnded(_)) {
            ended.insert(call);
        }
    }
    let calls = summarise(timeline);
    for (call, s) in &calls {
        if s.received > 1 {
            broken.push(format!("{user}: {call} received {} times", s.received));
        }
        if s.connected > 1 {
            broken.push(format!("{user}: {call} connected {} times", s.connected));
        }
        if s.ended.len() > 1 {
            broken.push(format!("{user}: {call} ended {} times", s.ended.len()));
        }
    }
    if settled {
        let seen = calls
            .iter()
            .filter(|(_, s)| s.received + s.connected > 0)
            .map(|(c, _)| c);
        for call in known.iter().chain(seen) {
            if calls.get(call).is_none_or(|s| s.ended.is_empty()) {
                broken.push(format!("{user}: {call} never ended"));
            }
        }
    }
    broken
}

/// The rules for the two sides of each one-to-one call both knew.
pub fn check_pair(
    a: (&str, &BTreeMap<String, CallSummary>),
    b: (&str, &BTreeMap<String, CallSummary>),
) -> Vec<String> {
    let mut broken = Vec::new();
    let lost = |s: &CallSummary| s.ended.contains(&CallEndReason::NetworkError);
    for (call, sa) in a.1 {
        let Some(sb) = b.1.get(call) else { continue };
        if sa.ended.is_empty() || sb.ended.is_empty() || lost(sa) || lost(sb) {
            continue;
        }
        if (sa.connected > 0) != (sb.connected > 0) {
            broken.push(format!(
                "{call}: connected for {} ({}) but not for {} ({})",
                if sa.connected > 0 { a.0 } else { b.0 },
                sa.connected.max(sb.connected),
                if sa.connected > 0 { b.0 } else { a.0 },
                sa.connected.min(sb.connected),
            ));
        }
        if let (Some(la), Some(lb)) = (&sa.server_log, &sb.server_log) {
            let people = |l: &CallLog| {
                l.participants
                    .iter()
                    .map(|p| p.user_id.clone())
                    .collect::<BTreeSet<_>>()
            };
            if la.start_time != lb.start_time || people(la) != people(lb) {
                broken.push(format!(
                    "{call}: the server logs disagree: {} says start {:?} with {:?}, {} says start {:?} with {:?}",
                    a.0,
                    la.start_time,
                    people(la),
                    b.0,
                    lb.start_time,
                    people(lb)
                ));
            }
        }
    }
    broken
}
