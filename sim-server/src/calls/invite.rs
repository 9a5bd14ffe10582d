//! Inviting users into a call. Inviting into a one-to-one call makes it a
//! group call first (onCallTypeChanged to everyone in it); the members
//! already in the call learn who was invited (onRemoteUserInvited, not sent
//! to the inviter) and then see each invitee ring.

use std::collections::HashSet;

use nccall_protocol::{CallType, CallUserState, ErrorCode, InviteToCallResult, ServerEvent};

use super::busy::Reach;
use super::{Actor, CallTable, Member, Refusal};
use crate::clock::Millis;
use crate::fixtures::AppFixture;

impl CallTable {
    /// `inviteToCall` by `actor`: the invitees ring (busy ones as the app's
    /// busy policy says); a one-to-one call becomes a group call.
    pub fn invite(
        &mut self,
        now: Millis,
        app: &AppFixture,
        actor: &Actor,
        call_id: &str,
        user_ids: Vec<String>,
        is_online: &dyn Fn(&str) -> bool,
    ) -> Result<InviteToCallResult, Refusal> {
        let inviter = actor.user.user.as_str();
        let call = self.call_of_member(&actor.user, call_id)?;
        if call.member(inviter).is_some_and(|m| m.is_ringing()) {
            return Err((
                ErrorCode::CallStateInvalid,
                format!("{inviter} must answer call {call_id} before inviting others"),
            ));
        }
        let mut seen = HashSet::new();
        if user_ids.is_empty()
            || user_ids
                .iter()
                .any(|u| u.is_empty() || !seen.insert(u.as_str()))
        {
            return Err((
                ErrorCode::UserListInvalid,
                format!("userIds must be non-empty, without empty or repeated ids: {user_ids:?}"),
            ));
        }
        if let Some(unknown) = user_ids.iter().find(|u| !app.has_user(u)) {
            return Err((
                ErrorCode::UserIdInvalid,
                format!("no user {unknown} in app {}", app.app_key),
            ));
        }
        if let Some(present) = user_ids
            .iter()
            .find(|u| call.member(u).is_some_and(Member::is_present))
        {
            return Err((
                ErrorCode::UserAlreadyInCall,
                format!("{present} is already in call {call_id}"),
            ));
        }
        if let Some(pending) = &call.pending_change {
            return Err((
                ErrorCode::MediaTypeChangePending,
                format!(
                    "a media type change ({}) is pending in call {call_id}; invite once it is answered",
                    pending.transaction_id
                ),
            ));
        }
        let total = call.present().count() + user_ids.len();
        if total > app.max_participants {
            return Err((
                ErrorCode::ParticipantLimitExceeded,
                format!(
                    "call {call_id} would have {total} participants; app {} allows {}",
                    app.app_key, app.max_participants
                ),
            ));
        }

        let mut busy = Vec::new();
        let mut invited = Vec::new();
        for user in &user_ids {
            let state = match self.reach(&app.app_key, user, app.busy_policy, Some(call_id)) {
                Reach::Free if is_online(user) => CallUserState::Ringing,
                Reach::Free => CallUserState::Invited,
                Reach::BusyRinging(entry) => {
                    busy.push(entry);
                    CallUserState::BusylineRinging
                }
                Reach::BusyLeftOut(entry) => {
                    busy.push(entry);
                    continue;
                }
            };
            invited.push((user.clone(), state));
        }
        if invited.is_empty() {
            return Ok(InviteToCallResult {
                busy_line_user_list: busy,
            });
        }

        let Some(call) = self.calls.get_mut(call_id) else {
            return Err((ErrorCode::CallIdInvalid, format!("no call {call_id}")));
        };
        let upgraded = call.call_type == CallType::Single;
        call.call_type = CallType::Group;
        let before = call.clone();
        if upgraded {
            for m in before.present() {
                let event = ServerEvent::CallTypeChanged {
                    call_id: call_id.to_string(),
                    call_type: CallType::Group,
                };
                self.note_member(&before, &m.user_id, event);
            }
        }
        let names: Vec<String> = invited.iter().map(|(u, _)| u.clone()).collect();
        for m in before.present().filter(|m| m.user_id != inviter) {
            let event = ServerEvent::RemoteUserInvited {
                call_id: call_id.to_string(),
                invitee_user_list: names.clone(),
                inviter_user_id: inviter.to_string(),
            };
            self.note_member(&before, &m.user_id, event);
        }

        let deadline = now.saturating_add(app.ring_timeout_ms());
        if let Some(call) = self.calls.get_mut(call_id) {
            for (user, state) in &invited {
                let mut member = Member::new(user, inviter, *state);
                member.ring_deadline = Some(deadline);
                match call.members.iter_mut().find(|m| m.user_id == *user) {
                    Some(old) => *old = member, // invited again after leaving
                    None => call.members.push(member),
                }
            }
        }
        for (user, _) in &invited {
            self.index(&app.app_key, user, call_id);
        }
        self.ring(call_id, &names);
        Ok(InviteToCallResult {
            busy_line_user_list: busy,
        })
    }
}
