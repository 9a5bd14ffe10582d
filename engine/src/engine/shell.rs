//! The loop around the machine: `request` runs an API call on it and
//! waits for the answer; `pump` carries out its outputs (open a link,
//! send a frame, wake a waiting call, update the status); a timer task
//! calls `handle_timeout` when `poll_timeout` says; the link's reports
//! come back as inputs, tagged with the link's generation.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use nccall_protocol::{ErrorCode, ServerFrame};
use tokio::sync::oneshot;

use super::{CallEngine, Inner, State};
use crate::call::{CallMachine, Completion, Output, RequestId};
use crate::error::{CallError, CallResult};
use crate::events::CallEvent;
use crate::signaling::{Link, LinkEvents, OpenError};

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(timer) = lock(&self.state).timer.take() {
            timer.abort();
        }
    }
}

impl CallEngine {
    /// Runs `op` on the machine, sends what it queued and waits for the
    /// answer (the machine fails it with REQUEST_TIMEOUT if none comes in
    /// time, or SIGNAL_DISCONNECTED if the connection goes first).
    pub(super) async fn request(
        &self,
        op: impl FnOnce(&mut CallMachine, Instant) -> CallResult<RequestId>,
    ) -> CallResult<Completion> {
        let (tx, rx) = oneshot::channel();
        {
            let mut st = self.inner.lock_state();
            let id = op(&mut st.machine, now())?;
            st.waiters.insert(id, tx);
            self.inner.ensure_timer(&mut st);
            let events = self.inner.pump(&mut st);
            drop(st);
            self.inner.deliver(events);
        }
        answered(rx).await
    }
}

/// The answer to a request the machine holds (it always answers one).
pub(super) async fn answered(
    rx: oneshot::Receiver<CallResult<Completion>>,
) -> CallResult<Completion> {
    rx.await.unwrap_or_else(|_| {
        Err(CallError::new(
            ErrorCode::SignalDisconnected,
            "the engine stopped",
        ))
    })
}

/// The shell's clock: tokio's, so that a test runtime with paused time
/// moves the machine's timers too.
pub(super) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking handler must not take the engine down with it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Inner {
    pub(super) fn lock_state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Moves the machine's outputs where they go: frames to the link, results
    /// to waiting API calls. Returns the events, to be delivered by the caller
    /// once the state lock is released.
    #[must_use = "the events go to the app: deliver them once the lock is released"]
    pub(super) fn pump(&self, st: &mut State) -> Vec<CallEvent> {
        let mut events = Vec::new();
        let now = now();
        while let Some(output) = st.machine.poll_output(now) {
            match output {
                Output::Transmit(frame) => {
                    let sent = st.link.as_ref().is_some_and(|l| l.send(frame));
                    if !sent {
                        st.link = None;
                        let generation = st.link_generation;
                        st.machine.handle_link_closed(now, generation);
                    }
                }
                Output::Event(event) => events.push(event),
                Output::Completion(id, result) => {
                    if let Some(waiter) = st.waiters.remove(&id) {
                        let _ = waiter.send(result);
                    }
                }
                Output::OpenLink { generation } => {
                    st.link = None;
                    st.link_generation = generation;
                    self.open_link(st, generation);
                }
                Output::CloseLink => st.link = None,
                Output::Media(intent) => self.carry_out_media(st, intent),
                Output::Status {
                    status,
                    reconnections,
                } => {
                    self.status.send_replace((status, reconnections));
                }
            }
        }
        // The timer task wakes only if the next timeout moved earlier than
        // what it sleeps until: a later one it finds when it wakes (a wake
        // with nothing due is harmless), and waking it on every pump cost
        // a task switch per frame (~50 µs of a signaling call setup).
        let due = st.machine.poll_timeout();
        if due.is_some_and(|d| st.timer_due.is_none_or(|t| d < t)) {
            self.wake.notify_one();
        }
        self.update_capture(st);
        if st.open_audio.in_call != self.audio_call(st)
            && let Err(e) = self.update_audio_devices(st)
        {
            tracing::warn!("call without a real audio device: {e}");
        }
        self.sync_senders(st);
        events
    }

    /// Opens link `generation` on a task, as the machine asked, and tells
    /// the machine how it went.
    pub(super) fn open_link(&self, st: &State, generation: u64) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let url = st.url.clone();
        let roots = self.config.tls_roots.clone();
        let me = self.me.clone();
        runtime.spawn(async move {
            let opened = Link::open(&url, &roots, generation, me.clone()).await;
            let Some(inner) = me.upgrade() else { return };
            let events = {
                let mut st = inner.lock_state();
                if st.link_generation != generation {
                    return; // superseded; the link closes as it drops
                }
                match opened {
                    Ok(link) => {
                        st.link = Some(link);
                        st.machine.handle_link_opened(now(), generation);
                    }
                    Err(OpenError::Other(e)) => {
                        tracing::debug!("cannot open the signaling connection: {e}");
                        st.machine.handle_link_closed(now(), generation);
                    }
                    Err(OpenError::Tls(e)) => {
                        tracing::debug!("TLS refused the signaling connection: {e}");
                        let error = CallError::new(ErrorCode::TlsFailed, e);
                        st.machine.handle_link_failed(now(), generation, error);
                    }
                }
                inner.pump(&mut st)
            };
            inner.deliver(events);
        });
    }

    /// Starts the task that calls the machine's `handle_timeout` when it
    /// is due (once; it needs a tokio runtime, which `connect` has).
    pub(super) fn ensure_timer(&self, st: &mut State) {
        if st.timer.is_some() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let me = self.me.clone();
        let wake = self.wake.clone();
        st.timer = Some(runtime.spawn(async move {
            loop {
                let Some(inner) = me.upgrade() else { return };
                let due = {
                    let mut st = inner.lock_state();
                    st.timer_due = st.machine.poll_timeout();
                    st.timer_due
                };
                drop(inner);
                match due {
                    Some(at) => {
                        tokio::select! {
                            _ = tokio::time::sleep_until(at.into()) => {}
                            _ = wake.notified() => continue,
                        }
                    }
                    None => {
                        wake.notified().await;
                        continue;
                    }
                }
                let Some(inner) = me.upgrade() else { return };
                let events = {
                    let mut st = inner.lock_state();
                    st.machine.handle_timeout(now());
                    inner.pump(&mut st)
                };
                inner.deliver(events);
            }
        }));
    }
}

impl LinkEvents for Inner {
    fn on_frame(&self, generation: u64, frame: ServerFrame) {
        let events = {
            let mut st = self.lock_state();
            if st.link_generation != generation || st.link.is_none() {
                return;
            }
            st.machine.handle_frame(now(), frame);
            self.pump(&mut st)
        };
        self.deliver(events);
    }

    fn on_closed(&self, generation: u64) {
        let events = {
            let mut st = self.lock_state();
            if st.link_generation != generation {
                return;
            }
            st.link = None;
            st.machine.handle_link_closed(now(), generation);
            self.pump(&mut st)
        };
        self.deliver(events);
    }
}
