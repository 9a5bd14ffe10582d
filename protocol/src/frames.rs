//! The frames: what travels on the WebSocket, one JSON object per text message.

use serde::{Deserialize, Serialize};

use crate::{CallEndReason, CallMediaType, CallType, CallUserState, ErrorCode};

/// Everything a client sends is a request with an id the server echoes in
/// its [`Response`]. Ids are chosen by the client and need only be unique
/// among its requests in flight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientFrame {
    pub id: u64,
    #[serde(flatten)]
    pub request: Request,
}

/// The requests, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Request {
    /// First frame of every connection: authenticates the user.
    Hello(HelloParams),
    /// Keeps the connection alive; answered with the server time.
    Heartbeat,
    /// Places a call.
    StartCall(StartCallParams),
    /// Answers an incoming call.
    AcceptCall(AcceptCallParams),
    /// Hangs up, cancels or rejects a call.
    EndCall(EndCallParams),
    /// Invites more users into a call (a one-to-one call becomes a group call).
    InviteToCall(InviteToCallParams),
    /// Joins an ongoing group call directly.
    JoinCall(JoinCallParams),
}

impl Request {
    /// The `type` tag of this request, for logs and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Hello(_) => "hello",
            Request::Heartbeat => "heartbeat",
            Request::StartCall(_) => "startCall",
            Request::AcceptCall(_) => "acceptCall",
            Request::EndCall(_) => "endCall",
            Request::InviteToCall(_) => "inviteToCall",
            Request::JoinCall(_) => "joinCall",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelloParams {
    pub protocol_version: u32,
    pub app_key: String,
    pub token: String,
    /// Names this device among the user's devices (free text, e.g. "web-1").
    #[serde(default)]
    pub device_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelloResult {
    pub user_id: String,
    /// Server clock, ms since the Unix epoch.
    pub server_time: i64,
    /// How often the client should send `heartbeat`, in ms.
    pub heartbeat_interval_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatResult {
    pub server_time: i64,
}

/// Push settings for a callee (or hung-up party) without a live connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_content: Option<String>,
    /// Android vendor settings as key/value pairs.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub android: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartCallParams {
    pub callee_ids: Vec<String>,
    pub call_type: CallType,
    pub media_type: CallMediaType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_config: Option<PushConfig>,
}

impl StartCallParams {
    /// The checks that need nothing but the request and who sends it: a
    /// non-empty callee list without empty or repeated ids, one callee for a
    /// SINGLE call, and not calling yourself. Engines run them before sending
    /// and the server runs them again, so both answer with the same codes.
    pub fn check_callees(&self, caller: &str) -> Result<(), (ErrorCode, String)> {
        let callees = &self.callee_ids;
        if callees.is_empty() {
            return Err((ErrorCode::UserListInvalid, "calleeIds is empty".into()));
        }
        let mut seen = std::collections::HashSet::new();
        if callees
            .iter()
            .any(|id| id.is_empty() || !seen.insert(id.as_str()))
        {
            return Err((
                ErrorCode::UserListInvalid,
                format!("calleeIds holds an empty or repeated id: {callees:?}"),
            ));
        }
        if self.call_type == CallType::Single && callees.len() > 1 {
            return Err((
                ErrorCode::SingleCallNotSupportMultiPerson,
                format!("a SINGLE call takes one callee, got {}", callees.len()),
            ));
        }
        if callees.iter().any(|id| id == caller) {
            return Err((
                ErrorCode::UserIdInvalid,
                format!("{caller} cannot call themselves"),
            ));
        }
        Ok(())
    }

    /// A one-to-one call to `callee` with no extras.
    pub fn single(callee: impl Into<String>, media_type: CallMediaType) -> Self {
        StartCallParams {
            callee_ids: vec![callee.into()],
            call_type: CallType::Single,
            media_type,
            extra: None,
            target_id: None,
            push_config: None,
        }
    }
}

/// A callee who could not be rung because they are in another call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserStateEntry {
    pub user_id: String,
    pub user_state: CallUserState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartCallResult {
    pub call_id: String,
    #[serde(default)]
    pub busy_line_user_list: Vec<UserStateEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptCallParams {
    pub call_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndCallParams {
    pub call_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_config: Option<PushConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteToCallParams {
    pub call_id: String,
    pub user_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteToCallResult {
    /// Invitees who are in another call (see the app's busy policy).
    #[serde(default)]
    pub busy_line_user_list: Vec<UserStateEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinCallParams {
    pub call_id: String,
}

/// What a joiner needs to know about the call it joined (the result of `joinCall`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallInfo {
    pub call_id: String,
    pub call_type: CallType,
    pub media_type: CallMediaType,
    pub caller_user_id: String,
    pub inviter_user_id: String,
    pub participants: Vec<Participant>,
}

/// One participant of a call as the server describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub user_id: String,
    pub user_state: CallUserState,
    pub camera_enabled: bool,
    pub microphone_enabled: bool,
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerFrame {
    /// The answer to the client's request with the same id.
    Response(Response),
    /// Something happened; `seq` counts the events sent to this user, from 1.
    Event {
        seq: u64,
        #[serde(flatten)]
        event: ServerEvent,
    },
    /// A frame the server could not attribute to a request (bad JSON, too large).
    Error { code: u32, message: String },
}

/// The answer to one request. `code` 0 is success; then `result` holds the
/// request's result object if it has one (`hello`, `heartbeat`, `startCall`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: u64,
    pub code: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
}

/// Server-pushed events, tagged by `event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum ServerEvent {
    /// A call rings for this user.
    #[serde(rename_all = "camelCase")]
    CallReceived {
        call_id: String,
        call_type: CallType,
        media_type: CallMediaType,
        caller_user_id: String,
        inviter_user_id: String,
        /// Everyone in the call, the receiving user included.
        participants: Vec<Participant>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_id: Option<String>,
    },
    /// Another participant's state changed; `reason` is set when they left.
    #[serde(rename_all = "camelCase")]
    RemoteUserStateChanged {
        call_id: String,
        user_id: String,
        user_state: CallUserState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<CallEndReason>,
    },
    /// The call is connected for this user.
    #[serde(rename_all = "camelCase")]
    CallConnected {
        call_id: String,
        participants: Vec<Participant>,
    },
    /// Billing start time of the call, ms since the Unix epoch, by the server clock.
    #[serde(rename_all = "camelCase")]
    StartTimeReceived { call_id: String, start_time: i64 },
    /// Users were invited into the call by `inviterUserId`.
    #[serde(rename_all = "camelCase")]
    RemoteUserInvited {
        call_id: String,
        invitee_user_list: Vec<String>,
        inviter_user_id: String,
    },
    /// The call's type changed (a one-to-one call became a group call).
    #[serde(rename_all = "camelCase")]
    CallTypeChanged {
        call_id: String,
        call_type: CallType,
    },
    /// The call is over for this user, for this reason (from this user's point of view).
    #[serde(rename_all = "camelCase")]
    CallEnded {
        call_id: String,
        reason: CallEndReason,
        /// Server clock when it ended, ms since the Unix epoch.
        end_time: i64,
    },
}

impl ServerEvent {
    /// The call the event is about.
    pub fn call_id(&self) -> &str {
        match self {
            ServerEvent::CallReceived { call_id, .. }
            | ServerEvent::RemoteUserStateChanged { call_id, .. }
            | ServerEvent::CallConnected { call_id, .. }
            | ServerEvent::StartTimeReceived { call_id, .. }
            | ServerEvent::RemoteUserInvited { call_id, .. }
            | ServerEvent::CallTypeChanged { call_id, .. }
            | ServerEvent::CallEnded { call_id, .. } => call_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_wire_shape() {
        let frame = ClientFrame {
            id: 7,
            request: Request::StartCall(StartCallParams {
                callee_ids: vec!["bob".into()],
                call_type: CallType::Single,
                media_type: CallMediaType::Audio,
                extra: Some("hi".into()),
                target_id: None,
                push_config: None,
            }),
        };
        let json = serde_json::to_value(&frame).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": 7, "type": "startCall", "calleeIds": ["bob"],
                "callType": "SINGLE", "mediaType": "AUDIO", "extra": "hi"
            })
        );
        let back: ClientFrame = serde_json::from_value(json).unwrap();
        assert_eq!(back, frame);
        let hb: ClientFrame = serde_json::from_str(r#"{"id":1,"type":"heartbeat"}"#).unwrap();
        assert_eq!(hb.request, Request::Heartbeat);
    }

    #[test]
    fn event_wire_shape() {
        let frame = ServerFrame::Event {
            seq: 3,
            event: ServerEvent::CallEnded {
                call_id: "c1".into(),
                reason: CallEndReason::RemoteHangup,
                end_time: 5,
            },
        };
        let json = serde_json::to_value(&frame).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "event", "seq": 3, "event": "callEnded",
                "callId": "c1", "reason": "REMOTE_HANGUP", "endTime": 5})
        );
        assert_eq!(serde_json::from_value::<ServerFrame>(json).unwrap(), frame);
    }

    #[test]
    fn unknown_request_type_is_an_error_not_a_panic() {
        assert!(serde_json::from_str::<ClientFrame>(r#"{"id":1,"type":"holdCall"}"#).is_err());
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"heartbeat"}"#).is_err());
        assert!(serde_json::from_str::<ClientFrame>("not json").is_err());
    }
}
