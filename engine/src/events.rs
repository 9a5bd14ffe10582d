//! `NCCallEventHandler`: every callback of the spec, as a trait with default
//! no-op methods, and the same events as values ([`CallEvent`]) for apps and
//! tools that prefer a stream.
//!
//! Callbacks run on the engine's signaling task, one at a time and in the
//! order the server sent them. Keep them short; to call back into the engine
//! (e.g. accept in `on_call_received`), clone the engine and spawn a task.

use nccall_protocol::{
    CallEndReason, CallLog, CallMediaType, CallType, CallUserState, MediaTypeChangeResult,
};

use serde::{Deserialize, Serialize};

use crate::session::CallSession;

/// `onCallReceived`: a call rings for this user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallReceivedEvent {
    /// The call, as this device sees it.
    pub session: CallSession,
    /// What the caller passed as `extra` in `start_call`.
    pub extra: Option<String>,
}

/// `onCallEnded`: the call is over for this user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallEndedEvent {
    /// The session in its final state.
    pub session: CallSession,
    /// Why, from this user's point of view.
    pub reason: CallEndReason,
}

/// `onCallConnected`: the call is connected for this user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallConnectedEvent {
    /// The call, now connected.
    pub session: CallSession,
}

/// `onLocalCallLogReceived` and `onServerCallLogReceived`: a call's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallLogEvent {
    /// The log.
    pub call_log: CallLog,
}

/// `onMediaTypeChangeRequestReceived`: the other side asks to change the media type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaTypeChangeRequestEvent {
    /// Who asks.
    pub user_id: String,
    /// Names the request in the reply.
    pub transaction_id: String,
    /// The media type asked for.
    pub media_type: CallMediaType,
}

/// `onMediaTypeChangeResultReceived`: how a media-type change request ended, for both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaTypeChangeResultEvent {
    /// Who asked.
    pub user_id: String,
    /// Names the request.
    pub transaction_id: String,
    /// The call's media type now.
    pub media_type: CallMediaType,
    /// Agreed, refused, cancelled or timed out.
    pub result: MediaTypeChangeResult,
}

/// A remote camera or microphone was switched; `disabled == true` means off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteDeviceStateEvent {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// The user this is about.
    pub user_id: String,
    /// `true`: switched off.
    pub disabled: bool,
}

/// `onRemoteUserInvited`: users were invited into the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteUserInvitedEvent {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// Who was invited.
    pub invitee_user_list: Vec<String>,
    /// Who invited this user (the caller, unless invited later).
    pub inviter_user_id: String,
}

/// `onRemoteUserStateChanged`: another participant's state changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteUserStateChangedEvent {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// The user this is about.
    pub user_id: String,
    /// That user's state in the call.
    pub user_state: CallUserState,
    /// Set when the user left: why, from the local user's point of view.
    pub reason: Option<CallEndReason>,
}

/// The call's billing start time. As in the spec, it carries only the time;
/// it is always about the current call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartTimeReceivedEvent {
    /// Billing start, ms since the Unix epoch (server clock).
    pub start_time: i64,
}

/// `onCallTypeChanged`: a one-to-one call became a group call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallTypeChangedEvent {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// One-to-one (`SINGLE`) or group (`MULTI`).
    pub call_type: CallType,
}

/// Every event the engine reports, one variant per spec callback. On the
/// wire (the driver protocol) an event is `{"callback": "<spec name>",
/// "event": {<the spec's fields>}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "callback", content = "event")]
#[non_exhaustive]
pub enum CallEvent {
    /// `onCallReceived`.
    #[serde(rename = "onCallReceived")]
    CallReceived(CallReceivedEvent),
    /// `onCallEnded`.
    #[serde(rename = "onCallEnded")]
    CallEnded(CallEndedEvent),
    /// `onCallConnected`.
    #[serde(rename = "onCallConnected")]
    CallConnected(CallConnectedEvent),
    /// `onLocalCallLogReceived`: the log this device built when the call ended.
    #[serde(rename = "onLocalCallLogReceived")]
    LocalCallLogReceived(CallLogEvent),
    /// `onServerCallLogReceived`: the server's log of the call.
    #[serde(rename = "onServerCallLogReceived")]
    ServerCallLogReceived(CallLogEvent),
    /// `onMediaTypeChangeRequestReceived`.
    #[serde(rename = "onMediaTypeChangeRequestReceived")]
    MediaTypeChangeRequestReceived(MediaTypeChangeRequestEvent),
    /// `onMediaTypeChangeResultReceived`.
    #[serde(rename = "onMediaTypeChangeResultReceived")]
    MediaTypeChangeResultReceived(MediaTypeChangeResultEvent),
    /// `onRemoteCameraStateChanged`.
    #[serde(rename = "onRemoteCameraStateChanged")]
    RemoteCameraStateChanged(RemoteDeviceStateEvent),
    /// `onRemoteMicrophoneStateChanged`.
    #[serde(rename = "onRemoteMicrophoneStateChanged")]
    RemoteMicrophoneStateChanged(RemoteDeviceStateEvent),
    /// `onRemoteUserInvited`.
    #[serde(rename = "onRemoteUserInvited")]
    RemoteUserInvited(RemoteUserInvitedEvent),
    /// `onRemoteUserStateChanged`.
    #[serde(rename = "onRemoteUserStateChanged")]
    RemoteUserStateChanged(RemoteUserStateChangedEvent),
    /// `onStartTimeReceived`.
    #[serde(rename = "onStartTimeReceived")]
    StartTimeReceived(StartTimeReceivedEvent),
    /// `onCallTypeChanged`.
    #[serde(rename = "onCallTypeChanged")]
    CallTypeChanged(CallTypeChangedEvent),
}

impl CallEvent {
    /// The spec's name of the callback (`onCallReceived`, ...).
    pub fn callback_name(&self) -> &'static str {
        match self {
            CallEvent::CallReceived(_) => "onCallReceived",
            CallEvent::CallEnded(_) => "onCallEnded",
            CallEvent::CallConnected(_) => "onCallConnected",
            CallEvent::LocalCallLogReceived(_) => "onLocalCallLogReceived",
            CallEvent::ServerCallLogReceived(_) => "onServerCallLogReceived",
            CallEvent::MediaTypeChangeRequestReceived(_) => "onMediaTypeChangeRequestReceived",
            CallEvent::MediaTypeChangeResultReceived(_) => "onMediaTypeChangeResultReceived",
            CallEvent::RemoteCameraStateChanged(_) => "onRemoteCameraStateChanged",
            CallEvent::RemoteMicrophoneStateChanged(_) => "onRemoteMicrophoneStateChanged",
            CallEvent::RemoteUserInvited(_) => "onRemoteUserInvited",
            CallEvent::RemoteUserStateChanged(_) => "onRemoteUserStateChanged",
            CallEvent::StartTimeReceived(_) => "onStartTimeReceived",
            CallEvent::CallTypeChanged(_) => "onCallTypeChanged",
        }
    }

    /// Calls the handler method that matches this event.
    pub fn dispatch(&self, handler: &dyn CallEventHandler) {
        match self {
            CallEvent::CallReceived(e) => handler.on_call_received(e),
            CallEvent::CallEnded(e) => handler.on_call_ended(e),
            CallEvent::CallConnected(e) => handler.on_call_connected(e),
            CallEvent::LocalCallLogReceived(e) => handler.on_local_call_log_received(e),
            CallEvent::ServerCallLogReceived(e) => handler.on_server_call_log_received(e),
            CallEvent::MediaTypeChangeRequestReceived(e) => {
                handler.on_media_type_change_request_received(e)
            }
            CallEvent::MediaTypeChangeResultReceived(e) => {
                handler.on_media_type_change_result_received(e)
            }
            CallEvent::RemoteCameraStateChanged(e) => handler.on_remote_camera_state_changed(e),
            CallEvent::RemoteMicrophoneStateChanged(e) => {
                handler.on_remote_microphone_state_changed(e)
            }
            CallEvent::RemoteUserInvited(e) => handler.on_remote_user_invited(e),
            CallEvent::RemoteUserStateChanged(e) => handler.on_remote_user_state_changed(e),
            CallEvent::StartTimeReceived(e) => handler.on_start_time_received(e),
            CallEvent::CallTypeChanged(e) => handler.on_call_type_changed(e),
        }
    }
}

/// `NCCallEventHandler`. Implement the callbacks you need; the others do nothing.
pub trait CallEventHandler: Send + Sync {
    /// An incoming call rings on this device.
    fn on_call_received(&self, _event: &CallReceivedEvent) {}
    /// A call ended for the local user (in a group call, possibly only for them).
    fn on_call_ended(&self, _event: &CallEndedEvent) {}
    /// The call is established; media is published after this.
    fn on_call_connected(&self, _event: &CallConnectedEvent) {}
    /// The engine's own log of a one-to-one call that ended.
    fn on_local_call_log_received(&self, _event: &CallLogEvent) {}
    /// The server's log of a call that ended.
    fn on_server_call_log_received(&self, _event: &CallLogEvent) {}
    /// The other party asks to change the media type (one-to-one calls).
    fn on_media_type_change_request_received(&self, _event: &MediaTypeChangeRequestEvent) {}
    /// The outcome of a media type change request, on both sides.
    fn on_media_type_change_result_received(&self, _event: &MediaTypeChangeResultEvent) {}
    /// `onRemoteCameraStateChanged`.
    fn on_remote_camera_state_changed(&self, _event: &RemoteDeviceStateEvent) {}
    /// `onRemoteMicrophoneStateChanged`.
    fn on_remote_microphone_state_changed(&self, _event: &RemoteDeviceStateEvent) {}
    /// Users were invited into a group call.
    fn on_remote_user_invited(&self, _event: &RemoteUserInvitedEvent) {}
    /// A participant rang, joined or left.
    fn on_remote_user_state_changed(&self, _event: &RemoteUserStateChangedEvent) {}
    /// The server's billing start time for the current call.
    fn on_start_time_received(&self, _event: &StartTimeReceivedEvent) {}
    /// The call type changed (a one-to-one call became a group call).
    fn on_call_type_changed(&self, _event: &CallTypeChangedEvent) {}
}
