//! The driver protocol (`docs/driver-protocol.md`): how the suite talks to
//! an SDK under test that runs in another process. One JSON object per line
//! over the driver's stdin and stdout.
//!
//! - `wire.rs`   — the messages.
//! - `commands.rs` — every command, one enum (capabilities, dispatch, encoding).
//! - `params.rs` — the commands' params, one type per shape, both sides.
//! - `serve.rs`  — the reference engine behind the protocol (`nccall-driver`).
//! - `websocket.rs` — the WebSocket transport (stdio is the other).
//! - `schema.rs` — the messages as JSON Schema and TypeScript types.
//! - `trace.rs` — `--driver-trace`: every line across a driver connection.
//! - `listen.rs` — the suite listening, for drivers that connect out (a page).
//! - `client.rs` — the suite's side: starts a driver command, sends
//!   commands, receives results and each engine's events.

pub mod client;
pub mod commands;
pub mod enum_names;
pub mod listen;
pub mod params;
pub mod schema;
pub mod serve;
pub mod trace;
pub mod websocket;
pub mod wire;
