//! The frames: what travels on the WebSocket, one JSON object per text message.

use serde::{Deserialize, Serialize};

use crate::{
    CallEndReason, CallLog, CallMediaType, CallType, CallUserState, DeleteCallLogsParams,
    ErrorCode, GetHistoryCallLogsParams, MediaTypeChangeResult,
};

/// Everything a client sends is a request with an id the server echoes in
/// its [`Response`]. Ids are chosen by the client and need only be unique
/// among its requests in flight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientFrame {
    /// The request's id, echoed in its [`Response`].
    pub id: u64,
    /// What is asked (its `type` and parameters, flattened into the frame).
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
    /// Acknowledges events up to a sequence number.
    Ack(AckParams),
    /// Places a call.
    StartCall(StartCallRequest),
    /// Answers an incoming call.
    AcceptCall(AcceptCallParams),
    /// Hangs up, cancels or rejects a call.
    EndCall(EndCallParams),
    /// Invites more users into a call (a one-to-one call becomes a group call).
    InviteToCall(InviteToCallParams),
    /// Joins an ongoing group call directly.
    JoinCall(JoinCallParams),
    /// Switches the sender's camera or microphone in a call.
    SetMediaState(SetMediaStateParams),
    /// Asks the other side of a one-to-one call to change the media type.
    RequestChangeMediaType(RequestChangeMediaTypeParams),
    /// Withdraws the sender's pending media-type change request.
    CancelChangeMediaType(TransactionParams),
    /// Answers the other side's media-type change request.
    ReplyChangeMediaType(ReplyChangeMediaTypeParams),
    /// A page of the user's call history.
    GetHistoryCallLogs(GetHistoryCallLogsParams),
    /// The user's calls that have not ended.
    GetOngoingCallLogs,
    /// Deletes some of the user's logs (for the user only).
    DeleteCallLogsForMe(DeleteCallLogsParams),
    /// Deletes all of the user's logs (for the user only).
    DeleteAllCallLogsForMe,
    /// Publishes the sender's media for a connected call: an SDP offer for
    /// one peer connection to the media server, answered with its SDP answer.
    PublishMedia(PublishMediaParams),
    /// Switches between a remote user's full and low-resolution video.
    SubscribeVideo(SubscribeVideoParams),
    /// Changes which remote user each receive slot of the peer connection
    /// carries, with a new offer when slots are added (renegotiation).
    UpdateMedia(UpdateMediaParams),
}

impl Request {
    /// The `type` tag of this request, for logs and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Hello(_) => "hello",
            Request::Heartbeat => "heartbeat",
            Request::Ack(_) => "ack",
            Request::StartCall(_) => "startCall",
            Request::AcceptCall(_) => "acceptCall",
            Request::EndCall(_) => "endCall",
            Request::InviteToCall(_) => "inviteToCall",
            Request::JoinCall(_) => "joinCall",
            Request::SetMediaState(_) => "setMediaState",
            Request::RequestChangeMediaType(_) => "requestChangeMediaType",
            Request::CancelChangeMediaType(_) => "cancelChangeMediaType",
            Request::ReplyChangeMediaType(_) => "replyChangeMediaType",
            Request::GetHistoryCallLogs(_) => "getHistoryCallLogs",
            Request::GetOngoingCallLogs => "getOngoingCallLogs",
            Request::DeleteCallLogsForMe(_) => "deleteCallLogsForMe",
            Request::DeleteAllCallLogsForMe => "deleteAllCallLogsForMe",
            Request::PublishMedia(_) => "publishMedia",
            Request::SubscribeVideo(_) => "subscribeVideo",
            Request::UpdateMedia(_) => "updateMedia",
        }
    }
}

/// `hello`: the first request of a connection, authenticating it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelloParams {
    /// The protocol version the client speaks ([`crate::PROTOCOL_VERSION`]).
    pub protocol_version: u32,
    /// The app the user belongs to.
    pub app_key: String,
    /// The user's token in that app.
    pub token: String,
    /// Names this device among the user's devices (free text, e.g. "web-1").
    #[serde(default)]
    pub device_id: String,
    /// Resumes an earlier session of this device after a lost connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumeParams>,
}

/// Which session to resume, and the last event of it the client processed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResumeParams {
    /// The session named by the earlier `hello`'s result.
    pub session_id: String,
    /// The last event (`seq`) of that session the client processed: later ones are sent again.
    pub last_seq: u64,
}

/// `ack`: the client processed every event up to `seq`; the server may
/// forget them (it keeps unacknowledged events to replay on a resume).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AckParams {
    /// The last event processed.
    pub seq: u64,
}

/// `hello`'s result: who the user is and how this connection is kept alive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelloResult {
    /// The user the token belongs to.
    /// The user this is about.
    pub user_id: String,
    /// Server clock, ms since the Unix epoch.
    pub server_time: i64,
    /// How often the client should send `heartbeat`, in ms.
    pub heartbeat_interval_ms: u64,
    /// This connection's session: name it in `resume` to pick up where a
    /// lost connection left off.
    #[serde(default)]
    pub session_id: String,
    /// Whether the `resume` asked for was granted: the events the client
    /// missed follow this response, in order. `false` after a resume means
    /// the old session expired and its calls ended (NETWORK_ERROR).
    #[serde(default)]
    pub resumed: bool,
    /// How long the server keeps a session whose connection dropped, in ms.
    #[serde(default)]
    pub resume_window_ms: u64,
}

/// `heartbeat`'s result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatResult {
    /// Server clock, ms since the Unix epoch.
    pub server_time: i64,
}

/// Longest push title, in bytes (a limit engines and the server both check).
pub const MAX_PUSH_TITLE_BYTES: usize = 128;
/// Longest push content, in bytes.
pub const MAX_PUSH_CONTENT_BYTES: usize = 1024;
/// Longest value of an Android push setting, in bytes.
pub const MAX_PUSH_VALUE_BYTES: usize = 256;

/// The Android settings a push may carry (keys of [`PushConfig::android`]),
/// as the Android push config builder writes them.
pub const ANDROID_PUSH_KEYS: &[&str] = &[
    "notificationId",
    "channelIdMi",
    "channelIdHuawei",
    "channelIdOppo",
    "typeVivo",
    "importanceHuawei",
    "imageUrlHuawei",
    "fcmCollapseKey",
    "fcmImageUrl",
    "fcmChannelId",
];

/// Push settings for a callee (or hung-up party) without a live connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushConfig {
    /// The notification's title (at most 128 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_title: Option<String>,
    /// The notification's text (at most 1,024 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_content: Option<String>,
    /// Android vendor settings as key/value pairs.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub android: std::collections::BTreeMap<String, String>,
}

/// `startCall`'s parameters, as the app gives them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartCallParams {
    /// Whom to call: one user for `SINGLE`, one or more for `MULTI`.
    pub callee_ids: Vec<String>,
    /// One-to-one (`SINGLE`) or group (`MULTI`).
    pub call_type: CallType,
    /// Audio, or audio and video.
    pub media_type: CallMediaType,
    /// The caller's free-form text, passed through untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
    /// The app's own id for the call's target (a group, a room), passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// How the callee's push notification reads, when they are offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_config: Option<PushConfig>,
}

impl PushConfig {
    /// Checks the limits: title and content length, Android keys known and
    /// values short, `typeVivo` "0" or "1", `importanceHuawei` NORMAL or LOW.
    pub fn validate(&self) -> Result<(), (ErrorCode, String)> {
        let too_long = |what: &str, len: usize, max: usize| {
            Err((
                ErrorCode::ParamError,
                format!("push {what} is {len} bytes; at most {max}"),
            ))
        };
        if let Some(t) = self
            .push_title
            .as_ref()
            .filter(|t| t.len() > MAX_PUSH_TITLE_BYTES)
        {
            return too_long("title", t.len(), MAX_PUSH_TITLE_BYTES);
        }
        if let Some(c) = self
            .push_content
            .as_ref()
            .filter(|c| c.len() > MAX_PUSH_CONTENT_BYTES)
        {
            return too_long("content", c.len(), MAX_PUSH_CONTENT_BYTES);
        }
        for (key, value) in &self.android {
            if !ANDROID_PUSH_KEYS.contains(&key.as_str()) {
                return Err((
                    ErrorCode::ParamError,
                    format!("unknown Android push setting {key:?}"),
                ));
            }
            if value.len() > MAX_PUSH_VALUE_BYTES {
                return too_long(key, value.len(), MAX_PUSH_VALUE_BYTES);
            }
            let allowed: &[&str] = match key.as_str() {
                "typeVivo" => &["0", "1"],
                "importanceHuawei" => &["NORMAL", "LOW"],
                _ => &[],
            };
            if !allowed.is_empty() && !allowed.contains(&value.as_str()) {
                return Err((
                    ErrorCode::ParamError,
                    format!("{key} must be one of {allowed:?}, not {value:?}"),
                ));
            }
        }
        Ok(())
    }
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
    /// The user this is about.
    pub user_id: String,
    /// That user's state in the call.
    pub user_state: CallUserState,
}

/// `startCall`'s result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartCallResult {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// Callees who were in another call and were not rung (or rang busy).
    #[serde(default)]
    pub busy_line_user_list: Vec<UserStateEntry>,
}

/// `acceptCall`: answer a call that rings for this user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptCallParams {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// This device's camera and microphone as it joins.
    #[serde(flatten)]
    pub media: MediaState,
}

/// `endCall`: hang up, decline or cancel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndCallParams {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// How the callee's push notification reads, when they are offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_config: Option<PushConfig>,
}

/// `inviteToCall`: bring more users into a call (a one-to-one call becomes a group call).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteToCallParams {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// Whom to invite.
    pub user_ids: Vec<String>,
}

/// `inviteToCall`'s result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteToCallResult {
    /// Invitees who are in another call (see the app's busy policy).
    #[serde(default)]
    pub busy_line_user_list: Vec<UserStateEntry>,
}

/// `joinCall`: enter a group call this user was not rung for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinCallParams {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// This device's camera and microphone as it joins.
    #[serde(flatten)]
    pub media: MediaState,
}

/// Whether a user's camera and microphone are switched on. Sent when the
/// user enters a call (start, accept, join), so that a state chosen before
/// the call applies from its first moment. Both default to on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaState {
    /// Whether the camera is on.
    #[serde(default = "on")]
    pub camera_enabled: bool,
    /// Whether the microphone is on.
    #[serde(default = "on")]
    pub microphone_enabled: bool,
}

impl Default for MediaState {
    fn default() -> Self {
        MediaState {
            camera_enabled: true,
            microphone_enabled: true,
        }
    }
}

fn on() -> bool {
    true
}

/// `startCall` on the wire: the app's parameters and the caller's media state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartCallRequest {
    /// The app's parameters.
    #[serde(flatten)]
    pub params: StartCallParams,
    /// This device's camera and microphone as it joins.
    #[serde(flatten)]
    pub media: MediaState,
}

/// `setMediaState`: this user switched the camera or the microphone during a call (`None`: unchanged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetMediaStateParams {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// Whether the camera is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_enabled: Option<bool>,
    /// Whether the microphone is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microphone_enabled: Option<bool>,
}

/// `publishMedia`: this user's peer connection to the media server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishMediaParams {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// The SDP offer (ICE gathering complete: candidates included). Its
    /// m-lines are, in order: audio, video (full resolution), video (low
    /// resolution, a quarter of the pixels).
    pub sdp: String,
    /// Remote users whose low-resolution stream this user wants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub low_resolution_user_ids: Vec<String>,
    /// Receive slots: entry `k` names the remote user whose audio and video
    /// slot `k` carries ("" for a free slot). Slot 0 is the audio and video
    /// m-lines (0 and 1); slot `k >= 1` is the recvonly audio and video
    /// m-lines `3 + 2(k-1)` and `4 + 2(k-1)`. Empty: slot 0 carries every
    /// other member (enough for a one-to-one call).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receive_user_ids: Vec<String>,
}

/// Re-assigns the receive slots of a published peer connection; `sdp` is a
/// new offer on the same connection when it adds m-lines for more slots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMediaParams {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// The SDP (offer or answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp: Option<String>,
    /// Receive slots, as in [`PublishMediaParams::receive_user_ids`].
    pub receive_user_ids: Vec<String>,
}

/// The media server's answer to a new offer, if one was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMediaResult {
    /// The SDP (offer or answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp: Option<String>,
}

/// Chooses which of a remote user's video streams this user receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeVideoParams {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// The user this is about.
    pub user_id: String,
    /// `true`: the low-resolution stream; `false`: full resolution.
    pub low_resolution: bool,
}

/// The media server's SDP answer (its candidate included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishMediaResult {
    /// The SDP (offer or answer).
    pub sdp: String,
}

/// `requestChangeMediaType`: ask the other side to change the call's media type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestChangeMediaTypeParams {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// Audio, or audio and video.
    pub media_type: CallMediaType,
}

/// `requestChangeMediaType`'s result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestChangeMediaTypeResult {
    /// Names one media-type change request.
    pub transaction_id: String,
}

/// `cancelChangeMediaType`: withdraw a pending request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionParams {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// Names one media-type change request.
    pub transaction_id: String,
}

/// `replyChangeMediaType`: the other side's answer to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyChangeMediaTypeParams {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// Names one media-type change request.
    pub transaction_id: String,
    /// `true`: agree, the call changes; `false`: refuse.
    pub is_agreed: bool,
}

/// What a joiner needs to know about the call it joined (the result of `joinCall`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallInfo {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: String,
    /// One-to-one (`SINGLE`) or group (`MULTI`).
    pub call_type: CallType,
    /// Audio, or audio and video.
    pub media_type: CallMediaType,
    /// Who placed the call.
    pub caller_user_id: String,
    /// Who invited this user (the caller, unless invited later).
    pub inviter_user_id: String,
    /// Everyone in the call, in the order they joined.
    pub participants: Vec<Participant>,
}

/// One participant of a call as the server describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// The user this is about.
    pub user_id: String,
    /// That user's state in the call.
    pub user_state: CallUserState,
    /// Whether the camera is on.
    pub camera_enabled: bool,
    /// Whether the microphone is on.
    pub microphone_enabled: bool,
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerFrame {
    /// The answer to the client's request with the same id.
    Response(Response),
    /// Something happened; `seq` counts the events sent to this session
    /// (this device's connection, kept across resumes), from 1.
    Event {
        /// This event's number in the session.
        seq: u64,
        /// What happened (its `event` tag and fields, flattened into the frame).
        #[serde(flatten)]
        event: ServerEvent,
    },
    /// A frame the server could not attribute to a request (bad JSON, too large).
    Error {
        /// An [`crate::ErrorCode`]'s number (`BAD_FRAME`, `RATE_LIMITED`).
        code: u32,
        /// What was wrong with the frame.
        message: String,
    },
}

/// The answer to one request. `code` 0 is success; then `result` holds the
/// request's result object if it has one (`hello`, `heartbeat`, `startCall`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// The request's id.
    pub id: u64,
    /// 0 for success, else an [`crate::ErrorCode`]'s number.
    pub code: u32,
    /// What went wrong, for people (absent on success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The request's result object, for those that have one.
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
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// One-to-one (`SINGLE`) or group (`MULTI`).
        call_type: CallType,
        /// Audio, or audio and video.
        media_type: CallMediaType,
        /// Who placed the call.
        caller_user_id: String,
        /// Who invited this user (the caller, unless invited later).
        inviter_user_id: String,
        /// Everyone in the call, the receiving user included.
        participants: Vec<Participant>,
        /// The caller's free-form text, passed through untouched.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra: Option<String>,
        /// The app's own id for the call's target (a group, a room), passed through.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_id: Option<String>,
    },
    /// Another participant's state changed; `reason` is set when they left.
    #[serde(rename_all = "camelCase")]
    RemoteUserStateChanged {
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// The user this is about.
        user_id: String,
        /// That user's state in the call.
        user_state: CallUserState,
        /// Why they left, when they did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<CallEndReason>,
    },
    /// The call is connected for this user.
    #[serde(rename_all = "camelCase")]
    CallConnected {
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// Everyone in the call, in the order they joined.
        participants: Vec<Participant>,
    },
    /// Billing start time of the call, ms since the Unix epoch, by the server clock.
    #[serde(rename_all = "camelCase")]
    StartTimeReceived {
        /// The call's id.
        call_id: String,
        /// When billing started.
        start_time: i64,
    },
    /// Users were invited into the call by `inviterUserId`.
    #[serde(rename_all = "camelCase")]
    RemoteUserInvited {
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// Who was invited.
        invitee_user_list: Vec<String>,
        /// Who invited this user (the caller, unless invited later).
        inviter_user_id: String,
    },
    /// The call's type changed (a one-to-one call became a group call).
    #[serde(rename_all = "camelCase")]
    CallTypeChanged {
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// One-to-one (`SINGLE`) or group (`MULTI`).
        call_type: CallType,
    },
    /// The other side asks to change the call's media type.
    #[serde(rename_all = "camelCase")]
    MediaTypeChangeRequestReceived {
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// Who asks.
        user_id: String,
        /// Names one media-type change request.
        transaction_id: String,
        /// Audio, or audio and video.
        media_type: CallMediaType,
    },
    /// How a media-type change request ended, sent to both sides; `userId`
    /// is the requester, `mediaType` the call's media type now.
    #[serde(rename_all = "camelCase")]
    MediaTypeChangeResultReceived {
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// Who asked.
        user_id: String,
        /// Names one media-type change request.
        transaction_id: String,
        /// The call's media type now.
        media_type: CallMediaType,
        /// Agreed, refused, cancelled or timed out.
        result: MediaTypeChangeResult,
    },
    /// Another participant's camera went on or off (`disabled: true` = off).
    #[serde(rename_all = "camelCase")]
    RemoteCameraStateChanged {
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// The user this is about.
        user_id: String,
        /// `true`: the camera is off.
        disabled: bool,
    },
    /// Another participant's microphone went on or off (`disabled: true` = off).
    #[serde(rename_all = "camelCase")]
    RemoteMicrophoneStateChanged {
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// The user this is about.
        user_id: String,
        /// `true`: the microphone is off.
        disabled: bool,
    },
    /// The server's log of a call that ended (also delivered on connect to a
    /// user who was offline when it ended).
    #[serde(rename_all = "camelCase")]
    ServerCallLogReceived {
        /// The log, as `getHistoryCallLogs` returns it.
        call_log: Box<CallLog>,
    },
    /// The call is over for this user, for this reason (from this user's point of view).
    #[serde(rename_all = "camelCase")]
    CallEnded {
        /// The call's id (the server's, stable for the call's life).
        call_id: String,
        /// Why, from this user's point of view.
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
            | ServerEvent::MediaTypeChangeRequestReceived { call_id, .. }
            | ServerEvent::MediaTypeChangeResultReceived { call_id, .. }
            | ServerEvent::RemoteCameraStateChanged { call_id, .. }
            | ServerEvent::RemoteMicrophoneStateChanged { call_id, .. }
            | ServerEvent::CallEnded { call_id, .. } => call_id,
            ServerEvent::ServerCallLogReceived { call_log } => &call_log.call_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_wire_shape() {
        let mut params = StartCallParams::single("bob", CallMediaType::Audio);
        params.extra = Some("hi".into());
        let frame = ClientFrame {
            id: 7,
            request: Request::StartCall(StartCallRequest {
                params,
                media: MediaState::default(),
            }),
        };
        let json = serde_json::to_value(&frame).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": 7, "type": "startCall", "calleeIds": ["bob"],
                "callType": "SINGLE", "mediaType": "AUDIO", "extra": "hi",
                "cameraEnabled": true, "microphoneEnabled": true
            })
        );
        let back: ClientFrame = serde_json::from_value(json).unwrap();
        assert_eq!(back, frame);
        // The media state may be left out: both default to on.
        let short = r#"{"id":8,"type":"acceptCall","callId":"c"}"#;
        let accept: ClientFrame = serde_json::from_str(short).unwrap();
        assert_eq!(
            accept.request,
            Request::AcceptCall(AcceptCallParams {
                call_id: "c".into(),
                media: MediaState::default()
            })
        );
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
