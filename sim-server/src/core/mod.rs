//! The server core: a sans-IO state machine for the whole simulated cloud.
//!
//! Feed it [`Input`]s (a connection opened, a frame arrived, a connection
//! closed) with the current time, tell it when time passes
//! ([`ServerCore::handle_timeout`]), and drain [`Output`]s (frames to send,
//! connections to close). It owns no socket and reads no clock; the tokio
//! shell in `server/` does that. Authentication is in `auth.rs`, delivery of
//! events to a user's devices in `delivery.rs`, the call rules in `calls/`.

mod auth;
mod delivery;
mod faults;
mod logs;
mod sessions;

pub use delivery::{PushKind, PushRecord};
pub use sessions::{MAX_OUTBOX, RESUME_WINDOW_MS};

use std::collections::{BTreeSet, HashMap, VecDeque};

use nccall_protocol::{ClientFrame, ErrorCode, HeartbeatResult, Request, Response, ServerFrame};
use serde::Serialize;

use crate::calls::{Actor, CallTable, DeviceId, Refusal, UserKey};
use crate::clock::Millis;
use crate::fixtures::Fixtures;
use crate::store::{CallLogStore, SeedSpec, SqliteStore, StoreError};

/// Identifies one client connection (one device), chosen by the shell.
pub type ConnId = DeviceId;

/// How often clients are asked to send `heartbeat`.
pub const HEARTBEAT_INTERVAL_MS: u64 = 20_000;

/// How many call numbers one store write reserves (a project choice: ids
/// are opaque; after a restart they jump ahead by up to this much).
const CALL_NUMBER_BLOCK: u64 = 1_000;

/// What the core is told, with the time it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A connection opened (nothing said on it yet).
    Opened {
        /// The shell's name for it.
        conn: ConnId,
    },
    /// A decoded frame arrived on a connection.
    Frame {
        /// The connection.
        conn: ConnId,
        /// The frame.
        frame: ClientFrame,
    },
    /// A connection closed (or was lost).
    Closed {
        /// The connection.
        conn: ConnId,
    },
}

/// What the core asks of its shell, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send a frame on a connection.
    Send {
        /// The connection.
        conn: ConnId,
        /// The frame.
        frame: ServerFrame,
    },
    /// Close the connection after sending what was queued before.
    Close {
        /// The connection.
        conn: ConnId,
    },
    /// Hand an SDP offer to the media server; its answer (or failure) is
    /// the response to request `id` on `conn`.
    PublishMedia {
        /// The connection the request came on.
        conn: ConnId,
        /// The request's id.
        id: u64,
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// The publishing user.
        user: String,
        /// The SDP (offer or answer).
        sdp: String,
        /// Senders whose low-resolution stream this user wants.
        low_resolution_from: Vec<String>,
        /// Receive slots (see `PublishMediaParams::receive_user_ids`).
        receive_from: Vec<String>,
    },
    /// Re-assign the user's receive slots, renegotiating when `sdp` (an
    /// offer) is given; the answer is the response to request `id` on `conn`.
    UpdateMedia {
        /// The connection the request came on.
        conn: ConnId,
        /// The request's id.
        id: u64,
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// The user.
        user: String,
        /// The SDP (offer or answer).
        sdp: Option<String>,
        /// Receive slots.
        receive_from: Vec<String>,
    },
    /// The user wants `sender`'s low (or full) resolution video.
    SubscribeVideo {
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// The receiving user.
        user: String,
        /// Whose video.
        sender: String,
        /// `true`: the low-resolution stream.
        low: bool,
    },
    /// The user left the call: drop their peer connection in it.
    ReleaseMedia {
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// The user who left.
        user: String,
    },
}

/// One connection; once `hello` succeeded, the device session it carries.
#[derive(Debug, Default)]
struct Conn {
    device: Option<DeviceId>,
}

/// Counters for diagnostics and load reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoreStats {
    /// Open connections.
    pub connections: usize,
    /// Users with at least one device session.
    pub online_users: usize,
    /// Calls in progress (ringing or connected).
    pub active_calls: usize,
    /// Of the active calls, those that connected (the rest ring).
    pub connected_calls: usize,
    /// Calls placed since the server started.
    pub calls_placed_total: u64,
    /// Calls that connected since the server started.
    pub calls_connected_total: u64,
}

/// The simulator's sans-IO core: connections, device sessions, calls,
/// pushes and call logs, driven by [`ServerCore::handle_input`] and
/// [`ServerCore::handle_timeout`] with the time, read by
/// [`ServerCore::poll_output`] and [`ServerCore::poll_timeout`].
pub struct ServerCore {
    fixtures: Fixtures,
    conns: HashMap<ConnId, Conn>,
    /// Device sessions, attached to a connection or waiting for a resume.
    devices: HashMap<DeviceId, sessions::DeviceSession>,
    /// The detached sessions by when they were detached, so that the next
    /// expiry is read, not scanned for among every session (it was, after
    /// every input: 7% of the server's CPU with 10,000 users; docs/perf.md).
    detached: BTreeSet<(Millis, DeviceId)>,
    /// The device sessions of each online user.
    online: HashMap<UserKey, BTreeSet<DeviceId>>,
    /// Users whose network is down (a fault the suite injects).
    blocked: std::collections::HashSet<UserKey>,
    /// What `hello` tells clients (see [`ServerCore::set_heartbeat_interval`]).
    heartbeat_interval_ms: u64,
    /// Faults on the signaling path to some users (`faults.rs`).
    faults: HashMap<UserKey, faults::SignalFault>,
    /// The time of the input being handled.
    now: Millis,
    /// Push notifications sent to users with no live device.
    pushes: Vec<PushRecord>,
    calls: CallTable,
    /// Call numbers up to this one are recorded in the store as possibly
    /// used: a restart numbers after them, even for calls that left no log.
    call_numbers_reserved: u64,
    store: Box<dyn CallLogStore>,
    outputs: VecDeque<Output>,
}

impl ServerCore {
    /// A core with call logs kept in memory.
    pub fn new(fixtures: Fixtures) -> Result<Self, StoreError> {
        Self::with_store(fixtures, Box::new(SqliteStore::in_memory()?))
    }

    /// A core on `store`. The fixtures' seeded logs are added if the store
    /// is empty (a restarted simulator keeps what it had).
    pub fn with_store(
        fixtures: Fixtures,
        mut store: Box<dyn CallLogStore>,
    ) -> Result<Self, StoreError> {
        let mut calls = CallTable::new();
        let numbered_through = store.max_call_number()?;
        calls.continue_numbering_after(numbered_through);
        if store.count()? == 0 {
            for app in &fixtures.apps {
                for (n, spec) in app.seed_call_logs.iter().enumerate() {
                    seed(store.as_mut(), &app.app_key, spec, &format!("seed{n}"))?;
                }
            }
        }
        Ok(ServerCore {
            fixtures,
            conns: HashMap::new(),
            devices: HashMap::new(),
            detached: BTreeSet::new(),
            online: HashMap::new(),
            blocked: std::collections::HashSet::new(),
            heartbeat_interval_ms: HEARTBEAT_INTERVAL_MS,
            faults: HashMap::new(),
            now: 0,
            pushes: Vec::new(),
            calls,
            call_numbers_reserved: numbered_through,
            store,
            outputs: VecDeque::new(),
        })
    }

    /// How often clients are asked to send `heartbeat` (a client that hears
    /// nothing for two intervals takes its connection for dead).
    pub fn set_heartbeat_interval(&mut self, ms: u64) {
        self.heartbeat_interval_ms = ms.max(100);
    }

    /// Adds seeded logs (see [`SeedSpec`]); call ids start with `prefix`.
    pub fn seed_logs(
        &mut self,
        app: &str,
        spec: &SeedSpec,
        prefix: &str,
    ) -> Result<(), StoreError> {
        seed(self.store.as_mut(), app, spec, prefix)
    }

    /// One input at `now` (server clock); what it causes is queued for
    /// [`ServerCore::poll_output`].
    pub fn handle_input(&mut self, now: Millis, input: Input) {
        self.now = now;
        match input {
            Input::Opened { conn } => {
                self.conns.insert(conn, Conn::default());
            }
            Input::Closed { conn } => self.drop_conn(now, conn),
            Input::Frame { conn, frame } => self.handle_frame(now, conn, frame),
        }
    }

    /// Fires every deadline at or before `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        self.now = now;
        self.release_due(now);
        self.calls.handle_timeout(now);
        self.deliver_notes(now);
        self.expire_sessions(now);
    }

    /// When the core next needs [`ServerCore::handle_timeout`], if ever.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Millis> {
        [
            self.calls.next_deadline(),
            self.next_expiry(),
            self.next_fault_due(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next thing for the shell to do, in order.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The counters now.
    pub fn stats(&self) -> CoreStats {
        let (placed, connected) = self.calls.totals();
        CoreStats {
            connections: self.conns.len(),
            online_users: self.online.len(),
            active_calls: self.calls.len(),
            connected_calls: self.calls.connected_now(),
            calls_placed_total: placed,
            calls_connected_total: connected,
        }
    }

    fn handle_frame(&mut self, now: Millis, conn: ConnId, frame: ClientFrame) {
        let ClientFrame { id, request } = frame;
        // A partitioned user's frames are lost on the way, unanswered.
        if let Some(user) = self.user_of(conn)
            && self.is_partitioned(&user)
        {
            return;
        }
        let device = self.device_of(conn);
        let outcome = match (self.user_of(conn), request) {
            (None, Request::Hello(hello)) => return self.hello(now, conn, id, hello),
            (Some(_), Request::Ack(ack)) => {
                if let Some(device) = device {
                    self.ack(device, ack.seq);
                }
                Ok(None)
            }
            (Some(user), Request::PublishMedia(p)) => {
                // Answered by the media server, through the shell.
                match self.may_publish(&user, &p.call_id) {
                    Ok(()) => self.outputs.push_back(Output::PublishMedia {
                        conn,
                        id,
                        call_id: p.call_id,
                        user: user.user,
                        sdp: p.sdp,
                        low_resolution_from: p.low_resolution_user_ids,
                        receive_from: p.receive_user_ids,
                    }),
                    Err(refusal) => self.respond_err(conn, id, refusal),
                }
                return;
            }
            (Some(user), Request::UpdateMedia(p)) => {
                match self.may_publish(&user, &p.call_id) {
                    Ok(()) => self.outputs.push_back(Output::UpdateMedia {
                        conn,
                        id,
                        call_id: p.call_id,
                        user: user.user,
                        sdp: p.sdp,
                        receive_from: p.receive_user_ids,
                    }),
                    Err(refusal) => self.respond_err(conn, id, refusal),
                }
                return;
            }
            (None, other) => Err((
                ErrorCode::NotAuthenticated,
                format!("send hello before {}", other.kind()),
            )),
            (Some(user), request) => {
                let device = device.unwrap_or(conn);
                self.dispatch(now, &Actor { user, device }, request)
            }
        };
        // The answer goes out before the events it caused, so a client always
        // knows a call id before it sees an event about it.
        match outcome {
            Ok(result) => self.respond_ok(conn, id, result),
            Err(refusal) => self.respond_err(conn, id, refusal),
        }
        self.deliver_notes(now);
    }

    /// A request from an authenticated user.
    fn dispatch(
        &mut self,
        now: Millis,
        actor: &Actor,
        request: Request,
    ) -> Result<Option<serde_json::Value>, Refusal> {
        let Some(app) = self.fixtures.app(&actor.user.app) else {
            return Err((
                ErrorCode::AppKeyInvalid,
                format!("app {} is gone", actor.user.app),
            ));
        };
        let online = &self.online;
        let is_online = |u: &str| online.contains_key(&UserKey::new(&app.app_key, u));
        let calls = &mut self.calls;
        match request {
            Request::Hello(_) => Err((ErrorCode::BadFrame, "already authenticated".into())),
            Request::Heartbeat => to_value(&HeartbeatResult { server_time: now }),
            Request::Ack(_) => Err((ErrorCode::BadFrame, "ack is handled before".into())),
            Request::StartCall(params) => {
                if calls.last_call_number() >= self.call_numbers_reserved {
                    let through = calls.last_call_number() + CALL_NUMBER_BLOCK;
                    self.store
                        .reserve_call_numbers(through)
                        .map_err(|e| (ErrorCode::ServerError, e.to_string()))?;
                    self.call_numbers_reserved = through;
                }
                to_value(&calls.start(now, app, actor, params.params, params.media, &is_online)?)
            }
            Request::AcceptCall(p) => calls.accept(now, actor, &p.call_id, p.media).map(|()| None),
            Request::EndCall(p) => calls
                .end(now, actor, &p.call_id, p.push_config)
                .map(|()| None),
            Request::InviteToCall(p) => {
                to_value(&calls.invite(now, app, actor, &p.call_id, p.user_ids, &is_online)?)
            }
            Request::JoinCall(p) => to_value(&calls.join(now, app, actor, &p.call_id, p.media)?),
            Request::SetMediaState(p) => calls.set_media_state(actor, p).map(|()| None),
            Request::RequestChangeMediaType(p) => {
                to_value(&calls.request_media_change(now, actor, p)?)
            }
            Request::CancelChangeMediaType(p) => calls.cancel_media_change(actor, p).map(|()| None),
            Request::ReplyChangeMediaType(p) => calls.reply_media_change(actor, p).map(|()| None),
            Request::GetHistoryCallLogs(p) => to_value(&self.history(&actor.user, &p)?),
            Request::GetOngoingCallLogs => to_value(&self.ongoing(&actor.user)),
            Request::DeleteCallLogsForMe(p) => to_value(&self.delete_logs(&actor.user, p)?),
            Request::DeleteAllCallLogsForMe => to_value(&self.delete_all_logs(&actor.user)?),
            Request::PublishMedia(_) | Request::UpdateMedia(_) => Err((
                ErrorCode::BadFrame,
                "media requests are handled before".into(),
            )),
            Request::SubscribeVideo(p) => {
                self.may_publish(&actor.user, &p.call_id)?;
                self.outputs.push_back(Output::SubscribeVideo {
                    call_id: p.call_id,
                    user: actor.user.user.clone(),
                    sender: p.user_id,
                    low: p.low_resolution,
                });
                Ok(None)
            }
        }
    }

    /// Only a member who is connected in the call publishes media into it.
    fn may_publish(&self, user: &UserKey, call_id: &str) -> Result<(), Refusal> {
        let call = self
            .calls
            .calls_of(user)
            .find(|c| c.id == call_id)
            .ok_or_else(|| {
                (
                    ErrorCode::CallIdInvalid,
                    format!("no call {call_id} that {} is in", user.user),
                )
            })?;
        let on_call = call
            .member(&user.user)
            .is_some_and(|m| m.state == nccall_protocol::CallUserState::OnCall);
        if !on_call {
            return Err((
                ErrorCode::CallStateInvalid,
                format!("{} is not connected in call {call_id}", user.user),
            ));
        }
        Ok(())
    }

    /// The store, for a core started again on it (a restart: what was only
    /// in memory is gone, what was stored is not).
    pub fn into_store(self) -> Box<dyn CallLogStore> {
        self.store
    }

    /// Every push notification recorded so far, oldest first.
    pub fn pushes(&self) -> &[PushRecord] {
        &self.pushes
    }

    /// The call table, for inspection.
    pub fn calls(&self) -> &CallTable {
        &self.calls
    }

    fn device_of(&self, conn: ConnId) -> Option<DeviceId> {
        self.conns.get(&conn).and_then(|c| c.device)
    }

    fn user_of(&self, conn: ConnId) -> Option<UserKey> {
        let device = self.device_of(conn)?;
        self.devices.get(&device).map(|s| s.user.clone())
    }

    /// The connection closed: its session, if any, waits for a resume.
    fn drop_conn(&mut self, now: Millis, conn: ConnId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        if let Some(device) = c.device {
            self.detach(now, conn, device);
        }
    }

    fn respond_ok(&mut self, conn: ConnId, id: u64, result: Option<serde_json::Value>) {
        self.send(
            conn,
            ServerFrame::Response(Response {
                id,
                code: ErrorCode::Success.code(),
                message: None,
                result,
            }),
        );
    }

    fn respond_err(&mut self, conn: ConnId, id: u64, (code, message): Refusal) {
        self.send(
            conn,
            ServerFrame::Response(Response {
                id,
                code: code.code(),
                message: Some(message),
                result: None,
            }),
        );
    }

    fn send(&mut self, conn: ConnId, frame: ServerFrame) {
        self.outputs.push_back(Output::Send { conn, frame });
    }
}

fn seed(
    store: &mut dyn CallLogStore,
    app: &str,
    spec: &SeedSpec,
    prefix: &str,
) -> Result<(), StoreError> {
    for (end, logs) in spec.calls(prefix) {
        store.insert_call(app, end, logs)?;
    }
    Ok(())
}

fn to_value<T: Serialize>(value: &T) -> Result<Option<serde_json::Value>, Refusal> {
    serde_json::to_value(value)
        .map(Some)
        .map_err(|e| (ErrorCode::ParamError, format!("cannot encode result: {e}")))
}

#[cfg(test)]
mod tests;
