//! Accepting a call: the callee joins, the call connects, and the server
//! fixes the billing start time and tells every participant the same value.

use nccall_protocol::{CallUserState, ErrorCode, ServerEvent};

use super::{CallTable, Refusal, UserKey};
use crate::clock::Millis;

impl CallTable {
    pub fn accept(&mut self, now: Millis, user: &UserKey, call_id: &str) -> Result<(), Refusal> {
        let call = self.call_of_member(user, call_id)?;
        let ringing = call
            .member(&user.user)
            .is_some_and(|m| matches!(m.state, CallUserState::Ringing | CallUserState::Invited));
        if !ringing || call.caller == user.user {
            return Err((
                ErrorCode::CallStateInvalid,
                format!("call {call_id} is not ringing for {}", user.user),
            ));
        }
        if let Some(other) = self
            .calls_of(user)
            .find(|c| c.id != call_id && c.is_connected())
        {
            return Err((
                ErrorCode::Unsupported,
                format!(
                    "answering while in call {} (preemption) is not implemented yet",
                    other.id
                ),
            ));
        }

        let Some(call) = self.calls.get_mut(call_id) else {
            return Err((ErrorCode::CallIdInvalid, format!("no call {call_id}")));
        };
        let mut joined = vec![user.user.clone()];
        if call.start_time.is_none() {
            call.start_time = Some(now);
            call.ring_deadline = None;
            // The caller has been in the call all along; it now counts as on call.
            joined.push(call.caller.clone());
        }
        for id in &joined {
            if let Some(m) = call.member_mut(id) {
                m.state = CallUserState::OnCall;
            }
        }
        let call = call.clone();
        let start_time = call.start_time.unwrap_or(now);

        for member in call.members.iter().filter(|m| m.is_present()) {
            for changed in joined.iter().filter(|id| **id != member.user_id) {
                self.note(
                    &call.app,
                    &member.user_id,
                    ServerEvent::RemoteUserStateChanged {
                        call_id: call.id.clone(),
                        user_id: changed.clone(),
                        user_state: CallUserState::OnCall,
                        reason: None,
                    },
                );
            }
            let connected_now = joined.contains(&member.user_id);
            if connected_now {
                self.note(
                    &call.app,
                    &member.user_id,
                    ServerEvent::CallConnected {
                        call_id: call.id.clone(),
                        participants: call.participants(),
                    },
                );
                self.note(
                    &call.app,
                    &member.user_id,
                    ServerEvent::StartTimeReceived {
                        call_id: call.id.clone(),
                        start_time,
                    },
                );
            }
        }
        Ok(())
    }
}
