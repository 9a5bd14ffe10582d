//! The spec's enums, with stable numbers.
//!
//! Where the spec gives a value (`NCCallLogOrder`) it is used. Where it gives
//! none, the value of the product's ancestor, RongCloud CallPlus, is used
//! (`RCCallPlusType`, `RCCallPlusMediaType`, `RCCallPlusCallState`); end reasons
//! follow RongCloud's documented table (local 1–10, remote = local + 10, …).
//! `docs/codes.md` lists every value and says where it comes from.

use crate::coded::coded_enum;

coded_enum! {
    /// `NCCallType`: one-to-one or group.
    pub enum CallType, wire = name {
        /// A one-to-one call.
        Single = 0, "SINGLE";
        /// A group call (several callees, invitations, joining).
        Group = 1, "GROUP";
    }
}

coded_enum! {
    /// `NCCallMediaType`: audio only, or audio and video.
    pub enum CallMediaType, wire = name {
        /// Audio only.
        Audio = 0, "AUDIO";
        /// Audio and video.
        AudioVideo = 1, "AUDIO_VIDEO";
    }
}

coded_enum! {
    /// `NCCallState`: the state of a call as the local user sees it.
    pub enum CallState, wire = name {
        /// No call.
        Idle = 0, "IDLE";
        /// Outgoing: the local user called and nobody has answered yet.
        Calling = 100, "CALLING";
        /// Incoming: known to the server but not yet ringing on this device.
        Invited = 101, "INVITED";
        /// Incoming: ringing on this device.
        Ringing = 102, "RINGING";
        /// Incoming while another call is active.
        BusylineRinging = 103, "BUSYLINE_RINGING";
        /// Outgoing to a callee who is in another call.
        BusylineWait = 104, "BUSYLINE_WAIT";
        /// Answered locally; waiting for the server to connect the call.
        Connecting = 200, "CONNECTING";
        /// Connected.
        OnCall = 300, "ONCALL";
        /// Ended after being connected (hang-up, network, preemption...).
        Ended = 1000, "ENDED";
        /// Outgoing call that the callee did not answer in time.
        NoAnswer = 1001, "NOANSWER";
        /// Incoming call the local user did not answer (timeout, or the caller cancelled).
        Missed = 1002, "MISSED";
        /// Outgoing call the local user cancelled before it was answered.
        Canceled = 1003, "CANCELED";
        /// Outgoing call the callee declined, or incoming call the local user rejected.
        Declined = 1004, "DECLINED";
        /// The call failed.
        Error = 2000, "ERROR";
    }
}

impl CallState {
    /// Whether the call is over in this state.
    pub fn is_terminal(self) -> bool {
        self.code() >= 1000
    }
}

coded_enum! {
    /// `NCCallUserState`: the state of one participant of a call.
    pub enum CallUserState, wire = name {
        /// Not in the call.
        Idle = 0, "IDLE";
        /// The caller, while the call is being placed.
        Calling = 100, "CALLING";
        /// Invited; the invitation has not reached a device yet (offline).
        Invited = 101, "INVITED";
        /// Invited and ringing on at least one device.
        Ringing = 102, "RINGING";
        /// Ringing while in another call.
        BusylineRinging = 103, "BUSYLINE_RINGING";
        /// Answered; media is being set up.
        Connecting = 200, "CONNECTING";
        /// In the call.
        OnCall = 300, "ONCALL";
        /// Left the call, or never joined it; the accompanying reason says why.
        Ended = 1000, "ENDED";
    }
}

coded_enum! {
    /// `NCCallLogOrder`: direction of a history query (values from the spec).
    pub enum CallLogOrder, wire = name {
        /// Records after `startTime`.
        Asc = 0, "ASC";
        /// Records before `startTime`.
        Desc = 1, "DESC";
    }
}

coded_enum! {
    /// Why a call ended, from the point of view of the user who receives it.
    ///
    /// Local reasons (what this user or device did) are 1–10 and 21–25; the
    /// reason the *other* party sees for the same act is the remote
    /// counterpart, local + 10 (see [`CallEndReason::remote_counterpart`]).
    pub enum CallEndReason, wire = name {
        /// I hung up my outgoing call before it was answered.
        Cancel = 1, "CANCEL";
        /// I rejected the incoming call.
        Reject = 2, "REJECT";
        /// I hung up a connected call.
        Hangup = 3, "HANGUP";
        /// I was busy in another call.
        BusyLine = 4, "BUSY_LINE";
        /// I did not answer in time.
        NoResponse = 5, "NO_RESPONSE";
        /// My engine does not support the call.
        EngineUnsupported = 6, "ENGINE_UNSUPPORTED";
        /// My network failed.
        NetworkError = 7, "NETWORK_ERROR";
        /// My camera or microphone could not be acquired.
        GetMediaResourcesError = 8, "GET_MEDIA_RESOURCES_ERROR";
        /// Publishing my media failed.
        PublishError = 9, "PUBLISH_ERROR";
        /// Subscribing to remote media failed.
        SubscribeError = 10, "SUBSCRIBE_ERROR";
        /// The caller hung up before I answered.
        RemoteCancel = 11, "REMOTE_CANCEL";
        /// The callee rejected my call.
        RemoteReject = 12, "REMOTE_REJECT";
        /// The other side hung up a connected call.
        RemoteHangup = 13, "REMOTE_HANGUP";
        /// The callee was busy in another call.
        RemoteBusyLine = 14, "REMOTE_BUSY_LINE";
        /// The callee did not answer in time.
        RemoteNoResponse = 15, "REMOTE_NO_RESPONSE";
        /// The other side's engine does not support the call.
        RemoteEngineUnsupported = 16, "REMOTE_ENGINE_UNSUPPORTED";
        /// The other side's network failed.
        RemoteNetworkError = 17, "REMOTE_NETWORK_ERROR";
        /// The other side could not open its camera or microphone.
        RemoteGetMediaResourcesError = 18, "REMOTE_GET_MEDIA_RESOURCES_ERROR";
        /// The other side could not publish its media.
        RemotePublishError = 19, "REMOTE_PUBLISH_ERROR";
        /// The other side could not receive my media.
        RemoteSubscribeError = 20, "REMOTE_SUBSCRIBE_ERROR";
        /// Another device of mine joined a different call.
        OtherClientJoinedCall = 21, "OTHER_CLIENT_JOINED_CALL";
        /// Another device of mine is already in a call.
        OtherClientInCall = 22, "OTHER_CLIENT_IN_CALL";
        /// The server removed me from the call.
        KickedByServer = 23, "KICKED_BY_SERVER";
        /// I answered a system (GSM) call.
        AcceptSystemCall = 24, "ACCEPT_SYSTEM_CALL";
        /// The other side's other device joined the call.
        RemoteOtherClientJoinedCall = 31, "REMOTE_OTHER_CLIENT_JOINED_CALL";
        /// The other side's other device was already in a call.
        RemoteOtherClientInCall = 32, "REMOTE_OTHER_CLIENT_IN_CALL";
        /// The server removed the other side from the call.
        RemoteKickedByServer = 33, "REMOTE_KICKED_BY_SERVER";
        /// The other side answered a phone (system) call.
        RemoteAcceptSystemCall = 34, "REMOTE_ACCEPT_SYSTEM_CALL";
        /// Answered on another device of mine.
        AcceptByOtherClient = 101, "ACCEPT_BY_OTHER_CLIENT";
        /// Rejected or hung up on another device of mine.
        HangupByOtherClient = 102, "HANGUP_BY_OTHER_CLIENT";
        /// The callee has blocked me.
        AddedToBlacklist = 103, "ADDED_TO_BLACKLIST";
        /// Calling is not enabled for the app.
        ServiceNotOpened = 104, "SERVICE_NOT_OPENED";
    }
}

impl CallEndReason {
    /// The reason the other party sees when this user ends a call for this
    /// reason: local 1–10 and 21–24 map to +10; other reasons have no
    /// counterpart and are returned unchanged.
    pub fn remote_counterpart(self) -> CallEndReason {
        let n = self.code();
        let remote = match n {
            1..=10 | 21..=24 => n + 10,
            _ => n,
        };
        CallEndReason::from_code(remote).unwrap_or(self)
    }

    /// Whether the reason names something the other party did.
    pub fn is_remote(self) -> bool {
        matches!(self.code(), 11..=20 | 31..=34)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_local_reason_has_a_distinct_remote_counterpart() {
        for &r in CallEndReason::ALL {
            let c = r.remote_counterpart();
            if matches!(r.code(), 1..=10 | 21..=24) {
                assert!(c.is_remote(), "{r} maps to {c}");
                assert_eq!(c.code(), r.code() + 10);
            } else {
                assert_eq!(c, r);
            }
        }
    }

    #[test]
    fn enums_travel_as_names_and_accept_numbers() {
        let json = serde_json::to_string(&CallMediaType::AudioVideo).unwrap();
        assert_eq!(json, "\"AUDIO_VIDEO\"");
        let from_name: CallMediaType = serde_json::from_str("\"AUDIO\"").unwrap();
        let from_code: CallMediaType = serde_json::from_str("1").unwrap();
        assert_eq!(from_name, CallMediaType::Audio);
        assert_eq!(from_code, CallMediaType::AudioVideo);
        assert!(serde_json::from_str::<CallMediaType>("\"VIDEO\"").is_err());
        assert!(serde_json::from_str::<CallMediaType>("7").is_err());
    }

    #[test]
    fn spec_values() {
        assert_eq!(CallLogOrder::Asc.code(), 0);
        assert_eq!(CallLogOrder::Desc.code(), 1);
        assert_eq!(CallState::OnCall.code(), 300);
        assert!(CallState::Missed.is_terminal());
        assert!(!CallState::OnCall.is_terminal());
    }
}

coded_enum! {
    /// Outcome of a media-type change request (`onMediaTypeChangeResultReceived`'s
    /// `result`). The spec names the outcomes but gives no values; these are
    /// defined by this project.
    pub enum MediaTypeChangeResult, wire = name {
        /// The server allowed the change; the call now has the new media type.
        Allowed = 0, "ALLOWED";
        /// The requester cancelled the request.
        Canceled = 1, "CANCELED";
        /// The responder rejected the request.
        Rejected = 2, "REJECTED";
        /// Nobody answered the request in time.
        Timeout = 3, "TIMEOUT";
    }
}

coded_enum! {
    /// `NCCallVideoResolution`: capture resolutions. The spec names
    /// 640×480 (the default) and 640×360; the others are the ancestor's
    /// common sizes. Numbers are this project's.
    pub enum VideoResolution, wire = name {
        /// 176 × 144 pixels.
        R176x144 = 1, "RESOLUTION_176X144";
        /// 240 × 240 pixels.
        R240x240 = 2, "RESOLUTION_240X240";
        /// 320 × 180 pixels.
        R320x180 = 3, "RESOLUTION_320X180";
        /// 320 × 240 pixels.
        R320x240 = 4, "RESOLUTION_320X240";
        /// 480 × 360 pixels.
        R480x360 = 5, "RESOLUTION_480X360";
        /// 640 × 360 pixels.
        R640x360 = 6, "RESOLUTION_640X360";
        /// 640 × 480 pixels.
        R640x480 = 7, "RESOLUTION_640X480";
        /// 720 × 480 pixels.
        R720x480 = 8, "RESOLUTION_720X480";
        /// 1280 × 720 pixels.
        R1280x720 = 9, "RESOLUTION_1280X720";
        /// 1920 × 1080 pixels.
        R1920x1080 = 10, "RESOLUTION_1920X1080";
    }
}

impl VideoResolution {
    /// Width and height in pixels.
    pub fn size(self) -> (u32, u32) {
        let name = self.name().trim_start_matches("RESOLUTION_");
        let mut parts = name.split('X').map(|p| p.parse::<u32>().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    }
}

coded_enum! {
    /// `NCCallVideoFrameRate`: capture frame rates (the spec names FPS_15,
    /// the default, and FPS_24). Numbers are frames per second.
    pub enum VideoFrameRate, wire = name {
        /// 10 frames a second.
        Fps10 = 10, "FPS_10";
        /// 15 frames a second.
        Fps15 = 15, "FPS_15";
        /// 24 frames a second.
        Fps24 = 24, "FPS_24";
        /// 30 frames a second.
        Fps30 = 30, "FPS_30";
    }
}
