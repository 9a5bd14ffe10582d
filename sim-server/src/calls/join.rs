//! Joining an ongoing group call directly, by its id: any user of the app
//! may join (e.g. after finding it with the ongoing-calls query), within the
//! participant limit. One-to-one calls cannot be joined.

use nccall_protocol::{CallInfo, CallType, CallUserState, ErrorCode, MediaState};

use super::{Actor, CallTable, Member, Refusal};
use crate::clock::Millis;
use crate::fixtures::AppFixture;

impl CallTable {
    /// `joinCall` by `actor`: they enter a group call they were not rung for.
    pub fn join(
        &mut self,
        now: Millis,
        app: &AppFixture,
        actor: &Actor,
        call_id: &str,
        media: MediaState,
    ) -> Result<CallInfo, Refusal> {
        let user = actor.user.user.as_str();
        let call = self
            .calls
            .get(call_id)
            .filter(|c| c.app == app.app_key)
            .ok_or_else(|| {
                (
                    ErrorCode::CallIdInvalid,
                    format!("no ongoing call {call_id}"),
                )
            })?;
        if call.call_type == CallType::Single {
            return Err((
                ErrorCode::SingleCallNotSupportMultiPerson,
                format!("call {call_id} is one-to-one; only group calls can be joined"),
            ));
        }
        match call.member(user).filter(|m| m.is_present()) {
            Some(m) if m.is_ringing() => {
                return Err((
                    ErrorCode::CallStateInvalid,
                    format!("call {call_id} rings for {user}: accept it instead"),
                ));
            }
            Some(_) => {
                return Err((
                    ErrorCode::UserAlreadyInCall,
                    format!("{user} is already in call {call_id}"),
                ));
            }
            None => {}
        }
        if call.present().count() + 1 > app.max_participants {
            return Err((
                ErrorCode::ParticipantLimitExceeded,
                format!(
                    "call {call_id} is full ({} participants)",
                    app.max_participants
                ),
            ));
        }
        if let Some(other) = self
            .busy_state(&actor.user, Some(call_id))
            .map(|s| s.name())
        {
            return Err((
                ErrorCode::SessionExist,
                format!("{user} is in another call ({other}); end it before joining"),
            ));
        }

        if let Some(call) = self.calls.get_mut(call_id) {
            let inviter = call.caller.clone();
            let mut member = Member::new(user, &inviter, CallUserState::Connecting);
            member.camera_on = media.camera_enabled;
            member.microphone_on = media.microphone_enabled;
            match call.members.iter_mut().find(|m| m.user_id == user) {
                Some(old) => *old = member, // rejoining after leaving
                None => call.members.push(member),
            }
        }
        self.index(&app.app_key, user, call_id);
        self.connect_member(now, call_id, user, actor.device);
        self.calls
            .get(call_id)
            .map(|c| c.info())
            .ok_or_else(|| (ErrorCode::CallIdInvalid, format!("call {call_id} ended")))
    }
}
