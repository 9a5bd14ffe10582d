//! [`Completion`]: what an API call's request came back with, and the
//! typed value each API call reads from it. Every shell (the tokio engine,
//! the suite's socket-free net) reads answers through these, so an answer
//! of the wrong kind is the same error everywhere.

use nccall_protocol::{
    CallLog, CallLogPage, DeleteCallLogsResult, ErrorCode, HelloResult, InviteToCallResult,
    StartCallResult,
};

use crate::error::{CallError, CallResult};

/// The result of a request, once the server answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    /// `connect`: `hello` succeeded.
    Hello(HelloResult),
    /// `start_call`: the call's id and the callees who were busy.
    StartCall(StartCallResult),
    /// `invite_to_call`: the invitees who were busy.
    InviteToCall(InviteToCallResult),
    /// The transaction id of a media-type change request.
    MediaTypeChangeRequested(String),
    /// `get_history_call_logs`: one page.
    CallLogPage(CallLogPage),
    /// The media server's SDP answer.
    Published(String),
    /// The media server's answer to a renegotiation offer, if one was sent.
    MediaUpdated(Option<String>),
    /// `get_ongoing_call_logs`: the logs of calls in progress.
    CallLogs(Vec<CallLog>),
    /// `delete_call_logs_for_me`: the ids that had no log.
    Deleted(DeleteCallLogsResult),
    /// `delete_all_call_logs_for_me`: how many logs were deleted.
    DeletedAll(u64),
    /// Server time from a heartbeat answer.
    Heartbeat(i64),
    /// A request with no result succeeded (accept, end, invite, media state...).
    Done,
}

impl Completion {
    /// `connect`'s answer: the user id the token belongs to.
    pub fn user_id(self) -> CallResult<String> {
        match self {
            Completion::Hello(hello) => Ok(hello.user_id),
            other => Err(other.unexpected()),
        }
    }

    /// `start_call`'s result; CALL_STATE_INVALID if this completion is another request's.
    pub fn started_call(self) -> CallResult<StartCallResult> {
        match self {
            Completion::StartCall(started) => Ok(started),
            other => Err(other.unexpected()),
        }
    }

    /// `invite_to_call`'s result (as [`Completion::started_call`] for another kind).
    pub fn invited(self) -> CallResult<InviteToCallResult> {
        match self {
            Completion::InviteToCall(invited) => Ok(invited),
            other => Err(other.unexpected()),
        }
    }

    /// `requestChangeMediaType`'s transaction id.
    pub fn transaction_id(self) -> CallResult<String> {
        match self {
            Completion::MediaTypeChangeRequested(id) => Ok(id),
            other => Err(other.unexpected()),
        }
    }

    /// `get_history_call_logs`'s page.
    pub fn call_log_page(self) -> CallResult<CallLogPage> {
        match self {
            Completion::CallLogPage(page) => Ok(page),
            other => Err(other.unexpected()),
        }
    }

    /// `get_ongoing_call_logs`'s logs.
    pub fn call_logs(self) -> CallResult<Vec<CallLog>> {
        match self {
            Completion::CallLogs(logs) => Ok(logs),
            other => Err(other.unexpected()),
        }
    }

    /// `delete_call_logs_for_me`'s result.
    pub fn deleted(self) -> CallResult<DeleteCallLogsResult> {
        match self {
            Completion::Deleted(result) => Ok(result),
            other => Err(other.unexpected()),
        }
    }

    /// `deleteAllCallLogsForMe`'s count.
    pub fn deleted_all(self) -> CallResult<u64> {
        match self {
            Completion::DeletedAll(n) => Ok(n),
            other => Err(other.unexpected()),
        }
    }

    /// A heartbeat's server time.
    pub fn server_time(self) -> CallResult<i64> {
        match self {
            Completion::Heartbeat(t) => Ok(t),
            other => Err(other.unexpected()),
        }
    }

    /// An answer of another kind than the request asked for (a server bug).
    pub fn unexpected(self) -> CallError {
        CallError::new(
            ErrorCode::UnknownServerCode,
            format!("unexpected answer: {self:?}"),
        )
    }
}
