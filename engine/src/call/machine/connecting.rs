//! The connection's life as the machine sees it: `connect` and `disconnect`,
//! the shell's reports about links, `hello` (a fresh or resumed session),
//! heartbeats and acknowledgements, and what is due when time passes.

use std::time::{Duration, Instant};

use nccall_protocol::{
    AckParams, ErrorCode, HelloParams, HelloResult, PROTOCOL_VERSION, Request, Response,
    ResumeParams,
};

use super::responses::decode;
use super::{CallMachine, Completion, Output};
use crate::call::connection::{ConnectionStatus, Credentials};
use crate::call::requests::{Pending, RequestId};
use crate::error::CallError;

impl CallMachine {
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

    /// Link `generation` could not be opened for a reason that trying
    /// again will not mend (TLS refused the server's certificate): as
    /// [`CallMachine::handle_link_closed`], but a first `connect` fails
    /// with `error` rather than SIGNAL_DISCONNECTED. A reconnect is still
    /// tried again (a server's certificate may be replaced meanwhile).
    pub fn handle_link_failed(&mut self, now: Instant, generation: u64, error: CallError) {
        if self.connection.is_current(generation) {
            self.link_lost_because(now, error);
        }
    }

    /// The connection status now.
    pub fn status(&self) -> (ConnectionStatus, u64) {
        (self.connection.status(), self.connection.reconnections())
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
                other => self.fail(id, other, timeout),
            }
        }
        self.media_timeout(now);
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
    pub(super) fn link_lost(&mut self, now: Instant) {
        self.link_lost_because(
            now,
            CallError::new(
                ErrorCode::SignalDisconnected,
                "the signaling connection closed before hello succeeded",
            ),
        );
    }

    /// The link is gone; a first `connect` still awaited fails with
    /// `connect_error`.
    fn link_lost_because(&mut self, now: Instant, connect_error: CallError) {
        self.drop_link(CallError::new(
            ErrorCode::SignalDisconnected,
            "the signaling connection closed before the server answered",
        ));
        if !self.connection.lost(now)
            && let Some(id) = self.connect_request.take()
        {
            self.requests.take(id);
            self.complete(id, Err(connect_error));
        }
        self.outputs.push_back(Output::CloseLink);
        self.note_status();
    }

    /// Forgets the link's state: frames not yet sent, and every request
    /// sent on it (they fail with `error`); `connect` stays awaited.
    pub(super) fn drop_link(&mut self, error: CallError) {
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
    pub(super) fn note_status(&mut self) {
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
    pub(super) fn server_now(&self, now: Instant) -> i64 {
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

    pub(super) fn ack(&mut self) {
        if let Some(seq) = self.sequence.take_ack() {
            self.queue(Request::Ack(AckParams { seq }), Pending::Ack);
        }
    }

    /// The answer to a link's `hello`: the connection is ready and the
    /// `connect` that asked for it, if any, is answered; or it was refused,
    /// which counts as losing the link (a first `connect` hears why).
    pub(super) fn on_hello(&mut self, now: Instant, response: Response) {
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

    /// A `hello` succeeded: on a resume the server replays what was missed;
    /// otherwise numbering starts again, and if a resume was refused the
    /// session expired: its calls ended for this device with NETWORK_ERROR
    /// while it was away, and nobody will say so but this machine.
    pub(super) fn on_session(&mut self, hello: &HelloResult) {
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
}
