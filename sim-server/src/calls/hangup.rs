//! Ending a call: who ended it, and the reason each participant is told.
//!
//! The user who acts gets the local reason (CANCEL before an answer if they
//! called, REJECT if they were called, HANGUP once connected); everyone else
//! gets its remote counterpart (REMOTE_CANCEL, REMOTE_REJECT, REMOTE_HANGUP).
//! In a one-to-one call, one party leaving ends the call for both.

use nccall_protocol::{CallEndReason, CallUserState, PushConfig, ServerEvent};

use super::{CallTable, Refusal, UserKey};
use crate::clock::Millis;

impl CallTable {
    pub fn end(
        &mut self,
        now: Millis,
        user: &UserKey,
        call_id: &str,
        _push_config: Option<PushConfig>,
    ) -> Result<(), Refusal> {
        let call = self.call_of_member(user, call_id)?;
        let reason = if call.is_connected() {
            CallEndReason::Hangup
        } else if call.caller == user.user {
            CallEndReason::Cancel
        } else {
            CallEndReason::Reject
        };
        self.finish(now, call_id, &user.user, reason);
        Ok(())
    }

    /// Ends the whole call because `leaver` left for `reason`: the leaver is
    /// told `reason`, every other present member learns that the leaver left
    /// and is told the remote counterpart. The call is then dropped.
    pub(super) fn finish(
        &mut self,
        now: Millis,
        call_id: &str,
        leaver: &str,
        reason: CallEndReason,
    ) {
        let Some(mut call) = self.remove(call_id) else {
            return;
        };
        let remote = reason.remote_counterpart();
        let present: Vec<String> = call
            .members
            .iter()
            .filter(|m| m.is_present())
            .map(|m| m.user_id.clone())
            .collect();
        for user in &present {
            let own = if user == leaver { reason } else { remote };
            if user != leaver {
                self.note(
                    &call.app,
                    user,
                    ServerEvent::RemoteUserStateChanged {
                        call_id: call.id.clone(),
                        user_id: leaver.to_string(),
                        user_state: CallUserState::Ended,
                        reason: Some(remote),
                    },
                );
            }
            self.note(
                &call.app,
                user,
                ServerEvent::CallEnded {
                    call_id: call.id.clone(),
                    reason: own,
                    end_time: now,
                },
            );
            if let Some(m) = call.member_mut(user) {
                m.state = CallUserState::Ended;
                m.end_reason = Some(own);
            }
        }
    }
}
