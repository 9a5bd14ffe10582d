//! Wire protocol between an NCCallEngine implementation and the nccall simulator.
//!
//! Every frame is one JSON text message on a WebSocket. The client sends
//! [`ClientFrame`]s (requests with ids); the server answers each with a
//! [`ServerFrame::Response`] carrying a numeric code, and pushes
//! [`ServerFrame::Event`]s with a per-user sequence number. `docs/protocol.md`
//! describes the same thing for implementers in other languages.
//!
//! The enums here are the spec's enums (`NCCallType`, `NCCallMediaType`,
//! `NCCallState`, `NCCallUserState`, `NCCallLogOrder`) plus the end-reason and
//! error-code tables; the engine re-exports them as its public types.

#![warn(missing_docs)]

mod call_log;
mod coded;
mod codes;
mod enums;
mod frames;

pub use call_log::{
    CallDirection, CallLog, CallLogList, CallLogPage, CallLogParticipant, DeleteAllCallLogsResult,
    DeleteCallLogsParams, DeleteCallLogsResult, GetHistoryCallLogsParams, MAX_DELETE_BATCH,
    MAX_HISTORY_PAGE, missed,
};
pub use codes::ErrorCode;
pub use enums::{
    CallEndReason, CallLogOrder, CallMediaType, CallState, CallType, CallUserState,
    MediaTypeChangeResult, VideoFrameRate, VideoResolution,
};
pub use frames::{
    AcceptCallParams, AckParams, CallInfo, ClientFrame, EndCallParams, HeartbeatResult,
    HelloParams, HelloResult, InviteToCallParams, InviteToCallResult, JoinCallParams, MediaState,
    Participant, PublishMediaParams, PublishMediaResult, PushConfig, ReplyChangeMediaTypeParams,
    Request, RequestChangeMediaTypeParams, RequestChangeMediaTypeResult, Response, ResumeParams,
    ServerEvent, ServerFrame, SetMediaStateParams, StartCallParams, StartCallRequest,
    StartCallResult, SubscribeVideoParams, TransactionParams, UpdateMediaParams, UpdateMediaResult,
    UserStateEntry,
};

/// Version of this protocol. A client names it in `hello`; the server refuses
/// versions it does not speak with [`ErrorCode::ProtocolVersionUnsupported`].
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest text frame the simulator accepts, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Requests a connection may send per second, sustained; more are answered
/// `RATE_LIMITED`.
pub const RATE_LIMIT_PER_SECOND: u32 = 200;
/// Requests a connection may send at once after a quiet spell.
pub const RATE_LIMIT_BURST: u32 = 400;
/// Refusals (each second forgives a tenth of `RATE_LIMIT_PER_SECOND` of
/// them) past which the server closes the connection.
pub const RATE_LIMIT_CLOSE_AFTER: u32 = 400;
