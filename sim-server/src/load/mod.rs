//! Load generators that measure the simulator, run by `nccall-sim`
//! subcommands (not by tests: their figures depend on the machine).
//!
//! - `media_capacity.rs` — concurrent video calls the SFU forwards.

pub mod media_capacity;
