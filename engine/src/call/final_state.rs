//! The state a session is left in when it ends, from the end reason: an
//! app's call screen can say "missed", "declined", "no answer" without
//! decoding reasons itself.

use nccall_protocol::{CallEndReason as R, CallState};

pub(crate) fn final_state(reason: R, was_connected: bool) -> CallState {
    if was_connected {
        return CallState::Ended;
    }
    match reason {
        R::Cancel => CallState::Canceled,
        R::RemoteCancel | R::NoResponse => CallState::Missed,
        R::Reject | R::RemoteReject => CallState::Declined,
        R::RemoteNoResponse | R::RemoteBusyLine => CallState::NoAnswer,
        R::NetworkError
        | R::EngineUnsupported
        | R::GetMediaResourcesError
        | R::PublishError
        | R::SubscribeError => CallState::Error,
        _ => CallState::Ended,
    }
}
