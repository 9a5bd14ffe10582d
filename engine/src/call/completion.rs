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

impl Completion {
    /// `connect`'s answer: the user id the token belongs to.
    pub fn user_id(self) -> CallResult<String> {
        match self {
            Completion::Hello(hello) => Ok(hello.user_id),
            other => Err(other.unexpected()),
        }
    }

    pub fn started_call(self) -> CallResult<StartCallResult> {
        match self {
            Completion::StartCall(started) => Ok(started),
            other => Err(other.unexpected()),
        }
    }

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

    pub fn call_log_page(self) -> CallResult<CallLogPage> {
        match self {
            Completion::CallLogPage(page) => Ok(page),
            other => Err(other.unexpected()),
        }
    }

    pub fn call_logs(self) -> CallResult<Vec<CallLog>> {
        match self {
            Completion::CallLogs(logs) => Ok(logs),
            other => Err(other.unexpected()),
        }
    }

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
