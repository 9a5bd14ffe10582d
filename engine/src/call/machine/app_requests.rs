//! What the app asks of the machine: each call's local checks (answered
//! at once, changing nothing, as the ancestor SDK does) and the request it
//! queues when they pass.

use std::collections::HashSet;

use nccall_protocol::{
    AcceptCallParams, CallMediaType, CallState, CallType, DeleteCallLogsParams, ErrorCode,
    GetHistoryCallLogsParams, InviteToCallParams, JoinCallParams, MAX_DELETE_BATCH,
    MAX_HISTORY_PAGE, PublishMediaParams, ReplyChangeMediaTypeParams, Request,
    RequestChangeMediaTypeParams, SetMediaStateParams, StartCallParams, StartCallRequest,
    SubscribeVideoParams, TransactionParams, UpdateMediaParams,
};

use super::CallMachine;
use super::server_events::is_incoming_ringing;
use crate::call::requests::{Pending, RequestId};
use crate::error::CallError;
use crate::session::CallSession;

impl CallMachine {
    /// Switches the camera and/or microphone. Before a call this only
    /// records the choice (it applies when the next call starts); in a call
    /// it also tells the server, and the request id is returned.
    pub fn set_local_media(
        &mut self,
        camera: Option<bool>,
        microphone: Option<bool>,
    ) -> Option<RequestId> {
        if let Some(on) = camera {
            self.local_media.camera_enabled = on;
        }
        if let Some(on) = microphone {
            self.local_media.microphone_enabled = on;
        }
        let call_id = self
            .current_session()
            .filter(|s| !is_incoming_ringing(s.call_state))
            .map(|s| s.call_id)?;
        self.is_connected().then(|| {
            let request = Request::SetMediaState(SetMediaStateParams {
                call_id,
                camera_enabled: camera,
                microphone_enabled: microphone,
            });
            self.queue(request, Pending::SetMediaState)
        })
    }

    /// Asks the other side of the current one-to-one call to change the media type.
    pub fn request_change_media_type(
        &mut self,
        media_type: CallMediaType,
    ) -> Result<RequestId, CallError> {
        self.require_connection()?;
        let session = self.active_session()?;
        if session.call_type == CallType::Group {
            return Err(CallError::new(
                ErrorCode::GroupCallNotSupported,
                "media type can only be changed in a one-to-one call",
            ));
        }
        if session.media_type == media_type {
            return Err(CallError::new(
                ErrorCode::MediaTypeInvalid,
                format!("call {} is already {}", session.call_id, media_type.name()),
            ));
        }
        let request = Request::RequestChangeMediaType(RequestChangeMediaTypeParams {
            call_id: session.call_id,
            media_type,
        });
        Ok(self.queue(request, Pending::RequestMediaChange))
    }

    /// Withdraws this device's pending media-type change request.
    pub fn cancel_change_media_type(
        &mut self,
        transaction_id: &str,
    ) -> Result<RequestId, CallError> {
        let call_id = self.transaction_call(transaction_id)?;
        let request = Request::CancelChangeMediaType(TransactionParams {
            call_id,
            transaction_id: transaction_id.to_string(),
        });
        Ok(self.queue(request, Pending::SettleMediaChange))
    }

    /// Answers the other side's media-type change request.
    pub fn reply_change_media_type(
        &mut self,
        transaction_id: &str,
        is_agreed: bool,
    ) -> Result<RequestId, CallError> {
        let call_id = self.transaction_call(transaction_id)?;
        let request = Request::ReplyChangeMediaType(ReplyChangeMediaTypeParams {
            call_id,
            transaction_id: transaction_id.to_string(),
            is_agreed,
        });
        Ok(self.queue(request, Pending::SettleMediaChange))
    }

    /// A page of the user's call history (`-1` as `start_time` for the newest).
    pub fn get_history_call_logs(
        &mut self,
        params: GetHistoryCallLogsParams,
    ) -> Result<RequestId, CallError> {
        self.require_connection()?;
        if !(1..=MAX_HISTORY_PAGE).contains(&params.count) {
            return Err(CallError::new(
                ErrorCode::ParamError,
                format!("count must be 1..={MAX_HISTORY_PAGE}, not {}", params.count),
            ));
        }
        if params.start_time < -1 {
            return Err(CallError::new(
                ErrorCode::ParamError,
                format!(
                    "startTime must be -1 or a sync time, not {}",
                    params.start_time
                ),
            ));
        }
        Ok(self.queue(Request::GetHistoryCallLogs(params), Pending::History))
    }

    /// Publishes this device's media for a connected call (an SDP offer).
    pub fn publish_media(
        &mut self,
        call_id: &str,
        sdp: String,
        low_resolution_user_ids: Vec<String>,
        receive_user_ids: Vec<String>,
    ) -> Result<RequestId, CallError> {
        self.require_connection()?;
        self.known_session(call_id)?;
        let request = Request::PublishMedia(PublishMediaParams {
            call_id: call_id.to_string(),
            sdp,
            low_resolution_user_ids,
            receive_user_ids,
        });
        Ok(self.queue(request, Pending::Publish))
    }

    /// Re-assigns the receive slots of this device's published media, with
    /// a renegotiation offer when slots are added.
    pub fn update_media(
        &mut self,
        call_id: &str,
        sdp: Option<String>,
        receive_user_ids: Vec<String>,
    ) -> Result<RequestId, CallError> {
        self.require_connection()?;
        self.known_session(call_id)?;
        let request = Request::UpdateMedia(UpdateMediaParams {
            call_id: call_id.to_string(),
            sdp,
            receive_user_ids,
        });
        Ok(self.queue(request, Pending::UpdateMedia))
    }

    /// Chooses which of `user_id`'s video streams this device receives in the current call.
    pub fn subscribe_video(&mut self, user_id: &str, low_resolution: bool) -> Option<RequestId> {
        let call_id = self
            .current_session()
            .filter(|s| s.call_state == CallState::OnCall)
            .map(|s| s.call_id)?;
        self.is_connected().then(|| {
            let request = Request::SubscribeVideo(SubscribeVideoParams {
                call_id,
                user_id: user_id.to_string(),
                low_resolution,
            });
            self.queue(request, Pending::SetMediaState)
        })
    }

    /// The user's calls that have not ended.
    pub fn get_ongoing_call_logs(&mut self) -> Result<RequestId, CallError> {
        self.require_connection()?;
        Ok(self.queue(Request::GetOngoingCallLogs, Pending::Ongoing))
    }

    /// Deletes the user's logs of these calls (for the user only).
    pub fn delete_call_logs_for_me(
        &mut self,
        call_ids: Vec<String>,
    ) -> Result<RequestId, CallError> {
        self.require_connection()?;
        if call_ids.is_empty() || call_ids.len() > MAX_DELETE_BATCH {
            return Err(CallError::new(
                ErrorCode::ParamError,
                format!(
                    "callIds must hold 1..={MAX_DELETE_BATCH} ids, not {}",
                    call_ids.len()
                ),
            ));
        }
        let request = Request::DeleteCallLogsForMe(DeleteCallLogsParams { call_ids });
        Ok(self.queue(request, Pending::Delete))
    }

    /// Deletes all the user's logs (for the user only).
    pub fn delete_all_call_logs_for_me(&mut self) -> Result<RequestId, CallError> {
        self.require_connection()?;
        Ok(self.queue(Request::DeleteAllCallLogsForMe, Pending::DeleteAll))
    }

    /// The connected current call, for operations that need one.
    pub(super) fn active_session(&self) -> Result<CallSession, CallError> {
        let session = self
            .current_session()
            .ok_or_else(|| CallError::new(ErrorCode::NotInCall, "there is no current call"))?;
        if session.call_state != CallState::OnCall {
            return Err(CallError::new(
                ErrorCode::CallStateInvalid,
                format!(
                    "call {} is {}, not connected",
                    session.call_id,
                    session.call_state.name()
                ),
            ));
        }
        Ok(session)
    }

    /// The call a transaction id belongs to: the current one (the server
    /// checks the id itself).
    pub(super) fn transaction_call(&self, transaction_id: &str) -> Result<String, CallError> {
        self.require_connection()?;
        if transaction_id.is_empty() {
            return Err(CallError::new(
                ErrorCode::TransactionIdInvalid,
                "transaction id is empty",
            ));
        }
        Ok(self.active_session()?.call_id)
    }

    /// `startCall`: checks the parameters as the server would (PARAM_ERROR,
    /// SESSION_EXIST, LOCAL_VIEW_NOT_SET, ...) and sends the request; the
    /// answer comes as [`crate::Completion::StartCall`].
    pub fn start_call(&mut self, params: StartCallParams) -> Result<RequestId, CallError> {
        self.require_local_view(params.media_type)?;
        let me = self.require_connection()?;
        // The same structural checks the server makes, answered without a
        // round trip as the ancestor SDK does.
        params
            .check_callees(&me)
            .map_err(|(code, message)| CallError::new(code, message))?;
        if let Some(id) = self.sessions.keys().next() {
            return Err(CallError::new(
                ErrorCode::SessionExist,
                format!("already in call {id}; end it before starting another"),
            ));
        }
        if self.requests.any(|p| matches!(p, Pending::StartCall(_))) {
            return Err(CallError::new(
                ErrorCode::SessionExist,
                "a call is already being started",
            ));
        }
        if let Some(push) = &params.push_config {
            push.validate()
                .map_err(|(code, message)| CallError::new(code, message))?;
        }
        let request = Request::StartCall(StartCallRequest {
            params: params.clone(),
            media: self.local_media,
        });
        Ok(self.queue(request, Pending::StartCall(params)))
    }

    /// Answers a call that rings. If another call is active it is ended
    /// first, and the answer goes out once that hang-up succeeded (if it
    /// fails, the call is not answered and this request fails with it).
    pub fn accept_call(&mut self, call_id: &str) -> Result<RequestId, CallError> {
        if let Some(s) = self.sessions.get(call_id) {
            self.require_local_view(s.media_type)?;
        }
        self.require_connection()?;
        let session = self.known_session(call_id)?;
        if !is_incoming_ringing(session.call_state) {
            return Err(CallError::new(
                ErrorCode::CallStateInvalid,
                format!(
                    "call {call_id} is {}, not an incoming call that rings",
                    session.call_state.name()
                ),
            ));
        }
        let request = Request::AcceptCall(AcceptCallParams {
            call_id: call_id.to_string(),
            media: self.local_media,
        });
        let Some(preempted) = self.preempted_by(call_id) else {
            return Ok(self.queue(request, Pending::AcceptCall(call_id.to_string())));
        };
        // The spec: "only one active call is allowed at a time, the SDK
        // ends the current call internally before answering the new one".
        // A plain hang-up: HANGUP here, REMOTE_HANGUP for the others, as
        // in the ancestor.
        let accept = self.requests.open(Pending::AcceptCall(call_id.to_string()));
        let hang_up = Request::EndCall(nccall_protocol::EndCallParams {
            call_id: preempted,
            push_config: None,
        });
        self.queue(
            hang_up,
            Pending::PreemptingEnd {
                accept,
                frame: Box::new(request),
            },
        );
        Ok(accept)
    }

    /// The active call that answering `call_id` would end, if any.
    fn preempted_by(&self, call_id: &str) -> Option<String> {
        let current = self.current.as_deref().filter(|c| *c != call_id)?;
        let session = self.sessions.get(current)?;
        matches!(
            session.call_state,
            CallState::OnCall
                | CallState::Connecting
                | CallState::Calling
                | CallState::BusylineWait
        )
        .then(|| current.to_string())
    }

    /// The spec: a local view must be set before a video call is placed or
    /// answered (the shell says whether one is, [`CallMachine::set_local_view`]).
    fn require_local_view(&self, media_type: CallMediaType) -> Result<(), CallError> {
        if media_type == CallMediaType::AudioVideo && !self.local_view {
            return Err(CallError::new(
                ErrorCode::LocalViewNotSet,
                "set the local video view before placing or answering a video call",
            ));
        }
        Ok(())
    }

    /// Whether the app has set a local video view (`setLocalVideoView`).
    pub fn set_local_view(&mut self, present: bool) {
        self.local_view = present;
    }

    /// Invites users into the current call; a one-to-one call becomes a group call.
    pub fn invite_to_call(&mut self, user_ids: Vec<String>) -> Result<RequestId, CallError> {
        let me = self.require_connection()?;
        let session = self.current_session().ok_or_else(|| {
            CallError::new(
                ErrorCode::NotInCall,
                "there is no current call to invite into",
            )
        })?;
        if is_incoming_ringing(session.call_state) {
            return Err(CallError::new(
                ErrorCode::CallStateInvalid,
                format!("answer call {} before inviting others", session.call_id),
            ));
        }
        let mut seen = HashSet::new();
        if user_ids.is_empty()
            || user_ids
                .iter()
                .any(|u| u.is_empty() || !seen.insert(u.as_str()))
        {
            return Err(CallError::new(
                ErrorCode::UserListInvalid,
                format!("userIds must be non-empty, without empty or repeated ids: {user_ids:?}"),
            ));
        }
        if user_ids.contains(&me) {
            return Err(CallError::new(
                ErrorCode::UserAlreadyInCall,
                format!("{me} is already in call {}", session.call_id),
            ));
        }
        let request = Request::InviteToCall(InviteToCallParams {
            call_id: session.call_id.clone(),
            user_ids,
        });
        Ok(self.queue(request, Pending::InviteToCall))
    }

    /// Joins an ongoing group call directly.
    pub fn join_call(&mut self, call_id: &str) -> Result<RequestId, CallError> {
        self.require_connection()?;
        if call_id.is_empty() {
            return Err(CallError::new(ErrorCode::CallIdInvalid, "call id is empty"));
        }
        if let Some(active) = self
            .sessions
            .values()
            .find(|s| !is_incoming_ringing(s.call_state))
        {
            return Err(CallError::new(
                ErrorCode::SessionExist,
                format!(
                    "already in call {}; end it before joining another",
                    active.call_id
                ),
            ));
        }
        let request = Request::JoinCall(JoinCallParams {
            call_id: call_id.to_string(),
            media: self.local_media,
        });
        Ok(self.queue(request, Pending::JoinCall))
    }

    /// Ends `call_id`, or the current call when `call_id` is `None`.
    pub fn end_call(
        &mut self,
        call_id: Option<&str>,
        push_config: Option<nccall_protocol::PushConfig>,
    ) -> Result<RequestId, CallError> {
        self.require_connection()?;
        if let Some(push) = &push_config {
            push.validate()
                .map_err(|(code, message)| CallError::new(code, message))?;
        }
        let call_id = match call_id {
            Some(id) => self.known_session(id)?.call_id.clone(),
            None => self.current.clone().ok_or_else(|| {
                CallError::new(ErrorCode::NotInCall, "there is no current call to end")
            })?,
        };
        let request = Request::EndCall(nccall_protocol::EndCallParams {
            call_id,
            push_config,
        });
        Ok(self.queue(request, Pending::EndCall))
    }

    pub(super) fn require_connection(&self) -> Result<String, CallError> {
        self.user_id.clone().ok_or_else(|| {
            CallError::new(
                ErrorCode::SignalDisconnected,
                "not connected: call connect first",
            )
        })
    }

    pub(super) fn known_session(&self, call_id: &str) -> Result<&CallSession, CallError> {
        if call_id.is_empty() {
            return Err(CallError::new(ErrorCode::CallIdInvalid, "call id is empty"));
        }
        self.sessions
            .get(call_id)
            .ok_or_else(|| CallError::new(ErrorCode::CallIdInvalid, format!("no call {call_id}")))
    }
}
