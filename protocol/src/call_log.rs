//! `NCCallLog` and the history queries: the record of one call for one user,
//! as the server stores it and as an engine builds it locally.

use serde::{Deserialize, Serialize};

use crate::coded::coded_enum;
use crate::{CallEndReason, CallLogOrder, CallMediaType, CallType, CallUserState};

coded_enum! {
    /// Whether the log's owner placed or received the call.
    pub enum CallDirection, wire = name {
        /// The owner placed the call.
        Outgoing = 0, "OUTGOING";
        /// The owner was called (or invited).
        Incoming = 1, "INCOMING";
    }
}

/// One participant of a logged call and the furthest state they reached:
/// ONCALL if they were ever connected; otherwise CALLING (a caller nobody
/// answered), RINGING / BUSYLINE_RINGING (rung, never answered) or INVITED
/// (never reached a device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallLogParticipant {
    /// The user this is about.
    pub user_id: String,
    /// That user's state in the call.
    pub user_state: CallUserState,
}

/// The record of one call for its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallLog {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// Who placed the call.
    pub caller_user_id: String,
    /// Who invited the owner (the caller unless the owner was invited later).
    pub inviter_user_id: String,
    /// Everyone who took part, the owner included, in the order they came.
    pub participants: Vec<CallLogParticipant>,
    /// One-to-one (`SINGLE`) or group (`MULTI`).
    pub call_type: CallType,
    /// The media type the call had when it ended.
    pub media_type: CallMediaType,
    /// Whether the owner placed or received the call.
    pub direction: CallDirection,
    /// Billing start (server clock); `None` if the call never connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// When the call ended for the owner; `None` while it is ongoing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// Connected time of the owner in ms; 0 if they never were connected.
    pub duration_ms: i64,
    /// Why it ended, from the owner's point of view; `None` while ongoing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<CallEndReason>,
    /// The owner was called and never answered: the call timed out, the
    /// caller cancelled, or it never rang (busy); not when the owner
    /// declined it ([`missed`]). A field of this project (the spec does not
    /// list `NCCallLog`'s fields).
    pub missed: bool,
    /// The caller's free-form text, passed through untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
    /// The app's own id for the call's target (a group, a room), passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// The server's cursor for this log (see `getHistoryCallLogs`); `None`
    /// in a log the engine built itself, and for ongoing calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_time: Option<i64>,
}

/// Largest `count` of one history page.
pub const MAX_HISTORY_PAGE: i64 = 100;

/// Most call ids in one `deleteCallLogsForMe`.
pub const MAX_DELETE_BATCH: usize = 100;

/// `getHistoryCallLogs`: one page of the owner's ended calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetHistoryCallLogsParams {
    /// `-1` for the first page (newest for DESC); then the last `syncTime`.
    pub start_time: i64,
    /// How many logs at most (1 to [`MAX_HISTORY_PAGE`]).
    pub count: i64,
    /// Newest first (`DESC`) or oldest first (`ASC`).
    pub order: CallLogOrder,
}

/// One page of history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallLogPage {
    /// Whether logs beyond this page are left.
    pub has_more: bool,
    /// The logs, in the order asked for.
    pub call_log_list: Vec<CallLog>,
    /// Pass as the next `startTime` (the last log's sync time; the
    /// `startTime` given when the page is empty).
    pub sync_time: i64,
}

/// `getOngoingCallLogs`: the logs of the owner's calls in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallLogList {
    /// The logs, in the order asked for.
    pub call_log_list: Vec<CallLog>,
}

/// `deleteCallLogsForMe`: which logs to delete for their owner only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteCallLogsParams {
    /// Up to [`MAX_DELETE_BATCH`] call ids.
    pub call_ids: Vec<String>,
}

/// What `deleteCallLogsForMe` did not find.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteCallLogsResult {
    /// Ids the owner had no log for (nothing else happens for them).
    pub not_found_call_ids: Vec<String>,
}

/// What `deleteAllCallLogsForMe` deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteAllCallLogsResult {
    /// How many of the owner's logs were deleted.
    pub deleted_count: u64,
}

/// Whether a call log marks the call missed for its owner: an incoming call
/// the owner never connected to and did not decline (on this or another
/// of their devices). A declined call is not missed: the owner saw it, as
/// the session's final state says (`DECLINED`, not `MISSED`).
pub fn missed(outgoing: bool, connected: bool, end_reason: Option<CallEndReason>) -> bool {
    let declined = matches!(
        end_reason,
        Some(CallEndReason::Reject | CallEndReason::HangupByOtherClient)
    );
    !outgoing && !connected && !declined
}

#[cfg(test)]
mod missed_tests {
    use super::*;

    #[test]
    fn only_an_incoming_call_never_connected_and_not_declined_is_missed() {
        let not_answered = [
            CallEndReason::RemoteCancel,
            CallEndReason::NoResponse,
            CallEndReason::BusyLine,
        ];
        for reason in not_answered {
            assert!(missed(false, false, Some(reason)), "{reason}");
            assert!(!missed(true, false, Some(reason)), "outgoing: {reason}");
        }
        assert!(!missed(false, false, Some(CallEndReason::Reject)));
        assert!(!missed(
            false,
            false,
            Some(CallEndReason::HangupByOtherClient)
        ));
        assert!(!missed(false, true, Some(CallEndReason::RemoteHangup)));
    }
}
