//! Result codes: one table shared by the engine's errors and the server's responses.
//!
//! 0 and 80001–80012 are the values of the product's ancestor (RongCloud
//! CallPlus `RCCallPlusCode`); the spec gives none. 80013 and up are defined by
//! this project. `docs/codes.md` lists them all.

use crate::coded::coded_enum;

coded_enum! {
    /// A stable numeric result code. `Success` is 0; every other value is a
    /// failure. On the wire a code travels as its number.
    pub enum ErrorCode, wire = none {
        /// No error (only in a response's `code`).
        Success = 0, "SUCCESS";
        /// A parameter is missing or malformed.
        ParamError = 80001, "PARAM_ERROR";
        /// A call is already in progress, so a new one cannot be started.
        SessionExist = 80002, "SESSION_EXIST";
        /// The operation needs a current call, and there is none.
        NotInCall = 80003, "NOT_IN_CALL";
        /// The requested media type is not valid here.
        MediaTypeInvalid = 80004, "MEDIATYPE_INVALID";
        /// The operation needs a video call.
        NotVideoCall = 80005, "NOT_VIDEO_CALL";
        /// Audio and video calling is not enabled for this app key.
        RtcServiceUnavailable = 80006, "RTC_SERVICE_UNAVAILABLE";
        /// The callee list is empty, or holds an empty or repeated id.
        UserListInvalid = 80007, "USER_LIST_INVALID";
        /// No call with this id is known to the user.
        CallIdInvalid = 80008, "CALL_ID_INVALID";
        /// No pending media-type change has this transaction id.
        TransactionIdInvalid = 80009, "TRANSACTION_ID_INVALID";
        /// A user id is empty, unknown to the app, or the caller's own.
        UserIdInvalid = 80010, "USER_ID_INVALID";
        /// A SINGLE call was asked for with more than one callee.
        SingleCallNotSupportMultiPerson = 80011, "SINGLE_CALL_NOT_SUPPORT_MULTI_PERSON";
        /// There is no live signaling connection.
        SignalDisconnected = 80012, "SIGNAL_DISCONNECTED";
        /// The call exists but its state does not allow this operation
        /// (e.g. accepting an outgoing or already connected call).
        CallStateInvalid = 80013, "CALL_STATE_INVALID";
        /// Understood, but not implemented by this implementation yet.
        Unsupported = 80014, "UNSUPPORTED";
        /// The user is already in the call (inviting or joining them again).
        UserAlreadyInCall = 80015, "USER_ALREADY_IN_CALL";
        /// The call would exceed the app's participant limit.
        ParticipantLimitExceeded = 80016, "PARTICIPANT_LIMIT_EXCEEDED";
        /// The operation is for one-to-one calls only (media-type change).
        GroupCallNotSupported = 80017, "GROUP_CALL_NOT_SUPPORTED";
        /// A media-type change is already pending in this call.
        MediaTypeChangePending = 80018, "MEDIA_TYPE_CHANGE_PENDING";
        /// No device with this id (of this kind) is present.
        DeviceIdInvalid = 80019, "DEVICE_ID_INVALID";
        /// The device is present but cannot be opened (busy, gone since it
        /// was listed, or no format the engine can use).
        DeviceUnavailable = 80029, "DEVICE_UNAVAILABLE";
        /// The app key is not known to the server.
        AppKeyInvalid = 80020, "APP_KEY_INVALID";
        /// The token does not belong to a user of this app.
        TokenInvalid = 80021, "TOKEN_INVALID";
        /// The client speaks a protocol version the server does not.
        ProtocolVersionUnsupported = 80022, "PROTOCOL_VERSION_UNSUPPORTED";
        /// The frame is not valid JSON, not a known message, or too large.
        BadFrame = 80023, "BAD_FRAME";
        /// A request other than `hello` arrived before the connection was authenticated.
        NotAuthenticated = 80024, "NOT_AUTHENTICATED";
        /// A video call needs the local video view set first (the spec's rule).
        LocalViewNotSet = 80027, "LOCAL_VIEW_NOT_SET";
        /// The server failed internally (e.g. its storage); try again.
        ServerError = 80026, "SERVER_ERROR";
        /// The connection sent requests faster than the server's per-connection
        /// rate limit; the request was dropped.
        RateLimited = 80028, "RATE_LIMITED";
        /// The TLS handshake with a `wss://` server failed (its certificate
        /// is not trusted, or is not for that name); not retried.
        TlsFailed = 80030, "TLS_FAILED";
        /// The server did not answer within the engine's request timeout.
        RequestTimeout = 80025, "REQUEST_TIMEOUT";
        /// The server answered with a code this implementation does not know.
        UnknownServerCode = 80099, "UNKNOWN_SERVER_CODE";
    }
}

impl ErrorCode {
    /// Whether this project chose the number (80013 and up): neither the
    /// spec nor the ancestor gives it, so an SDK that answers a different
    /// failure code there differs from this project, not from the spec.
    pub fn is_project_defined(self) -> bool {
        self.code() >= 80013
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_round_trip() {
        let mut numbers = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for &c in ErrorCode::ALL {
            assert!(numbers.insert(c.code()), "duplicate number for {c:?}");
            assert!(names.insert(c.name()), "duplicate name for {c:?}");
            assert_eq!(ErrorCode::from_code(c.code()), Some(c));
            assert_eq!(ErrorCode::from_name(c.name()), Some(c));
        }
    }

    #[test]
    fn ancestor_values_are_kept() {
        assert_eq!(ErrorCode::Success.code(), 0);
        assert_eq!(ErrorCode::SessionExist.code(), 80002);
        assert_eq!(ErrorCode::SignalDisconnected.code(), 80012);
        assert_eq!(
            ErrorCode::SignalDisconnected.to_string(),
            "SIGNAL_DISCONNECTED(80012)"
        );
    }
}
