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

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use nccall_protocol::{
    AcceptCallParams, AckParams, CallEndReason, CallInfo, CallLog, CallLogList, CallLogPage,
    CallMediaType, CallState, CallType, CallUserState, ClientFrame, DeleteAllCallLogsResult,
    DeleteCallLogsParams, DeleteCallLogsResult, ErrorCode, GetHistoryCallLogsParams, HelloParams,
    HelloResult, InviteToCallParams, InviteToCallResult, JoinCallParams, MAX_DELETE_BATCH,
    MAX_HISTORY_PAGE, MediaState, PROTOCOL_VERSION, PublishMediaParams, PublishMediaResult,
    ReplyChangeMediaTypeParams, Request, RequestChangeMediaTypeParams,
    RequestChangeMediaTypeResult, Response, ResumeParams, ServerEvent, ServerFrame,
    SetMediaStateParams, StartCallParams, StartCallRequest, StartCallResult, SubscribeVideoParams,
    TransactionParams, UpdateMediaParams, UpdateMediaResult,
};

use super::connection::{Connection, ConnectionStatus, Credentials};
use super::final_state::final_state;
use super::local_log::local_log;
use super::requests::{Pending, RequestId, Requests};
use super::sequencing::Sequencer;
use crate::error::CallError;
use crate::events::*;
use crate::session::{CallSession, RemoteParticipant, SessionRecord};

/// The result of a request, once the server answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    Hello(HelloResult),
    StartCall(StartCallResult),
    InviteToCall(InviteToCallResult),
    /// The transaction id of a media-type change request.
    MediaTypeChangeRequested(String),
    CallLogPage(CallLogPage),
    /// The media server's SDP answer.
    Published(String),
    /// The media server's answer to a renegotiation offer, if one was sent.
    MediaUpdated(Option<String>),
    CallLogs(Vec<CallLog>),
    Deleted(DeleteCallLogsResult),
    DeletedAll(u64),
    /// Server time from a heartbeat answer.
    Heartbeat(i64),
    Done,
}

/// What the machine asks of the shell, or tells it, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Open a signaling connection (replacing any other); report it with
    /// `handle_link_opened` or `handle_link_closed` and this generation.
    OpenLink { generation: u64 },
    /// Close the signaling connection: it was given up, or it went silent.
    CloseLink,
    /// Send this frame on the open connection.
    Transmit(ClientFrame),
    /// An event for the app.
    Event(CallEvent),
    /// The result of the API call that returned this id.
    Completion(RequestId, Result<Completion, CallError>),
    /// The connection status changed, or the engine reconnected again.
    Status {
        status: ConnectionStatus,
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
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            request_timeout: Duration::from_secs(10),
            reconnect_max_backoff: Duration::from_secs(2),
        }
    }
}

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
    requests: Requests,
    /// The `connect` being answered, while it is.
    connect_request: Option<RequestId>,
    connection: Connection,
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
    pub fn new(config: MachineConfig) -> Self {
        CallMachine {
            user_id: None,
            sessions: BTreeMap::new(),
            current: None,
            local_media: MediaState::default(),
            requests: Requests::new(config.request_timeout),
            connect_request: None,
            connection: Connection::new(config.reconnect_max_backoff),
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

    pub fn is_camera_enabled(&self) -> bool {
        self.local_media.camera_enabled
    }

    pub fn is_microphone_enabled(&self) -> bool {
        self.local_media.microphone_enabled
    }

    /// Switches the camera and/or microphone. Before a call this only
    /// records the choice (it applies when the next call starts); in a call
    /// it also tells the server, and the request id is returned.
    pub fn set_local_media(
        &mut self,
        camera: Option<bool>,
        microphone: Option<bool>,
    ) -> Option<RequestId> {
        if let Some(on) = camera {
            self.local_media.camera_enabled = on;
        }
        if let Some(on) = microphone {
            self.local_media.microphone_enabled = on;
        }
        let call_id = self
            .current_session()
            .filter(|s| !is_incoming_ringing(s.call_state))
            .map(|s| s.call_id)?;
        self.is_connected().then(|| {
            let request = Request::SetMediaState(SetMediaStateParams {
                call_id,
                camera_enabled: camera,
                microphone_enabled: microphone,
            });
            self.queue(request, Pending::SetMediaState)
        })
    }

    /// Asks the other side of the current one-to-one call to change the media type.
    pub fn request_change_media_type(
        &mut self,
        media_type: CallMediaType,
    ) -> Result<RequestId, CallError> {
        self.require_connection()?;
        let session = self.active_session()?;
        if session.call_type == CallType::Group {
            return Err(CallError::new(
                ErrorCode::GroupCallNotSupported,
                "media type can only be changed in a one-to-one call",
            ));
        }
        if session.media_type == media_type {
            return Err(CallError::new(
                ErrorCode::MediaTypeInvalid,
                format!("call {} is already {}", session.call_id, media_type.name()),
            ));
        }
        let request = Request::RequestChangeMediaType(RequestChangeMediaTypeParams {
            call_id: session.call_id,
            media_type,
        });
        Ok(self.queue(request, Pending::RequestMediaChange))
    }

    /// Withdraws this device's pending media-type change request.
    pub fn cancel_change_media_type(
        &mut self,
        transaction_id: &str,
    ) -> Result<RequestId, CallError> {
        let call_id = self.transaction_call(transaction_id)?;
        let request = Request::CancelChangeMediaType(TransactionParams {
            call_id,
            transaction_id: transaction_id.to_string(),
        });
        Ok(self.queue(request, Pending::SettleMediaChange))
    }

    /// Answers the other side's media-type change request.
    pub fn reply_change_media_type(
        &mut self,
        transaction_id: &str,
        is_agreed: bool,
    ) -> Result<RequestId, CallError> {
        let call_id = self.transaction_call(transaction_id)?;
        let request = Request::ReplyChangeMediaType(ReplyChangeMediaTypeParams {
            call_id,
            transaction_id: transaction_id.to_string(),
            is_agreed,
        });
        Ok(self.queue(request, Pending::SettleMediaChange))
    }

    /// A page of the user's call history (`-1` as `start_time` for the newest).
    pub fn get_history_call_logs(
        &mut self,
        params: GetHistoryCallLogsParams,
    ) -> Result<RequestId, CallError> {
        self.require_connection()?;
        if !(1..=MAX_HISTORY_PAGE).contains(&params.count) {
            return Err(CallError::new(
                ErrorCode::ParamError,
                format!("count must be 1..={MAX_HISTORY_PAGE}, not {}", params.count),
            ));
        }
        if params.start_time < -1 {
            return Err(CallError::new(
                ErrorCode::ParamError,
                format!(
                    "startTime must be -1 or a sync time, not {}",
                    params.start_time
                ),
            ));
        }
        Ok(self.queue(Request::GetHistoryCallLogs(params), Pending::History))
    }

    /// Publishes this device's media for a connected call (an SDP offer).
    pub fn publish_media(
        &mut self,
        call_id: &str,
        sdp: String,
        low_resolution_user_ids: Vec<String>,
        receive_user_ids: Vec<String>,
    ) -> Result<RequestId, CallError> {
        self.require_connection()?;
        self.known_session(call_id)?;
        let request = Request::PublishMedia(PublishMediaParams {
            call_id: call_id.to_string(),
            sdp,
            low_resolution_user_ids,
            receive_user_ids,
        });
        Ok(self.queue(request, Pending::Publish))
    }

    /// Re-assigns the receive slots of this device's published media, with
    /// a renegotiation offer when slots are added.
    pub fn update_media(
        &mut self,
        call_id: &str,
        sdp: Option<String>,
        receive_user_ids: Vec<String>,
    ) -> Result<RequestId, CallError> {
        self.require_connection()?;
        self.known_session(call_id)?;
        let request = Request::UpdateMedia(UpdateMediaParams {
            call_id: call_id.to_string(),
            sdp,
            receive_user_ids,
        });
        Ok(self.queue(request, Pending::UpdateMedia))
    }

    /// Chooses which of `user_id`'s video streams this device receives in the current call.
    pub fn subscribe_video(&mut self, user_id: &str, low_resolution: bool) -> Option<RequestId> {
        let call_id = self
            .current_session()
            .filter(|s| s.call_state == CallState::OnCall)
            .map(|s| s.call_id)?;
        self.is_connected().then(|| {
            let request = Request::SubscribeVideo(SubscribeVideoParams {
                call_id,
                user_id: user_id.to_string(),
                low_resolution,
            });
            self.queue(request, Pending::SetMediaState)
        })
    }

    /// The user's calls that have not ended.
    pub fn get_ongoing_call_logs(&mut self) -> Result<RequestId, CallError> {
        self.require_connection()?;
        Ok(self.queue(Request::GetOngoingCallLogs, Pending::Ongoing))
    }

    /// Deletes the user's logs of these calls (for the user only).
    pub fn delete_call_logs_for_me(
        &mut self,
        call_ids: Vec<String>,
    ) -> Result<RequestId, CallError> {
        self.require_connection()?;
        if call_ids.is_empty() || call_ids.len() > MAX_DELETE_BATCH {
            return Err(CallError::new(
                ErrorCode::ParamError,
                format!(
                    "callIds must hold 1..={MAX_DELETE_BATCH} ids, not {}",
                    call_ids.len()
                ),
            ));
        }
        let request = Request::DeleteCallLogsForMe(DeleteCallLogsParams { call_ids });
        Ok(self.queue(request, Pending::Delete))
    }

    /// Deletes all the user's logs (for the user only).
    pub fn delete_all_call_logs_for_me(&mut self) -> Result<RequestId, CallError> {
        self.require_connection()?;
        Ok(self.queue(Request::DeleteAllCallLogsForMe, Pending::DeleteAll))
    }

    /// The connected current call, for operations that need one.
    fn active_session(&self) -> Result<CallSession, CallError> {
        let session = self
            .current_session()
            .ok_or_else(|| CallError::new(ErrorCode::NotInCall, "there is no current call"))?;
        if session.call_state != CallState::OnCall {
            return Err(CallError::new(
                ErrorCode::CallStateInvalid,
                format!(
                    "call {} is {}, not connected",
                    session.call_id,
                    session.call_state.name()
                ),
            ));
        }
        Ok(session)
    }

    /// The call a transaction id belongs to: the current one (the server
    /// checks the id itself).
    fn transaction_call(&self, transaction_id: &str) -> Result<String, CallError> {
        self.require_connection()?;
        if transaction_id.is_empty() {
            return Err(CallError::new(
                ErrorCode::TransactionIdInvalid,
                "transaction id is empty",
            ));
        }
        Ok(self.active_session()?.call_id)
    }

    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    pub fn is_connected(&self) -> bool {
        self.user_id.is_some()
    }

    pub fn current_session(&self) -> Option<CallSession> {
        self.current
            .as_ref()
            .and_then(|id| self.sessions.get(id))
            .cloned()
    }

    pub fn session(&self, call_id: &str) -> Option<&CallSession> {
        self.sessions.get(call_id)
    }

    // ---- API calls -------------------------------------------------------

    /// `connect`: open a connection and say `hello` as this user (any
    /// connection there was is replaced; what was in flight on it fails).
    /// The request is answered with [`Completion::Hello`] once `hello`
    /// succeeds, or fails: refused, the connection could not be opened, or
    /// the request timeout passed. A first connection that fails is not
    /// retried; one lost later is, until `disconnect`.
    pub fn connect(
        &mut self,
        now: Instant,
        app_key: &str,
        token: &str,
        device_id: &str,
    ) -> RequestId {
        self.drop_link(CallError::new(
            ErrorCode::SignalDisconnected,
            "superseded by another connect",
        ));
        let generation = self.connection.want(Credentials {
            app_key: app_key.to_string(),
            token: token.to_string(),
            device_id: device_id.to_string(),
        });
        let id = self.requests.open(Pending::Connect);
        self.requests.start_clock(id, now);
        self.connect_request = Some(id);
        self.outputs.push_back(Output::OpenLink { generation });
        self.note_status();
        id
    }

    /// `disconnect`: close the connection for good. Requests in flight
    /// fail with SIGNAL_DISCONNECTED; nobody will tell this device how its
    /// calls end, so they end here, each with NETWORK_ERROR at the
    /// server's time (as when a resume is refused), and the shell then
    /// releases their media.
    pub fn disconnect(&mut self, now: Instant) {
        let end_time = self.server_now(now);
        // Calls end first, while the machine still knows who this device
        // is: each local log is built from the user id (the caller's log
        // is OUTGOING, with the caller first).
        let ids: Vec<String> = self.sessions.keys().cloned().collect();
        for call_id in ids {
            self.end_here(&call_id, end_time);
        }
        self.drop_link(CallError::new(
            ErrorCode::SignalDisconnected,
            "disconnected before the server answered",
        ));
        // Its calls ended here: resuming it would put this device back in
        // calls the server still holds for the resume window.
        self.session_id = None;
        self.connection.give_up();
        self.outputs.push_back(Output::CloseLink);
        self.note_status();
    }

    /// The shell opened link `generation`: `hello` goes out on it (asking
    /// to resume the session a lost connection left, when reconnecting).
    pub fn handle_link_opened(&mut self, _now: Instant, generation: u64) {
        if !self.connection.opened(generation) {
            return;
        }
        let Some(credentials) = self.connection.credentials().cloned() else {
            return;
        };
        self.user_id = None;
        self.silent_heartbeats = 0;
        // Any session this device still holds is resumed, on a reconnect
        // and on an app's second `connect` alike: a fresh session would
        // announce its ringing calls again, and the app would hear them
        // twice (the net's property test found this). `disconnect` forgets
        // the session, so a connect after it starts afresh.
        let resume = self.session_id.as_ref().map(|session_id| ResumeParams {
            session_id: session_id.clone(),
            last_seq: self.sequence.last(),
        });
        self.resuming = resume.is_some();
        self.queue(
            Request::Hello(HelloParams {
                protocol_version: PROTOCOL_VERSION,
                app_key: credentials.app_key,
                token: credentials.token,
                device_id: credentials.device_id,
                resume,
            }),
            Pending::Hello,
        );
    }

    /// Link `generation` closed, or could not be opened. Requests in
    /// flight fail with SIGNAL_DISCONNECTED; calls stay as they are (the
    /// server keeps them) and a connection that was up is tried again.
    pub fn handle_link_closed(&mut self, now: Instant, generation: u64) {
        if self.connection.is_current(generation) {
            self.link_lost(now);
        }
    }

    /// The connection status now.
    pub fn status(&self) -> (ConnectionStatus, u64) {
        (self.connection.status(), self.connection.reconnections())
    }

    /// When [`CallMachine::handle_timeout`] should be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.connection.poll_timeout(), self.requests.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Time passed to `now`: requests past their deadline fail with
    /// REQUEST_TIMEOUT, a due heartbeat goes out (or, after two unanswered,
    /// the connection counts as lost), a due reconnect attempt starts.
    pub fn handle_timeout(&mut self, now: Instant) {
        for (id, kind) in self.requests.expired(now) {
            let timeout = CallError::new(
                ErrorCode::RequestTimeout,
                format!(
                    "no answer from the server within {:?}",
                    self.requests.timeout()
                ),
            );
            match kind {
                Pending::Connect => {
                    self.connect_request = None;
                    self.complete(id, Err(timeout));
                    self.drop_link(CallError::new(
                        ErrorCode::SignalDisconnected,
                        "the connection was not made in time",
                    ));
                    self.connection.give_up();
                    self.outputs.push_back(Output::CloseLink);
                }
                // A reconnect's hello went unanswered: try again.
                Pending::Hello => self.link_lost(now),
                _ => self.complete(id, Err(timeout)),
            }
        }
        let due = self.connection.handle_timeout(now);
        if let Some(generation) = due.open {
            self.outputs.push_back(Output::OpenLink { generation });
        }
        if due.heartbeat {
            if self.connection_is_silent() {
                // Two heartbeats unanswered, or a gap that never filled:
                // the connection is half-open; a resume fixes both.
                tracing::info!("the server stopped answering; reconnecting");
                self.link_lost(now);
            } else {
                let _ = self.heartbeat();
                self.connection.heartbeat_sent(now);
            }
        }
        self.note_status();
    }

    /// The current link is gone: fail what was in flight, and let the
    /// connection decide whether to try again.
    fn link_lost(&mut self, now: Instant) {
        self.drop_link(CallError::new(
            ErrorCode::SignalDisconnected,
            "the signaling connection closed before the server answered",
        ));
        if !self.connection.lost(now)
            && let Some(id) = self.connect_request.take()
        {
            self.requests.take(id);
            self.complete(
                id,
                Err(CallError::new(
                    ErrorCode::SignalDisconnected,
                    "the signaling connection closed before hello succeeded",
                )),
            );
        }
        self.outputs.push_back(Output::CloseLink);
        self.note_status();
    }

    /// Forgets the link's state: frames not yet sent, and every request
    /// sent on it (they fail with `error`); `connect` stays awaited.
    fn drop_link(&mut self, error: CallError) {
        self.user_id = None;
        self.outputs.retain(|o| !matches!(o, Output::Transmit(_)));
        for (id, _) in self
            .requests
            .drain_except(|p| matches!(p, Pending::Connect))
        {
            self.complete(id, Err(error.clone()));
        }
    }

    /// Reports the connection status if it differs from the last report.
    fn note_status(&mut self) {
        let (status, reconnections) = self.status();
        if (status, reconnections) != self.reported_status {
            self.reported_status = (status, reconnections);
            self.outputs.push_back(Output::Status {
                status,
                reconnections,
            });
        }
    }

    /// The server's time at `now`, from the latest reading (0 before any:
    /// a device that never said `hello` has no call to end).
    fn server_now(&self, now: Instant) -> i64 {
        match self.server_clock {
            Some((server_ms, at)) => server_ms.saturating_add(
                i64::try_from(now.saturating_duration_since(at).as_millis()).unwrap_or(i64::MAX),
            ),
            None => 0,
        }
    }

    /// Queues a heartbeat (with an acknowledgement of the events so far).
    /// `None` if not connected, or if the last two went unanswered: the
    /// connection is dead (half-open) and the shell should drop it.
    pub fn heartbeat(&mut self) -> Option<RequestId> {
        if !self.is_connected() || self.connection_is_silent() {
            return None;
        }
        self.silent_heartbeats += 1;
        if self.sequence.has_gap() {
            self.gap_heartbeats += 1;
        }
        self.ack();
        Some(self.queue(Request::Heartbeat, Pending::Heartbeat))
    }

    /// Whether the connection should be dropped and resumed: the server
    /// stopped answering heartbeats, or a gap in the events' `seq` stayed
    /// open for two heartbeats (a resume from the last event processed in
    /// order asks the server for what is missing).
    pub fn connection_is_silent(&self) -> bool {
        self.is_connected() && (self.silent_heartbeats >= 2 || self.gap_heartbeats >= 2)
    }

    fn ack(&mut self) {
        if let Some(seq) = self.sequence.take_ack() {
            self.queue(Request::Ack(AckParams { seq }), Pending::Ack);
        }
    }

    pub fn start_call(&mut self, params: StartCallParams) -> Result<RequestId, CallError> {
        let me = self.require_connection()?;
        // The same structural checks the server makes, answered without a
        // round trip as the ancestor SDK does.
        params
            .check_callees(&me)
            .map_err(|(code, message)| CallError::new(code, message))?;
        if let Some(id) = self.sessions.keys().next() {
            return Err(CallError::new(
                ErrorCode::SessionExist,
                format!("already in call {id}; end it before starting another"),
            ));
        }
        if self.requests.any(|p| matches!(p, Pending::StartCall(_))) {
            return Err(CallError::new(
                ErrorCode::SessionExist,
                "a call is already being started",
            ));
        }
        if let Some(push) = &params.push_config {
            push.validate()
                .map_err(|(code, message)| CallError::new(code, message))?;
        }
        let request = Request::StartCall(StartCallRequest {
            params: params.clone(),
            media: self.local_media,
        });
        Ok(self.queue(request, Pending::StartCall(params)))
    }

    /// Answers a call that rings. If another call is active, the server ends
    /// it first (preemption): only one call is active at a time.
    pub fn accept_call(&mut self, call_id: &str) -> Result<RequestId, CallError> {
        self.require_connection()?;
        let session = self.known_session(call_id)?;
        if !is_incoming_ringing(session.call_state) {
            return Err(CallError::new(
                ErrorCode::CallStateInvalid,
                format!(
                    "call {call_id} is {}, not an incoming call that rings",
                    session.call_state.name()
                ),
            ));
        }
        let request = Request::AcceptCall(AcceptCallParams {
            call_id: call_id.to_string(),
            media: self.local_media,
        });
        Ok(self.queue(request, Pending::AcceptCall(call_id.to_string())))
    }

    /// Invites users into the current call; a one-to-one call becomes a group call.
    pub fn invite_to_call(&mut self, user_ids: Vec<String>) -> Result<RequestId, CallError> {
        let me = self.require_connection()?;
        let session = self.current_session().ok_or_else(|| {
            CallError::new(
                ErrorCode::NotInCall,
                "there is no current call to invite into",
            )
        })?;
        if is_incoming_ringing(session.call_state) {
            return Err(CallError::new(
                ErrorCode::CallStateInvalid,
                format!("answer call {} before inviting others", session.call_id),
            ));
        }
        let mut seen = HashSet::new();
        if user_ids.is_empty()
            || user_ids
                .iter()
                .any(|u| u.is_empty() || !seen.insert(u.as_str()))
        {
            return Err(CallError::new(
                ErrorCode::UserListInvalid,
                format!("userIds must be non-empty, without empty or repeated ids: {user_ids:?}"),
            ));
        }
        if user_ids.contains(&me) {
            return Err(CallError::new(
                ErrorCode::UserAlreadyInCall,
                format!("{me} is already in call {}", session.call_id),
            ));
        }
        let request = Request::InviteToCall(InviteToCallParams {
            call_id: session.call_id.clone(),
            user_ids,
        });
        Ok(self.queue(request, Pending::InviteToCall))
    }

    /// Joins an ongoing group call directly.
    pub fn join_call(&mut self, call_id: &str) -> Result<RequestId, CallError> {
        self.require_connection()?;
        if call_id.is_empty() {
            return Err(CallError::new(ErrorCode::CallIdInvalid, "call id is empty"));
        }
        if let Some(active) = self
            .sessions
            .values()
            .find(|s| !is_incoming_ringing(s.call_state))
        {
            return Err(CallError::new(
                ErrorCode::SessionExist,
                format!(
                    "already in call {}; end it before joining another",
                    active.call_id
                ),
            ));
        }
        let request = Request::JoinCall(JoinCallParams {
            call_id: call_id.to_string(),
            media: self.local_media,
        });
        Ok(self.queue(request, Pending::JoinCall))
    }

    /// Ends `call_id`, or the current call when `call_id` is `None`.
    pub fn end_call(
        &mut self,
        call_id: Option<&str>,
        push_config: Option<nccall_protocol::PushConfig>,
    ) -> Result<RequestId, CallError> {
        self.require_connection()?;
        if let Some(push) = &push_config {
            push.validate()
                .map_err(|(code, message)| CallError::new(code, message))?;
        }
        let call_id = match call_id {
            Some(id) => self.known_session(id)?.call_id.clone(),
            None => self.current.clone().ok_or_else(|| {
                CallError::new(ErrorCode::NotInCall, "there is no current call to end")
            })?,
        };
        let request = Request::EndCall(nccall_protocol::EndCallParams {
            call_id,
            push_config,
        });
        Ok(self.queue(request, Pending::EndCall))
    }

    // ---- frames ----------------------------------------------------------

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

    // ---- outputs ---------------------------------------------------------

    /// The next output, in the order they arose. `now` starts the clock of
    /// the request a transmitted frame carries.
    #[must_use]
    pub fn poll_output(&mut self, now: Instant) -> Option<Output> {
        let output = self.outputs.pop_front()?;
        if let Output::Transmit(frame) = &output {
            self.requests.start_clock(frame.id, now);
        }
        Some(output)
    }

    // ---- internals -------------------------------------------------------

    fn queue(&mut self, request: Request, pending: Pending) -> RequestId {
        let id = self.requests.open(pending);
        self.outputs
            .push_back(Output::Transmit(ClientFrame { id, request }));
        id
    }

    fn complete(&mut self, id: RequestId, result: Result<Completion, CallError>) {
        self.outputs.push_back(Output::Completion(id, result));
    }

    fn require_connection(&self) -> Result<String, CallError> {
        self.user_id.clone().ok_or_else(|| {
            CallError::new(
                ErrorCode::SignalDisconnected,
                "not connected: call connect first",
            )
        })
    }

    fn known_session(&self, call_id: &str) -> Result<&CallSession, CallError> {
        if call_id.is_empty() {
            return Err(CallError::new(ErrorCode::CallIdInvalid, "call id is empty"));
        }
        self.sessions
            .get(call_id)
            .ok_or_else(|| CallError::new(ErrorCode::CallIdInvalid, format!("no call {call_id}")))
    }

    fn handle_response(&mut self, now: Instant, response: Response) {
        let Some(pending) = self.requests.take(response.id) else {
            return; // answer to a request that timed out
        };
        if let Pending::Hello = pending {
            return self.on_hello(now, response);
        }
        if response.code != ErrorCode::Success.code() {
            let error = CallError::from_server(response.code, response.message);
            self.complete(response.id, Err(error));
            return;
        }
        let result = match pending {
            Pending::Hello | Pending::Connect => return, // answered elsewhere
            Pending::Ack => Ok(Completion::Done),
            Pending::Heartbeat => {
                decode::<nccall_protocol::HeartbeatResult>(response.result).map(|hb| {
                    self.server_time = Some(hb.server_time);
                    Completion::Heartbeat(hb.server_time)
                })
            }
            Pending::StartCall(params) => {
                decode::<StartCallResult>(response.result).map(|started| {
                    self.begin_outgoing(&params, &started);
                    Completion::StartCall(started)
                })
            }
            Pending::AcceptCall(call_id) => {
                if let Some(s) = self.sessions.get_mut(&call_id)
                    && s.call_state == CallState::Ringing
                {
                    s.call_state = CallState::Connecting;
                }
                self.current = Some(call_id);
                Ok(Completion::Done)
            }
            Pending::EndCall => Ok(Completion::Done),
            Pending::SetMediaState | Pending::SettleMediaChange => Ok(Completion::Done),
            Pending::History => decode::<CallLogPage>(response.result).map(Completion::CallLogPage),
            Pending::Publish => {
                decode::<PublishMediaResult>(response.result).map(|r| Completion::Published(r.sdp))
            }
            Pending::UpdateMedia => decode::<UpdateMediaResult>(response.result)
                .map(|r| Completion::MediaUpdated(r.sdp)),
            Pending::Ongoing => decode::<CallLogList>(response.result)
                .map(|l| Completion::CallLogs(l.call_log_list)),
            Pending::Delete => {
                decode::<DeleteCallLogsResult>(response.result).map(Completion::Deleted)
            }
            Pending::DeleteAll => decode::<DeleteAllCallLogsResult>(response.result)
                .map(|r| Completion::DeletedAll(r.deleted_count)),
            Pending::RequestMediaChange => decode::<RequestChangeMediaTypeResult>(response.result)
                .map(|r| Completion::MediaTypeChangeRequested(r.transaction_id)),
            Pending::InviteToCall => {
                decode::<InviteToCallResult>(response.result).map(Completion::InviteToCall)
            }
            Pending::JoinCall => decode::<CallInfo>(response.result).map(|info| {
                self.begin_joined(info);
                Completion::Done
            }),
        };
        self.complete(response.id, result);
    }

    /// The answer to a link's `hello`: the connection is ready and the
    /// `connect` that asked for it, if any, is answered; or it was refused,
    /// which counts as losing the link (a first `connect` hears why).
    fn on_hello(&mut self, now: Instant, response: Response) {
        let hello = if response.code == ErrorCode::Success.code() {
            decode::<HelloResult>(response.result)
        } else {
            Err(CallError::from_server(response.code, response.message))
        };
        match hello {
            Ok(hello) => {
                self.server_time = Some(hello.server_time);
                self.user_id = Some(hello.user_id.clone());
                self.connection
                    .ready(now, Duration::from_millis(hello.heartbeat_interval_ms));
                self.on_session(&hello);
                if let Some(id) = self.connect_request.take()
                    && self.requests.take(id).is_some()
                {
                    self.complete(id, Ok(Completion::Hello(hello)));
                }
            }
            Err(error) => {
                if self.connection.status() == ConnectionStatus::Disconnected
                    && let Some(id) = self.connect_request.take()
                {
                    self.requests.take(id);
                    self.complete(id, Err(error));
                } else {
                    tracing::debug!("hello refused while reconnecting: {error}");
                }
                self.link_lost(now);
            }
        }
    }

    fn begin_outgoing(&mut self, params: &StartCallParams, started: &StartCallResult) {
        let me = self.user_id.clone().unwrap_or_default();
        let busy: HashSet<&str> = started
            .busy_line_user_list
            .iter()
            .map(|b| b.user_id.as_str())
            .collect();
        // A one-to-one callee who is busy but rings anyway: busy-line waiting.
        let waiting_on_busy = params.call_type == CallType::Single && !busy.is_empty();
        let session = CallSession {
            call_id: started.call_id.clone(),
            call_state: if waiting_on_busy {
                CallState::BusylineWait
            } else {
                CallState::Calling
            },
            call_type: params.call_type,
            media_type: params.media_type,
            remote_participants: params
                .callee_ids
                .iter()
                // Busy callees join the list when the server says they ring.
                .filter(|id| !busy.contains(id.as_str()))
                .map(|id| RemoteParticipant {
                    user_id: id.clone(),
                    user_state: CallUserState::Invited,
                    camera_enabled: params.media_type == nccall_protocol::CallMediaType::AudioVideo,
                    microphone_enabled: true,
                    reached: CallUserState::Invited,
                })
                .collect(),
            caller_user_id: me.clone(),
            inviter_user_id: me,
            start_time: None,
            record: SessionRecord {
                extra: params.extra.clone(),
                target_id: params.target_id.clone(),
                reached: Some(CallUserState::Calling),
            },
        };
        self.current = Some(session.call_id.clone());
        self.sessions.insert(session.call_id.clone(), session);
    }

    fn begin_joined(&mut self, info: CallInfo) {
        let me = self.user_id.clone().unwrap_or_default();
        let mut session = CallSession {
            call_id: info.call_id.clone(),
            call_state: CallState::Connecting,
            call_type: info.call_type,
            media_type: info.media_type,
            remote_participants: Vec::new(),
            caller_user_id: info.caller_user_id,
            inviter_user_id: info.inviter_user_id,
            start_time: None,
            record: SessionRecord {
                reached: Some(CallUserState::Connecting),
                ..SessionRecord::default()
            },
        };
        session.set_participants(&me, &info.participants);
        self.current = Some(info.call_id.clone());
        self.sessions.insert(info.call_id, session);
    }

    fn handle_event(&mut self, event: ServerEvent) {
        // A call this device ended on its own (disconnect, a refused
        // resume) may still be alive on the server, which announces it
        // again to a new session: the app heard it end, and hears no more
        // of it (the net's property test found the second onCallReceived).
        // Its server log still comes: logs may follow the end.
        if let Some(call_id) = call_of(&event)
            && self.ended_here.contains(call_id)
        {
            return;
        }
        let me = self.user_id.clone().unwrap_or_default();
        match event {
            ServerEvent::CallReceived {
                call_id,
                call_type,
                media_type,
                caller_user_id,
                inviter_user_id,
                participants,
                extra,
                target_id,
            } => {
                // Ringing while another call is active is "busy-line ringing".
                let busy = self
                    .sessions
                    .values()
                    .any(|s| !is_incoming_ringing(s.call_state));
                let mut session = CallSession {
                    call_id: call_id.clone(),
                    call_state: if busy {
                        CallState::BusylineRinging
                    } else {
                        CallState::Ringing
                    },
                    call_type,
                    media_type,
                    remote_participants: Vec::new(),
                    caller_user_id,
                    inviter_user_id,
                    start_time: None,
                    record: SessionRecord {
                        extra: extra.clone(),
                        target_id,
                        reached: Some(if busy {
                            CallUserState::BusylineRinging
                        } else {
                            CallUserState::Ringing
                        }),
                    },
                };
                session.set_participants(&me, &participants);
                if self.current.is_none() {
                    self.current = Some(call_id.clone());
                }
                self.sessions.insert(call_id, session.clone());
                self.emit(CallEvent::CallReceived(CallReceivedEvent {
                    session,
                    extra,
                }));
            }
            ServerEvent::RemoteUserStateChanged {
                call_id,
                user_id,
                user_state,
                reason,
            } => {
                let Some(session) = self.sessions.get_mut(&call_id) else {
                    return;
                };
                match session.participant_mut(&user_id) {
                    Some(p) => p.set_state(user_state),
                    // Someone new (an invitee, a busy callee who rings after
                    // all): add them; someone who never was in it and left
                    // (a busy callee left out) is not a participant.
                    None if user_id != me && user_state != CallUserState::Ended => {
                        session.remote_participants.push(RemoteParticipant {
                            user_id: user_id.clone(),
                            user_state,
                            camera_enabled: session.media_type
                                == nccall_protocol::CallMediaType::AudioVideo,
                            microphone_enabled: true,
                            reached: user_state,
                        })
                    }
                    None => {}
                }
                self.emit(CallEvent::RemoteUserStateChanged(
                    RemoteUserStateChangedEvent {
                        call_id,
                        user_id,
                        user_state,
                        reason,
                    },
                ));
            }
            ServerEvent::CallConnected {
                call_id,
                participants,
            } => {
                let Some(session) = self.sessions.get_mut(&call_id) else {
                    return;
                };
                session.call_state = CallState::OnCall;
                session.record.reached = Some(CallUserState::OnCall);
                session.set_participants(&me, &participants);
                let session = session.clone();
                self.current = Some(call_id);
                self.emit(CallEvent::CallConnected(CallConnectedEvent { session }));
            }
            ServerEvent::StartTimeReceived {
                call_id,
                start_time,
            } => {
                self.server_time = Some(start_time);
                let Some(session) = self.sessions.get_mut(&call_id) else {
                    return;
                };
                session.start_time = Some(start_time);
                self.emit(CallEvent::StartTimeReceived(StartTimeReceivedEvent {
                    start_time,
                }));
            }
            ServerEvent::RemoteUserInvited {
                call_id,
                invitee_user_list,
                inviter_user_id,
            } => {
                if !self.sessions.contains_key(&call_id) {
                    return;
                }
                self.emit(CallEvent::RemoteUserInvited(RemoteUserInvitedEvent {
                    call_id,
                    invitee_user_list,
                    inviter_user_id,
                }));
            }
            ServerEvent::MediaTypeChangeRequestReceived {
                call_id,
                user_id,
                transaction_id,
                media_type,
            } => {
                if !self.sessions.contains_key(&call_id) {
                    return;
                }
                self.emit(CallEvent::MediaTypeChangeRequestReceived(
                    MediaTypeChangeRequestEvent {
                        user_id,
                        transaction_id,
                        media_type,
                    },
                ));
            }
            ServerEvent::MediaTypeChangeResultReceived {
                call_id,
                user_id,
                transaction_id,
                media_type,
                result,
            } => {
                let Some(session) = self.sessions.get_mut(&call_id) else {
                    return;
                };
                // The server sends the call's media type as it is now.
                session.media_type = media_type;
                self.emit(CallEvent::MediaTypeChangeResultReceived(
                    MediaTypeChangeResultEvent {
                        user_id,
                        transaction_id,
                        media_type,
                        result,
                    },
                ));
            }
            ServerEvent::RemoteCameraStateChanged {
                call_id,
                user_id,
                disabled,
            } => {
                let Some(p) = self
                    .sessions
                    .get_mut(&call_id)
                    .and_then(|s| s.participant_mut(&user_id))
                else {
                    return;
                };
                p.camera_enabled = !disabled;
                self.emit(CallEvent::RemoteCameraStateChanged(
                    RemoteDeviceStateEvent {
                        call_id,
                        user_id,
                        disabled,
                    },
                ));
            }
            ServerEvent::RemoteMicrophoneStateChanged {
                call_id,
                user_id,
                disabled,
            } => {
                let Some(p) = self
                    .sessions
                    .get_mut(&call_id)
                    .and_then(|s| s.participant_mut(&user_id))
                else {
                    return;
                };
                p.microphone_enabled = !disabled;
                self.emit(CallEvent::RemoteMicrophoneStateChanged(
                    RemoteDeviceStateEvent {
                        call_id,
                        user_id,
                        disabled,
                    },
                ));
            }
            ServerEvent::CallTypeChanged { call_id, call_type } => {
                let Some(session) = self.sessions.get_mut(&call_id) else {
                    return;
                };
                session.call_type = call_type;
                self.emit(CallEvent::CallTypeChanged(CallTypeChangedEvent {
                    call_id,
                    call_type,
                }));
            }
            ServerEvent::CallEnded {
                call_id,
                reason,
                end_time,
            } => {
                self.server_time = Some(end_time);
                self.end_session(&call_id, reason, end_time);
            }
            ServerEvent::ServerCallLogReceived { call_log } => {
                self.emit(CallEvent::ServerCallLogReceived(CallLogEvent {
                    call_log: *call_log,
                }));
            }
        }
    }

    /// A `hello` succeeded: on a resume the server replays what was missed;
    /// otherwise numbering starts again, and if a resume was refused the
    /// session expired: its calls ended for this device with NETWORK_ERROR
    /// while it was away, and nobody will say so but this machine.
    fn on_session(&mut self, hello: &HelloResult) {
        let lost = self.resuming && !hello.resumed;
        self.resuming = false;
        if hello.resumed {
            return;
        }
        self.session_id = Some(hello.session_id.clone());
        self.sequence.reset();
        self.gap_heartbeats = 0;
        if lost {
            let ids: Vec<String> = self.sessions.keys().cloned().collect();
            for call_id in ids {
                self.end_here(&call_id, hello.server_time);
            }
        }
    }

    /// Ends a call on this device's own account (not because the server
    /// said so): later news of it from the server is ignored.
    fn end_here(&mut self, call_id: &str, end_time: i64) {
        if self.sessions.contains_key(call_id) {
            self.ended_here.insert(call_id.to_string());
        }
        self.end_session(call_id, CallEndReason::NetworkError, end_time);
    }

    fn end_session(&mut self, call_id: &str, reason: CallEndReason, end_time: i64) {
        let Some(mut session) = self.sessions.remove(call_id) else {
            return;
        };
        session.call_state = final_state(reason, session.start_time.is_some());
        if self.current.as_deref() == Some(call_id) {
            // A call still ringing becomes the current one.
            self.current = self.sessions.keys().next().cloned();
        }
        // The spec: local logs are for one-to-one calls only.
        let local_log = (session.call_type == CallType::Single).then(|| {
            local_log(
                self.user_id.as_deref().unwrap_or_default(),
                &session,
                reason,
                end_time,
            )
        });
        self.emit(CallEvent::CallEnded(CallEndedEvent { session, reason }));
        if let Some(call_log) = local_log {
            self.emit(CallEvent::LocalCallLogReceived(CallLogEvent { call_log }));
        }
    }

    fn emit(&mut self, event: CallEvent) {
        self.outputs.push_back(Output::Event(event));
    }
}

/// How many calls ended here are remembered: a call the server holds for
/// a device that left ends within its timeouts, long before this many
/// more calls came and went.
const ENDED_HERE_KEPT: usize = 256;

/// A set that forgets its oldest members beyond [`ENDED_HERE_KEPT`].
#[derive(Debug, Default)]
struct RecentSet {
    order: VecDeque<String>,
    members: HashSet<String>,
}

impl RecentSet {
    fn insert(&mut self, id: String) {
        if self.members.insert(id.clone()) {
            self.order.push_back(id);
        }
        while self.order.len() > ENDED_HERE_KEPT {
            if let Some(old) = self.order.pop_front() {
                self.members.remove(&old);
            }
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.members.contains(id)
    }
}

/// The call a server event is about; `None` for a call log, which may
/// come after the call ended.
fn call_of(event: &ServerEvent) -> Option<&str> {
    match event {
        ServerEvent::CallReceived { call_id, .. }
        | ServerEvent::RemoteUserStateChanged { call_id, .. }
        | ServerEvent::CallConnected { call_id, .. }
        | ServerEvent::StartTimeReceived { call_id, .. }
        | ServerEvent::RemoteUserInvited { call_id, .. }
        | ServerEvent::CallTypeChanged { call_id, .. }
        | ServerEvent::MediaTypeChangeRequestReceived { call_id, .. }
        | ServerEvent::MediaTypeChangeResultReceived { call_id, .. }
        | ServerEvent::RemoteCameraStateChanged { call_id, .. }
        | ServerEvent::RemoteMicrophoneStateChanged { call_id, .. }
        | ServerEvent::CallEnded { call_id, .. } => Some(call_id),
        ServerEvent::ServerCallLogReceived { .. } => None,
    }
}

/// An incoming call not answered yet.
fn is_incoming_ringing(state: CallState) -> bool {
    matches!(
        state,
        CallState::Ringing | CallState::BusylineRinging | CallState::Invited
    )
}

fn decode<T: serde::de::DeserializeOwned>(
    result: Option<serde_json::Value>,
) -> Result<T, CallError> {
    let value = result.unwrap_or(serde_json::Value::Null);
    serde_json::from_value(value).map_err(|e| {
        CallError::new(
            ErrorCode::UnknownServerCode,
            format!("the server's answer could not be read: {e}"),
        )
    })
}
