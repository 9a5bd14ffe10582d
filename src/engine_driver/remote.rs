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
use serde_json::{Value, json};

use super::{DriverError, DriverResult, EngineDriver};
use crate::driver::client::RemoteDriver;
use crate::driver::commands::DriverCommand;
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

pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Remote {
    pub(super) async fn call(&self, command: DriverCommand, params: Value) -> DriverResult<Value> {
        self.driver.command(Some(&self.name), command, params).await
    }

    pub(super) async fn ask<T: DeserializeOwned>(
        &self,
        command: DriverCommand,
        params: Value,
    ) -> DriverResult<T> {
        decode(command.name(), self.call(command, params).await?)
    }

    pub(super) async fn unit(&self, command: DriverCommand, params: Value) -> DriverResult<()> {
        self.call(command, params).await.map(|_| ())
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
        self.ask(device_command(kind, false), Value::Null).await
    }

    async fn select_device(&self, kind: DeviceKind, device_id: &str) -> DriverResult<()> {
        let p = json!({ "deviceId": device_id });
        self.unit(device_command(kind, true), p).await
    }

    async fn set_video_config(
        &self,
        resolution: VideoResolution,
        frame_rate: VideoFrameRate,
        min_bitrate_kbps: Option<u32>,
        max_bitrate_kbps: Option<u32>,
    ) -> DriverResult<()> {
        let p = json!({
            "resolution": resolution,
            "frameRate": frame_rate,
            "minBitrate": min_bitrate_kbps,
            "maxBitrate": max_bitrate_kbps,
        });
        self.unit(DriverCommand::SetVideoConfig, p).await
    }

    fn create_android_push_config_builder(&self) -> AndroidPushConfigBuilder {
        AndroidPushConfigBuilder::new()
    }

    async fn plug_device(&self, device_id: &str, plugged: bool) -> DriverResult<()> {
        let command = if plugged {
            DriverCommand::PlugDevice
        } else {
            DriverCommand::UnplugDevice
        };
        self.unit(command, json!({ "deviceId": device_id })).await
    }

    async fn connect(&self, params: ConnectParams) -> DriverResult<String> {
        let r = self;
        let p = json!({ "url": params.url, "appKey": params.app_key, "token": params.token });
        r.ask(DriverCommand::Connect, p).await
    }

    async fn disconnect(&self) -> DriverResult<()> {
        let r = self;
        r.unit(DriverCommand::Disconnect, Value::Null).await
    }

    async fn heartbeat(&self) -> DriverResult<i64> {
        let r = self;
        r.ask(DriverCommand::Heartbeat, Value::Null).await
    }

    async fn start_call(&self, params: StartCallParams) -> DriverResult<StartCallResult> {
        let r = self;
        r.ask(DriverCommand::StartCall, json!(params)).await
    }

    async fn accept_call(&self, call_id: &str) -> DriverResult<()> {
        let r = self;
        r.unit(DriverCommand::AcceptCall, json!({ "callId": call_id }))
            .await
    }

    async fn end_call(&self, params: EndCallParams) -> DriverResult<()> {
        let r = self;
        let p = json!({ "callId": params.call_id, "pushConfig": params.push_config });
        r.unit(DriverCommand::EndCall, p).await
    }

    async fn join_call(&self, call_id: &str) -> DriverResult<()> {
        let r = self;
        r.unit(DriverCommand::JoinCall, json!({ "callId": call_id }))
            .await
    }

    async fn invite_to_call(&self, user_ids: Vec<String>) -> DriverResult<InviteToCallResult> {
        let r = self;
        r.ask(DriverCommand::InviteToCall, json!({ "userIds": user_ids }))
            .await
    }

    async fn enable_camera(&self, enable: bool) -> DriverResult<()> {
        let r = self;
        r.unit(DriverCommand::EnableCamera, json!({ "enable": enable }))
            .await
    }

    async fn enable_microphone(&self, enable: bool) -> DriverResult<()> {
        let r = self;
        r.unit(DriverCommand::EnableMicrophone, json!({ "enable": enable }))
            .await
    }

    async fn is_camera_enabled(&self) -> DriverResult<bool> {
        let r = self;
        r.ask(DriverCommand::IsCameraEnabled, Value::Null).await
    }

    async fn is_microphone_enabled(&self) -> DriverResult<bool> {
        let r = self;
        r.ask(DriverCommand::IsMicrophoneEnabled, Value::Null).await
    }

    async fn request_change_media_type(&self, media_type: CallMediaType) -> DriverResult<String> {
        let r = self;
        let result: Value = r
            .ask(
                DriverCommand::RequestChangeMediaType,
                json!({ "mediaType": media_type }),
            )
            .await?;
        decode("requestChangeMediaType", result["transactionId"].clone())
    }

    async fn cancel_change_media_type(&self, transaction_id: &str) -> DriverResult<()> {
        let r = self;
        let p = json!({ "transactionId": transaction_id });
        r.unit(DriverCommand::CancelChangeMediaType, p).await
    }

    async fn reply_change_media_type(
        &self,
        transaction_id: &str,
        is_agreed: bool,
    ) -> DriverResult<()> {
        let r = self;
        let p = json!({ "transactionId": transaction_id, "isAgreed": is_agreed });
        r.unit(DriverCommand::ReplyChangeMediaType, p).await
    }

    async fn get_current_call_session(&self) -> DriverResult<Option<CallSession>> {
        let r = self;
        r.ask(DriverCommand::GetCurrentCallSession, Value::Null)
            .await
    }

    async fn get_history_call_logs(
        &self,
        params: GetHistoryCallLogsParams,
    ) -> DriverResult<CallLogPage> {
        let r = self;
        r.ask(DriverCommand::GetHistoryCallLogs, json!(params))
            .await
    }

    async fn get_ongoing_call_logs(&self) -> DriverResult<Vec<CallLog>> {
        let r = self;
        r.ask(DriverCommand::GetOngoingCallLogs, Value::Null).await
    }

    async fn delete_call_logs_for_me(
        &self,
        call_ids: Vec<String>,
    ) -> DriverResult<DeleteCallLogsResult> {
        let r = self;
        r.ask(
            DriverCommand::DeleteCallLogsForMe,
            json!({ "callIds": call_ids }),
        )
        .await
    }

    async fn delete_all_call_logs_for_me(&self) -> DriverResult<u64> {
        let r = self;
        let result: Value = r
            .ask(DriverCommand::DeleteAllCallLogsForMe, Value::Null)
            .await?;
        decode("deleteAllCallLogsForMe", result["deletedCount"].clone())
    }

    async fn set_local_video_view(&self, view: Arc<RecordingView>) -> DriverResult<()> {
        let r = self;
        r.driver.route_view(&r.name, "local", view);
        r.unit(
            DriverCommand::SetLocalVideoView,
            json!({ "viewId": "local" }),
        )
        .await
    }

    async fn set_remote_video_view(
        &self,
        user_id: &str,
        low_resolution: bool,
        view: Arc<RecordingView>,
    ) -> DriverResult<()> {
        let r = self;
        r.driver.route_view(&r.name, user_id, view);
        let p = json!({ "views": [{
            "userId": user_id,
            "viewId": user_id,
            "enableLowResolutionStream": low_resolution,
        }]});
        r.unit(DriverCommand::SetRemoteVideoView, p).await
    }

    async fn remove_video_view(&self, user_id: &str) -> DriverResult<()> {
        let r = self;
        r.unit(DriverCommand::RemoveVideoView, json!({ "userId": user_id }))
            .await
    }

    async fn set_connection_quality_handler(
        &self,
        recorder: Arc<QualityRecorder>,
    ) -> DriverResult<()> {
        let r = self;
        r.driver.route_quality(&r.name, recorder);
        r.unit(DriverCommand::SetConnectionQualityHandler, Value::Null)
            .await
    }

    async fn set_call_event_handler(&self) -> DriverResult<()> {
        let r = self;
        r.unit(DriverCommand::SetCallEventHandler, Value::Null)
            .await
    }

    async fn handled_callbacks(&self) -> DriverResult<Vec<String>> {
        let r = self;
        r.ask(DriverCommand::HandledCallbacks, Value::Null).await
    }

    async fn device_in_use(&self, kind: DeviceKind) -> DriverResult<Option<String>> {
        let r = self;
        r.ask(DriverCommand::DeviceInUse, json!({ "kind": kind }))
            .await
    }

    async fn video_capture(&self) -> DriverResult<Option<VideoCapture>> {
        let r = self;
        r.ask(DriverCommand::VideoCapture, Value::Null).await
    }

    async fn media_stats(&self) -> DriverResult<MediaStats> {
        let r = self;
        r.ask(DriverCommand::MediaStats, Value::Null).await
    }

    async fn audio_packets_from(&self, user_id: &str) -> DriverResult<u64> {
        let r = self;
        r.ask(
            DriverCommand::AudioPacketsFrom,
            json!({ "userId": user_id }),
        )
        .await
    }

    async fn heard_tone_from(&self, user_id: &str) -> DriverResult<Option<u32>> {
        let r = self;
        r.ask(DriverCommand::HeardToneFrom, json!({ "userId": user_id }))
            .await
    }

    async fn wait_for_audio_packets(&self, count: u64, timeout: Duration) -> DriverResult<u64> {
        let r = self;
        let p = json!({ "count": count, "timeoutMs": millis(timeout) });
        r.ask(DriverCommand::WaitForAudioPackets, p).await
    }

    async fn wait_for_audio_from(
        &self,
        user_id: &str,
        count: u64,
        timeout: Duration,
    ) -> DriverResult<u64> {
        let r = self;
        let p = json!({ "userId": user_id, "count": count, "timeoutMs": millis(timeout) });
        r.ask(DriverCommand::WaitForAudioFrom, p).await
    }

    async fn wait_media_connected(&self, connected: bool, timeout: Duration) -> DriverResult<bool> {
        let r = self;
        let p = json!({ "connected": connected, "timeoutMs": millis(timeout) });
        r.ask(DriverCommand::WaitMediaConnected, p).await
    }

    async fn connection_status(&self) -> DriverResult<ConnectionStatus> {
        let r = self;
        r.ask(DriverCommand::ConnectionStatus, Value::Null).await
    }

    async fn reconnections(&self) -> DriverResult<u64> {
        let r = self;
        r.ask(DriverCommand::Reconnections, Value::Null).await
    }

    async fn wait_connection_status(
        &self,
        status: ConnectionStatus,
        timeout: Duration,
    ) -> DriverResult<bool> {
        let r = self;
        let p = json!({ "status": status, "timeoutMs": millis(timeout) });
        r.ask(DriverCommand::WaitConnectionStatus, p).await
    }

    async fn wait_reconnected(&self, count: u64, timeout: Duration) -> DriverResult<bool> {
        let r = self;
        let p = json!({ "count": count, "timeoutMs": millis(timeout) });
        r.ask(DriverCommand::WaitReconnected, p).await
    }
}
