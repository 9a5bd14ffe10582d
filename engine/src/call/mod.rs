//! The engine's call logic, sans-IO: [`CallMachine`] takes API calls,
//! server frames, link reports and the passing of time, and produces links
//! to open or close, frames to send, events for the app, results for
//! pending API calls and the connection status; `completion.rs` is what
//! an answered request carries. `connection.rs` decides
//! when to connect, reconnect and send heartbeats; `requests.rs` when a
//! request has waited too long; `media_plan.rs` when the current call's
//! media is built, published, re-assigned, rebuilt and released;
//! `sequencing.rs` puts the server's events in
//! order, exactly once; `final_state.rs` decides the state a session ends
//! in; `local_log.rs` writes the log a device keeps of a one-to-one call.

mod completion;
mod connection;
mod final_state;
mod local_log;
mod machine;
mod media_plan;
mod requests;
mod sequencing;

pub use completion::Completion;
pub use connection::ConnectionStatus;
pub use machine::{CallMachine, MachineConfig, Output};
pub use media_plan::{MediaIntent, MediaReport};
pub use requests::RequestId;

#[cfg(test)]
mod tests;
