//! What tests and tools observe of an engine beyond the spec: media
//! counters, waits on them, a signaling round trip, connection waits.

use std::future::Future;
use std::sync::atomic::Ordering as AtomicOrdering;
use std::time::Duration;

use nccall_protocol::ErrorCode;

use super::CallEngine;
use crate::call::{CallMachine, ConnectionStatus};
use crate::error::{CallError, CallResult};

/// What media arrived for this engine so far (all calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaStats {
    /// A peer connection to the media server is up (ICE and DTLS connected)
    /// for the current call.
    pub connected: bool,
    /// RTP audio packets received in the current call.
    pub audio_packets_received: u64,
    /// Video frames decoded in the current call.
    pub video_frames_received: u64,
    /// The round trip to the media server at the last quality interval.
    #[serde(rename = "roundTripTimeMs", with = "crate::millis::option")]
    pub round_trip_time: Option<Duration>,
    /// Peer connections built again in the current call after its media
    /// path was lost.
    pub media_reconnections: u64,
}

/// What tests and tools observe of an engine beyond the spec. Kept off
/// [`CallEngine`]'s own methods, so that its API is the spec's plus what an
/// app needs; bring it in with `use nccall::Instrumentation`.
pub trait Instrumentation {
    /// Waits until the connection status is `status`, up to `timeout`.
    fn wait_connection_status(
        &self,
        status: ConnectionStatus,
        timeout: Duration,
    ) -> impl Future<Output = bool> + Send;

    /// Waits until the engine has reconnected on its own more than `count`
    /// times in all, up to `timeout`; returns whether it has.
    fn wait_reconnected(&self, count: u64, timeout: Duration) -> impl Future<Output = bool> + Send;

    /// What media arrived so far.
    fn media_stats(&self) -> MediaStats;

    /// Waits until `total` audio packets arrived in all (up to `timeout`);
    /// returns how many did. Audio is a clock a test can wait on.
    fn wait_for_audio_packets(
        &self,
        total: u64,
        timeout: Duration,
    ) -> impl Future<Output = u64> + Send;

    /// Waits until the current call's peer connection is connected (`true`)
    /// or not (`false`), up to `timeout`; returns whether it is now.
    fn wait_media_connected(
        &self,
        connected: bool,
        timeout: Duration,
    ) -> impl Future<Output = bool> + Send;

    /// Audio packets received from `user_id` in the current call.
    fn audio_packets_from(&self, user_id: &str) -> u64;

    /// The marker tone (Hz) last heard in the decoded audio from `user_id`,
    /// if a tone stood out (see `media::marker`).
    fn heard_tone_from(&self, user_id: &str) -> Option<u32>;

    /// Waits until `total` audio packets arrived from `user_id` in the
    /// current call (up to `timeout`); returns how many did.
    fn wait_for_audio_from(
        &self,
        user_id: &str,
        total: u64,
        timeout: Duration,
    ) -> impl Future<Output = u64> + Send;

    /// Sends a heartbeat and waits for its answer; returns the server time.
    /// Not in the spec: when it returns, every event the server sent this
    /// device before answering has been delivered, which makes it a barrier
    /// for tests and tools.
    fn heartbeat(&self) -> impl Future<Output = CallResult<i64>> + Send;
}

impl Instrumentation for CallEngine {
    async fn wait_connection_status(&self, status: ConnectionStatus, timeout: Duration) -> bool {
        let mut rx = self.inner.status.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|(s, _)| *s == status))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    async fn wait_reconnected(&self, count: u64, timeout: Duration) -> bool {
        let mut rx = self.inner.status.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|(_, n)| *n > count))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    fn media_stats(&self) -> MediaStats {
        let connected = self
            .inner
            .lock_state()
            .media_slot
            .as_ref()
            .is_some_and(|slot| slot.session.lock().map(|s| s.is_some()).unwrap_or(false))
            && self.inner.media.link_up.load(AtomicOrdering::SeqCst);
        MediaStats {
            connected,
            audio_packets_received: self.inner.media.audio_received.load(AtomicOrdering::SeqCst),
            video_frames_received: self.inner.media.video_received.load(AtomicOrdering::SeqCst),
            round_trip_time: self.inner.media.round_trip_time(),
            media_reconnections: self
                .inner
                .media
                .media_reconnections
                .load(AtomicOrdering::SeqCst),
        }
    }

    async fn wait_for_audio_packets(&self, total: u64, timeout: Duration) -> u64 {
        let media = &self.inner.media;
        self.wait_for_audio(total, timeout, || {
            media.audio_received.load(AtomicOrdering::SeqCst)
        })
        .await
    }

    async fn wait_media_connected(&self, connected: bool, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.inner.media.link_changed.notified();
            if self.media_stats().connected == connected
                || tokio::time::timeout_at(deadline, changed).await.is_err()
            {
                return self.media_stats().connected == connected;
            }
        }
    }

    fn audio_packets_from(&self, user_id: &str) -> u64 {
        self.inner.media.audio_packets_from(user_id)
    }

    fn heard_tone_from(&self, user_id: &str) -> Option<u32> {
        self.inner.media.heard_tone_from(user_id)
    }

    async fn wait_for_audio_from(&self, user_id: &str, total: u64, timeout: Duration) -> u64 {
        self.wait_for_audio(total, timeout, || self.audio_packets_from(user_id))
            .await
    }

    async fn heartbeat(&self) -> CallResult<i64> {
        let op = |m: &mut CallMachine, _| {
            m.heartbeat().ok_or_else(|| {
                CallError::new(
                    ErrorCode::SignalDisconnected,
                    "not connected: call connect first",
                )
            })
        };
        self.request(op).await?.server_time()
    }
}

impl CallEngine {
    pub(super) async fn wait_for_audio(
        &self,
        total: u64,
        timeout: Duration,
        count: impl Fn() -> u64,
    ) -> u64 {
        let media = &self.inner.media;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = media.audio_arrived.notified();
            if count() >= total || tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return count();
            }
        }
    }
}
