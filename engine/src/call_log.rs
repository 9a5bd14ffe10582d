//! `NCCallLog`: the record of one call, as a call-history screen needs it.

use nccall_protocol::{CallEndReason, CallMediaType, CallType, CallUserState};

/// Whether the log's owner placed or received the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallDirection {
    Outgoing,
    Incoming,
}

/// One participant of a logged call and the state they ended in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLogParticipant {
    pub user_id: String,
    pub user_state: CallUserState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLog {
    pub call_id: String,
    pub caller_user_id: String,
    pub inviter_user_id: String,
    pub participants: Vec<CallLogParticipant>,
    pub call_type: CallType,
    pub media_type: CallMediaType,
    pub direction: CallDirection,
    /// Billing start; `None` if the call never connected.
    pub start_time: Option<i64>,
    pub end_time: i64,
    /// Connected time in ms; 0 if the call never connected.
    pub duration_ms: i64,
    pub end_reason: CallEndReason,
    /// The owner was called and never answered.
    pub missed: bool,
    pub extra: Option<String>,
    pub target_id: Option<String>,
    /// Server cursor of this log, for history paging.
    pub sync_time: i64,
}
