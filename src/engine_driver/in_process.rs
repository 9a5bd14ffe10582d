//! The reference engine in this process, behind the seam: each method is
//! the engine's own.

use std::sync::Arc;
use std::time::Duration;

use nccall::{
    AndroidPushConfigBuilder, CallEngine, CallLog, CallLogPage, CallMediaType, CallSession,
    ConnectParams, ConnectionStatus, DeleteCallLogsResult, DeviceInfo, DeviceKind, EndCallParams,
    GetHistoryCallLogsParams, Instrumentation, InviteToCallResult, MediaStats, RecordingView,
    RemoteVideoView, StartCallParams, StartCallResult, VideoCapture, VideoFrameRate,
    VideoResolution, VirtualDevices,
};

use super::{DriverResult, EngineDriver, note_exercised};
use crate::recorders::{HandlerRecorder, QualityRecorder};

/// The reference engine in this process, with what a test app keeps beside
/// it: its virtual devices and, once set, a recording event handler.
#[derive(Clone)]
pub struct InProcess {
    pub engine: CallEngine,
    pub devices: Arc<VirtualDevices>,
    pub handled: Arc<HandlerRecorder>,
}

#[async_trait::async_trait]
impl EngineDriver for InProcess {
    fn in_process(&self) -> Option<&CallEngine> {
        Some(&self.engine)
    }

    async fn devices(&self, kind: DeviceKind) -> DriverResult<Vec<DeviceInfo>> {
        Ok(match kind {
            DeviceKind::AudioInput => self.engine.get_audio_input_devices(),
            DeviceKind::AudioOutput => self.engine.get_audio_output_devices(),
            DeviceKind::VideoInput => self.engine.get_video_input_devices(),
        })
    }

    async fn select_device(&self, kind: DeviceKind, device_id: &str) -> DriverResult<()> {
        Ok(match kind {
            DeviceKind::AudioInput => self.engine.select_audio_input_device(device_id),
            DeviceKind::AudioOutput => self.engine.select_audio_output_device(device_id),
            DeviceKind::VideoInput => self.engine.select_video_input_device(device_id),
        }?)
    }

    async fn set_video_config(
        &self,
        resolution: VideoResolution,
        frame_rate: VideoFrameRate,
        min_bitrate_kbps: Option<u32>,
        max_bitrate_kbps: Option<u32>,
    ) -> DriverResult<()> {
        let mut builder = self
            .engine
            .create_video_config_builder()
            .set_resolution(resolution)
            .set_frame_rate(frame_rate);
        if let Some(min) = min_bitrate_kbps {
            builder = builder.set_min_bitrate(min);
        }
        if let Some(max) = max_bitrate_kbps {
            builder = builder.set_max_bitrate(max);
        }
        self.engine.set_video_config(builder.build()?);
        Ok(())
    }

    fn create_android_push_config_builder(&self) -> AndroidPushConfigBuilder {
        note_exercised("createAndroidPushConfigBuilder");
        self.engine.create_android_push_config_builder()
    }

    async fn plug_device(&self, device_id: &str, plugged: bool) -> DriverResult<()> {
        if plugged {
            self.devices.plug(device_id)?;
        } else {
            self.devices.unplug(device_id)?;
        }
        // The engine notices by itself (its watcher task); refreshing
        // here makes the moment it does part of this call.
        self.engine.refresh_devices();
        Ok(())
    }

    async fn connect(&self, params: ConnectParams) -> DriverResult<String> {
        Ok(self.engine.connect(params).await?)
    }

    async fn disconnect(&self) -> DriverResult<()> {
        self.engine.disconnect();
        Ok(())
    }

    async fn heartbeat(&self) -> DriverResult<i64> {
        Ok(self.engine.heartbeat().await?)
    }

    async fn start_call(&self, params: StartCallParams) -> DriverResult<StartCallResult> {
        Ok(self.engine.start_call(params).await?)
    }

    async fn accept_call(&self, call_id: &str) -> DriverResult<()> {
        Ok(self.engine.accept_call(call_id).await?)
    }

    async fn end_call(&self, params: EndCallParams) -> DriverResult<()> {
        Ok(self.engine.end_call(params).await?)
    }

    async fn join_call(&self, call_id: &str) -> DriverResult<()> {
        Ok(self.engine.join_call(call_id).await?)
    }

    async fn invite_to_call(&self, user_ids: Vec<String>) -> DriverResult<InviteToCallResult> {
        Ok(self.engine.invite_to_call(user_ids).await?)
    }

    async fn enable_camera(&self, enable: bool) -> DriverResult<()> {
        Ok(self.engine.enable_camera(enable).await?)
    }

    async fn enable_microphone(&self, enable: bool) -> DriverResult<()> {
        Ok(self.engine.enable_microphone(enable).await?)
    }

    async fn is_camera_enabled(&self) -> DriverResult<bool> {
        Ok(self.engine.is_camera_enabled())
    }

    async fn is_microphone_enabled(&self) -> DriverResult<bool> {
        Ok(self.engine.is_microphone_enabled())
    }

    async fn request_change_media_type(&self, media_type: CallMediaType) -> DriverResult<String> {
        Ok(self.engine.request_change_media_type(media_type).await?)
    }

    async fn cancel_change_media_type(&self, transaction_id: &str) -> DriverResult<()> {
        Ok(self.engine.cancel_change_media_type(transaction_id).await?)
    }

    async fn reply_change_media_type(
        &self,
        transaction_id: &str,
        is_agreed: bool,
    ) -> DriverResult<()> {
        Ok(self
            .engine
            .reply_change_media_type(transaction_id, is_agreed)
            .await?)
    }

    async fn get_current_call_session(&self) -> DriverResult<Option<CallSession>> {
        Ok(self.engine.get_current_call_session())
    }

    async fn get_history_call_logs(
        &self,
        params: GetHistoryCallLogsParams,
    ) -> DriverResult<CallLogPage> {
        Ok(self.engine.get_history_call_logs(params).await?)
    }

    async fn get_ongoing_call_logs(&self) -> DriverResult<Vec<CallLog>> {
        Ok(self.engine.get_ongoing_call_logs().await?)
    }

    async fn delete_call_logs_for_me(
        &self,
        call_ids: Vec<String>,
    ) -> DriverResult<DeleteCallLogsResult> {
        Ok(self.engine.delete_call_logs_for_me(call_ids).await?)
    }

    async fn delete_all_call_logs_for_me(&self) -> DriverResult<u64> {
        Ok(self.engine.delete_all_call_logs_for_me().await?)
    }

    async fn set_local_video_view(&self, view: Arc<RecordingView>) -> DriverResult<()> {
        Ok(self.engine.set_local_video_view(view)?)
    }

    async fn set_remote_video_view(
        &self,
        user_id: &str,
        low_resolution: bool,
        view: Arc<RecordingView>,
    ) -> DriverResult<()> {
        Ok(self.engine.set_remote_video_view(vec![RemoteVideoView {
            user_id: user_id.to_string(),
            view,
            enable_low_resolution_stream: low_resolution,
        }])?)
    }

    async fn remove_video_view(&self, user_id: &str) -> DriverResult<()> {
        Ok(self.engine.remove_video_view(user_id)?)
    }

    async fn set_connection_quality_handler(
        &self,
        recorder: Arc<QualityRecorder>,
    ) -> DriverResult<()> {
        self.engine.set_connection_quality_handler(recorder);
        Ok(())
    }

    async fn set_call_event_handler(&self) -> DriverResult<()> {
        self.engine.set_call_event_handler(self.handled.clone());
        Ok(())
    }

    async fn handled_callbacks(&self) -> DriverResult<Vec<String>> {
        Ok(self.handled.callbacks())
    }

    async fn device_in_use(&self, kind: DeviceKind) -> DriverResult<Option<String>> {
        Ok(self.engine.device_in_use(kind))
    }

    async fn video_capture(&self) -> DriverResult<Option<VideoCapture>> {
        Ok(self.engine.video_capture())
    }

    async fn media_stats(&self) -> DriverResult<MediaStats> {
        Ok(self.engine.media_stats())
    }

    async fn audio_packets_from(&self, user_id: &str) -> DriverResult<u64> {
        Ok(self.engine.audio_packets_from(user_id))
    }

    async fn heard_tone_from(&self, user_id: &str) -> DriverResult<Option<u32>> {
        Ok(self.engine.heard_tone_from(user_id))
    }

    async fn wait_for_audio_packets(&self, count: u64, timeout: Duration) -> DriverResult<u64> {
        Ok(self.engine.wait_for_audio_packets(count, timeout).await)
    }

    async fn wait_for_audio_from(
        &self,
        user_id: &str,
        count: u64,
        timeout: Duration,
    ) -> DriverResult<u64> {
        Ok(self
            .engine
            .wait_for_audio_from(user_id, count, timeout)
            .await)
    }

    async fn wait_media_connected(&self, connected: bool, timeout: Duration) -> DriverResult<bool> {
        Ok(self.engine.wait_media_connected(connected, timeout).await)
    }

    async fn connection_status(&self) -> DriverResult<ConnectionStatus> {
        Ok(self.engine.connection_status())
    }

    async fn reconnections(&self) -> DriverResult<u64> {
        Ok(self.engine.reconnections())
    }

    async fn wait_connection_status(
        &self,
        status: ConnectionStatus,
        timeout: Duration,
    ) -> DriverResult<bool> {
        Ok(self.engine.wait_connection_status(status, timeout).await)
    }

    async fn wait_reconnected(&self, count: u64, timeout: Duration) -> DriverResult<bool> {
        Ok(self.engine.wait_reconnected(count, timeout).await)
    }
}
