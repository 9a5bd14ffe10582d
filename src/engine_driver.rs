//! The seam between the scenarios and the SDK under test. Steps talk to an
//! [`EngineDriver`], one per participant, never to an engine type. It is
//! either the reference engine in this process, or any SDK behind the
//! driver protocol in another process (`docs/driver-protocol.md`), which is
//! how an SDK team runs the suite against their own SDK (and how CI runs it
//! through `nccall-driver`).
//!
//! Every method is a spec method (Rust names) or an instrumentation
//! command (what a test app reads off its SDK and virtual devices). A
//! remote SDK may answer a command `unimplemented`: that is
//! [`DriverError::Unimplemented`], which the suite reports as such.

use std::sync::Arc;
use std::time::Duration;

use nccall::{
    AndroidPushConfigBuilder, CallEngine, CallError, CallEvent, CallLog, CallLogPage,
    CallMediaType, CallSession, ConnectParams, ConnectionStatus, DeleteCallLogsResult, DeviceInfo,
    DeviceKind, EndCallParams, ErrorCode, EventStream, GetHistoryCallLogsParams, Instrumentation,
    InviteToCallResult, MediaStats, RecordingView, RemoteVideoView, StartCallParams,
    StartCallResult, VideoCapture, VideoFrameRate, VideoResolution, VirtualDevices,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::mpsc;

pub use crate::driver::client::DriverError;
use crate::driver::client::RemoteDriver;
use crate::driver::commands::DriverCommand;
use crate::recorders::{HandlerRecorder, QualityRecorder};

/// The reference engine in this process, with what a test app keeps beside
/// it: its virtual devices and, once set, a recording event handler.
#[derive(Clone)]
pub struct InProcess {
    pub engine: CallEngine,
    pub devices: Arc<VirtualDevices>,
    pub handled: Arc<HandlerRecorder>,
}

/// One engine of a driver process, named after its participant.
#[derive(Clone)]
pub struct Remote {
    pub driver: Arc<RemoteDriver>,
    pub name: String,
}

/// One participant's SDK instance.
#[derive(Clone)]
pub enum EngineDriver {
    InProcess(InProcess),
    Remote(Remote),
}

/// Where an engine's events arrive, in order.
pub enum EventSource {
    InProcess(EventStream),
    Remote(mpsc::UnboundedReceiver<CallEvent>),
}

impl EventSource {
    pub async fn recv(&mut self) -> Option<CallEvent> {
        let event = match self {
            EventSource::InProcess(s) => s.recv().await,
            EventSource::Remote(r) => r.recv().await,
        };
        delivered(event)
    }

    pub fn try_recv(&mut self) -> Option<CallEvent> {
        let event = match self {
            EventSource::InProcess(s) => s.try_recv(),
            EventSource::Remote(r) => r.try_recv().ok(),
        };
        delivered(event)
    }
}

/// The `NCCallSession` getters a session value is read through.
pub const SESSION_GETTERS: [&str; 7] = [
    "getCallId",
    "getCallState",
    "getCallType",
    "getMediaType",
    "getRemoteParticipants",
    "getCallerUserId",
    "getInviterUserId",
];

/// Notes a delivered callback (and, for one that carries a session, the
/// session's getters: the timeline reads every one of them).
fn delivered(event: Option<CallEvent>) -> Option<CallEvent> {
    if let Some(e) = &event {
        note_exercised(e.callback_name());
        if matches!(e, CallEvent::CallReceived(_) | CallEvent::CallConnected(_)) {
            SESSION_GETTERS.iter().for_each(|g| note_exercised(g));
        }
    }
    event
}

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

fn decode<T: DeserializeOwned>(command: &str, value: Value) -> DriverResult<T> {
    if let Some(why) = crate::driver::enum_names::numbered_enum(&value) {
        return Err(DriverError::Broken(format!("{command}'s result: {why}")));
    }
    serde_json::from_value(value)
        .map_err(|e| DriverError::Broken(format!("{command}'s result does not read: {e}")))
}

/// What the SDK under test was seen to do successfully in this run, by
/// spec (or driver-protocol) name: every command that succeeded, every
/// callback delivered, the session getters once a session was read. The
/// coverage report counts what is here, not what tags claim.
static EXERCISED: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Records `name` as exercised.
pub fn note_exercised(name: &str) {
    if let Ok(mut seen) = EXERCISED.lock()
        && !seen.contains(name)
    {
        seen.insert(name.to_string());
    }
}

/// Everything exercised so far in this process.
pub fn exercised_so_far() -> std::collections::BTreeSet<String> {
    EXERCISED.lock().map(|s| s.clone()).unwrap_or_default()
}

/// Passes `result` on, noting `command` if it succeeded.
fn exercised<T>(command: &str, result: DriverResult<T>) -> DriverResult<T> {
    if result.is_ok() {
        note_exercised(command);
    }
    result
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Remote {
    async fn call(&self, command: DriverCommand, params: Value) -> DriverResult<Value> {
        self.driver.command(Some(&self.name), command, params).await
    }

    async fn ask<T: DeserializeOwned>(
        &self,
        command: DriverCommand,
        params: Value,
    ) -> DriverResult<T> {
        decode(command.name(), self.call(command, params).await?)
    }

    async fn unit(&self, command: DriverCommand, params: Value) -> DriverResult<()> {
        self.call(command, params).await.map(|_| ())
    }
}

/// `get…Devices` or `select…Device` for one kind of device.
fn device_command(kind: DeviceKind, select: bool) -> DriverCommand {
    match (kind, select) {
        (DeviceKind::AudioInput, false) => DriverCommand::GetAudioInputDevices,
        (DeviceKind::AudioOutput, false) => DriverCommand::GetAudioOutputDevices,
        (DeviceKind::VideoInput, false) => DriverCommand::GetVideoInputDevices,
        (DeviceKind::AudioInput, true) => DriverCommand::SelectAudioInputDevice,
        (DeviceKind::AudioOutput, true) => DriverCommand::SelectAudioOutputDevice,
        (DeviceKind::VideoInput, true) => DriverCommand::SelectVideoInputDevice,
    }
}

impl EngineDriver {
    /// The reference engine, when it is the one under test in this process
    /// (the demo and the benchmarks use it directly).
    pub fn in_process(&self) -> Option<&CallEngine> {
        match self {
            EngineDriver::InProcess(l) => Some(&l.engine),
            EngineDriver::Remote(_) => None,
        }
    }

    pub async fn connect(&self, params: ConnectParams) -> DriverResult<String> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.connect(params).await?),
            EngineDriver::Remote(r) => {
                let p =
                    json!({ "url": params.url, "appKey": params.app_key, "token": params.token });
                r.ask(DriverCommand::Connect, p).await
            }
        };
        exercised("connect", result)
    }

    pub async fn disconnect(&self) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => {
                l.engine.disconnect();
                Ok(())
            }
            EngineDriver::Remote(r) => r.unit(DriverCommand::Disconnect, Value::Null).await,
        };
        exercised("disconnect", result)
    }

    /// A round trip to the server: every event it sent before has been
    /// delivered when this returns.
    pub async fn heartbeat(&self) -> DriverResult<i64> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.heartbeat().await?),
            EngineDriver::Remote(r) => r.ask(DriverCommand::Heartbeat, Value::Null).await,
        };
        exercised("heartbeat", result)
    }

    pub async fn start_call(&self, params: StartCallParams) -> DriverResult<StartCallResult> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.start_call(params).await?),
            EngineDriver::Remote(r) => r.ask(DriverCommand::StartCall, json!(params)).await,
        };
        exercised("startCall", result)
    }

    pub async fn accept_call(&self, call_id: &str) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.accept_call(call_id).await?),
            EngineDriver::Remote(r) => {
                r.unit(DriverCommand::AcceptCall, json!({ "callId": call_id }))
                    .await
            }
        };
        exercised("acceptCall", result)
    }

    pub async fn end_call(&self, params: EndCallParams) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.end_call(params).await?),
            EngineDriver::Remote(r) => {
                let p = json!({ "callId": params.call_id, "pushConfig": params.push_config });
                r.unit(DriverCommand::EndCall, p).await
            }
        };
        exercised("endCall", result)
    }

    pub async fn join_call(&self, call_id: &str) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.join_call(call_id).await?),
            EngineDriver::Remote(r) => {
                r.unit(DriverCommand::JoinCall, json!({ "callId": call_id }))
                    .await
            }
        };
        exercised("joinCall", result)
    }

    pub async fn invite_to_call(&self, user_ids: Vec<String>) -> DriverResult<InviteToCallResult> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.invite_to_call(user_ids).await?),
            EngineDriver::Remote(r) => {
                r.ask(DriverCommand::InviteToCall, json!({ "userIds": user_ids }))
                    .await
            }
        };
        exercised("inviteToCall", result)
    }

    pub async fn enable_camera(&self, enable: bool) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.enable_camera(enable).await?),
            EngineDriver::Remote(r) => {
                r.unit(DriverCommand::EnableCamera, json!({ "enable": enable }))
                    .await
            }
        };
        exercised("enableCamera", result)
    }

    pub async fn enable_microphone(&self, enable: bool) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.enable_microphone(enable).await?),
            EngineDriver::Remote(r) => {
                r.unit(DriverCommand::EnableMicrophone, json!({ "enable": enable }))
                    .await
            }
        };
        exercised("enableMicrophone", result)
    }

    pub async fn is_camera_enabled(&self) -> DriverResult<bool> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.is_camera_enabled()),
            EngineDriver::Remote(r) => r.ask(DriverCommand::IsCameraEnabled, Value::Null).await,
        };
        exercised("isCameraEnabled", result)
    }

    pub async fn is_microphone_enabled(&self) -> DriverResult<bool> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.is_microphone_enabled()),
            EngineDriver::Remote(r) => r.ask(DriverCommand::IsMicrophoneEnabled, Value::Null).await,
        };
        exercised("isMicrophoneEnabled", result)
    }

    /// Returns the transaction id.
    pub async fn request_change_media_type(
        &self,
        media_type: CallMediaType,
    ) -> DriverResult<String> {
        let result = match self {
            EngineDriver::InProcess(l) => {
                Ok(l.engine.request_change_media_type(media_type).await?)
            }
            EngineDriver::Remote(r) => {
                let result: Value = r
                    .ask(
                        DriverCommand::RequestChangeMediaType,
                        json!({ "mediaType": media_type }),
                    )
                    .await?;
                decode("requestChangeMediaType", result["transactionId"].clone())
            }
        };
        exercised("requestChangeMediaType", result)
    }

    pub async fn cancel_change_media_type(&self, transaction_id: &str) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => {
                Ok(l.engine.cancel_change_media_type(transaction_id).await?)
            }
            EngineDriver::Remote(r) => {
                let p = json!({ "transactionId": transaction_id });
                r.unit(DriverCommand::CancelChangeMediaType, p).await
            }
        };
        exercised("cancelChangeMediaType", result)
    }

    pub async fn reply_change_media_type(
        &self,
        transaction_id: &str,
        is_agreed: bool,
    ) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l
                .engine
                .reply_change_media_type(transaction_id, is_agreed)
                .await?),
            EngineDriver::Remote(r) => {
                let p = json!({ "transactionId": transaction_id, "isAgreed": is_agreed });
                r.unit(DriverCommand::ReplyChangeMediaType, p).await
            }
        };
        exercised("replyChangeMediaType", result)
    }

    pub async fn get_current_call_session(&self) -> DriverResult<Option<CallSession>> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.get_current_call_session()),
            EngineDriver::Remote(r) => {
                r.ask(DriverCommand::GetCurrentCallSession, Value::Null)
                    .await
            }
        };
        exercised("getCurrentCallSession", result)
    }

    pub async fn get_history_call_logs(
        &self,
        params: GetHistoryCallLogsParams,
    ) -> DriverResult<CallLogPage> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.get_history_call_logs(params).await?),
            EngineDriver::Remote(r) => {
                r.ask(DriverCommand::GetHistoryCallLogs, json!(params))
                    .await
            }
        };
        exercised("getHistoryCallLogs", result)
    }

    pub async fn get_ongoing_call_logs(&self) -> DriverResult<Vec<CallLog>> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.get_ongoing_call_logs().await?),
            EngineDriver::Remote(r) => r.ask(DriverCommand::GetOngoingCallLogs, Value::Null).await,
        };
        exercised("getOngoingCallLogs", result)
    }

    pub async fn delete_call_logs_for_me(
        &self,
        call_ids: Vec<String>,
    ) -> DriverResult<DeleteCallLogsResult> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.delete_call_logs_for_me(call_ids).await?),
            EngineDriver::Remote(r) => {
                r.ask(
                    DriverCommand::DeleteCallLogsForMe,
                    json!({ "callIds": call_ids }),
                )
                .await
            }
        };
        exercised("deleteCallLogsForMe", result)
    }

    /// Returns how many logs were deleted.
    pub async fn delete_all_call_logs_for_me(&self) -> DriverResult<u64> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.delete_all_call_logs_for_me().await?),
            EngineDriver::Remote(r) => {
                let result: Value = r
                    .ask(DriverCommand::DeleteAllCallLogsForMe, Value::Null)
                    .await?;
                decode("deleteAllCallLogsForMe", result["deletedCount"].clone())
            }
        };
        exercised("deleteAllCallLogsForMe", result)
    }

    /// `getAudioInputDevices`, `getAudioOutputDevices`, `getVideoInputDevices`.
    pub async fn devices(&self, kind: DeviceKind) -> DriverResult<Vec<DeviceInfo>> {
        let command = device_command(kind, false);
        let result = match self {
            EngineDriver::InProcess(l) => Ok(match kind {
                DeviceKind::AudioInput => l.engine.get_audio_input_devices(),
                DeviceKind::AudioOutput => l.engine.get_audio_output_devices(),
                DeviceKind::VideoInput => l.engine.get_video_input_devices(),
            }),
            EngineDriver::Remote(r) => r.ask(command, Value::Null).await,
        };
        exercised(command.name(), result)
    }

    /// `selectAudioInputDevice`, `selectAudioOutputDevice`, `selectVideoInputDevice`.
    pub async fn select_device(&self, kind: DeviceKind, device_id: &str) -> DriverResult<()> {
        let command = device_command(kind, true);
        let result = match self {
            EngineDriver::InProcess(l) => Ok(match kind {
                DeviceKind::AudioInput => l.engine.select_audio_input_device(device_id),
                DeviceKind::AudioOutput => l.engine.select_audio_output_device(device_id),
                DeviceKind::VideoInput => l.engine.select_video_input_device(device_id),
            }?),
            EngineDriver::Remote(r) => r.unit(command, json!({ "deviceId": device_id })).await,
        };
        exercised(command.name(), result)
    }

    /// Builds a video config with the SDK's builder and applies it
    /// (`createVideoConfigBuilder` ... `setVideoConfig`); a config the
    /// builder refuses is refused with its code.
    pub async fn set_video_config(
        &self,
        resolution: VideoResolution,
        frame_rate: VideoFrameRate,
        min_bitrate_kbps: Option<u32>,
        max_bitrate_kbps: Option<u32>,
    ) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => {
                let mut builder = l
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
                l.engine.set_video_config(builder.build()?);
                Ok(())
            }
            EngineDriver::Remote(r) => {
                let p = json!({
                    "resolution": resolution,
                    "frameRate": frame_rate,
                    "minBitrate": min_bitrate_kbps,
                    "maxBitrate": max_bitrate_kbps,
                });
                r.unit(DriverCommand::SetVideoConfig, p).await
            }
        };
        // The config was built with the SDK's builder on the way.
        exercised("setVideoConfig", result).inspect(|_| note_exercised("createVideoConfigBuilder"))
    }

    /// The builder a push config is made with (`createAndroidPushConfigBuilder`).
    /// Push configs travel as values, so a remote SDK receives the built one.
    pub fn create_android_push_config_builder(&self) -> AndroidPushConfigBuilder {
        match self {
            EngineDriver::InProcess(l) => {
                note_exercised("createAndroidPushConfigBuilder");
                l.engine.create_android_push_config_builder()
            }
            EngineDriver::Remote(_) => AndroidPushConfigBuilder::new(),
        }
    }

    /// Shows the participant's own camera in `view`.
    pub async fn set_local_video_view(&self, view: Arc<RecordingView>) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.set_local_video_view(view)?),
            EngineDriver::Remote(r) => {
                r.driver.route_view(&r.name, "local", view);
                r.unit(
                    DriverCommand::SetLocalVideoView,
                    json!({ "viewId": "local" }),
                )
                .await
            }
        };
        exercised("setLocalVideoView", result)
    }

    /// Shows `user_id`'s video in `view` (its low-resolution stream if asked).
    pub async fn set_remote_video_view(
        &self,
        user_id: &str,
        low_resolution: bool,
        view: Arc<RecordingView>,
    ) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => {
                Ok(l.engine.set_remote_video_view(vec![RemoteVideoView {
                    user_id: user_id.to_string(),
                    view,
                    enable_low_resolution_stream: low_resolution,
                }])?)
            }
            EngineDriver::Remote(r) => {
                r.driver.route_view(&r.name, user_id, view);
                let p = json!({ "views": [{
                    "userId": user_id,
                    "viewId": user_id,
                    "enableLowResolutionStream": low_resolution,
                }]});
                r.unit(DriverCommand::SetRemoteVideoView, p).await
            }
        };
        exercised("setRemoteVideoView", result)
    }

    pub async fn remove_video_view(&self, user_id: &str) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.remove_video_view(user_id)?),
            EngineDriver::Remote(r) => {
                r.unit(DriverCommand::RemoveVideoView, json!({ "userId": user_id }))
                    .await
            }
        };
        exercised("removeVideoView", result)
    }

    /// Quality and volume callbacks go to `recorder`.
    pub async fn set_connection_quality_handler(
        &self,
        recorder: Arc<QualityRecorder>,
    ) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => {
                l.engine.set_connection_quality_handler(recorder);
                Ok(())
            }
            EngineDriver::Remote(r) => {
                r.driver.route_quality(&r.name, recorder);
                r.unit(DriverCommand::SetConnectionQualityHandler, Value::Null)
                    .await
            }
        };
        exercised("setConnectionQualityHandler", result)
    }

    /// Registers an event handler (`setCallEventHandler`) that writes down
    /// what it hears, beside the event stream the suite records.
    pub async fn set_call_event_handler(&self) -> DriverResult<()> {
        let result = match self {
            EngineDriver::InProcess(l) => {
                l.engine.set_call_event_handler(l.handled.clone());
                Ok(())
            }
            EngineDriver::Remote(r) => {
                r.unit(DriverCommand::SetCallEventHandler, Value::Null)
                    .await
            }
        };
        exercised("setCallEventHandler", result)
    }

    /// The callbacks the handler of [`EngineDriver::set_call_event_handler`] heard.
    pub async fn handled_callbacks(&self) -> DriverResult<Vec<String>> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.handled.callbacks()),
            EngineDriver::Remote(r) => r.ask(DriverCommand::HandledCallbacks, Value::Null).await,
        };
        exercised("handledCallbacks", result)
    }

    // Instrumentation: what a test app reads off its SDK and devices.

    /// Plugs in or unplugs one of the participant's virtual devices; the
    /// engine has noticed when this returns.
    pub async fn plug_device(&self, device_id: &str, plugged: bool) -> DriverResult<()> {
        match self {
            EngineDriver::InProcess(l) => {
                if plugged {
                    l.devices.plug(device_id)?;
                } else {
                    l.devices.unplug(device_id)?;
                }
                // The engine notices by itself (its watcher task); refreshing
                // here makes the moment it does part of this call.
                l.engine.refresh_devices();
                Ok(())
            }
            EngineDriver::Remote(r) => {
                let command = if plugged {
                    DriverCommand::PlugDevice
                } else {
                    DriverCommand::UnplugDevice
                };
                r.unit(command, json!({ "deviceId": device_id })).await
            }
        }
    }

    pub async fn device_in_use(&self, kind: DeviceKind) -> DriverResult<Option<String>> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.device_in_use(kind)),
            EngineDriver::Remote(r) => {
                r.ask(DriverCommand::DeviceInUse, json!({ "kind": kind }))
                    .await
            }
        };
        exercised("deviceInUse", result)
    }

    pub async fn video_capture(&self) -> DriverResult<Option<VideoCapture>> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.video_capture()),
            EngineDriver::Remote(r) => r.ask(DriverCommand::VideoCapture, Value::Null).await,
        };
        exercised("videoCapture", result)
    }

    pub async fn media_stats(&self) -> DriverResult<MediaStats> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.media_stats()),
            EngineDriver::Remote(r) => r.ask(DriverCommand::MediaStats, Value::Null).await,
        };
        exercised("mediaStats", result)
    }

    pub async fn audio_packets_from(&self, user_id: &str) -> DriverResult<u64> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.audio_packets_from(user_id)),
            EngineDriver::Remote(r) => {
                r.ask(
                    DriverCommand::AudioPacketsFrom,
                    json!({ "userId": user_id }),
                )
                .await
            }
        };
        exercised("audioPacketsFrom", result)
    }

    /// The marker tone (Hz) last heard in the decoded audio from `user_id`.
    pub async fn heard_tone_from(&self, user_id: &str) -> DriverResult<Option<u32>> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.heard_tone_from(user_id)),
            EngineDriver::Remote(r) => {
                r.ask(DriverCommand::HeardToneFrom, json!({ "userId": user_id }))
                    .await
            }
        };
        exercised("heardToneFrom", result)
    }

    /// Waits until `count` audio packets arrived in all; returns how many did.
    pub async fn wait_for_audio_packets(&self, count: u64, timeout: Duration) -> DriverResult<u64> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.wait_for_audio_packets(count, timeout).await),
            EngineDriver::Remote(r) => {
                let p = json!({ "count": count, "timeoutMs": millis(timeout) });
                r.ask(DriverCommand::WaitForAudioPackets, p).await
            }
        };
        exercised("waitForAudioPackets", result)
    }

    /// The tone heard from `user_id` once `more` audio packets from them
    /// have arrived after now (within `timeout`): what the decoded audio
    /// carries while they talk. `None` if the packets did not come.
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

    /// Waits until `count` audio packets arrived from `user_id` in all.
    pub async fn wait_for_audio_from(
        &self,
        user_id: &str,
        count: u64,
        timeout: Duration,
    ) -> DriverResult<u64> {
        let result = match self {
            EngineDriver::InProcess(l) => {
                Ok(l.engine.wait_for_audio_from(user_id, count, timeout).await)
            }
            EngineDriver::Remote(r) => {
                let p = json!({ "userId": user_id, "count": count, "timeoutMs": millis(timeout) });
                r.ask(DriverCommand::WaitForAudioFrom, p).await
            }
        };
        exercised("waitForAudioFrom", result)
    }

    /// Waits until the media connection is up (or down); returns whether it is.
    pub async fn wait_media_connected(
        &self,
        connected: bool,
        timeout: Duration,
    ) -> DriverResult<bool> {
        let result = match self {
            EngineDriver::InProcess(l) => {
                Ok(l.engine.wait_media_connected(connected, timeout).await)
            }
            EngineDriver::Remote(r) => {
                let p = json!({ "connected": connected, "timeoutMs": millis(timeout) });
                r.ask(DriverCommand::WaitMediaConnected, p).await
            }
        };
        exercised("waitMediaConnected", result)
    }

    pub async fn connection_status(&self) -> DriverResult<ConnectionStatus> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.connection_status()),
            EngineDriver::Remote(r) => r.ask(DriverCommand::ConnectionStatus, Value::Null).await,
        };
        exercised("connectionStatus", result)
    }

    /// How often the engine reconnected on its own.
    pub async fn reconnections(&self) -> DriverResult<u64> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.reconnections()),
            EngineDriver::Remote(r) => r.ask(DriverCommand::Reconnections, Value::Null).await,
        };
        exercised("reconnections", result)
    }

    pub async fn wait_connection_status(
        &self,
        status: ConnectionStatus,
        timeout: Duration,
    ) -> DriverResult<bool> {
        let result = match self {
            EngineDriver::InProcess(l) => {
                Ok(l.engine.wait_connection_status(status, timeout).await)
            }
            EngineDriver::Remote(r) => {
                let p = json!({ "status": status, "timeoutMs": millis(timeout) });
                r.ask(DriverCommand::WaitConnectionStatus, p).await
            }
        };
        exercised("waitConnectionStatus", result)
    }

    /// Waits until the engine has reconnected more than `count` times.
    pub async fn wait_reconnected(&self, count: u64, timeout: Duration) -> DriverResult<bool> {
        let result = match self {
            EngineDriver::InProcess(l) => Ok(l.engine.wait_reconnected(count, timeout).await),
            EngineDriver::Remote(r) => {
                let p = json!({ "count": count, "timeoutMs": millis(timeout) });
                r.ask(DriverCommand::WaitReconnected, p).await
            }
        };
        exercised("waitReconnected", result)
    }
}
