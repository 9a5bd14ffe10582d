//! The media server: a selective forwarding unit on str0m.
//!
//! Each engine publishes one peer connection per call (offer/answer over
//! the signaling WebSocket, `publishMedia`). The SFU forwards each media
//! frame a participant sends to the other participants of the same call,
//! on the transceiver with the same mid (engines offer audio then video, so
//! mids line up). It never decodes: str0m depacketizes a frame and
//! repacketizes it for each receiver. Only one-to-one calls are forwarded
//! for now: in a group call the second and later remotes would need
//! renegotiation, which is not built.
//!
//! - `sfu.rs` — the event loop: one thread, one UDP socket, every peer;
//!   where RTP is forwarded.
//! - `impairment.rs` — loss, delay, jitter and bandwidth cap on the path to
//!   a user, decided per packet without I/O.

pub mod impairment;
mod sfu;

pub use impairment::NetworkProfile;
pub use sfu::{MediaServer, MediaStats};
