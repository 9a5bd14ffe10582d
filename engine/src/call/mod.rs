//! The engine's call logic, sans-IO: [`CallMachine`] takes API calls and
//! server frames and produces frames to send, events for the app, and
//! results for pending API calls. `final_state.rs` decides the state a
//! session ends in; `sequencing.rs` puts the server's events in order,
//! exactly once.

mod final_state;
mod local_log;
mod machine;
mod sequencing;

pub use machine::{CallMachine, Completion, RequestId};

#[cfg(test)]
mod tests;
