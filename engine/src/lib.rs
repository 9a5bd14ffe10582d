//! nccall: a reference Rust implementation of the NCCallEngine calling SDK.
//!
//! - [`CallEngine`] (`NCCallEngine`) — connect, place, answer and end calls.
//! - [`CallSession`] (`NCCallSession`) — a call as this device sees it.
//! - [`CallEventHandler`] (`NCCallEventHandler`) and [`CallEvent`] — every
//!   callback of the spec, as a trait and as values on an [`EventStream`].
//! - [`CallMachine`] — the sans-IO core the engine wraps, usable on its own.
//!
//! `docs/api-mapping.md` maps every TypeScript name of the spec to its Rust name.

#![warn(missing_docs)]

mod call;
mod devices;
mod engine;
mod error;
mod events;
mod media;
mod millis;
mod push;
mod session;
mod signaling;
mod video;

pub use call::{CallMachine, Completion, ConnectionStatus, MachineConfig, Output, RequestId};
#[cfg(feature = "cpal")]
pub use devices::CpalDevices;
pub use devices::{
    AudioCapture, AudioPlayback, DeviceInfo, DeviceKind, DeviceLoss, DeviceProvider,
    DeviceSelection, FrameSource, ToneSource, VideoFrame, VirtualDeviceSpec, VirtualDevices,
    VirtualDevicesSpec,
};
/// The media path's audio format at the device seam: 48 kHz mono, 20 ms frames.
pub use devices::{FRAME_SAMPLES as AUDIO_FRAME_SAMPLES, SAMPLE_RATE as AUDIO_SAMPLE_RATE};
pub use engine::{
    CallEngine, ConnectParams, EndCallParams, EngineConfig, EventStream, Instrumentation,
    MediaStats,
};
pub use error::{CallError, CallResult};
pub use events::{
    CallConnectedEvent, CallEndedEvent, CallEvent, CallEventHandler, CallLogEvent,
    CallReceivedEvent, CallTypeChangedEvent, MediaTypeChangeRequestEvent,
    MediaTypeChangeResultEvent, RemoteDeviceStateEvent, RemoteUserInvitedEvent,
    RemoteUserStateChangedEvent, StartTimeReceivedEvent,
};
pub use media::{
    AudioVolume, AudioVolumeEvent, CallQuality, ConnectionQualityHandler,
    DEFAULT_MEDIA_LOSS_TIMEOUT, ICE_CHECK_INTERVAL, ICE_MAX_BINDING_REQUESTS, QUALITY_INTERVAL,
    ReceiveQualityEvent, RecordingView, RemoteVideoView, RenderedFrame, SendQualityEvent,
    VideoView, live_peer_connections,
};
pub use media::{h264, marker};
pub use nccall_protocol::{
    CallDirection, CallEndReason, CallLog, CallLogOrder, CallLogPage, CallLogParticipant,
    CallMediaType, CallState, CallType, CallUserState, DeleteCallLogsResult, ErrorCode,
    GetHistoryCallLogsParams, InviteToCallResult, MAX_DELETE_BATCH, MAX_HISTORY_PAGE,
    MediaTypeChangeResult, PushConfig, StartCallParams, StartCallResult, UserStateEntry,
    VideoFrameRate, VideoResolution,
};
pub use push::{AndroidPushConfig, AndroidPushConfigBuilder, HuaweiImportance, VivoPushType};
pub use session::{CallSession, RemoteParticipant};
pub use signaling::TlsRoots;
pub use video::{MAX_BITRATE_KBPS, VideoCapture, VideoConfig, VideoConfigBuilder};
