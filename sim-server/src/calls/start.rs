//! Placing a call: the server's checks, the call id, and who starts ringing.

use nccall_protocol::{
    CallType, CallUserState, ErrorCode, ServerEvent, StartCallParams, StartCallResult,
};

use super::{Call, CallTable, Member, Refusal, UserKey};
use crate::clock::Millis;
use crate::fixtures::AppFixture;

/// Largest `extra` a caller may attach, in bytes.
pub const MAX_EXTRA_BYTES: usize = 4096;

impl CallTable {
    /// Places a call from `caller`. `is_online` tells whether a user has a live
    /// connection now: an online callee rings at once, an offline one stays
    /// INVITED until a device of theirs connects.
    pub fn start(
        &mut self,
        now: Millis,
        app: &AppFixture,
        caller: &str,
        params: StartCallParams,
        is_online: &dyn Fn(&str) -> bool,
    ) -> Result<StartCallResult, Refusal> {
        validate(app, caller, &params)?;
        let caller_key = UserKey::new(&app.app_key, caller);
        if let Some(existing) = self.calls_of(&caller_key).next() {
            return Err((
                ErrorCode::SessionExist,
                format!("{caller} is already in call {}", existing.id),
            ));
        }

        self.next_call_number += 1;
        let call_id = format!("call-{}", self.next_call_number);
        let mut members = vec![Member::new(
            caller,
            CallUserState::Calling,
            params.media_type,
        )];
        for callee in &params.callee_ids {
            let state = if is_online(callee) {
                CallUserState::Ringing
            } else {
                CallUserState::Invited
            };
            members.push(Member::new(callee, state, params.media_type));
        }
        let call = Call {
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
            ring_deadline: Some(now.saturating_add(app.ring_timeout_ms())),
        };

        for callee in call.members.iter().skip(1) {
            self.note(
                &call.app,
                &callee.user_id,
                ServerEvent::CallReceived {
                    call_id: call.id.clone(),
                    call_type: call.call_type,
                    media_type: call.media_type,
                    caller_user_id: call.caller.clone(),
                    inviter_user_id: call.inviter.clone(),
                    participants: call.participants(),
                    extra: call.extra.clone(),
                    target_id: call.target_id.clone(),
                },
            );
            self.note(
                &call.app,
                caller,
                ServerEvent::RemoteUserStateChanged {
                    call_id: call.id.clone(),
                    user_id: callee.user_id.clone(),
                    user_state: callee.state,
                    reason: None,
                },
            );
        }
        self.insert(call);
        Ok(StartCallResult {
            call_id,
            busy_line_user_list: Vec::new(),
        })
    }
}

/// Checks that need nothing but the request and the app's user list.
fn validate(app: &AppFixture, caller: &str, params: &StartCallParams) -> Result<(), Refusal> {
    params.check_callees(caller)?;
    if params.call_type == CallType::Group {
        return Err((
            ErrorCode::Unsupported,
            "group calls are not implemented by this simulator yet".into(),
        ));
    }
    let callees = &params.callee_ids;
    if let Some(unknown) = callees.iter().find(|id| !app.has_user(id)) {
        return Err((
            ErrorCode::UserIdInvalid,
            format!("no user {unknown} in app {}", app.app_key),
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
