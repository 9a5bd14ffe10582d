//! The server's events, in order and once each: the sessions they change
//! and the callbacks the app hears; calls this device ended on its own.

use std::collections::{HashSet, VecDeque};

use nccall_protocol::{CallEndReason, CallState, CallType, CallUserState, ServerEvent};

use super::CallMachine;
use crate::call::final_state::final_state;
use crate::call::local_log::local_log;
use crate::events::*;
use crate::session::{CallSession, RemoteParticipant, SessionRecord};

impl CallMachine {
    pub(super) fn handle_event(&mut self, event: ServerEvent) {
        // A call this device ended on its own (disconnect, a refused
        // resume) may still be alive on the server, which announces it
        // again to a new session: the app heard it end, and hears no more
        // of it (the net's property test found the second onCallReceived).
        // Its server log still comes: logs may follow the end.
        if let Some(call_id) = call_of(&event)
            && self.ended_here.contains(call_id)
        {
            return;
        }
        let me = self.user_id.clone().unwrap_or_default();
        match event {
            ServerEvent::CallReceived {
                call_id,
                call_type,
                media_type,
                caller_user_id,
                inviter_user_id,
                participants,
                extra,
                target_id,
            } => {
                // Ringing while another call is active is "busy-line ringing".
                let busy = self
                    .sessions
                    .values()
                    .any(|s| !is_incoming_ringing(s.call_state));
                let mut session = CallSession {
                    call_id: call_id.clone(),
                    call_state: if busy {
                        CallState::BusylineRinging
                    } else {
                        CallState::Ringing
                    },
                    call_type,
                    media_type,
                    remote_participants: Vec::new(),
                    caller_user_id,
                    inviter_user_id,
                    start_time: None,
                    record: SessionRecord {
                        extra: extra.clone(),
                        target_id,
                        reached: Some(if busy {
                            CallUserState::BusylineRinging
                        } else {
                            CallUserState::Ringing
                        }),
                    },
                };
                session.set_participants(&me, &participants);
                if self.current.is_none() {
                    self.current = Some(call_id.clone());
                }
                self.sessions.insert(call_id, session.clone());
                self.emit(CallEvent::CallReceived(CallReceivedEvent {
                    session,
                    extra,
                }));
            }
            ServerEvent::RemoteUserStateChanged {
                call_id,
                user_id,
                user_state,
                reason,
            } => {
                let Some(session) = self.sessions.get_mut(&call_id) else {
                    return;
                };
                match session.participant_mut(&user_id) {
                    Some(p) => p.set_state(user_state),
                    // Someone new (an invitee, a busy callee who rings after
                    // all): add them; someone who never was in it and left
                    // (a busy callee left out) is not a participant.
                    None if user_id != me && user_state != CallUserState::Ended => {
                        session.remote_participants.push(RemoteParticipant {
                            user_id: user_id.clone(),
                            user_state,
                            camera_enabled: session.media_type
                                == nccall_protocol::CallMediaType::AudioVideo,
                            microphone_enabled: true,
                            reached: user_state,
                        })
                    }
                    None => {}
                }
                self.emit(CallEvent::RemoteUserStateChanged(
                    RemoteUserStateChangedEvent {
                        call_id,
                        user_id,
                        user_state,
                        reason,
                    },
                ));
            }
            ServerEvent::CallConnected {
                call_id,
                participants,
            } => {
                let Some(session) = self.sessions.get_mut(&call_id) else {
                    return;
                };
                session.call_state = CallState::OnCall;
                session.record.reached = Some(CallUserState::OnCall);
                session.set_participants(&me, &participants);
                let session = session.clone();
                self.current = Some(call_id);
                self.emit(CallEvent::CallConnected(CallConnectedEvent { session }));
            }
            ServerEvent::StartTimeReceived {
                call_id,
                start_time,
            } => {
                self.server_time = Some(start_time);
                let Some(session) = self.sessions.get_mut(&call_id) else {
                    return;
                };
                session.start_time = Some(start_time);
                self.emit(CallEvent::StartTimeReceived(StartTimeReceivedEvent {
                    start_time,
                }));
            }
            ServerEvent::RemoteUserInvited {
                call_id,
                invitee_user_list,
                inviter_user_id,
            } => {
                if !self.sessions.contains_key(&call_id) {
                    return;
                }
                self.emit(CallEvent::RemoteUserInvited(RemoteUserInvitedEvent {
                    call_id,
                    invitee_user_list,
                    inviter_user_id,
                }));
            }
            ServerEvent::MediaTypeChangeRequestReceived {
                call_id,
                user_id,
                transaction_id,
                media_type,
            } => {
                if !self.sessions.contains_key(&call_id) {
                    return;
                }
                self.emit(CallEvent::MediaTypeChangeRequestReceived(
                    MediaTypeChangeRequestEvent {
                        user_id,
                        transaction_id,
                        media_type,
                    },
                ));
            }
            ServerEvent::MediaTypeChangeResultReceived {
                call_id,
                user_id,
                transaction_id,
                media_type,
                result,
            } => {
                let Some(session) = self.sessions.get_mut(&call_id) else {
                    return;
                };
                // The server sends the call's media type as it is now.
                session.media_type = media_type;
                self.emit(CallEvent::MediaTypeChangeResultReceived(
                    MediaTypeChangeResultEvent {
                        user_id,
                        transaction_id,
                        media_type,
                        result,
                    },
                ));
            }
            ServerEvent::RemoteCameraStateChanged {
                call_id,
                user_id,
                disabled,
            } => {
                let Some(p) = self
                    .sessions
                    .get_mut(&call_id)
                    .and_then(|s| s.participant_mut(&user_id))
                else {
                    return;
                };
                p.camera_enabled = !disabled;
                self.emit(CallEvent::RemoteCameraStateChanged(
                    RemoteDeviceStateEvent {
                        call_id,
                        user_id,
                        disabled,
                    },
                ));
            }
            ServerEvent::RemoteMicrophoneStateChanged {
                call_id,
                user_id,
                disabled,
            } => {
                let Some(p) = self
                    .sessions
                    .get_mut(&call_id)
                    .and_then(|s| s.participant_mut(&user_id))
                else {
                    return;
                };
                p.microphone_enabled = !disabled;
                self.emit(CallEvent::RemoteMicrophoneStateChanged(
                    RemoteDeviceStateEvent {
                        call_id,
                        user_id,
                        disabled,
                    },
                ));
            }
            ServerEvent::CallTypeChanged { call_id, call_type } => {
                let Some(session) = self.sessions.get_mut(&call_id) else {
                    return;
                };
                session.call_type = call_type;
                self.emit(CallEvent::CallTypeChanged(CallTypeChangedEvent {
                    call_id,
                    call_type,
                }));
            }
            ServerEvent::CallEnded {
                call_id,
                reason,
                end_time,
            } => {
                self.server_time = Some(end_time);
                self.end_session(&call_id, reason, end_time);
            }
            ServerEvent::ServerCallLogReceived { call_log } => {
                self.emit(CallEvent::ServerCallLogReceived(CallLogEvent {
                    call_log: *call_log,
                }));
            }
        }
    }

    /// Ends a call on this device's own account (not because the server
    /// said so): later news of it from the server is ignored.
    pub(super) fn end_here(&mut self, call_id: &str, end_time: i64) {
        if self.sessions.contains_key(call_id) {
            self.ended_here.insert(call_id.to_string());
        }
        self.end_session(call_id, CallEndReason::NetworkError, end_time);
    }

    pub(super) fn end_session(&mut self, call_id: &str, reason: CallEndReason, end_time: i64) {
        let Some(mut session) = self.sessions.remove(call_id) else {
            return;
        };
        session.call_state = final_state(reason, session.start_time.is_some());
        if self.current.as_deref() == Some(call_id) {
            // A call still ringing becomes the current one.
            self.current = self.sessions.keys().next().cloned();
        }
        // The spec: local logs are for one-to-one calls only.
        let local_log = (session.call_type == CallType::Single).then(|| {
            local_log(
                self.user_id.as_deref().unwrap_or_default(),
                &session,
                reason,
                end_time,
            )
        });
        self.emit(CallEvent::CallEnded(CallEndedEvent { session, reason }));
        if let Some(call_log) = local_log {
            self.emit(CallEvent::LocalCallLogReceived(CallLogEvent { call_log }));
        }
    }
}

/// How many calls ended here are remembered: a call the server holds for
/// a device that left ends within its timeouts, long before this many
/// more calls came and went.
pub(super) const ENDED_HERE_KEPT: usize = 256;

/// A set that forgets its oldest members beyond [`ENDED_HERE_KEPT`].
#[derive(Debug, Default)]
pub(super) struct RecentSet {
    order: VecDeque<String>,
    members: HashSet<String>,
}

impl RecentSet {
    pub(super) fn insert(&mut self, id: String) {
        if self.members.insert(id.clone()) {
            self.order.push_back(id);
        }
        while self.order.len() > ENDED_HERE_KEPT {
            if let Some(old) = self.order.pop_front() {
                self.members.remove(&old);
            }
        }
    }

    pub(super) fn contains(&self, id: &str) -> bool {
        self.members.contains(id)
    }
}

/// The call a server event is about; `None` for a call log, which may
/// come after the call ended.
pub(super) fn call_of(event: &ServerEvent) -> Option<&str> {
    match event {
        ServerEvent::CallReceived { call_id, .. }
        | ServerEvent::RemoteUserStateChanged { call_id, .. }
        | ServerEvent::CallConnected { call_id, .. }
        | ServerEvent::StartTimeReceived { call_id, .. }
        | ServerEvent::RemoteUserInvited { call_id, .. }
        | ServerEvent::CallTypeChanged { call_id, .. }
        | ServerEvent::MediaTypeChangeRequestReceived { call_id, .. }
        | ServerEvent::MediaTypeChangeResultReceived { call_id, .. }
        | ServerEvent::RemoteCameraStateChanged { call_id, .. }
        | ServerEvent::RemoteMicrophoneStateChanged { call_id, .. }
        | ServerEvent::CallEnded { call_id, .. } => Some(call_id),
        ServerEvent::ServerCallLogReceived { .. } => None,
    }
}

/// An incoming call not answered yet.
pub(super) fn is_incoming_ringing(state: CallState) -> bool {
    matches!(
        state,
        CallState::Ringing | CallState::BusylineRinging | CallState::Invited
    )
}
