//! The server's answers: each completes the request it answers, and
//! some change the machine's sessions (a call started, joined, accepted).

use std::collections::HashSet;
use std::time::Instant;

use nccall_protocol::{
    CallInfo, CallLogList, CallLogPage, CallState, CallType, CallUserState, ClientFrame,
    DeleteAllCallLogsResult, DeleteCallLogsResult, ErrorCode, InviteToCallResult,
    PublishMediaResult, RequestChangeMediaTypeResult, Response, StartCallParams, StartCallResult,
    UpdateMediaResult,
};

use super::{CallMachine, Completion, Output};
use crate::call::requests::Pending;
use crate::error::CallError;
use crate::session::{CallSession, RemoteParticipant, SessionRecord};

impl CallMachine {
    pub(super) fn handle_response(&mut self, now: Instant, response: Response) {
        let Some(pending) = self.requests.take(response.id) else {
            return; // answer to a request that timed out
        };
        if let Pending::Hello = pending {
            return self.on_hello(now, response);
        }
        if response.code != ErrorCode::Success.code() {
            let error = CallError::from_server(response.code, response.message);
            self.fail(response.id, pending, error);
            return;
        }
        if let Pending::PreemptingEnd { accept, frame } = pending {
            // The current call is over: now the answer goes out.
            self.outputs.push_back(Output::Transmit(ClientFrame {
                id: accept,
                request: *frame,
            }));
            return;
        }
        let result = match pending {
            Pending::Hello | Pending::Connect => return, // answered elsewhere
            Pending::Ack => Ok(Completion::Done),
            Pending::Heartbeat => {
                decode::<nccall_protocol::HeartbeatResult>(response.result).map(|hb| {
                    self.server_time = Some(hb.server_time);
                    Completion::Heartbeat(hb.server_time)
                })
            }
            Pending::StartCall(params) => {
                decode::<StartCallResult>(response.result).map(|started| {
                    self.begin_outgoing(&params, &started);
                    Completion::StartCall(started)
                })
            }
            Pending::AcceptCall(call_id) => {
                if let Some(s) = self.sessions.get_mut(&call_id)
                    && s.call_state == CallState::Ringing
                {
                    s.call_state = CallState::Connecting;
                }
                self.current = Some(call_id);
                Ok(Completion::Done)
            }
            Pending::EndCall | Pending::PreemptingEnd { .. } => Ok(Completion::Done),
            Pending::SetMediaState | Pending::SettleMediaChange => Ok(Completion::Done),
            Pending::History => decode::<CallLogPage>(response.result).map(Completion::CallLogPage),
            Pending::Publish => {
                decode::<PublishMediaResult>(response.result).map(|r| Completion::Published(r.sdp))
            }
            Pending::UpdateMedia => decode::<UpdateMediaResult>(response.result)
                .map(|r| Completion::MediaUpdated(r.sdp)),
            Pending::Ongoing => decode::<CallLogList>(response.result)
                .map(|l| Completion::CallLogs(l.call_log_list)),
            Pending::Delete => {
                decode::<DeleteCallLogsResult>(response.result).map(Completion::Deleted)
            }
            Pending::DeleteAll => decode::<DeleteAllCallLogsResult>(response.result)
                .map(|r| Completion::DeletedAll(r.deleted_count)),
            Pending::RequestMediaChange => decode::<RequestChangeMediaTypeResult>(response.result)
                .map(|r| Completion::MediaTypeChangeRequested(r.transaction_id)),
            Pending::InviteToCall => {
                decode::<InviteToCallResult>(response.result).map(Completion::InviteToCall)
            }
            Pending::JoinCall => decode::<CallInfo>(response.result).map(|info| {
                self.begin_joined(info);
                Completion::Done
            }),
        };
        self.complete(response.id, result);
    }

    pub(super) fn begin_outgoing(&mut self, params: &StartCallParams, started: &StartCallResult) {
        let me = self.user_id.clone().unwrap_or_default();
        let busy: HashSet<&str> = started
            .busy_line_user_list
            .iter()
            .map(|b| b.user_id.as_str())
            .collect();
        // A one-to-one callee who is busy but rings anyway: busy-line waiting.
        let waiting_on_busy = params.call_type == CallType::Single && !busy.is_empty();
        let session = CallSession {
            call_id: started.call_id.clone(),
            call_state: if waiting_on_busy {
                CallState::BusylineWait
            } else {
                CallState::Calling
            },
            call_type: params.call_type,
            media_type: params.media_type,
            remote_participants: params
                .callee_ids
                .iter()
                // Busy callees join the list when the server says they ring.
                .filter(|id| !busy.contains(id.as_str()))
                .map(|id| RemoteParticipant {
                    user_id: id.clone(),
                    user_state: CallUserState::Invited,
                    camera_enabled: params.media_type == nccall_protocol::CallMediaType::AudioVideo,
                    microphone_enabled: true,
                    reached: CallUserState::Invited,
                })
                .collect(),
            caller_user_id: me.clone(),
            inviter_user_id: me,
            start_time: None,
            record: SessionRecord {
                extra: params.extra.clone(),
                target_id: params.target_id.clone(),
                reached: Some(CallUserState::Calling),
            },
        };
        self.current = Some(session.call_id.clone());
        self.sessions.insert(session.call_id.clone(), session);
    }

    pub(super) fn begin_joined(&mut self, info: CallInfo) {
        let me = self.user_id.clone().unwrap_or_default();
        let mut session = CallSession {
            call_id: info.call_id.clone(),
            call_state: CallState::Connecting,
            call_type: info.call_type,
            media_type: info.media_type,
            remote_participants: Vec::new(),
            caller_user_id: info.caller_user_id,
            inviter_user_id: info.inviter_user_id,
            start_time: None,
            record: SessionRecord {
                reached: Some(CallUserState::Connecting),
                ..SessionRecord::default()
            },
        };
        session.set_participants(&me, &info.participants);
        self.current = Some(info.call_id.clone());
        self.sessions.insert(info.call_id, session);
    }
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(
    result: Option<serde_json::Value>,
) -> Result<T, CallError> {
    let value = result.unwrap_or(serde_json::Value::Null);
    serde_json::from_value(value).map_err(|e| {
        CallError::new(
            ErrorCode::UnknownServerCode,
            format!("the server's answer could not be read: {e}"),
        )
    })
}
