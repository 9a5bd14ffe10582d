//! The peer connection of the current call, carried out as the machine's
//! media intents say (`call/media_plan.rs` decides when): built, published,
//! grown (renegotiation), rebuilt, closed. The work runs on a task per call
//! (`run_media`), which reports a lost path and how rebuilds went back to
//! the machine; the senders follow the camera and microphone
//! (`sync_senders`).

use std::sync::atomic::Ordering as AtomicOrdering;
use std::sync::{Arc, Mutex};

use nccall_protocol::CallState;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::shell::{lock, now};
use super::{CallEngine, Inner, State};
use crate::call::{Completion, MediaIntent, MediaReport};
use crate::error::CallResult;
use crate::media::{
    ConnectionQualityHandler, LinkState, MediaSession, PendingSession, SlotControl,
};

/// The peer connection of one call. Dropping it stops the setup if it is
/// still running and closes the connection.
pub(super) struct MediaSlot {
    pub(super) call_id: String,
    pub(super) setup: JoinHandle<()>,
    pub(super) session: Arc<Mutex<Option<MediaSession>>>,
    /// The machine's intents for this call, to its media task.
    pub(super) intents: mpsc::UnboundedSender<MediaIntent>,
}

impl Drop for MediaSlot {
    fn drop(&mut self) {
        self.setup.abort();
        if let Ok(mut session) = self.session.lock() {
            session.take();
        }
    }
}

impl CallEngine {
    /// `setConnectionQualityHandler`: send and receive quality and audio
    /// volume, computed every second during a call with media; each
    /// callback fires when its value changed.
    pub fn set_connection_quality_handler(&self, handler: Arc<dyn ConnectionQualityHandler>) {
        if let Ok(mut h) = self.inner.media.quality_handler.lock() {
            *h = Some(handler);
        }
    }

    /// Publishes media for a call (used by the media setup task).
    pub(super) async fn publish_media(
        &self,
        call_id: &str,
        sdp: String,
        slots: Vec<String>,
    ) -> CallResult<String> {
        let low: Vec<String> = self
            .inner
            .media
            .low_resolution
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default();
        match self
            .request(|m, _| m.publish_media(call_id, sdp, low, slots))
            .await?
        {
            Completion::Published(answer) => Ok(answer),
            other => Err(other.unexpected()),
        }
    }

    /// Re-assigns receive slots, renegotiating with `offer` when given.
    pub(super) async fn update_media(
        &self,
        call_id: &str,
        offer: Option<String>,
        slots: Vec<String>,
    ) -> CallResult<Option<String>> {
        match self
            .request(|m, _| m.update_media(call_id, offer, slots))
            .await?
        {
            Completion::MediaUpdated(answer) => Ok(answer),
            other => Err(other.unexpected()),
        }
    }
}

/// The media of one call, as the machine asks: builds the peer connection
/// (`Prepare`), publishes it (`Publish`), re-assigns its receive slots
/// (`UpdateSlots`), replaces it when its path was lost (`Rebuild`), one
/// intent at a time in the order given; reports a lost path and how
/// rebuilds went. Ends when the call's media is released (the task is
/// aborted) or the intents stop.
pub(super) async fn run_media(
    engine: CallEngine,
    call_id: String,
    mut intents: mpsc::UnboundedReceiver<MediaIntent>,
    target: Arc<Mutex<Option<MediaSession>>>,
) {
    let shared = engine.inner.media.clone();
    let report = |report| engine.inner.media_report(&call_id, report);
    let mut prepared: Option<(PendingSession, String, usize)> = None;
    let mut control: Option<SlotControl> = None;
    let mut link: Option<tokio::sync::watch::Receiver<LinkState>> = None;
    loop {
        let intent = tokio::select! {
            intent = intents.recv() => match intent {
                Some(intent) => intent,
                None => return,
            },
            () = path_lost(&mut link) => {
                link = None;
                tracing::info!(call = call_id, "media path lost");
                report(MediaReport::Lost);
                continue;
            }
        };
        match intent {
            MediaIntent::Prepare { receive_slots, .. } => {
                match MediaSession::offer(receive_slots, shared.clone()).await {
                    Ok((pending, offer)) => prepared = Some((pending, offer, receive_slots)),
                    Err(e) => {
                        tracing::warn!(call = call_id, "media failed: {e}");
                        report(MediaReport::Failed);
                    }
                }
            }
            MediaIntent::Publish { slots, .. } => {
                match publish(&engine, &call_id, prepared.take(), slots).await {
                    Ok(session) => {
                        control = Some(session.slot_control());
                        link = session.link_state();
                        if let Ok(mut slot) = target.lock() {
                            *slot = Some(session);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(call = call_id, "media failed: {e}");
                        report(MediaReport::Failed);
                    }
                }
            }
            MediaIntent::UpdateSlots { slots, .. } => {
                let Some(c) = &control else { continue };
                if let Err(e) = follow_slots(&engine, &call_id, c, slots).await {
                    tracing::warn!(call = call_id, "media failed: {e}");
                    report(MediaReport::Failed);
                }
            }
            MediaIntent::Rebuild { slots, .. } => {
                match rebuild(&engine, &call_id, slots, &target).await {
                    Ok(session) => {
                        control = Some(session.slot_control());
                        link = session.link_state();
                        if let Ok(mut slot) = target.lock() {
                            *slot = Some(session);
                        }
                        report(MediaReport::Rebuilt);
                    }
                    Err(e) => {
                        tracing::debug!(call = call_id, "media rebuild failed: {e}");
                        report(MediaReport::RebuildFailed);
                    }
                }
            }
            MediaIntent::Release { .. } => return,
        }
    }
}

/// Resolves when the published connection's path is lost; never while
/// there is none (or its state is gone with it).
async fn path_lost(link: &mut Option<tokio::sync::watch::Receiver<LinkState>>) {
    if let Some(rx) = link
        && rx.wait_for(|s| *s == LinkState::Lost).await.is_ok()
    {
        return;
    }
    std::future::pending().await
}

/// Publishes the prepared connection with `slots`, building it again first
/// if it was built with fewer receive slots (a group that grew while
/// ringing) or not at all.
async fn publish(
    engine: &CallEngine,
    call_id: &str,
    prepared: Option<(PendingSession, String, usize)>,
    slots: Vec<String>,
) -> Result<MediaSession, String> {
    let shared = engine.inner.media.clone();
    let (pending, offer) = match prepared {
        Some((pending, offer, built)) if built >= slots.len() => (pending, offer),
        other => {
            drop(other);
            MediaSession::offer(slots.len().max(1), shared.clone()).await?
        }
    };
    let answer = engine
        .publish_media(call_id, offer, slots.clone())
        .await
        .map_err(|e| e.to_string())?;
    shared.reset_reception(slots);
    pending.answer(answer).await
}

/// Tells the media server who each receive slot carries now, adding
/// m-lines first when there are more slots than the connection has.
pub(super) async fn follow_slots(
    engine: &CallEngine,
    call_id: &str,
    control: &SlotControl,
    next: Vec<String>,
) -> Result<(), String> {
    let offer = if next.len() > control.offered() {
        Some(control.grow(next.len()).await?)
    } else {
        None
    };
    let answer = engine
        .update_media(call_id, offer, next.clone())
        .await
        .map_err(|e| e.to_string())?;
    if let Some(answer) = answer {
        control.apply_answer(answer).await?;
    }
    if let Ok(mut current) = engine.inner.media.slots.lock() {
        *current = next;
    }
    Ok(())
}

/// Replaces a lost peer connection once: closes it, then builds and
/// publishes a new one (the media server drops the old one on the new
/// publish). The machine asks again, later, if this fails (e.g. while
/// signaling is still reconnecting).
async fn rebuild(
    engine: &CallEngine,
    call_id: &str,
    slots: Vec<String>,
    target: &Arc<Mutex<Option<MediaSession>>>,
) -> Result<MediaSession, String> {
    let shared = engine.inner.media.clone();
    if let Ok(mut slot) = target.lock() {
        slot.take();
    }
    shared.link_up.store(false, AtomicOrdering::SeqCst);
    shared.link_changed.notify_waiters();
    let (pending, offer) = MediaSession::offer(slots.len().max(1), shared.clone()).await?;
    let answer = engine
        .publish_media(call_id, offer, slots.clone())
        .await
        .map_err(|e| e.to_string())?;
    let session = pending.answer(answer).await?;
    if let Ok(mut current) = shared.slots.lock() {
        *current = slots;
    }
    shared
        .media_reconnections
        .fetch_add(1, AtomicOrdering::SeqCst);
    Ok(session)
}

impl Inner {
    /// Carries out one of the machine's media intents: a new call's media
    /// gets a task of its own, the others go to the task of their call.
    pub(super) fn carry_out_media(&self, st: &mut State, intent: MediaIntent) {
        let same_call = |slot: &MediaSlot| slot.call_id == intent.call_id();
        match &intent {
            MediaIntent::Prepare { call_id, .. } => {
                st.media_slot = None; // closes the previous call's media
                let (Some(me), Ok(runtime)) =
                    (self.me.upgrade(), tokio::runtime::Handle::try_current())
                else {
                    return;
                };
                self.media.reset_reception(Vec::new());
                let (intents, intents_rx) = mpsc::unbounded_channel();
                let session = Arc::new(Mutex::new(None));
                let setup = runtime.spawn(run_media(
                    CallEngine { inner: me },
                    call_id.clone(),
                    intents_rx,
                    session.clone(),
                ));
                let call_id = call_id.clone();
                let _ = intents.send(intent);
                st.media_slot = Some(MediaSlot {
                    call_id,
                    setup,
                    session,
                    intents,
                });
            }
            MediaIntent::Release { .. } => {
                if st.media_slot.as_ref().is_some_and(same_call) {
                    st.media_slot = None;
                }
            }
            _ => {
                if let Some(slot) = st.media_slot.as_ref().filter(|s| same_call(s)) {
                    let _ = slot.intents.send(intent);
                }
            }
        }
    }

    /// A report from `call_id`'s media task, for the machine.
    fn media_report(&self, call_id: &str, report: MediaReport) {
        let events = {
            let mut st = self.lock_state();
            st.machine.handle_media_report(now(), call_id, report);
            self.pump(&mut st)
        };
        self.deliver(events);
    }

    /// Keeps the senders in step with the current call and the camera and
    /// microphone: what is sent, at what size and rate, marked as whom.
    pub(super) fn sync_senders(&self, st: &mut State) {
        let on_call = self.config.media_enabled
            && st
                .machine
                .current_session()
                .is_some_and(|s| s.call_state() == CallState::OnCall);
        let media = &self.media;
        media
            .video_on
            .store(st.capture.is_some(), AtomicOrdering::SeqCst);
        media.audio_on.store(
            on_call && st.machine.is_microphone_enabled(),
            AtomicOrdering::SeqCst,
        );
        if let Some(capture) = &st.capture {
            let (w, h) = capture.config.resolution.size();
            media.width.store(w, AtomicOrdering::SeqCst);
            media.height.store(h, AtomicOrdering::SeqCst);
            media
                .fps
                .store(capture.config.frame_rate.code(), AtomicOrdering::SeqCst);
            media.max_bitrate_kbps.store(
                capture.config.max_bitrate_kbps.unwrap_or(0),
                AtomicOrdering::SeqCst,
            );
        }
        if let Some(user) = st.machine.user_id() {
            let tag = crate::media::marker::tag_of(user);
            media.tag.store(u32::from(tag), AtomicOrdering::SeqCst);
            let mut me = lock(&media.local_user);
            if me.as_str() != user {
                *me = user.to_string();
            }
        }
    }
}
