//! The log an engine builds itself when a one-to-one call ends
//! (`onLocalCallLogReceived`). It agrees with the server's log of the same
//! call on every field but `syncTime`, which only the server has.

use nccall_protocol::{CallDirection, CallEndReason, CallLog, CallLogParticipant, CallUserState};

use crate::session::CallSession;

pub(crate) fn local_log(
    me: &str,
    session: &CallSession,
    reason: CallEndReason,
    end_time: i64,
) -> CallLog {
    let outgoing = session.caller_user_id == me;
    let my_reach = session.record.reached.unwrap_or(CallUserState::Ringing);
    let mine = CallLogParticipant {
        user_id: me.to_string(),
        user_state: my_reach,
    };
    let others = session
        .remote_participants
        .iter()
        .map(|p| CallLogParticipant {
            user_id: p.user_id.clone(),
            user_state: p.reached,
        });
    // Member order, as the server keeps it: the caller first.
    let participants = if outgoing {
        std::iter::once(mine).chain(others).collect()
    } else {
        let mut list: Vec<CallLogParticipant> = others.collect();
        let at = list
            .iter()
            .position(|p| p.user_id == session.caller_user_id)
            .map_or(list.len(), |i| i + 1);
        list.insert(at, mine);
        list
    };
    let connected = my_reach == CallUserState::OnCall;
    let duration_ms = match (connected, session.start_time) {
        (true, Some(start)) => (end_time - start).max(0),
        _ => 0,
    };
    CallLog {
        call_id: session.call_id.clone(),
        caller_user_id: session.caller_user_id.clone(),
        inviter_user_id: session.inviter_user_id.clone(),
        participants,
        call_type: session.call_type,
        media_type: session.media_type,
        direction: if outgoing {
            CallDirection::Outgoing
        } else {
            CallDirection::Incoming
        },
        start_time: session.start_time,
        end_time: Some(end_time),
        duration_ms,
        end_reason: Some(reason),
        missed: nccall_protocol::missed(outgoing, connected, Some(reason)),
        extra: session.record.extra.clone(),
        target_id: session.record.target_id.clone(),
        sync_time: None,
    }
}
