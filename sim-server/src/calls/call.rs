//! One call as the server holds it: who is in it, in which state, since when.

use nccall_protocol::{
    CallEndReason, CallMediaType, CallType, CallUserState, Participant, PushConfig,
};

use crate::clock::Millis;

#[derive(Debug, Clone)]
pub struct Call {
    pub id: String,
    pub app: String,
    pub call_type: CallType,
    pub media_type: CallMediaType,
    pub caller: String,
    pub inviter: String,
    pub extra: Option<String>,
    pub target_id: Option<String>,
    pub push_config: Option<PushConfig>,
    /// The caller first, then the callees in the order they were asked for.
    pub members: Vec<Member>,
    pub created_at: Millis,
    /// Billing start: set once, by the server clock, when the call connects.
    pub start_time: Option<Millis>,
    /// When an unanswered call gives up ringing.
    pub ring_deadline: Option<Millis>,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: String,
    pub state: CallUserState,
    pub camera_enabled: bool,
    pub microphone_enabled: bool,
    /// Set when the member left, from the member's own point of view.
    pub end_reason: Option<CallEndReason>,
}

impl Member {
    pub fn new(user_id: &str, state: CallUserState, media_type: CallMediaType) -> Self {
        Member {
            user_id: user_id.to_string(),
            state,
            camera_enabled: media_type == CallMediaType::AudioVideo,
            microphone_enabled: true,
            end_reason: None,
        }
    }

    pub fn is_present(&self) -> bool {
        self.state != CallUserState::Ended
    }
}

impl Call {
    pub fn is_connected(&self) -> bool {
        self.start_time.is_some()
    }

    pub fn member(&self, user_id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.user_id == user_id)
    }

    pub fn member_mut(&mut self, user_id: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.user_id == user_id)
    }

    /// Members other than `user_id` who have not left.
    pub fn others_present<'a>(&'a self, user_id: &'a str) -> impl Iterator<Item = &'a Member> + 'a {
        self.members
            .iter()
            .filter(move |m| m.user_id != user_id && m.is_present())
    }

    /// The participant list as the protocol describes it.
    pub fn participants(&self) -> Vec<Participant> {
        self.members
            .iter()
            .map(|m| Participant {
                user_id: m.user_id.clone(),
                user_state: m.state,
                camera_enabled: m.camera_enabled,
                microphone_enabled: m.microphone_enabled,
            })
            .collect()
    }
}
