//! Media: real WebRTC (ICE, DTLS, SRTP) between the engine and the
//! simulator's media server, with synthetic payloads.
//!
//! - `views.rs`   — the `VideoView` trait (the spec's `<video>` element) and
//!   `RecordingView`, which counts frames and remembers the last one.
//! - `payload.rs` — what travels: numbered, timestamped video frames that say
//!   their size, and numbered audio packets.
//! - `session.rs` — one peer connection per call: publish, send, receive,
//!   renegotiate for more receive slots.
//! - `slots.rs`   — which remote user each receive slot carries.
//! - `quality.rs` — send/receive quality and audio volume from RTP statistics.

mod h264;
pub mod marker;
mod payload;
pub(crate) use payload::now_us;
mod quality;
mod session;
mod slots;
mod views;

pub use quality::{
    AudioVolume, AudioVolumeEvent, CallQuality, ConnectionQualityHandler, QUALITY_INTERVAL,
    ReceiveQualityEvent, SendQualityEvent,
};
pub use session::{DEFAULT_MEDIA_LOSS_TIMEOUT, ICE_CHECK_INTERVAL, ICE_MAX_BINDING_REQUESTS};
pub(crate) use session::{LinkState, MediaSession, MediaShared, SlotControl};
pub(crate) use slots::assign_slots;
pub use views::{RecordingView, RemoteVideoView, RenderedFrame, VideoView};

/// Peer connections alive in this process (every engine): a test counts them.
pub fn live_peer_connections() -> usize {
    session::LIVE_PEER_CONNECTIONS.load(std::sync::atomic::Ordering::SeqCst)
}
