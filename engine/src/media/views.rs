//! Views: where video is shown. The app implements [`VideoView`]; the crate
//! ships [`RecordingView`], which tests and tools use to see what arrived.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// One rendered frame: which one, its size (from the decoder), how long it
/// took from the sender's camera to this view, and whose camera it came
/// from; all but the size are read from the picture's marker (0 and `None`
/// when it could not be read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderedFrame {
    /// The frame's number at the sender's camera.
    pub number: u64,
    /// Width in pixels, as decoded.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// From the sender's capture to this view.
    #[serde(rename = "delayMs", with = "crate::millis")]
    pub delay: Duration,
    /// The sender's marker tag (`marker::tag_of` of their user id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_tag: Option<u16>,
}

/// The analogue of the spec's `<video>` element.
pub trait VideoView: Send + Sync + 'static {
    /// A frame was rendered into the view (called on a media task).
    fn on_frame(&self, frame: &RenderedFrame);
}

/// `setRemoteVideoView`'s items.
#[derive(Clone)]
pub struct RemoteVideoView {
    /// The user this is about.
    pub user_id: String,
    /// Where that user's frames go.
    pub view: Arc<dyn VideoView>,
    /// Receive the user's low-resolution stream (a quarter of the pixels).
    pub enable_low_resolution_stream: bool,
}

#[derive(Debug, Default)]
struct Recorded {
    frames: u64,
    last: Option<RenderedFrame>,
    /// Frames by size.
    by_size: std::collections::HashMap<(u32, u32), u64>,
    /// Set by [`RecordingView::mark`].
    mark: Option<Instant>,
    captured_since_mark: u64,
}

/// A view that counts frames and keeps the last one.
#[derive(Debug, Default)]
pub struct RecordingView {
    recorded: Mutex<Recorded>,
    arrived: Notify,
}

impl RecordingView {
    /// An empty view, shared with whoever renders into it.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Frames rendered so far.
    pub fn frames(&self) -> u64 {
        self.recorded.lock().map(|r| r.frames).unwrap_or(0)
    }

    /// The last frame rendered.
    pub fn last_frame(&self) -> Option<RenderedFrame> {
        self.recorded.lock().ok().and_then(|r| r.last)
    }

    /// From now on, counts the frames captured after this instant (arrival
    /// time minus their end-to-end delay), to tell a frame that was still
    /// in flight from one sent after the sender stopped.
    pub fn mark(&self) {
        if let Ok(mut r) = self.recorded.lock() {
            r.mark = Some(Instant::now());
            r.captured_since_mark = 0;
        }
    }

    /// Frames captured after the last [`RecordingView::mark`].
    pub fn frames_captured_since_mark(&self) -> u64 {
        self.recorded
            .lock()
            .map(|r| r.captured_since_mark)
            .unwrap_or(0)
    }

    /// Frames of `width`×`height` so far.
    pub fn frames_of(&self, width: u32, height: u32) -> u64 {
        self.recorded
            .lock()
            .ok()
            .and_then(|r| r.by_size.get(&(width, height)).copied())
            .unwrap_or(0)
    }

    /// Waits until at least `count` frames arrived in all, up to `timeout`;
    /// returns the number that did.
    pub async fn wait_for_frames(&self, count: u64, timeout: Duration) -> u64 {
        self.wait_until(count, timeout, || self.frames()).await
    }

    /// Waits until at least `count` frames of `width`×`height` arrived in
    /// all, up to `timeout`; returns the number that did.
    pub async fn wait_for_frames_of(
        &self,
        width: u32,
        height: u32,
        count: u64,
        timeout: Duration,
    ) -> u64 {
        self.wait_until(count, timeout, || self.frames_of(width, height))
            .await
    }

    async fn wait_until(&self, count: u64, timeout: Duration, n: impl Fn() -> u64) -> u64 {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.arrived.notified();
            if n() >= count {
                return n();
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return n();
            }
        }
    }
}

impl VideoView for RecordingView {
    fn on_frame(&self, frame: &RenderedFrame) {
        if let Ok(mut r) = self.recorded.lock() {
            r.frames += 1;
            r.last = Some(*frame);
            *r.by_size.entry((frame.width, frame.height)).or_default() += 1;
            let captured = Instant::now().checked_sub(frame.delay);
            if let (Some(mark), Some(captured)) = (r.mark, captured)
                && captured > mark
            {
                r.captured_since_mark += 1;
            }
        }
        self.arrived.notify_waiters();
    }
}
