//! An engine of a driver process, behind the seam: each method is one
//! command of the driver protocol (`docs/driver-protocol.md`), its
//! params in JSON and its result decoded.

use std::sync::Arc;
use std::time::Duration;

use nccall::{
    AndroidPushConfigBuilder, CallLog, CallLogPage, CallMediaType, CallSession, ConnectParams,
    ConnectionStatus, DeleteCallLogsResult, DeviceInfo, DeviceKind, EndCallParams,
    GetHistoryCallLogsParams, InviteToCallResult, MediaStats, RecordingView, StartCallParams,
    StartCallResult, VideoCapture, VideoFrameRate, VideoResolution,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::driver::params::{
    CallIdArgs, CallIdsArgs, ConnectArgs, DeviceIdArgs, EnableArgs, EndCallArgs, KindArgs,
    MediaTypeArgs, RemoteViewArgs, RemoteViewsArgs, TransactionArgs, UserIdArgs, UserIdsArgs,
    VideoConfigArgs, ViewArgs, WaitArgs,
};

use super::{DriverError, DriverResult, EngineDriver};
use crate::driver::client::RemoteDriver;
use crate::driver::commands::{Call, DriverCommand};
use crate::recorders::QualityRecorder;

/// One engine of a driver process, named after its participant.
#[derive(Clone)]
pub struct Remote {
    pub driver: Arc<RemoteDriver>,
    pub name: String,
}

pub(super) fn decode<T: DeserializeOwned>(command: &str, value: Value) -> DriverResult<T> {
    if let Some(why) = crate::driver::enum_names::numbered_enum(&value) {
        return Err(DriverError::Broken(format!("{command}'s result: {why}")));
    }
    serde_json::from_value(value)
        .map_err(|e| DriverError::Broken(format!("{command}'s result does not read: {e}")))
}

impl Remote {
    pub(super) async fn call(&self, call: Call) -> DriverResult<Value> {
        let (command, params) = call.encode();
        self.driver.command(Some(&self.name), command, params).await
    }

    pub(super) async fn ask<T: DeserializeOwned>(&self, call: Call) -> DriverResult<T> {
        let name = call.command().name();
        decode(name, self.call(call).await?)
    }

    pub(super) async fn unit(&self, call: Call) -> DriverResult<()> {
        self.call(call).await.map(|_| ())
    }
}

/// `get…Devices` (no device) or `select…Device` (this one) for one kind.
fn device_call(kind: DeviceKind, select: Option<DeviceIdArgs>) -> Call {
    match (kind, select) {
        (DeviceKind::AudioInput, None) => Call::GetAudioInputDevices,
        (DeviceKind::AudioOutput, None) => Call::GetAudioOutputDevices,
        (DeviceKind::VideoInput, None) => Call::GetVideoInputDevices,
        (DeviceKind::AudioInput, Some(d)) => Call::SelectAudioInputDevice(d),
        (DeviceKind::AudioOutput, Some(d)) => Call::SelectAudioOutputDevice(d),
        (DeviceKind::VideoInput, Some(d)) => Call::SelectVideoInputDevice(d),
    }
}

/// `get…Devices` or `select…Device` for one kind of device.
pub(super) fn device_command(kind: DeviceKind, select: bool) -> DriverCommand {
    match (kind, select) {
        (DeviceKind::AudioInput, false) => DriverCommand::GetAudioInputDevices,
        (DeviceKind::AudioOutput, false) => DriverCommand::GetAudioOutputDevices,
        (DeviceKind::VideoInput, false) => DriverCommand::GetVideoInputDevices,
        (DeviceKind::AudioInput, true) => DriverCommand::SelectAudioInputDevice,
        (DeviceKind::AudioOutput, true) => DriverCommand::SelectAudioOutputDevice,
        (DeviceKind::VideoInput, true) => DriverCommand::SelectVideoInputDevice,
    }
}

#[async_trait::async_trait]
impl EngineDriver for Remote {
    async fn devices(&self, kind: DeviceKind) -> DriverResult<Vec<DeviceInfo>> {
        self.ask(device_call(kind, None)).await
    }

    async fn select_device(&self, kind: DeviceKind, device_id: &str) -> DriverResult<()> {
        let p = DeviceIdArgs {
            device_id: device_id.to_string(),
        };
        self.unit(device_call(kind, Some(p))).await
    }

    async fn set_video_config(
        &self,
        resolution: VideoResolution,
        frame_rate: VideoFrameRate,
        min_bitrate_kbps: Option<u32>,
        max_bitrate_kbps: Option<u32>,
    ) -> DriverResult<()> {
        let p = VideoConfigArgs {
            resolution,
            frame_rate,
            min_bitrate: min_bitrate_kbps,
            max_bitrate: max_bitrate_kbps,
        };
        self.unit(Call::SetVideoConfig(p)).await
    }

    fn create_android_push_config_builder(&self) -> AndroidPushConfigBuilder {
        AndroidPushConfigBuilder::new()
    }

    async fn plug_device(&self, device_id: &str, plugged: bool) -> DriverResult<()> {
        let device = DeviceIdArgs {
            device_id: device_id.to_string(),
        };
        let call = if plugged {
            Call::PlugDevice(device)
        } else {
            Call::UnplugDevice(device)
        };
        self.unit(call).await
    }

    async fn connect(&self, params: ConnectParams) -> DriverResult<String> {
        let p = ConnectArgs {
            url: params.url,
            app_key: params.app_key,
            token: params.token,
        };
        self.ask(Call::Connect(p)).await
    }

    async fn disconnect(&self) -> DriverResult<()> {
        self.unit(Call::Disconnect).await
    }

    async fn heartbeat(&self) -> DriverResult<i64> {
        self.ask(Call::Heartbeat).await
    }

    async fn start_call(&self, params: StartCallParams) -> DriverResult<StartCallResult> {
        self.ask(Call::StartCall(params)).await
    }

    async fn accept_call(&self, call_id: &str) -> DriverResult<()> {
        self.unit(Call::AcceptCall(CallIdArgs {
            call_id: Some(call_id.to_string()),
        }))
        .await
    }

    async fn end_call(&self, params: EndCallParams) -> DriverResult<()> {
        let p = EndCallArgs {
            call_id: params.call_id,
            push_config: params.push_config,
        };
        self.unit(Call::EndCall(p)).await
    }

    async fn join_call(&self, call_id: &str) -> DriverResult<()> {
        self.unit(Call::JoinCall(CallIdArgs {
            call_id: Some(call_id.to_string()),
        }))
        .await
    }

    async fn invite_to_call(&self, user_ids: Vec<String>) -> DriverResult<InviteToCallResult> {
        self.ask(Call::InviteToCall(UserIdsArgs { user_ids })).await
    }

    async fn enable_camera(&self, enable: bool) -> DriverResult<()> {
        self.unit(Call::EnableCamera(EnableArgs { enable })).await
    }

    async fn enable_microphone(&self, enable: bool) -> DriverResult<()> {
        self.unit(Call::EnableMicrophone(EnableArgs { enable }))
            .await
    }

    async fn is_camera_enabled(&self) -> DriverResult<bool> {
        self.ask(Call::IsCameraEnabled).await
    }

    async fn is_microphone_enabled(&self) -> DriverResult<bool> {
        self.ask(Call::IsMicrophoneEnabled).await
    }

    async fn request_change_media_type(&self, media_type: CallMediaType) -> DriverResult<String> {
        let result: Value = self
            .ask(Call::RequestChangeMediaType(MediaTypeArgs { media_type }))
            .await?;
        decode("requestChangeMediaType", result["transactionId"].clone())
    }

    async fn cancel_change_media_type(&self, transaction_id: &str) -> DriverResult<()> {
        let p = TransactionArgs {
            transaction_id: transaction_id.to_string(),
            is_agreed: false,
        };
        self.unit(Call::CancelChangeMediaType(p)).await
    }

    async fn reply_change_media_type(
        &self,
        transaction_id: &str,
        is_agreed: bool,
    ) -> DriverResult<()> {
        let p = TransactionArgs {
            transaction_id: transaction_id.to_string(),
            is_agreed,
        };
        self.unit(Call::ReplyChangeMediaType(p)).await
    }

    async fn get_current_call_session(&self) -> DriverResult<Option<CallSession>> {
        self.ask(Call::GetCurrentCallSession).await
    }

    async fn get_history_call_logs(
        &self,
        params: GetHistoryCallLogsParams,
    ) -> DriverResult<CallLogPage> {
        self.ask(Call::GetHistoryCallLogs(params)).await
    }

    async fn get_ongoing_call_logs(&self) -> DriverResult<Vec<CallLog>> {
        self.ask(Call::GetOngoingCallLogs).await
    }

    async fn delete_call_logs_for_me(
        &self,
        call_ids: Vec<String>,
    ) -> DriverResult<DeleteCallLogsResult> {
        self.ask(Call::DeleteCallLogsForMe(CallIdsArgs { call_ids }))
            .await
    }

    async fn delete_all_call_logs_for_me(&self) -> DriverResult<u64> {
        let result: Value = self.ask(Call::DeleteAllCallLogsForMe).await?;
        decode("deleteAllCallLogsForMe", result["deletedCount"].clone())
    }

    async fn set_local_video_view(&self, view: Arc<RecordingView>) -> DriverResult<()> {
        self.driver.route_view(&self.name, "local", view);
        self.unit(Call::SetLocalVideoView(ViewArgs {
            view_id: "local".to_string(),
        }))
        .await
    }

    async fn set_remote_video_view(
        &self,
        user_id: &str,
        low_resolution: bool,
        view: Arc<RecordingView>,
    ) -> DriverResult<()> {
        self.driver.route_view(&self.name, user_id, view);
        let p = RemoteViewsArgs {
            views: vec![RemoteViewArgs {
                user_id: user_id.to_string(),
                view_id: user_id.to_string(),
                enable_low_resolution_stream: low_resolution,
            }],
        };
        self.unit(Call::SetRemoteVideoView(p)).await
    }

    async fn remove_video_view(&self, user_id: &str) -> DriverResult<()> {
        self.unit(Call::RemoveVideoView(UserIdArgs {
            user_id: user_id.to_string(),
        }))
        .await
    }

    async fn set_connection_quality_handler(
        &self,
        recorder: Arc<QualityRecorder>,
    ) -> DriverResult<()> {
        self.driver.route_quality(&self.name, recorder);
        self.unit(Call::SetConnectionQualityHandler).await
    }

    async fn set_call_event_handler(&self) -> DriverResult<()> {
        self.unit(Call::SetCallEventHandler).await
    }

    async fn handled_callbacks(&self) -> DriverResult<Vec<String>> {
        self.ask(Call::HandledCallbacks).await
    }

    async fn device_in_use(&self, kind: DeviceKind) -> DriverResult<Option<String>> {
        self.ask(Call::DeviceInUse(KindArgs { kind })).await
    }

    async fn video_capture(&self) -> DriverResult<Option<VideoCapture>> {
        self.ask(Call::VideoCapture).await
    }

    async fn media_stats(&self) -> DriverResult<MediaStats> {
        self.ask(Call::MediaStats).await
    }

    async fn audio_packets_from(&self, user_id: &str) -> DriverResult<u64> {
        self.ask(Call::AudioPacketsFrom(UserIdArgs {
            user_id: user_id.to_string(),
        }))
        .await
    }

    async fn heard_tone_from(&self, user_id: &str) -> DriverResult<Option<u32>> {
        self.ask(Call::HeardToneFrom(UserIdArgs {
            user_id: user_id.to_string(),
        }))
        .await
    }

    async fn wait_for_audio_packets(&self, count: u64, timeout: Duration) -> DriverResult<u64> {
        let p = WaitArgs::count(count, timeout);
        self.ask(Call::WaitForAudioPackets(p)).await
    }

    async fn wait_for_audio_from(
        &self,
        user_id: &str,
        count: u64,
        timeout: Duration,
    ) -> DriverResult<u64> {
        let p = WaitArgs {
            user_id: Some(user_id.to_string()),
            ..WaitArgs::count(count, timeout)
        };
        self.ask(Call::WaitForAudioFrom(p)).await
    }

    async fn wait_media_connected(&self, connected: bool, timeout: Duration) -> DriverResult<bool> {
        let p = WaitArgs {
            connected,
            ..WaitArgs::count(0, timeout)
        };
        self.ask(Call::WaitMediaConnected(p)).await
    }

    async fn connection_status(&self) -> DriverResult<ConnectionStatus> {
        self.ask(Call::ConnectionStatus).await
    }

    async fn reconnections(&self) -> DriverResult<u64> {
        self.ask(Call::Reconnections).await
    }

    async fn wait_connection_status(
        &self,
        status: ConnectionStatus,
        timeout: Duration,
    ) -> DriverResult<bool> {
        let p = WaitArgs {
            status: Some(status),
            ..WaitArgs::count(0, timeout)
        };
        self.ask(Call::WaitConnectionStatus(p)).await
    }

    async fn wait_reconnected(&self, count: u64, timeout: Duration) -> DriverResult<bool> {
        let p = WaitArgs::count(count, timeout);
        self.ask(Call::WaitReconnected(p)).await
    }
}
