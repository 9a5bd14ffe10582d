//! One participant: their SDK instance, the views and handlers the suite
//! gave it, and every event it delivered, with the waits the steps use.

use std::collections::BTreeMap;
use std::sync::Arc;

use nccall::{CallEvent, RecordingView};

use super::{RECHECK, event_wait};
use crate::engine_driver::{DriverResult, EventSource, Next, Sdk};
use crate::recorders::QualityRecorder;

/// One user's engine and everything it reported, in order.
pub struct Participant {
    pub name: String,
    /// The SDK instance under test (in process, or in a driver process).
    pub engine: Sdk,
    /// Where the participant's own camera is shown.
    pub local_view: Arc<RecordingView>,
    /// Every quality and volume callback, in order.
    pub quality: Arc<QualityRecorder>,
    /// The engine's reconnect count when the last network fault was injected.
    pub reconnects_before_fault: u64,
    /// Views of remote users' video, by user id.
    pub remote_views: BTreeMap<String, Arc<RecordingView>>,
    pub(super) stream: EventSource,
    /// Every event so far, in the order the engine delivered them.
    pub events: Vec<CallEvent>,
    /// Events before this index were matched by earlier expectations.
    pub(super) cursor: usize,
}

/// A participant leaving the scenario hangs up its engine (its calls end and
/// their media is released); a driver's engines go with the driver.
impl Drop for Participant {
    fn drop(&mut self) {
        if let Some(engine) = self.engine.in_process() {
            engine.disconnect();
        }
    }
}

impl Participant {
    /// Binds a recording view for `user`'s video and returns it.
    pub async fn watch(
        &mut self,
        user: &str,
        low_resolution: bool,
    ) -> DriverResult<Arc<RecordingView>> {
        let view = RecordingView::new();
        self.engine
            .set_remote_video_view(user, low_resolution, view.clone())
            .await?;
        self.remote_views.insert(user.to_string(), view.clone());
        Ok(view)
    }

    /// Records every event that has arrived so far.
    pub fn drain(&mut self) {
        while let Some(e) = self.stream.try_recv() {
            self.events.push(e);
        }
    }

    /// Waits until an event after the last matched one satisfies `pred`, and
    /// returns it; events it skips stay recorded. Fails after [`event_wait`]
    /// with what was seen instead.
    pub async fn expect(
        &mut self,
        what: &str,
        pred: impl Fn(&CallEvent) -> bool,
    ) -> Result<CallEvent, String> {
        let wait = event_wait();
        let deadline = self.stream.now() + wait;
        loop {
            self.drain();
            if let Some(offset) = self.events[self.cursor..].iter().position(&pred) {
                let index = self.cursor + offset;
                self.cursor = index + 1;
                return Ok(self.events[index].clone());
            }
            match self.stream.next_before(deadline).await {
                Next::Event(e) => self.events.push(e),
                Next::Gone => {
                    return Err(format!(
                        "{}'s engine is gone while waiting for {what}",
                        self.name
                    ));
                }
                Next::Quiet => {
                    let seen: Vec<&str> = self.events[self.cursor..]
                        .iter()
                        .map(CallEvent::callback_name)
                        .collect();
                    return Err(format!(
                        "{} did not get {what} within {wait:?}; events since the last match: {seen:?}",
                        self.name
                    ));
                }
            }
        }
    }

    /// The latest recorded event that satisfies `pred`, waiting for one if
    /// none has arrived yet. Unlike [`Participant::expect`] it does not move
    /// the cursor: it is for steps that need a value from an event.
    pub async fn latest(
        &mut self,
        what: &str,
        pred: impl Fn(&CallEvent) -> bool,
    ) -> Result<CallEvent, String> {
        let deadline = self.stream.now() + event_wait();
        loop {
            self.drain();
            if let Some(e) = self.events.iter().rev().find(|e| pred(e)) {
                return Ok(e.clone());
            }
            match self.stream.next_before(deadline).await {
                Next::Event(e) => self.events.push(e),
                Next::Gone | Next::Quiet => return Err(format!("{} never got {what}", self.name)),
            }
        }
    }

    /// Waits (recording events meanwhile) until `cond` holds for the engine,
    /// looking again after each event and every [`RECHECK`] (what it reads
    /// may change without an event: a device in use, capture, the media
    /// link); fails after [`event_wait`], or at once if the engine cannot
    /// answer (`cond`'s error).
    pub async fn wait_until(
        &mut self,
        what: &str,
        cond: impl AsyncFn(&Sdk) -> DriverResult<bool>,
    ) -> Result<(), String> {
        let wait = event_wait();
        let deadline = self.stream.now() + wait;
        let engine = self.engine.clone();
        loop {
            self.drain();
            match cond(&engine).await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => return Err(format!("{}: {what}: {e}", self.name)),
            }
            let now = self.stream.now();
            if now >= deadline {
                return Err(format!(
                    "{}: {what} did not happen within {wait:?}",
                    self.name
                ));
            }
            match self.stream.next_before(deadline.min(now + RECHECK)).await {
                Next::Event(e) => self.events.push(e),
                Next::Gone => {
                    return Err(format!(
                        "{}'s engine is gone while waiting until {what}",
                        self.name
                    ));
                }
                // Nothing arrived: look again.
                Next::Quiet => {}
            }
        }
    }

    /// Makes sure every event the server sent so far has been recorded: a
    /// heartbeat round trip is answered after everything sent before it.
    /// A participant who is not connected has nothing in flight (and its
    /// heartbeat fails at once).
    pub async fn settle(&mut self) {
        let _ = self.engine.heartbeat().await;
        self.drain();
    }
}
