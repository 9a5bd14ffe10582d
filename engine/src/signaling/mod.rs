//! The signaling link: one WebSocket to the server, a writer task that
//! encodes frames, a reader task that hands decoded frames to the engine,
//! and a heartbeat task.

mod link;

pub(crate) use link::{Link, LinkEvents};
