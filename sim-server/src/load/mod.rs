//! Load generators that measure the simulator, run by `nccall-sim`
//! subcommands (not by tests: their figures depend on the machine).
//!
//! - `media_capacity.rs` — concurrent video calls the SFU forwards.
//! - `signaling.rs`      — connected users and concurrent calls the signaling
//!   server handles, with setup-time percentiles and server memory;
//!   `signaling_report.rs` its report (and JSON), `target.rs` the simulator
//!   it loads, `progress.rs` its progress lines.

pub mod media_capacity;
pub mod progress;
pub mod signaling;
mod signaling_report;
mod target;
