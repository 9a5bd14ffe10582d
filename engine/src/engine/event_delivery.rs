//! How events reach the app: the spec's handler, and [`EventStream`]s (the
//! same callbacks as a stream), each in the machine's order, outside the
//! state lock so that a handler may call back into the engine.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::shell::lock;
use super::{CallEngine, Inner};
use crate::events::{CallEvent, CallEventHandler};

/// A stream of every event of one engine, in order, from the moment it was
/// created.
pub struct EventStream {
    rx: mpsc::UnboundedReceiver<CallEvent>,
}

impl EventStream {
    /// The next event; `None` once the engine is gone.
    pub async fn recv(&mut self) -> Option<CallEvent> {
        self.rx.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<CallEvent> {
        self.rx.try_recv().ok()
    }
}

impl CallEngine {
    /// `setCallEventHandler`: replaces the handler. Register it before
    /// `connect` so that no incoming call is missed.
    pub fn set_call_event_handler(&self, handler: Arc<dyn CallEventHandler>) {
        *lock(&self.inner.handler) = Some(handler);
    }

    /// A new stream that receives every event from now on.
    pub fn events(&self) -> EventStream {
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.inner.subscribers).push(tx);
        EventStream { rx }
    }
}

impl Inner {
    pub(super) fn deliver(&self, events: Vec<CallEvent>) {
        if events.is_empty() {
            return;
        }
        let handler = lock(&self.handler).clone();
        for event in events {
            if let Some(h) = &handler {
                event.dispatch(h.as_ref());
            }
            lock(&self.subscribers).retain(|tx| tx.send(event.clone()).is_ok());
        }
    }
}
