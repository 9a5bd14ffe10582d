//! Where an engine's events arrive, in order, and the note each delivered
//! callback leaves for the coverage report.

use std::time::Instant;

use nccall::{CallEvent, EventStream};
use tokio::sync::mpsc;

use super::SharedNet;
use super::note_exercised;

/// Where an engine's events arrive, in order.
pub enum EventSource {
    InProcess(EventStream),
    Remote(mpsc::UnboundedReceiver<CallEvent>),
    /// Peer `peer`'s timeline in a net; `read` events of it were taken.
    Net {
        net: SharedNet,
        peer: usize,
        read: usize,
    },
}

/// What waiting for the next event gave.
// One value per wait, matched at once: boxing the event would only cost.
#[allow(clippy::large_enum_variant)]
pub enum Next {
    Event(CallEvent),
    /// The engine is gone: nothing more will come.
    Gone,
    /// Nothing came by the deadline.
    Quiet,
}

impl EventSource {
    /// The clock waits on this source are measured on: real time, or a
    /// net's (where a wait is the net running, not the process sleeping).
    pub fn now(&self) -> Instant {
        match self {
            EventSource::Net { net, .. } => net.lock().now(),
            _ => tokio::time::Instant::now().into_std(),
        }
    }

    /// The next event, waiting for one until `deadline` (on [`EventSource::now`]'s clock).
    pub async fn next_before(&mut self, deadline: Instant) -> Next {
        let event = match self {
            EventSource::InProcess(s) => tokio::time::timeout_at(deadline.into(), s.recv()).await,
            EventSource::Remote(r) => tokio::time::timeout_at(deadline.into(), r.recv()).await,
            EventSource::Net { net, peer, read } => {
                let (peer, seen) = (*peer, *read);
                let mut net = net.lock();
                match net.run_until(deadline, |n| n.peers[peer].timeline.len() > seen) {
                    Ok(true) => {
                        *read += 1;
                        Ok(net.peers[peer].timeline.get(seen).cloned())
                    }
                    Ok(false) => return Next::Quiet,
                    // A net that loops is broken: as if the engine were gone.
                    Err(_) => Ok(None),
                }
            }
        };
        match event {
            Ok(Some(e)) => {
                delivered(Some(e.clone()));
                Next::Event(e)
            }
            Ok(None) => Next::Gone,
            Err(_) => Next::Quiet,
        }
    }

    pub fn try_recv(&mut self) -> Option<CallEvent> {
        let event = match self {
            EventSource::InProcess(s) => s.try_recv(),
            EventSource::Remote(r) => r.try_recv().ok(),
            EventSource::Net { net, peer, read } => {
                let event = net.lock().peers[*peer].timeline.get(*read).cloned();
                if event.is_some() {
                    *read += 1;
                }
                event
            }
        };
        delivered(event)
    }
}

/// The `NCCallSession` getters a session value is read through.
pub const SESSION_GETTERS: [&str; 7] = [
    "getCallId",
    "getCallState",
    "getCallType",
    "getMediaType",
    "getRemoteParticipants",
    "getCallerUserId",
    "getInviterUserId",
];

/// Notes a delivered callback (and, for one that carries a session, the
/// session's getters: the timeline reads every one of them).
pub(super) fn delivered(event: Option<CallEvent>) -> Option<CallEvent> {
    if let Some(e) = &event {
        note_exercised(e.callback_name());
        if matches!(e, CallEvent::CallReceived(_) | CallEvent::CallConnected(_)) {
            SESSION_GETTERS.iter().for_each(|g| note_exercised(g));
        }
    }
    event
}
