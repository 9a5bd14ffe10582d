//! Where an engine's events arrive, in order, and the note each delivered
//! callback leaves for the coverage report.

use nccall::{CallEvent, EventStream};
use tokio::sync::mpsc;

use super::note_exercised;

/// Where an engine's events arrive, in order.
pub enum EventSource {
    InProcess(EventStream),
    Remote(mpsc::UnboundedReceiver<CallEvent>),
}

impl EventSource {
    pub async fn recv(&mut self) -> Option<CallEvent> {
        let event = match self {
            EventSource::InProcess(s) => s.recv().await,
            EventSource::Remote(r) => r.recv().await,
        };
        delivered(event)
    }

    pub fn try_recv(&mut self) -> Option<CallEvent> {
        let event = match self {
            EventSource::InProcess(s) => s.try_recv(),
            EventSource::Remote(r) => r.try_recv().ok(),
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
