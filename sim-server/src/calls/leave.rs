//! Leaving a call, and when a call ends for everyone.
//!
//! The member who acts is told the local reason: REJECT if it was ringing for
//! them, CANCEL if they called and nobody has answered, HANGUP otherwise.
//! Everyone else learns that the member left, with the remote counterpart
//! (REMOTE_REJECT, REMOTE_CANCEL, REMOTE_HANGUP), and keeps the call unless
//! the **end rule** says it is over:
//!
//! - a one-to-one call ends when either side leaves;
//! - a group call ends when fewer than two members remain (connected or
//!   still ringing), or when the caller leaves before anyone answered.
//!
//! When the call ends, the members still in it are told the remote reason of
//! the act that ended it.

use nccall_protocol::{CallEndReason, CallType, CallUserState, PushConfig, ServerEvent};

use super::{Actor, Call, CallTable, DeviceId, Refusal, Target};
use crate::clock::Millis;

impl CallTable {
    /// `endCall` by `actor`: cancel, decline or hang up, each with its end
    /// reasons for everyone; a call left with one member ends.
    pub fn end(
        &mut self,
        now: Millis,
        actor: &Actor,
        call_id: &str,
        push_config: Option<PushConfig>,
    ) -> Result<(), Refusal> {
        let user = actor.user.user.as_str();
        if let Some(push) = &push_config {
            push.validate()?;
        }
        let call = self.call_of_member(&actor.user, call_id)?;
        let reason = match call.member(user) {
            Some(m) if m.is_ringing() => CallEndReason::Reject,
            Some(m) if m.state == CallUserState::Calling => CallEndReason::Cancel,
            _ => CallEndReason::Hangup,
        };
        self.leave(now, call_id, user, reason, Some(actor.device), push_config);
        Ok(())
    }

    /// `user` leaves `call_id` for `reason` (their own point of view), acting
    /// from `device` if they acted at all; then the end rule applies.
    pub(super) fn leave(
        &mut self,
        now: Millis,
        call_id: &str,
        user: &str,
        reason: CallEndReason,
        device: Option<DeviceId>,
        push: Option<PushConfig>,
    ) {
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        let Some(member) = call.member_mut(user).filter(|m| m.is_present()) else {
            return;
        };
        let in_call_on = member.device;
        member.state = CallUserState::Ended;
        member.end_reason = Some(reason);
        member.ring_deadline = None;
        member.left_at = Some(now);
        let call = call.clone();
        self.unindex(&call.app, user, call_id);

        let ended = |reason| ServerEvent::CallEnded {
            call_id: call.id.clone(),
            reason,
            end_time: now,
        };
        match (in_call_on, device) {
            // Hung up from a device other than the one in the call.
            (Some(on), Some(from)) if on != from => {
                // Another device of the user acted: it answered another call
                // (preemption from a second device) or hung this one up.
                let why = if reason == CallEndReason::OtherClientJoinedCall {
                    reason
                } else {
                    CallEndReason::HangupByOtherClient
                };
                self.note_to(&call.app, user, Target::Device(on), ended(why), None);
            }
            (Some(on), _) => self.note_to(&call.app, user, Target::Device(on), ended(reason), None),
            // Rejected while ringing on several devices: the others stop ringing.
            (None, Some(from)) => {
                self.note_to(&call.app, user, Target::Device(from), ended(reason), None);
                self.note_to(
                    &call.app,
                    user,
                    Target::OtherDevices(from),
                    ended(CallEndReason::HangupByOtherClient),
                    None,
                );
            }
            (None, None) => self.note_to(&call.app, user, Target::AllDevices, ended(reason), None),
        }

        let remote = reason.remote_counterpart();
        let others: Vec<String> = call.present().map(|m| m.user_id.clone()).collect();
        for other in &others {
            let event = ServerEvent::RemoteUserStateChanged {
                call_id: call.id.clone(),
                user_id: user.to_string(),
                user_state: CallUserState::Ended,
                reason: Some(remote),
            };
            self.note_member(&call, other, event);
        }
        if call_is_over(&call, user) {
            self.end_for_all(now, call_id, remote, push);
        }
    }

    /// Ends the call for every member still in it, with `reason`. `push`
    /// reaches members who have no live device (a hang-up push).
    pub(super) fn end_for_all(
        &mut self,
        now: Millis,
        call_id: &str,
        reason: CallEndReason,
        push: Option<PushConfig>,
    ) {
        let Some(mut call) = self.remove(call_id) else {
            return;
        };
        let remaining: Vec<String> = call.present().map(|m| m.user_id.clone()).collect();
        for user in &remaining {
            let event = ServerEvent::CallEnded {
                call_id: call.id.clone(),
                reason,
                end_time: now,
            };
            let target = match call.member(user).and_then(|m| m.device) {
                Some(d) => Target::Device(d),
                None => Target::AllDevices,
            };
            self.note_to(&call.app, user, target, event, push.clone());
            if let Some(m) = call.member_mut(user) {
                m.state = CallUserState::Ended;
                m.end_reason = Some(reason);
                m.ring_deadline = None;
                m.left_at = Some(now);
            }
        }
        self.finished.push(call);
    }
}

/// The end rule, applied after `leaver` left.
fn call_is_over(call: &Call, leaver: &str) -> bool {
    call.call_type == CallType::Single
        || call.present().count() < 2
        || (leaver == call.caller && !call.is_connected())
}
