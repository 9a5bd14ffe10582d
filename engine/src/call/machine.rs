//! [`CallMachine`]: the engine's state, with no sockets and no clock.
//!
//! The shell feeds it API calls (`connect`, `start_call`, ...), what
//! happened to its links (`handle_link_opened`, `handle_link_closed`),
//! server frames (`handle_frame`) and the passing of time
//! (`handle_timeout`), each with the time it happened; it drains
//! [`Output`]s (`poll_output`: links to open or close, frames to send,
//! events for the app, results of API calls, connection status) and sleeps
//! until `poll_timeout`. When to send a heartbeat, when a request has waited
//! too long, when a silent connection counts as lost and when to try a lost
//! one again are decided here (`connection.rs`, `requests.rs`), not in the
//! shell. An API call that fails local checks returns its error at once and
//! changes nothing; one that passes returns the id of the request it queued.
//!
//! This file holds the state and the output queue; the inputs are in
//! `machine/`: `app_requests.rs` (what the app asks), `connecting.rs` (the
//! connection's life, `hello`, heartbeats, timeouts), `media.rs` (which
//! call has media, the shell's media reports), `responses.rs` (the
//! server's answers) and `server_events.rs` (the server's events and the
//! callbacks they become).

mod app_requests;
mod connecting;
mod media;
mod responses;
mod server_events;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use nccall_protocol::{ClientFrame, MediaState, Request, ServerEvent, ServerFrame};

use super::completion::Completion;
use super::connection::{Connection, ConnectionStatus};
use super::media_plan::{MediaIntent, MediaPlan};
use super::requests::{Pending, RequestId, Requests};
use super::sequencing::Sequencer;
use crate::error::CallError;
use crate::events::*;
use crate::session::CallSession;
use server_events::RecentSet;

/// What the machine asks of the shell, or tells it, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Open a signaling connection (replacing any other); report it with
    /// `handle_link_opened` or `handle_link_closed` and this generation.
    OpenLink {
        /// Names this connection in the shell's reports about it.
        generation: u64,
    },
    /// Close the signaling connection: it was given up, or it went silent.
    CloseLink,
    /// Send this frame on the open connection.
    Transmit(ClientFrame),
    /// An event for the app.
    Event(CallEvent),
    /// The result of the API call that returned this id.
    Completion(RequestId, Result<Completion, CallError>),
    /// Something to do with the current call's media.
    Media(MediaIntent),
    /// The connection status changed, or the engine reconnected again.
    Status {
        /// The status now.
        status: ConnectionStatus,
        /// How many times a lost connection came back so far.
        reconnections: u64,
    },
}

/// The timing the machine works to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineConfig {
    /// How long a request waits for its answer before REQUEST_TIMEOUT
    /// (`connect`: for the connection to open and `hello` to succeed).
    pub request_timeout: Duration,
    /// A lost connection is tried again after 0, then 50 ms, doubling up to this.
    pub reconnect_max_backoff: Duration,
    /// Whether calls have media: [`Output::Media`] intents are given only
    /// if so (signaling-only engines, e.g. load generators, have none).
    pub media: bool,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            request_timeout: Duration::from_secs(10),
            reconnect_max_backoff: Duration::from_secs(2),
            media: false,
        }
    }
}

/// The engine's sans-IO core: calls, requests, the connection's life and
/// the media decisions, driven by inputs that carry `now` and read through
/// [`CallMachine::poll_output`] and [`CallMachine::poll_timeout`]. It never
/// blocks, spawns or reads a clock.
#[derive(Debug)]
pub struct CallMachine {
    /// Set once `hello` succeeded on the current connection.
    user_id: Option<String>,
    /// Calls this device knows and that have not ended, by id.
    sessions: BTreeMap<String, CallSession>,
    /// The primary call: the one `end_call` without an id ends.
    current: Option<String>,
    /// This device's camera and microphone switches; they apply to every
    /// call it enters and are sent to the server when they change in a call.
    local_media: MediaState,
    /// Whether the app set a local video view (a video call needs one).
    local_view: bool,
    requests: Requests,
    /// The `connect` being answered, while it is.
    connect_request: Option<RequestId>,
    connection: Connection,
    /// The current call's media, when calls have media.
    media: Option<MediaPlan>,
    outputs: VecDeque<Output>,
    /// Calls this device ended on its own account, which the server may
    /// still hold (the last [`ENDED_HERE_KEPT`]).
    ended_here: RecentSet,
    /// The connection status last reported with [`Output::Status`].
    reported_status: (ConnectionStatus, u64),
    /// The server session this device holds, to resume after a lost connection.
    session_id: Option<String>,
    /// The session's events, exactly once and in order.
    sequence: Sequencer<ServerEvent>,
    /// Whether the `hello` in flight asks to resume.
    resuming: bool,
    /// Heartbeats sent since the server last said anything.
    silent_heartbeats: u32,
    /// Heartbeats sent while a gap stayed open.
    gap_heartbeats: u32,
    /// A server clock reading from the frame being handled (a `hello`, a
    /// heartbeat, a start or end time), in server milliseconds.
    server_time: Option<i64>,
    /// The latest reading and when it came: a call this device ends on its
    /// own (`disconnect`) ends on the server's clock, which a simulator may
    /// run apart from the wall clock (or hold still).
    server_clock: Option<(i64, Instant)>,
}

impl Default for CallMachine {
    fn default() -> Self {
        Self::new(MachineConfig::default())
    }
}

/// Events processed between two acknowledgements at most (besides the one
/// sent with every heartbeat), so the server's outbox stays small.
const ACK_EVERY: u64 = 32;

impl CallMachine {
    /// A machine with no connection and no calls.
    pub fn new(config: MachineConfig) -> Self {
        CallMachine {
            user_id: None,
            sessions: BTreeMap::new(),
            current: None,
            local_media: MediaState::default(),
            local_view: false,
            requests: Requests::new(config.request_timeout),
            connect_request: None,
            connection: Connection::new(config.reconnect_max_backoff),
            media: config.media.then(MediaPlan::default),
            outputs: VecDeque::new(),
            reported_status: (ConnectionStatus::Disconnected, 0),
            ended_here: RecentSet::default(),
            session_id: None,
            sequence: Sequencer::default(),
            resuming: false,
            silent_heartbeats: 0,
            gap_heartbeats: 0,
            server_time: None,
            server_clock: None,
        }
    }

    /// Whether this device's camera is switched on (for every call it enters).
    pub fn is_camera_enabled(&self) -> bool {
        self.local_media.camera_enabled
    }

    /// Whether this device's microphone is switched on.
    pub fn is_microphone_enabled(&self) -> bool {
        self.local_media.microphone_enabled
    }

    /// The user `hello` authenticated on the current connection.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// Whether `hello` succeeded on the current connection.
    pub fn is_connected(&self) -> bool {
        self.user_id.is_some()
    }

    /// The primary call (the one `end_call` without an id ends), if any.
    pub fn current_session(&self) -> Option<CallSession> {
        self.current
            .as_ref()
            .and_then(|id| self.sessions.get(id))
            .cloned()
    }

    /// A call this device knows that has not ended.
    pub fn session(&self, call_id: &str) -> Option<&CallSession> {
        self.sessions.get(call_id)
    }

    /// When [`CallMachine::handle_timeout`] should be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.connection.poll_timeout(),
            self.requests.poll_timeout(),
            self.media.as_ref().and_then(MediaPlan::poll_timeout),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// A frame from the server arrived on the current link at `now`.
    pub fn handle_frame(&mut self, now: Instant, frame: ServerFrame) {
        self.silent_heartbeats = 0;
        match frame {
            ServerFrame::Response(response) => self.handle_response(now, response),
            ServerFrame::Event { seq, event } => {
                for event in self.sequence.receive(seq, event) {
                    self.handle_event(event);
                }
                if !self.sequence.has_gap() {
                    self.gap_heartbeats = 0;
                }
                if self.sequence.unacknowledged() >= ACK_EVERY {
                    self.ack();
                }
            }
            ServerFrame::Error { code, message } => {
                tracing::warn!(code, "server reported a bad frame: {message}");
            }
        }
        if let Some(t) = self.server_time.take() {
            self.server_clock = Some((t, now));
        }
        self.note_status();
    }

    /// The next output, in the order they arose. `now` starts the clock of
    /// the request a transmitted frame carries.
    #[must_use]
    pub fn poll_output(&mut self, now: Instant) -> Option<Output> {
        if self.outputs.is_empty() {
            // Whatever the last input changed, the media follows it.
            self.plan_media();
        }
        let output = self.outputs.pop_front()?;
        if let Output::Transmit(frame) = &output {
            self.requests.start_clock(frame.id, now);
        }
        Some(output)
    }

    fn queue(&mut self, request: Request, pending: Pending) -> RequestId {
        let id = self.requests.open(pending);
        self.outputs
            .push_back(Output::Transmit(ClientFrame { id, request }));
        id
    }

    fn complete(&mut self, id: RequestId, result: Result<Completion, CallError>) {
        self.outputs.push_back(Output::Completion(id, result));
    }

    /// Request `id` (a `pending`) failed with `error`; a hang-up that an
    /// answer waited for fails the answer with it.
    fn fail(&mut self, id: RequestId, pending: Pending, error: CallError) {
        if let Pending::PreemptingEnd { accept, .. } = pending
            && self.requests.take(accept).is_some()
        {
            self.complete(accept, Err(error.clone()));
        }
        self.complete(id, Err(error));
    }

    fn emit(&mut self, event: CallEvent) {
        self.outputs.push_back(Output::Event(event));
    }
}
