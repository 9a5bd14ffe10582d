//! The signaling link: one WebSocket to the server, a writer task that
//! encodes frames, a reader task that hands decoded frames to the engine,
//! and a heartbeat task.

mod link;
mod tls;

pub(crate) use link::{Link, LinkEvents, OpenError};
pub use tls::TlsRoots;
