//! Load generators that measure the simulator, run by `nccall-sim`
//! subcommands (not by tests: their figures depend on the machine).
//!
//! - `media_capacity.rs` — concurrent video calls the SFU forwards.
//! - `signaling.rs`      — connected users and concurrent calls the signaling
//!   server handles, with setup-time percentiles and server memory.

pub mod media_capacity;
pub mod signaling;
