//! Camera and microphone switches, and media-type change in one-to-one calls.
//!
//! **Switches.** A member's camera sends video when it is switched on *and*
//! the call is AUDIO_VIDEO; the others get `remoteCameraStateChanged` when
//! that changes (by a switch or by a media-type change), and
//! `remoteMicrophoneStateChanged` when the microphone switch changes.
//!
//! **Media-type change rules.**
//! - One-to-one calls only (GROUP_CALL_NOT_SUPPORTED), once connected
//!   (CALL_STATE_INVALID), to a media type the call does not have already
//!   (MEDIATYPE_INVALID).
//! - One pending request per call: a second one, from either side, is
//!   refused with MEDIA_TYPE_CHANGE_PENDING. When both sides ask at the same
//!   instant, the first to reach the server is the request; the other is
//!   refused, and may answer the first.
//! - Only the requester may cancel, only the other side may reply, and only
//!   with the pending transaction id (TRANSACTION_ID_INVALID otherwise, also
//!   for a stale id). Cancel → CANCELED; reply no → REJECTED; reply yes →
//!   ALLOWED and the call's media type changes. Both sides get the result.
//! - Unanswered for 60 s (the ancestor's reply timeout) → TIMEOUT.
//! - The call ending while a request is pending drops it: no result after
//!   `onCallEnded`. Inviting into the call while one is pending is refused
//!   (MEDIA_TYPE_CHANGE_PENDING), so a request never outlives its 1-to-1 call.

use nccall_protocol::{
    CallMediaType, CallType, CallUserState, ErrorCode, MediaTypeChangeResult,
    ReplyChangeMediaTypeParams, RequestChangeMediaTypeParams, RequestChangeMediaTypeResult,
    ServerEvent, SetMediaStateParams, TransactionParams,
};

use super::{Actor, Call, CallTable, PendingChange, Refusal};
use crate::clock::Millis;

/// How long a media-type change request waits for an answer: the ancestor's 60 s.
pub const MEDIA_TYPE_CHANGE_TIMEOUT_MS: Millis = 60_000;

impl CallTable {
    /// `setMediaState`: a member switched their camera or microphone; the
    /// others are told.
    pub fn set_media_state(
        &mut self,
        actor: &Actor,
        p: SetMediaStateParams,
    ) -> Result<(), Refusal> {
        let user = actor.user.user.as_str();
        self.call_of_member(&actor.user, &p.call_id)?;
        let Some(call) = self.calls.get_mut(&p.call_id) else {
            return Ok(());
        };
        let before = call.clone();
        if let Some(m) = call.member_mut(user) {
            if let Some(on) = p.camera_enabled {
                m.camera_on = on;
            }
            if let Some(on) = p.microphone_enabled {
                m.microphone_on = on;
            }
        }
        let after = call.clone();
        self.announce_switches(&before, &after);
        Ok(())
    }

    /// `requestChangeMediaType`: the other side is asked; the request times
    /// out after 60 s (the ancestor's timeout).
    pub fn request_media_change(
        &mut self,
        now: Millis,
        actor: &Actor,
        p: RequestChangeMediaTypeParams,
    ) -> Result<RequestChangeMediaTypeResult, Refusal> {
        let user = actor.user.user.as_str();
        let call = self.call_of_member(&actor.user, &p.call_id)?;
        if call.call_type == CallType::Group {
            return Err((
                ErrorCode::GroupCallNotSupported,
                "media type can only be changed in a one-to-one call".into(),
            ));
        }
        if !call.is_connected()
            || call
                .member(user)
                .is_some_and(|m| m.state != CallUserState::OnCall)
        {
            return Err((
                ErrorCode::CallStateInvalid,
                format!("call {} is not connected", p.call_id),
            ));
        }
        if let Some(pending) = &call.pending_change {
            return Err((
                ErrorCode::MediaTypeChangePending,
                format!(
                    "{} already asked to change to {} ({})",
                    pending.requester,
                    pending.media_type.name(),
                    pending.transaction_id
                ),
            ));
        }
        if call.media_type == p.media_type {
            return Err((
                ErrorCode::MediaTypeInvalid,
                format!("call {} is already {}", p.call_id, p.media_type.name()),
            ));
        }
        self.next_transaction_number += 1;
        let transaction_id = format!("tx-{}", self.next_transaction_number);
        let Some(call) = self.calls.get_mut(&p.call_id) else {
            return Err((ErrorCode::CallIdInvalid, format!("no call {}", p.call_id)));
        };
        call.pending_change = Some(PendingChange {
            transaction_id: transaction_id.clone(),
            requester: user.to_string(),
            media_type: p.media_type,
            deadline: now.saturating_add(MEDIA_TYPE_CHANGE_TIMEOUT_MS),
        });
        let call = call.clone();
        let others: Vec<String> = call
            .present()
            .filter(|m| m.user_id != user)
            .map(|m| m.user_id.clone())
            .collect();
        for other in others {
            let event = ServerEvent::MediaTypeChangeRequestReceived {
                call_id: call.id.clone(),
                user_id: user.to_string(),
                transaction_id: transaction_id.clone(),
                media_type: p.media_type,
            };
            self.note_member(&call, &other, event);
        }
        Ok(RequestChangeMediaTypeResult { transaction_id })
    }

    /// `cancelChangeMediaType` by the requester.
    pub fn cancel_media_change(
        &mut self,
        actor: &Actor,
        p: TransactionParams,
    ) -> Result<(), Refusal> {
        let pending = self.pending_for(actor, &p.call_id, &p.transaction_id)?;
        if pending.requester != actor.user.user {
            return Err((
                ErrorCode::TransactionIdInvalid,
                format!("only {} may cancel {}", pending.requester, p.transaction_id),
            ));
        }
        self.settle_media_change(&p.call_id, MediaTypeChangeResult::Canceled);
        Ok(())
    }

    /// `replyChangeMediaType` by the other side: agreed changes the call.
    pub fn reply_media_change(
        &mut self,
        actor: &Actor,
        p: ReplyChangeMediaTypeParams,
    ) -> Result<(), Refusal> {
        let pending = self.pending_for(actor, &p.call_id, &p.transaction_id)?;
        if pending.requester == actor.user.user {
            return Err((
                ErrorCode::TransactionIdInvalid,
                format!(
                    "{} is your own request; the other side answers it",
                    p.transaction_id
                ),
            ));
        }
        let result = if p.is_agreed {
            MediaTypeChangeResult::Allowed
        } else {
            MediaTypeChangeResult::Rejected
        };
        self.settle_media_change(&p.call_id, result);
        Ok(())
    }

    /// Requests past their deadline end with TIMEOUT.
    pub(super) fn expire_media_changes(&mut self, now: Millis) {
        let due: Vec<String> = self
            .calls
            .values()
            .filter(|c| c.pending_change.as_ref().is_some_and(|p| p.deadline <= now))
            .map(|c| c.id.clone())
            .collect();
        for call_id in due {
            self.settle_media_change(&call_id, MediaTypeChangeResult::Timeout);
        }
    }

    fn pending_for(
        &self,
        actor: &Actor,
        call_id: &str,
        transaction_id: &str,
    ) -> Result<PendingChange, Refusal> {
        let call = self.call_of_member(&actor.user, call_id)?;
        call.pending_change
            .clone()
            .filter(|p| p.transaction_id == transaction_id)
            .ok_or_else(|| {
                (
                    ErrorCode::TransactionIdInvalid,
                    format!("no pending media type change {transaction_id:?} in call {call_id}"),
                )
            })
    }

    /// Ends the pending request with `result`: both sides are told; ALLOWED
    /// changes the media type, and cameras that start or stop sending are
    /// announced after the result.
    fn settle_media_change(&mut self, call_id: &str, result: MediaTypeChangeResult) {
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        let Some(pending) = call.pending_change.take() else {
            return;
        };
        let before = call.clone();
        if result == MediaTypeChangeResult::Allowed {
            call.media_type = pending.media_type;
        }
        let after = call.clone();
        let users: Vec<String> = after.present().map(|m| m.user_id.clone()).collect();
        for user in &users {
            let event = ServerEvent::MediaTypeChangeResultReceived {
                call_id: after.id.clone(),
                user_id: pending.requester.clone(),
                transaction_id: pending.transaction_id.clone(),
                media_type: after.media_type,
                result,
            };
            self.note_member(&after, user, event);
        }
        self.announce_switches(&before, &after);
    }

    /// Tells the others about every camera or microphone whose sending state
    /// differs between `before` and `after`.
    fn announce_switches(&mut self, before: &Call, after: &Call) {
        for m in after.present() {
            let Some(old) = before.member(&m.user_id) else {
                continue;
            };
            let camera =
                (before.camera_sends(old) != after.camera_sends(m)).then(|| !after.camera_sends(m));
            let microphone = (old.microphone_on != m.microphone_on).then_some(!m.microphone_on);
            for other in after.present().filter(|o| o.user_id != m.user_id) {
                if let Some(disabled) = camera {
                    let event = ServerEvent::RemoteCameraStateChanged {
                        call_id: after.id.clone(),
                        user_id: m.user_id.clone(),
                        disabled,
                    };
                    self.note_member(after, &other.user_id, event);
                }
                if let Some(disabled) = microphone {
                    let event = ServerEvent::RemoteMicrophoneStateChanged {
                        call_id: after.id.clone(),
                        user_id: m.user_id.clone(),
                        disabled,
                    };
                    self.note_member(after, &other.user_id, event);
                }
            }
        }
    }
}

impl Call {
    /// Whether a media type would need video.
    pub fn is_video(&self) -> bool {
        self.media_type == CallMediaType::AudioVideo
    }
}
