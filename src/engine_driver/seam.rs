//! [`EngineDriver`]: what the steps ask of one SDK instance, the trait every
//! implementation provides.

use std::sync::Arc;
use std::time::Duration;

use nccall::{
    AndroidPushConfigBuilder, CallEngine, CallLog, CallLogPage, CallMediaType, CallSession,
    ConnectParams, ConnectionStatus, DeleteCallLogsResult, DeviceInfo, DeviceKind, EndCallParams,
    GetHistoryCallLogsParams, InviteToCallResult, MediaStats, RecordingView, StartCallParams,
    StartCallResult, VideoCapture, VideoFrameRate, VideoResolution,
};

use super::DriverResult;
use crate::recorders::QualityRecorder;

/// What the steps ask of one SDK instance: every spec method (Rust names)
/// and every instrumentation command. Implemented by [`InProcess`] (the
/// reference engine in this process) and [`Remote`] (an engine of a driver
/// process, over the driver protocol); the steps hold an [`Sdk`].
#[async_trait::async_trait]
pub trait EngineDriver: Send + Sync {
    /// The reference engine, when this is it, in this process.
    fn in_process(&self) -> Option<&CallEngine> {
        None
    }

    /// `get…Devices` for one kind.
    async fn devices(&self, kind: DeviceKind) -> DriverResult<Vec<DeviceInfo>>;

    /// `select…Device` for one kind.
    async fn select_device(&self, kind: DeviceKind, device_id: &str) -> DriverResult<()>;

    /// `setVideoConfig` with a config made by the SDK's own builder.
    async fn set_video_config(
        &self,
        resolution: VideoResolution,
        frame_rate: VideoFrameRate,
        min_bitrate_kbps: Option<u32>,
        max_bitrate_kbps: Option<u32>,
    ) -> DriverResult<()>;

    /// `createAndroidPushConfigBuilder` (a value builder: made here when
    /// the SDK is remote).
    fn create_android_push_config_builder(&self) -> AndroidPushConfigBuilder;

    /// Plugs a virtual device in (`plugged`) or out.
    async fn plug_device(&self, device_id: &str, plugged: bool) -> DriverResult<()>;

    async fn connect(&self, params: ConnectParams) -> DriverResult<String>;

    async fn disconnect(&self) -> DriverResult<()>;

    /// A round trip to the server: every event it sent before has been
    /// delivered when this returns.
    async fn heartbeat(&self) -> DriverResult<i64>;

    async fn start_call(&self, params: StartCallParams) -> DriverResult<StartCallResult>;

    async fn accept_call(&self, call_id: &str) -> DriverResult<()>;

    async fn end_call(&self, params: EndCallParams) -> DriverResult<()>;

    async fn join_call(&self, call_id: &str) -> DriverResult<()>;

    async fn invite_to_call(&self, user_ids: Vec<String>) -> DriverResult<InviteToCallResult>;

    async fn enable_camera(&self, enable: bool) -> DriverResult<()>;

    async fn enable_microphone(&self, enable: bool) -> DriverResult<()>;

    async fn is_camera_enabled(&self) -> DriverResult<bool>;

    async fn is_microphone_enabled(&self) -> DriverResult<bool>;

    /// Returns the transaction id.
    async fn request_change_media_type(&self, media_type: CallMediaType) -> DriverResult<String>;

    async fn cancel_change_media_type(&self, transaction_id: &str) -> DriverResult<()>;

    async fn reply_change_media_type(
        &self,
        transaction_id: &str,
        is_agreed: bool,
    ) -> DriverResult<()>;

    async fn get_current_call_session(&self) -> DriverResult<Option<CallSession>>;

    async fn get_history_call_logs(
        &self,
        params: GetHistoryCallLogsParams,
    ) -> DriverResult<CallLogPage>;

    async fn get_ongoing_call_logs(&self) -> DriverResult<Vec<CallLog>>;

    async fn delete_call_logs_for_me(
        &self,
        call_ids: Vec<String>,
    ) -> DriverResult<DeleteCallLogsResult>;

    /// Returns how many logs were deleted.
    async fn delete_all_call_logs_for_me(&self) -> DriverResult<u64>;

    /// Shows the participant's own camera in `view`.
    async fn set_local_video_view(&self, view: Arc<RecordingView>) -> DriverResult<()>;

    /// Shows `user_id`'s video in `view` (its low-resolution stream if asked).
    async fn set_remote_video_view(
        &self,
        user_id: &str,
        low_resolution: bool,
        view: Arc<RecordingView>,
    ) -> DriverResult<()>;

    async fn remove_video_view(&self, user_id: &str) -> DriverResult<()>;

    /// Quality and volume callbacks go to `recorder`.
    async fn set_connection_quality_handler(
        &self,
        recorder: Arc<QualityRecorder>,
    ) -> DriverResult<()>;

    /// Registers an event handler (`setCallEventHandler`) that writes down
    /// what it hears, beside the event stream the suite records.
    async fn set_call_event_handler(&self) -> DriverResult<()>;

    /// The callbacks the handler of [`EngineDriver::set_call_event_handler`] heard.
    async fn handled_callbacks(&self) -> DriverResult<Vec<String>>;

    async fn device_in_use(&self, kind: DeviceKind) -> DriverResult<Option<String>>;

    async fn video_capture(&self) -> DriverResult<Option<VideoCapture>>;

    async fn media_stats(&self) -> DriverResult<MediaStats>;

    async fn audio_packets_from(&self, user_id: &str) -> DriverResult<u64>;

    /// The marker tone (Hz) last heard in the decoded audio from `user_id`.
    async fn heard_tone_from(&self, user_id: &str) -> DriverResult<Option<u32>>;

    /// Waits until `count` audio packets arrived in all; returns how many did.
    async fn wait_for_audio_packets(&self, count: u64, timeout: Duration) -> DriverResult<u64>;

    /// Waits until `count` audio packets arrived from `user_id` in all.
    async fn wait_for_audio_from(
        &self,
        user_id: &str,
        count: u64,
        timeout: Duration,
    ) -> DriverResult<u64>;

    /// Waits until the media connection is up (or down); returns whether it is.
    async fn wait_media_connected(&self, connected: bool, timeout: Duration) -> DriverResult<bool>;

    async fn connection_status(&self) -> DriverResult<ConnectionStatus>;

    /// How often the engine reconnected on its own.
    async fn reconnections(&self) -> DriverResult<u64>;

    async fn wait_connection_status(
        &self,
        status: ConnectionStatus,
        timeout: Duration,
    ) -> DriverResult<bool>;

    /// Waits until the engine has reconnected more than `count` times.
    async fn wait_reconnected(&self, count: u64, timeout: Duration) -> DriverResult<bool>;
}
