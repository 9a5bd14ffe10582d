//! `NCCallSession`: a call as this device sees it.
//!
//! A [`CallSession`] is a snapshot: the engine hands out a copy with each event
//! and from [`crate::CallEngine::get_current_call_session`], so a value never
//! changes under the app's feet. Ask the engine again for a fresh one.

use nccall_protocol::{CallMediaType, CallState, CallType, CallUserState, Participant};
use serde::{Deserialize, Serialize};

/// On the wire (the driver protocol) a session is the values of its spec
/// getters: `callId`, `callState`, `callType`, `mediaType`,
/// `remoteParticipants`, `callerUserId`, `inviterUserId`, `startTime`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallSession {
    pub(crate) call_id: String,
    pub(crate) call_state: CallState,
    pub(crate) call_type: CallType,
    pub(crate) media_type: CallMediaType,
    pub(crate) remote_participants: Vec<RemoteParticipant>,
    pub(crate) caller_user_id: String,
    pub(crate) inviter_user_id: String,
    pub(crate) start_time: Option<i64>,
    /// What the local log needs that the getters do not show.
    #[serde(skip)]
    pub(crate) record: SessionRecord,
}

/// Facts about a call kept for its local log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SessionRecord {
    pub extra: Option<String>,
    pub target_id: Option<String>,
    /// The furthest state the local user reached.
    pub reached: Option<CallUserState>,
}

impl CallSession {
    /// The call's id.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Where the call is for this user (`NCCallState`).
    pub fn call_state(&self) -> CallState {
        self.call_state
    }

    /// One-to-one or group.
    pub fn call_type(&self) -> CallType {
        self.call_type
    }

    /// Audio, or audio and video (the current type, after any change).
    pub fn media_type(&self) -> CallMediaType {
        self.media_type
    }

    /// Everyone in the call but the local user.
    pub fn remote_participants(&self) -> &[RemoteParticipant] {
        &self.remote_participants
    }

    /// Who placed the call.
    pub fn caller_user_id(&self) -> &str {
        &self.caller_user_id
    }

    /// Who invited this user (the caller unless invited later).
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

    /// Takes the server's participant list (minus `me`), keeping how far
    /// each known participant got.
    pub(crate) fn set_participants(&mut self, me: &str, all: &[Participant]) {
        let old = std::mem::take(&mut self.remote_participants);
        self.remote_participants = all
            .iter()
            .filter(|p| p.user_id != me)
            .map(|p| {
                let mut fresh = RemoteParticipant::from(p);
                if let Some(before) = old.iter().find(|o| o.user_id == p.user_id) {
                    fresh.reached = before.reached;
                    fresh.set_state(p.user_state);
                }
                fresh
            })
            .collect();
        // Participants who left are not in the server's list any more; keep
        // them (ENDED) so the session still shows who took part.
        for gone in old {
            if !self
                .remote_participants
                .iter()
                .any(|p| p.user_id == gone.user_id)
            {
                self.remote_participants.push(gone);
            }
        }
    }
}

/// One remote participant: `userId`, `userState`, `isCameraEnabled`, `isMicrophoneEnabled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteParticipant {
    pub(crate) user_id: String,
    pub(crate) user_state: CallUserState,
    #[serde(rename = "isCameraEnabled")]
    pub(crate) camera_enabled: bool,
    #[serde(rename = "isMicrophoneEnabled")]
    pub(crate) microphone_enabled: bool,
    /// The furthest state this participant reached (for the local log).
    #[serde(skip, default = "not_reached")]
    pub(crate) reached: CallUserState,
}

fn not_reached() -> CallUserState {
    CallUserState::Idle
}

/// How far along a call a state is: INVITED < ringing or calling <
/// connecting < on call. ENDED is no progress.
pub(crate) fn progress(state: CallUserState) -> u8 {
    match state {
        CallUserState::Invited => 1,
        CallUserState::Calling | CallUserState::Ringing | CallUserState::BusylineRinging => 2,
        CallUserState::Connecting => 3,
        CallUserState::OnCall => 4,
        _ => 0,
    }
}

impl RemoteParticipant {
    /// Records a new state, keeping the furthest one reached.
    pub(crate) fn set_state(&mut self, state: CallUserState) {
        self.user_state = state;
        if progress(state) > progress(self.reached) {
            self.reached = state;
        }
    }
    /// The participant's user id.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// Their state in the call now.
    pub fn user_state(&self) -> CallUserState {
        self.user_state
    }

    /// Whether their camera is on.
    pub fn is_camera_enabled(&self) -> bool {
        self.camera_enabled
    }

    /// Whether their microphone is on.
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
            reached: p.user_state,
        }
    }
}
