//! Accepting a call: the member connects, the first answer fixes the billing
//! start time (one value, sent to everyone), the member's other devices stop
//! ringing (ACCEPT_BY_OTHER_CLIENT), and any call the member was still in is
//! ended first (preemption). The spec has the SDK hang up its current call
//! before it answers, so from the same device there is normally nothing
//! left to end; what is left is ended as that hang-up would have been
//! (HANGUP, the others REMOTE_HANGUP: the ancestor's reasons). A call on
//! another device of the member ends there with OTHER_CLIENT_JOINED_CALL
//! (the others REMOTE_OTHER_CLIENT_JOINED_CALL), as in the ancestor.

use nccall_protocol::{CallEndReason, CallUserState, ErrorCode, MediaState, ServerEvent};

use super::{Actor, CallTable, DeviceId, Refusal, Target};
use crate::clock::Millis;

impl CallTable {
    /// `acceptCall` by `actor`: the call connects for them (and for the caller
    /// if it was ringing); their other devices stop ringing.
    pub fn accept(
        &mut self,
        now: Millis,
        actor: &Actor,
        call_id: &str,
        media: MediaState,
    ) -> Result<(), Refusal> {
        let user = actor.user.user.as_str();
        let call = self.call_of_member(&actor.user, call_id)?;
        if !call.member(user).is_some_and(|m| m.is_ringing()) {
            return Err((
                ErrorCode::CallStateInvalid,
                format!("call {call_id} is not ringing for {user}"),
            ));
        }
        self.preempt(now, actor, call_id);
        self.set_switches(call_id, user, media);
        self.connect_member(now, call_id, user, actor.device);
        Ok(())
    }

    /// Ends the actor's part in every other call they are in (not merely
    /// ringing in): only one call is active at a time, and there is no hold.
    pub(super) fn preempt(&mut self, now: Millis, actor: &Actor, keep: &str) {
        let user = actor.user.user.as_str();
        let others: Vec<(String, bool)> = self
            .calls_of(&actor.user)
            .filter_map(|c| {
                let member = c.member(user).filter(|m| !m.is_ringing())?;
                let elsewhere = member.device.is_some_and(|d| d != actor.device);
                (c.id != keep).then(|| (c.id.clone(), elsewhere))
            })
            .collect();
        for (other, elsewhere) in others {
            let reason = if elsewhere {
                CallEndReason::OtherClientJoinedCall
            } else {
                CallEndReason::Hangup
            };
            self.leave(now, &other, user, reason, Some(actor.device), None);
        }
    }

    /// Records the member's camera and microphone switches as they enter the call.
    pub(super) fn set_switches(&mut self, call_id: &str, user: &str, media: MediaState) {
        if let Some(m) = self.calls.get_mut(call_id).and_then(|c| c.member_mut(user)) {
            m.camera_on = media.camera_enabled;
            m.microphone_on = media.microphone_enabled;
        }
    }

    /// Puts `user` on the call on `device`; the first to connect also
    /// connects the caller and starts billing.
    pub(super) fn connect_member(
        &mut self,
        now: Millis,
        call_id: &str,
        user: &str,
        device: DeviceId,
    ) {
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        let mut joined = vec![user.to_string()];
        if call.start_time.is_none() {
            call.start_time = Some(now);
            self.connected_total += 1;
            let caller = call.caller.clone();
            if let Some(c) = call
                .member_mut(&caller)
                .filter(|c| c.state == CallUserState::Calling)
            {
                c.state = CallUserState::OnCall;
                c.reached = CallUserState::OnCall;
                c.joined_at = Some(now);
                joined.push(caller);
            }
        }
        if let Some(m) = call.member_mut(user) {
            m.state = CallUserState::OnCall;
            m.reached = CallUserState::OnCall;
            m.joined_at = Some(now);
            m.device = Some(device);
            m.ring_deadline = None;
        }
        let call = call.clone();
        let start_time = call.start_time.unwrap_or(now);

        self.note_to(
            &call.app,
            user,
            Target::OtherDevices(device),
            ServerEvent::CallEnded {
                call_id: call.id.clone(),
                reason: CallEndReason::AcceptByOtherClient,
                end_time: now,
            },
            None,
        );
        for id in &joined {
            self.broadcast_state(&call, id, CallUserState::OnCall, None);
        }
        for id in &joined {
            let connected = ServerEvent::CallConnected {
                call_id: call.id.clone(),
                participants: call.participants(),
            };
            self.note_member(&call, id, connected);
            let start = ServerEvent::StartTimeReceived {
                call_id: call.id.clone(),
                start_time,
            };
            self.note_member(&call, id, start);
        }
    }
}
