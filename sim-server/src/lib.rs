//! nccall-sim: a simulator of the calling cloud that NCCallEngine talks to.
//!
//! - `core/`    — the sans-IO server: authentication, requests, event delivery.
//! - `calls/`   — authoritative call state: who rings, connects, ends, and why.
//! - `server/`  — the tokio shell: WebSocket listener, connections, the hub task
//!   that drives the core with a (possibly virtual) clock.
//! - `media/`   — the SFU on str0m: forwards each call's media between its participants.
//! - `store/`   — call logs on SQLite: the cursor, logs of finished calls, seeding.
//! - `load/`    — load generators that measure the simulator (SFU capacity).
//! - `fixtures` — apps and users from YAML; `clock` — system or virtual time.
//!
//! Start one in-process with [`Simulator::start`]; the `nccall-sim` binary
//! runs one standalone.

#![warn(missing_docs)]

mod calls;
mod clock;
mod core;
mod fixtures;
pub mod load;
mod media;
mod server;
mod store;

pub use calls::{Actor, Call, CallTable, DeviceId, Member, Note, Target, UserKey};
pub use clock::{Millis, SimClock, VIRTUAL_EPOCH_MS};
pub use core::{
    ConnId, CoreStats, HEARTBEAT_INTERVAL_MS, Input, MAX_OUTBOX, Output, PushKind, PushRecord,
    RESUME_WINDOW_MS, ServerCore,
};
pub use fixtures::{
    AppFixture, BusyPolicy, DEFAULT_MAX_PARTICIPANTS, DEFAULT_RING_TIMEOUT_SECS, FixtureError,
    Fixtures, UserFixture,
};
pub use media::{MediaServer, MediaStats, NetworkProfile};
pub use server::tls::{SelfSigned, TlsError, TlsIdentity};
pub use server::{SimConfig, SimError, SimHandle, SimObserver, Simulator, admin, tls};
pub use store::{CallLogStore, SeedSpec, SqliteStore, StoreError};
