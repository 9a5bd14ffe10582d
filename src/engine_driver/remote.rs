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
    VideoConfigArgs, ViewArgs, WaitArgs, encode,
};

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
        let p = encode(&DeviceIdArgs {
            device_id: device_id.to_string(),
        });
        self.unit(device_command(kind, true), p).await
    }

    async fn set_video_config(
        &self,
        resolution: VideoResolution,
        frame_rate: VideoFrameRate,
        min_bitrate_kbps: Option<u32>,
        max_bitrate_kbps: Option<u32>,
    ) -> DriverResult<()> {
        let p = encode(&VideoConfigArgs {
            resolution,
            frame_rate,
            min_bitrate: min_bitrate_kbps,
            max_bitrate: max_bitrate_kbps,
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
        self.unit(
            command,
            encode(&DeviceIdArgs {
                device_id: device_id.to_string(),
            }),
        )
        .await
    }

    async fn connect(&self, params: ConnectParams) -> DriverResult<String> {
        let p = encode(&ConnectArgs {
            url: params.url,
            app_key: params.app_key,
            token: params.token,
        });
        self.ask(DriverCommand::Connect, p).await
    }

    async fn disconnect(&self) -> DriverResult<()> {
        self.unit(DriverCommand::Disconnect, Value::Null).await
    }

    async fn heartbeat(&self) -> DriverResult<i64> {
        self.ask(DriverCommand::Heartbeat, Value::Null).await
    }

    async fn start_call(&self, params: StartCallParams) -> DriverResult<StartCallResult> {
        self.ask(DriverCommand::StartCall, encode(&params)).await
    }

    async fn accept_call(&self, call_id: &str) -> DriverResult<()> {
        self.unit(
            DriverCommand::AcceptCall,
            encode(&CallIdArgs {
                call_id: Some(call_id.to_string()),
            }),
        )
        .await
    }

    async fn end_call(&self, params: EndCallParams) -> DriverResult<()> {
        let p = encode(&EndCallArgs {
            call_id: params.call_id,
            push_config: params.push_config,
        });
        self.unit(DriverCommand::EndCall, p).await
    }

    async fn join_call(&self, call_id: &str) -> DriverResult<()> {
        self.unit(
            DriverCommand::JoinCall,
            encode(&CallIdArgs {
                call_id: Some(call_id.to_string()),
            }),
        )
        .await
    }

    async fn invite_to_call(&self, user_ids: Vec<String>) -> DriverResult<InviteToCallResult> {
        self.ask(
            DriverCommand::InviteToCall,
            encode(&UserIdsArgs { user_ids }),
        )
        .await
    }

    async fn enable_camera(&self, enable: bool) -> DriverResult<()> {
        self.unit(DriverCommand::EnableCamera, encode(&EnableArgs { enable }))
            .await
    }

    async fn enable_microphone(&self, enable: bool) -> DriverResult<()> {
        self.unit(
            DriverCommand::EnableMicrophone,
            encode(&EnableArgs { enable }),
        )
        .await
    }

    async fn is_camera_enabled(&self) -> DriverResult<bool> {
        self.ask(DriverCommand::IsCameraEnabled, Value::Null).await
    }

    async fn is_microphone_enabled(&self) -> DriverResult<bool> {
        self.ask(DriverCommand::IsMicrophoneEnabled, Value::Null)
            .await
    }

    async fn request_change_media_type(&self, media_type: CallMediaType) -> DriverResult<String> {
        let result: Value = self
            .ask(
                DriverCommand::RequestChangeMediaType,
                encode(&MediaTypeArgs { media_type }),
            )
            .await?;
        decode("requestChangeMediaType", result["transactionId"].clone())
    }

    async fn cancel_change_media_type(&self, transaction_id: &str) -> DriverResult<()> {
        let p = encode(&TransactionArgs {
            transaction_id: transaction_id.to_string(),
            is_agreed: false,
        });
        self.unit(DriverCommand::CancelChangeMediaType, p).await
    }

    async fn reply_change_media_type(
        &self,
        transaction_id: &str,
        is_agreed: bool,
    ) -> DriverResult<()> {
        let p = encode(&TransactionArgs {
            transaction_id: transaction_id.to_string(),
            is_agreed,
        });
        self.unit(DriverCommand::ReplyChangeMediaType, p).await
    }

    async fn get_current_call_session(&self) -> DriverResult<Option<CallSession>> {
        self.ask(DriverCommand::GetCurrentCallSession, Value::Null)
            .await
    }

    async fn get_history_call_logs(
        &self,
        params: GetHistoryCallLogsParams,
    ) -> DriverResult<CallLogPage> {
        self.ask(DriverCommand::GetHistoryCallLogs, encode(&params))
            .await
    }

    async fn get_ongoing_call_logs(&self) -> DriverResult<Vec<CallLog>> {
        self.ask(DriverCommand::GetOngoingCallLogs, Value::Null)
            .await
    }

    async fn delete_call_logs_for_me(
        &self,
        call_ids: Vec<String>,
    ) -> DriverResult<DeleteCallLogsResult> {
        self.ask(
            DriverCommand::DeleteCallLogsForMe,
            encode(&CallIdsArgs { call_ids }),
        )
        .await
    }

    async fn delete_all_call_logs_for_me(&self) -> DriverResult<u64> {
        let result: Value = self
            .ask(DriverCommand::DeleteAllCallLogsForMe, Value::Null)
            .await?;
        decode("deleteAllCallLogsForMe", result["deletedCount"].clone())
    }

    async fn set_local_video_view(&self, view: Arc<RecordingView>) -> DriverResult<()> {
        self.driver.route_view(&self.name, "local", view);
        self.unit(
            DriverCommand::SetLocalVideoView,
            encode(&ViewArgs {
                view_id: "local".to_string(),
            }),
        )
        .await
    }

    async fn set_remote_video_view(
        &self,
        user_id: &str,
        low_resolution: bool,
        view: Arc<RecordingView>,
    ) -> DriverResult<()> {
        self.driver.route_view(&self.name, user_id, view);
        let p = encode(&RemoteViewsArgs {
            views: vec![RemoteViewArgs {
                user_id: user_id.to_string(),
                view_id: user_id.to_string(),
                enable_low_resolution_stream: low_resolution,
            }],
        });
        self.unit(DriverCommand::SetRemoteVideoView, p).await
    }

    async fn remove_video_view(&self, user_id: &str) -> DriverResult<()> {
        self.unit(
            DriverCommand::RemoveVideoView,
            encode(&UserIdArgs {
                user_id: user_id.to_string(),
            }),
        )
        .await
    }

    async fn set_connection_quality_handler(
        &self,
        recorder: Arc<QualityRecorder>,
    ) -> DriverResult<()> {
        self.driver.route_quality(&self.name, recorder);
        self.unit(DriverCommand::SetConnectionQualityHandler, Value::Null)
            .await
    }

    async fn set_call_event_handler(&self) -> DriverResult<()> {
        self.unit(DriverCommand::SetCallEventHandler, Value::Null)
            .await
    }

    async fn handled_callbacks(&self) -> DriverResult<Vec<String>> {
        self.ask(DriverCommand::HandledCallbacks, Value::Null).await
    }

    async fn device_in_use(&self, kind: DeviceKind) -> DriverResult<Option<String>> {
        self.ask(DriverCommand::DeviceInUse, encode(&KindArgs { kind }))
            .await
    }

    async fn video_capture(&self) -> DriverResult<Option<VideoCapture>> {
        self.ask(DriverCommand::VideoCapture, Value::Null).await
    }

    async fn media_stats(&self) -> DriverResult<MediaStats> {
        self.ask(DriverCommand::MediaStats, Value::Null).await
    }

    async fn audio_packets_from(&self, user_id: &str) -> DriverResult<u64> {
        self.ask(
            DriverCommand::AudioPacketsFrom,
            encode(&UserIdArgs {
                user_id: user_id.to_string(),
            }),
        )
        .await
    }

    async fn heard_tone_from(&self, user_id: &str) -> DriverResult<Option<u32>> {
        self.ask(
            DriverCommand::HeardToneFrom,
            encode(&UserIdArgs {
                user_id: user_id.to_string(),
            }),
        )
        .await
    }

    async fn wait_for_audio_packets(&self, count: u64, timeout: Duration) -> DriverResult<u64> {
        let p = encode(&WaitArgs::count(count, timeout));
        self.ask(DriverCommand::WaitForAudioPackets, p).await
    }

    async fn wait_for_audio_from(
        &self,
        user_id: &str,
        count: u64,
        timeout: Duration,
    ) -> DriverResult<u64> {
        let p = encode(&WaitArgs {
            user_id: Some(user_id.to_string()),
            ..WaitArgs::count(count, timeout)
        });
        self.ask(DriverCommand::WaitForAudioFrom, p).await
    }

    async fn wait_media_connected(&self, connected: bool, timeout: Duration) -> DriverResult<bool> {
        let p = encode(&WaitArgs {
            connected,
            ..WaitArgs::count(0, timeout)
        });
        self.ask(DriverCommand::WaitMediaConnected, p).await
    }

    async fn connection_status(&self) -> DriverResult<ConnectionStatus> {
        self.ask(DriverCommand::ConnectionStatus, Value::Null).await
    }

    async fn reconnections(&self) -> DriverResult<u64> {
        self.ask(DriverCommand::Reconnections, Value::Null).await
    }

    async fn wait_connection_status(
        &self,
        status: ConnectionStatus,
        timeout: Duration,
    ) -> DriverResult<bool> {
        let p = encode(&WaitArgs {
            status: Some(status),
            ..WaitArgs::count(0, timeout)
        });
        self.ask(DriverCommand::WaitConnectionStatus, p).await
    }

    async fn wait_reconnected(&self, count: u64, timeout: Duration) -> DriverResult<bool> {
        let p = encode(&WaitArgs::count(count, timeout));
        self.ask(DriverCommand::WaitReconnected, p).await
    }
}
