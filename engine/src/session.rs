//! `NCCallSession`: a call as this device sees it.
//!
//! A [`CallSession`] is a snapshot: the engine hands out a copy with each event
//! and from [`crate::CallEngine::get_current_call_session`], so a value never
//! changes under the app's feet. Ask the engine again for a fresh one.

use nccall_protocol::{CallMediaType, CallState, CallType, CallUserState, Participant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSession {
    pub(crate) call_id: String,
    pub(crate) call_state: CallState,
    pub(crate) call_type: CallType,
    pub(crate) media_type: CallMediaType,
    pub(crate) remote_participants: Vec<RemoteParticipant>,
    pub(crate) caller_user_id: String,
    pub(crate) inviter_user_id: String,
    pub(crate) start_time: Option<i64>,
}

impl CallSession {
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    pub fn call_state(&self) -> CallState {
        self.call_state
    }

    pub fn call_type(&self) -> CallType {
        self.call_type
    }

    pub fn media_type(&self) -> CallMediaType {
        self.media_type
    }

    /// Everyone in the call but the local user.
    pub fn remote_participants(&self) -> &[RemoteParticipant] {
        &self.remote_participants
    }

    pub fn caller_user_id(&self) -> &str {
        &self.caller_user_id
    }

    pub fn inviter_user_id(&self) -> &str {
        &self.inviter_user_id
    }

    /// Billing start time from the server (ms since the Unix epoch), once connected.
    pub fn start_time(&self) -> Option<i64> {
        self.start_time
    }

    pub(crate) fn participant_mut(&mut self, user_id: &str) -> Option<&mut RemoteParticipant> {
        self.remote_participants
            .iter_mut()
            .find(|p| p.user_id == user_id)
    }

    /// Replaces the remote participant list with the server's, minus `me`.
    pub(crate) fn set_participants(&mut self, me: &str, all: &[Participant]) {
        self.remote_participants = all
            .iter()
            .filter(|p| p.user_id != me)
            .map(RemoteParticipant::from)
            .collect();
    }
}

/// One remote participant: `userId`, `userState`, `isCameraEnabled`, `isMicrophoneEnabled`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteParticipant {
    pub(crate) user_id: String,
    pub(crate) user_state: CallUserState,
    pub(crate) camera_enabled: bool,
    pub(crate) microphone_enabled: bool,
}

impl RemoteParticipant {
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    pub fn user_state(&self) -> CallUserState {
        self.user_state
    }

    pub fn is_camera_enabled(&self) -> bool {
        self.camera_enabled
    }

    pub fn is_microphone_enabled(&self) -> bool {
        self.microphone_enabled
    }
}

impl From<&Participant> for RemoteParticipant {
    fn from(p: &Participant) -> Self {
        RemoteParticipant {
            user_id: p.user_id.clone(),
            user_state: p.user_state,
            camera_enabled: p.camera_enabled,
            microphone_enabled: p.microphone_enabled,
        }
    }
}
