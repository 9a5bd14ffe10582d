//! Media: real WebRTC (ICE, DTLS, SRTP) between the engine and the
//! simulator's media server, with real codecs (H.264 and Opus) and markers
//! in the pictures and the sound that say who sent them.
//!
//! - `views.rs`   — the `VideoView` trait (the spec's `<video>` element) and
//!   `RecordingView`, which counts frames and remembers the last one.
//! - `marker.rs`  — the markers: sender, frame number and capture time drawn
//!   into the picture; a tone of the sender's own frequency, and its detector.
//! - `h264.rs`    — the video codec and the reassembly of pictures from RTP.
//! - `keyframe_requests.rs` — lets PLI/FIR from the SFU reach the encoder.
//! - `session.rs` — one peer connection per call: publish, send (the open
//!   microphone, or the marker tone), receive (decoded audio to the open
//!   speaker), renegotiate for more receive slots.
//! - `slots.rs`   — which remote user each receive slot carries.
//! - `quality.rs` — send/receive quality and audio volume from RTP statistics.

pub mod h264;
mod keyframe_requests;
pub mod marker;
mod quality;
mod session;
mod slots;
mod views;

pub use quality::{
    AudioVolume, AudioVolumeEvent, CallQuality, ConnectionQualityHandler, QUALITY_INTERVAL,
    ReceiveQualityEvent, SendQualityEvent,
};
pub use session::{DEFAULT_MEDIA_LOSS_TIMEOUT, ICE_CHECK_INTERVAL, ICE_MAX_BINDING_REQUESTS};
pub(crate) use session::{LinkState, MediaSession, MediaShared, PendingSession, SlotControl};
pub(crate) use slots::assign_slots;
pub use views::{RecordingView, RemoteVideoView, RenderedFrame, VideoView};

/// Microseconds since the Unix epoch: the markers' capture times are on
/// this clock, which sender and receiver share on one machine.
pub(crate) fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Peer connections alive in this process (every engine): a test counts them.
pub fn live_peer_connections() -> usize {
    session::LIVE_PEER_CONNECTIONS.load(std::sync::atomic::Ordering::SeqCst)
}
