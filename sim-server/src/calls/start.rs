//! Placing a call: the server's checks, the call id, and who starts ringing.

use nccall_protocol::{
    CallEndReason, CallUserState, ErrorCode, MediaState, ServerEvent, StartCallParams,
    StartCallResult,
};

use super::busy::Reach;
use super::{Actor, Call, CallTable, Member, Refusal};
use crate::clock::Millis;
use crate::fixtures::AppFixture;

/// Largest `extra` a caller may attach, in bytes.
pub const MAX_EXTRA_BYTES: usize = 4096;

impl CallTable {
    /// Places a call. `is_online` tells whether a user has a live device now:
    /// an online callee rings at once, an offline one stays INVITED (and gets
    /// a push) until a device of theirs connects.
    pub fn start(
        &mut self,
        now: Millis,
        app: &AppFixture,
        actor: &Actor,
        params: StartCallParams,
        media: MediaState,
        is_online: &dyn Fn(&str) -> bool,
    ) -> Result<StartCallResult, Refusal> {
        let caller = actor.user.user.as_str();
        validate(app, caller, &params)?;
        if let Some(existing) = self.calls_of(&actor.user).next() {
            // Glare lands here too: the first call to reach the server wins,
            // and the second caller is told to answer it instead.
            let message = match existing.member(caller) {
                Some(m) if m.is_ringing() => format!(
                    "{caller} has an incoming call {} from {} ringing; answer or reject it first",
                    existing.id, existing.caller
                ),
                _ => format!("{caller} is already in call {}", existing.id),
            };
            return Err((ErrorCode::SessionExist, message));
        }

        self.next_call_number += 1;
        self.placed_total += 1;
        let call_id = format!("call-{}", self.next_call_number);
        let mut caller_member = Member::new(caller, caller, CallUserState::Calling);
        caller_member.device = Some(actor.device);
        caller_member.camera_on = media.camera_enabled;
        caller_member.microphone_on = media.microphone_enabled;
        let mut members = vec![caller_member];
        let mut busy = Vec::new();
        for callee in &params.callee_ids {
            let state = match self.reach(&app.app_key, callee, app.busy_policy, None) {
                Reach::Free if is_online(callee) => CallUserState::Ringing,
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
            let mut member = Member::new(callee, caller, state);
            member.ring_deadline = Some(now.saturating_add(app.ring_timeout_ms()));
            members.push(member);
        }
        let rung: Vec<String> = members.iter().skip(1).map(|m| m.user_id.clone()).collect();
        self.insert(Call {
            id: call_id.clone(),
            app: app.app_key.clone(),
            call_type: params.call_type,
            media_type: params.media_type,
            caller: caller.to_string(),
            inviter: caller.to_string(),
            extra: params.extra,
            target_id: params.target_id,
            push_config: params.push_config,
            members,
            created_at: now,
            start_time: None,
            pending_change: None,
        });

        if rung.is_empty() {
            // Every callee was busy and left out: the call ends at once.
            for entry in &busy {
                let event = ServerEvent::RemoteUserStateChanged {
                    call_id: call_id.clone(),
                    user_id: entry.user_id.clone(),
                    user_state: CallUserState::Ended,
                    reason: Some(CallEndReason::RemoteBusyLine),
                };
                if let Some(call) = self.calls.get(&call_id).cloned() {
                    self.note_member(&call, caller, event);
                }
            }
            self.end_for_all(now, &call_id, CallEndReason::RemoteBusyLine, None);
        } else {
            self.ring(&call_id, &rung);
        }
        Ok(StartCallResult {
            call_id,
            busy_line_user_list: busy,
        })
    }

    /// Tells each of `users` that the call rings for them, and everyone else
    /// in the call that they ring.
    pub(super) fn ring(&mut self, call_id: &str, users: &[String]) {
        let Some(call) = self.calls.get(call_id).cloned() else {
            return;
        };
        for user in users {
            let Some(member) = call.member(user) else {
                continue;
            };
            let event = call_received(&call, member);
            self.note_to(
                &call.app,
                user,
                super::Target::AllDevices,
                event,
                Some(call.push_config.clone().unwrap_or_default()),
            );
            self.broadcast_state(&call, user, member.state, None);
        }
    }
}

/// The `callReceived` event for one member of a call.
pub(super) fn call_received(call: &Call, member: &Member) -> ServerEvent {
    ServerEvent::CallReceived {
        call_id: call.id.clone(),
        call_type: call.call_type,
        media_type: call.media_type,
        caller_user_id: call.caller.clone(),
        inviter_user_id: member.inviter.clone(),
        participants: call.participants(),
        extra: call.extra.clone(),
        target_id: call.target_id.clone(),
    }
}

/// Checks that need nothing but the request and the app's settings.
fn validate(app: &AppFixture, caller: &str, params: &StartCallParams) -> Result<(), Refusal> {
    params.check_callees(caller)?;
    if let Some(push) = &params.push_config {
        push.validate()?;
    }
    let callees = &params.callee_ids;
    if let Some(unknown) = callees.iter().find(|id| !app.has_user(id)) {
        return Err((
            ErrorCode::UserIdInvalid,
            format!("no user {unknown} in app {}", app.app_key),
        ));
    }
    if callees.len() + 1 > app.max_participants {
        return Err((
            ErrorCode::ParticipantLimitExceeded,
            format!(
                "{} participants asked for; app {} allows {}",
                callees.len() + 1,
                app.app_key,
                app.max_participants
            ),
        ));
    }
    if params
        .extra
        .as_ref()
        .is_some_and(|e| e.len() > MAX_EXTRA_BYTES)
    {
        return Err((
            ErrorCode::ParamError,
            format!("extra is longer than {MAX_EXTRA_BYTES} bytes"),
        ));
    }
    Ok(())
}
