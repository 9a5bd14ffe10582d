//! A call becomes one log per participant, each from that participant's
//! point of view; the same function gives the log of an ongoing call.

use nccall_protocol::{CallDirection, CallLog, CallLogParticipant, CallUserState};

use crate::calls::{Call, Member};

/// The log of `call` for `member`. While the member is still in the call,
/// it has no end time, no end reason and a duration of 0. The sync time is
/// left for the store to fill in.
pub fn log_for(call: &Call, member: &Member) -> CallLog {
    let participants = call
        .members
        .iter()
        .map(|m| CallLogParticipant {
            user_id: m.user_id.clone(),
            user_state: m.reached,
        })
        .collect();
    let outgoing = member.user_id == call.caller;
    let end_time = member.left_at;
    let duration_ms = match (member.joined_at, end_time) {
        (Some(joined), Some(end)) => (end - joined).max(0),
        _ => 0,
    };
    CallLog {
        call_id: call.id.clone(),
        caller_user_id: call.caller.clone(),
        inviter_user_id: member.inviter.clone(),
        participants,
        call_type: call.call_type,
        media_type: call.media_type,
        direction: if outgoing {
            CallDirection::Outgoing
        } else {
            CallDirection::Incoming
        },
        start_time: call.start_time,
        end_time,
        duration_ms,
        end_reason: member.end_reason,
        missed: nccall_protocol::missed(
            outgoing,
            member.reached == CallUserState::OnCall,
            member.end_reason,
        ),
        extra: call.extra.clone(),
        target_id: call.target_id.clone(),
        sync_time: None,
    }
}

/// The logs of a call that ended, `(owner, log)`, in member order.
pub fn logs_of_finished_call(call: &Call) -> Vec<(String, CallLog)> {
    call.members
        .iter()
        .map(|m| (m.user_id.clone(), log_for(call, m)))
        .collect()
}
