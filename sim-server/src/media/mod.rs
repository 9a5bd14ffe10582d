//! The media server: a selective forwarding unit on str0m.
//!
//! Each participant publishes one peer connection per call (offer/answer
//! over the signaling WebSocket, `publishMedia`; more receive slots in a
//! group call with `updateMedia`). The SFU forwards each media frame a
//! participant sends to the other participants of the same call, on the
//! m-line of the sender's receive slot. It never decodes: str0m
//! depacketizes a frame and repacketizes it for each receiver.
//!
//! - `sfu.rs` — the sans-IO core: datagrams, commands and timeouts in,
//!   datagrams out; where RTP is forwarded and str0m's outputs drained.
//! - `routing.rs` — which receiver gets which sender's frame on which
//!   m-line, from which layer.
//! - `keyframes.rs` — where a keyframe request is relayed, and how often.
//! - `answer.rs` — the codecs accepted, the DTLS role, ICE-lite.
//! - `peer.rs` — one participant's peer connection and its routing state.
//! - `impairment.rs` — loss, delay, jitter and bandwidth cap on the path to
//!   a user, decided per packet without I/O.
//! - `server.rs` — the thread with the UDP socket that drives the core,
//!   and the handle the signaling side holds.
//!
//! [`write_frame`] is how a str0m participant of this crate (the capacity
//! tool's publishers, the core's test clients) sends a frame.

mod answer;
pub mod impairment;
mod keyframes;
mod peer;
mod routing;
mod server;
mod sfu;

pub use impairment::NetworkProfile;
pub use server::MediaServer;
pub use sfu::MediaStats;

use std::time::Instant;

use str0m::Rtc;
use str0m::format::Codec;
use str0m::media::{MediaTime, Mid};

/// Writes one frame on m-line `mid` of a str0m participant, in the first
/// payload type negotiated for `codec`; false if the m-line cannot send it
/// (not negotiated, not yet sending). What the capacity tool's publishers
/// and the SFU core's test clients do.
pub(crate) fn write_frame(
    rtc: &mut Rtc,
    mid: Mid,
    codec: Codec,
    now: Instant,
    time: MediaTime,
    data: Vec<u8>,
) -> bool {
    let Some(writer) = rtc.writer(mid) else {
        return false;
    };
    let Some(pt) = writer
        .payload_params()
        .find(|p| p.spec().codec == codec)
        .map(|p| p.pt())
    else {
        return false;
    };
    writer.write(pt, now, time, data).is_ok()
}
