//! The seam between the scenarios and the SDK under test. Steps hold an
//! [`Sdk`], one per participant, never an engine type; behind it is an
//! [`EngineDriver`] (`engine_driver/seam.rs`, the trait): the reference
//! engine in this process (`in_process.rs`), or any SDK behind the driver
//! protocol (`docs/driver-protocol.md`) in another process (`remote.rs`),
//! which is how an SDK team runs the suite against their own SDK (and how
//! CI runs it through `nccall-driver`).
//!
//! Every method is a spec method (Rust names) or an instrumentation
//! command (what a test app reads off its SDK and virtual devices). A
//! remote SDK may answer a command `unimplemented`: that is
//! [`DriverError::Unimplemented`], which the suite reports as such.

mod events;
mod exercised;
mod in_process;
pub mod net;
mod remote;
mod seam;

pub use events::{EventSource, Next, SESSION_GETTERS};
pub use exercised::{exercised_so_far, forget_exercised, note_exercised};
pub use in_process::InProcess;
pub use net::{NetSdk, SharedNet};
pub use remote::Remote;
pub use seam::EngineDriver;

use std::sync::Arc;
use std::time::Duration;

use nccall::{
    AndroidPushConfigBuilder, CallEngine, CallError, CallLog, CallLogPage, CallMediaType,
    CallSession, ConnectParams, ConnectionStatus, DeleteCallLogsResult, DeviceInfo, DeviceKind,
    EndCallParams, ErrorCode, GetHistoryCallLogsParams, InviteToCallResult, MediaStats,
    RecordingView, StartCallParams, StartCallResult, VideoCapture, VideoFrameRate, VideoResolution,
};

pub use crate::driver::client::DriverError;
use crate::recorders::QualityRecorder;
use exercised::exercised;
use remote::device_command;

/// One participant's SDK instance, whichever implementation is under
/// test: the handle the steps hold. It notes every call that succeeds for
/// the coverage report, then hands the call to its [`EngineDriver`].
#[derive(Clone)]
pub struct Sdk(Arc<dyn EngineDriver>);

/// The outcome of a driver call.
pub type DriverResult<T> = Result<T, DriverError>;

impl From<CallError> for DriverError {
    fn from(e: CallError) -> Self {
        DriverError::Code {
            code: e.numeric_code(),
            message: e.message().to_string(),
        }
    }
}

impl DriverError {
    /// The SDK's refusal as a [`CallError`] (its code and message), for
    /// steps that expect one. `None` when the SDK did not get to decide:
    /// the command is unimplemented, or the driver broke.
    pub fn as_call_error(&self) -> Option<CallError> {
        match self {
            DriverError::Code { code, message } => Some(match ErrorCode::from_code(*code) {
                Some(known) => CallError::new(known, message.clone()),
                None => CallError::new(
                    ErrorCode::UnknownServerCode,
                    format!("code {code}: {message}"),
                ),
            }),
            DriverError::Unimplemented(_) | DriverError::Broken(_) => None,
        }
    }
}

impl Sdk {
    /// An SDK instance behind `driver`.
    pub fn new(driver: impl EngineDriver + 'static) -> Self {
        Sdk(Arc::new(driver))
    }

    /// The reference engine, when it is the one under test in this process
    /// (the demo and the benchmarks use it directly).
    pub fn in_process(&self) -> Option<&CallEngine> {
        self.0.in_process()
    }

    /// `get…Devices` for one kind.
    pub async fn devices(&self, kind: DeviceKind) -> DriverResult<Vec<DeviceInfo>> {
        let command = device_command(kind, false);
        exercised(command.name(), self.0.devices(kind).await)
    }

    /// `select…Device` for one kind.
    pub async fn select_device(&self, kind: DeviceKind, device_id: &str) -> DriverResult<()> {
        let command = device_command(kind, true);
        exercised(command.name(), self.0.select_device(kind, device_id).await)
    }

    /// `setVideoConfig` with a config made by the SDK's own builder.
    pub async fn set_video_config(
        &self,
        resolution: VideoResolution,
        frame_rate: VideoFrameRate,
        min_bitrate_kbps: Option<u32>,
        max_bitrate_kbps: Option<u32>,
    ) -> DriverResult<()> {
        let result = self
            .0
            .set_video_config(resolution, frame_rate, min_bitrate_kbps, max_bitrate_kbps)
            .await;
        // The config was built with the SDK's builder on the way.
        exercised("setVideoConfig", result).inspect(|_| note_exercised("createVideoConfigBuilder"))
    }

    pub fn create_android_push_config_builder(&self) -> AndroidPushConfigBuilder {
        self.0.create_android_push_config_builder()
    }

    /// Plugs a virtual device in (`plugged`) or out.
    pub async fn plug_device(&self, device_id: &str, plugged: bool) -> DriverResult<()> {
        self.0.plug_device(device_id, plugged).await
    }

    /// The tone heard from `user_id` once `more` further audio packets from
    /// them arrived (up to `timeout`); `None` if they did not.
    pub async fn heard_tone_after(
        &self,
        user_id: &str,
        more: u64,
        timeout: Duration,
    ) -> DriverResult<Option<u32>> {
        let target = self.audio_packets_from(user_id).await? + more;
        if self.wait_for_audio_from(user_id, target, timeout).await? < target {
            return Ok(None);
        }
        self.heard_tone_from(user_id).await
    }

    pub async fn connect(&self, params: ConnectParams) -> DriverResult<String> {
        exercised("connect", self.0.connect(params).await)
    }

    pub async fn disconnect(&self) -> DriverResult<()> {
        exercised("disconnect", self.0.disconnect().await)
    }

    /// A round trip to the server: every event it sent before has been
    /// delivered when this returns.
    pub async fn heartbeat(&self) -> DriverResult<i64> {
        exercised("heartbeat", self.0.heartbeat().await)
    }

    pub async fn start_call(&self, params: StartCallParams) -> DriverResult<StartCallResult> {
        exercised("startCall", self.0.start_call(params).await)
    }

    pub async fn accept_call(&self, call_id: &str) -> DriverResult<()> {
        exercised("acceptCall", self.0.accept_call(call_id).await)
    }

    pub async fn end_call(&self, params: EndCallParams) -> DriverResult<()> {
        exercised("endCall", self.0.end_call(params).await)
    }

    pub async fn join_call(&self, call_id: &str) -> DriverResult<()> {
        exercised("joinCall", self.0.join_call(call_id).await)
    }

    pub async fn invite_to_call(&self, user_ids: Vec<String>) -> DriverResult<InviteToCallResult> {
        exercised("inviteToCall", self.0.invite_to_call(user_ids).await)
    }

    pub async fn enable_camera(&self, enable: bool) -> DriverResult<()> {
        exercised("enableCamera", self.0.enable_camera(enable).await)
    }

    pub async fn enable_microphone(&self, enable: bool) -> DriverResult<()> {
        exercised("enableMicrophone", self.0.enable_microphone(enable).await)
    }

    pub async fn is_camera_enabled(&self) -> DriverResult<bool> {
        exercised("isCameraEnabled", self.0.is_camera_enabled().await)
    }

    pub async fn is_microphone_enabled(&self) -> DriverResult<bool> {
        exercised("isMicrophoneEnabled", self.0.is_microphone_enabled().await)
    }

    /// Returns the transaction id.
    pub async fn request_change_media_type(
        &self,
        media_type: CallMediaType,
    ) -> DriverResult<String> {
        exercised(
            "requestChangeMediaType",
            self.0.request_change_media_type(media_type).await,
        )
    }

    pub async fn cancel_change_media_type(&self, transaction_id: &str) -> DriverResult<()> {
        exercised(
            "cancelChangeMediaType",
            self.0.cancel_change_media_type(transaction_id).await,
        )
    }

    pub async fn reply_change_media_type(
        &self,
        transaction_id: &str,
        is_agreed: bool,
    ) -> DriverResult<()> {
        exercised(
            "replyChangeMediaType",
            self.0
                .reply_change_media_type(transaction_id, is_agreed)
                .await,
        )
    }

    pub async fn get_current_call_session(&self) -> DriverResult<Option<CallSession>> {
        exercised(
            "getCurrentCallSession",
            self.0.get_current_call_session().await,
        )
    }

    pub async fn get_history_call_logs(
        &self,
        params: GetHistoryCallLogsParams,
    ) -> DriverResult<CallLogPage> {
        exercised(
            "getHistoryCallLogs",
            self.0.get_history_call_logs(params).await,
        )
    }

    pub async fn get_ongoing_call_logs(&self) -> DriverResult<Vec<CallLog>> {
        exercised("getOngoingCallLogs", self.0.get_ongoing_call_logs().await)
    }

    pub async fn delete_call_logs_for_me(
        &self,
        call_ids: Vec<String>,
    ) -> DriverResult<DeleteCallLogsResult> {
        exercised(
            "deleteCallLogsForMe",
            self.0.delete_call_logs_for_me(call_ids).await,
        )
    }

    /// Returns how many logs were deleted.
    pub async fn delete_all_call_logs_for_me(&self) -> DriverResult<u64> {
        exercised(
            "deleteAllCallLogsForMe",
            self.0.delete_all_call_logs_for_me().await,
        )
    }

    /// Shows the participant's own camera in `view`.
    pub async fn set_local_video_view(&self, view: Arc<RecordingView>) -> DriverResult<()> {
        exercised("setLocalVideoView", self.0.set_local_video_view(view).await)
    }

    /// Shows `user_id`'s video in `view` (its low-resolution stream if asked).
    pub async fn set_remote_video_view(
        &self,
        user_id: &str,
        low_resolution: bool,
        view: Arc<RecordingView>,
    ) -> DriverResult<()> {
        exercised(
            "setRemoteVideoView",
            self.0
                .set_remote_video_view(user_id, low_resolution, view)
                .await,
        )
    }

    pub async fn remove_video_view(&self, user_id: &str) -> DriverResult<()> {
        exercised("removeVideoView", self.0.remove_video_view(user_id).await)
    }

    /// Quality and volume callbacks go to `recorder`.
    pub async fn set_connection_quality_handler(
        &self,
        recorder: Arc<QualityRecorder>,
    ) -> DriverResult<()> {
        exercised(
            "setConnectionQualityHandler",
            self.0.set_connection_quality_handler(recorder).await,
        )
    }

    /// Registers an event handler (`setCallEventHandler`) that writes down
    /// what it hears, beside the event stream the suite records.
    pub async fn set_call_event_handler(&self) -> DriverResult<()> {
        exercised("setCallEventHandler", self.0.set_call_event_handler().await)
    }

    /// The callbacks the handler of [`EngineDriver::set_call_event_handler`] heard.
    pub async fn handled_callbacks(&self) -> DriverResult<Vec<String>> {
        exercised("handledCallbacks", self.0.handled_callbacks().await)
    }

    pub async fn device_in_use(&self, kind: DeviceKind) -> DriverResult<Option<String>> {
        exercised("deviceInUse", self.0.device_in_use(kind).await)
    }

    pub async fn video_capture(&self) -> DriverResult<Option<VideoCapture>> {
        exercised("videoCapture", self.0.video_capture().await)
    }

    pub async fn media_stats(&self) -> DriverResult<MediaStats> {
        exercised("mediaStats", self.0.media_stats().await)
    }

    pub async fn audio_packets_from(&self, user_id: &str) -> DriverResult<u64> {
        exercised("audioPacketsFrom", self.0.audio_packets_from(user_id).await)
    }

    /// The marker tone (Hz) last heard in the decoded audio from `user_id`.
    pub async fn heard_tone_from(&self, user_id: &str) -> DriverResult<Option<u32>> {
        exercised("heardToneFrom", self.0.heard_tone_from(user_id).await)
    }

    /// Waits until `count` audio packets arrived in all; returns how many did.
    pub async fn wait_for_audio_packets(&self, count: u64, timeout: Duration) -> DriverResult<u64> {
        exercised(
            "waitForAudioPackets",
            self.0.wait_for_audio_packets(count, timeout).await,
        )
    }

    /// Waits until `count` audio packets arrived from `user_id` in all.
    pub async fn wait_for_audio_from(
        &self,
        user_id: &str,
        count: u64,
        timeout: Duration,
    ) -> DriverResult<u64> {
        exercised(
            "waitForAudioFrom",
            self.0.wait_for_audio_from(user_id, count, timeout).await,
        )
    }

    /// Waits until the media connection is up (or down); returns whether it is.
    pub async fn wait_media_connected(
        &self,
        connected: bool,
        timeout: Duration,
    ) -> DriverResult<bool> {
        exercised(
            "waitMediaConnected",
            self.0.wait_media_connected(connected, timeout).await,
        )
    }

    pub async fn connection_status(&self) -> DriverResult<ConnectionStatus> {
        exercised("connectionStatus", self.0.connection_status().await)
    }

    /// How often the engine reconnected on its own.
    pub async fn reconnections(&self) -> DriverResult<u64> {
        exercised("reconnections", self.0.reconnections().await)
    }

    pub async fn wait_connection_status(
        &self,
        status: ConnectionStatus,
        timeout: Duration,
    ) -> DriverResult<bool> {
        exercised(
            "waitConnectionStatus",
            self.0.wait_connection_status(status, timeout).await,
        )
    }

    /// Waits until the engine has reconnected more than `count` times.
    pub async fn wait_reconnected(&self, count: u64, timeout: Duration) -> DriverResult<bool> {
        exercised(
            "waitReconnected",
            self.0.wait_reconnected(count, timeout).await,
        )
    }
}
