//! One call as the server holds it: who is in it, in which state, since when.

use nccall_protocol::{
    CallEndReason, CallInfo, CallMediaType, CallType, CallUserState, Participant, PushConfig,
};

use super::DeviceId;
use crate::clock::Millis;

/// One call in progress, as the server holds it.
#[derive(Debug, Clone)]
pub struct Call {
    /// The call's id.
    pub id: String,
    /// The app it belongs to.
    pub app: String,
    /// One-to-one (`SINGLE`) or group (`MULTI`).
    pub call_type: CallType,
    /// Audio, or audio and video.
    pub media_type: CallMediaType,
    /// Who placed it.
    pub caller: String,
    /// Who placed the call; an invitee's `inviterUserId` is who invited them.
    pub inviter: String,
    /// The caller's free-form text, passed through untouched.
    pub extra: Option<String>,
    /// The app's own id for the call's target (a group, a room), passed through.
    pub target_id: Option<String>,
    /// How the callee's push notification reads, when they are offline.
    pub push_config: Option<PushConfig>,
    /// The caller first, then callees and invitees in the order they came.
    /// Members who left stay, in state ENDED, for the record.
    pub members: Vec<Member>,
    /// When it was placed.
    pub created_at: Millis,
    /// Billing start: set once, by the server clock, when the call connects.
    pub start_time: Option<Millis>,
    /// The media-type change waiting for an answer, if any (one per call).
    pub pending_change: Option<PendingChange>,
}

/// A media-type change request waiting for the other side.
#[derive(Debug, Clone)]
pub struct PendingChange {
    pub transaction_id: String,
    pub requester: String,
    pub media_type: CallMediaType,
    /// When it gives up unanswered (TIMEOUT).
    pub deadline: Millis,
}

/// One member of a call and where they are in it.
#[derive(Debug, Clone)]
pub struct Member {
    /// The user this is about.
    pub user_id: String,
    /// Their state (RINGING, CONNECTED, ENDED, ...).
    pub state: CallUserState,
    /// Who invited this member (the caller for the first callees).
    pub inviter: String,
    /// The member's camera switch; video flows only in AUDIO_VIDEO calls.
    pub camera_on: bool,
    /// The member's microphone switch.
    pub microphone_on: bool,
    /// The device the member is in the call on; `None` while it rings on all.
    pub device: Option<DeviceId>,
    /// When the member stops ringing if they do not answer.
    pub ring_deadline: Option<Millis>,
    /// Set when the member left, from the member's own point of view.
    pub end_reason: Option<CallEndReason>,
    /// The furthest state the member reached (for call logs).
    pub reached: CallUserState,
    /// When the member was last connected (for the log's duration).
    pub joined_at: Option<Millis>,
    /// When the member left (or the call ended for them).
    pub left_at: Option<Millis>,
}

impl Member {
    /// A member with camera and microphone switched on (until they say otherwise).
    pub fn new(user_id: &str, inviter: &str, state: CallUserState) -> Self {
        Member {
            user_id: user_id.to_string(),
            state,
            inviter: inviter.to_string(),
            camera_on: true,
            microphone_on: true,
            device: None,
            ring_deadline: None,
            end_reason: None,
            reached: state,
            joined_at: None,
            left_at: None,
        }
    }

    /// Still part of the call: calling, ringing or connected.
    pub fn is_present(&self) -> bool {
        self.state != CallUserState::Ended
    }

    /// Invited and not answered yet.
    pub fn is_ringing(&self) -> bool {
        matches!(
            self.state,
            CallUserState::Invited | CallUserState::Ringing | CallUserState::BusylineRinging
        )
    }
}

impl Call {
    /// Whether the call connected (its billing started).
    pub fn is_connected(&self) -> bool {
        self.start_time.is_some()
    }

    /// The member with this user id, present or not.
    pub fn member(&self, user_id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.user_id == user_id)
    }

    /// As [`Call::member`], to change.
    pub fn member_mut(&mut self, user_id: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.user_id == user_id)
    }

    /// The members who have not left.
    pub fn present(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.is_present())
    }

    /// Whether the member's camera sends video: switched on, in a video call.
    pub fn camera_sends(&self, member: &Member) -> bool {
        member.camera_on && self.media_type == CallMediaType::AudioVideo
    }

    /// The participant list as the protocol describes it: present members.
    pub fn participants(&self) -> Vec<Participant> {
        self.present()
            .map(|m| Participant {
                user_id: m.user_id.clone(),
                user_state: m.state,
                camera_enabled: self.camera_sends(m),
                microphone_enabled: m.microphone_on,
            })
            .collect()
    }

    /// The call as `joinCall` returns it.
    pub fn info(&self) -> CallInfo {
        CallInfo {
            call_id: self.id.clone(),
            call_type: self.call_type,
            media_type: self.media_type,
            caller_user_id: self.caller.clone(),
            inviter_user_id: self.inviter.clone(),
            participants: self.participants(),
        }
    }
}
