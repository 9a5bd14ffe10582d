//! The commands addressed to one engine: each is the reference engine's
//! own method (or its instrumentation), params decoded with `params.rs`.

use super::forwarding::{ForwardingView, QualityForwarder};
use super::*;

/// One engine command.
pub(super) async fn run(
    id: u64,
    call: Call,
    name: &str,
    hosted: &Hosted,
    out: &mpsc::UnboundedSender<Message>,
) -> Reply {
    let done = |r: Result<Value, CallError>| match r {
        Ok(v) => ok(id, v),
        Err(e) => failed(id, &e),
    };
    let unit = |r: Result<(), CallError>| done(r.map(|()| Value::Null));
    let engine = &hosted.local.engine;
    let driver = Sdk::new(hosted.local.clone());
    let driven = |r: DriverResult<()>| match r {
        Ok(()) => ok(id, Value::Null),
        Err(DriverError::Code { code, message }) => Reply {
            id,
            code,
            message: Some(message),
            result: None,
            unimplemented: false,
        },
        Err(_) => unimplemented(id),
    };
    let view = |view_id: String| -> Arc<dyn VideoView> {
        Arc::new(ForwardingView {
            engine: name.to_string(),
            view: view_id,
            out: out.clone(),
        })
    };
    match call {
        Call::Connect(a) => {
            let params = ConnectParams {
                url: a.url,
                app_key: a.app_key,
                token: a.token,
            };
            done(engine.connect(params).await.map(|user| json!(user)))
        }
        Call::Disconnect => {
            engine.disconnect();
            ok(id, Value::Null)
        }
        Call::Heartbeat => done(engine.heartbeat().await.map(|t| json!(t))),
        Call::SetCallEventHandler => {
            engine.set_call_event_handler(hosted.local.handled.clone());
            ok(id, Value::Null)
        }
        Call::HandledCallbacks => ok(id, json!(hosted.local.handled.callbacks())),
        Call::SetConnectionQualityHandler => {
            engine.set_connection_quality_handler(Arc::new(QualityForwarder {
                engine: name.to_string(),
                out: out.clone(),
            }));
            ok(id, Value::Null)
        }
        Call::SetLocalVideoView(a) => match engine.set_local_video_view(view(a.view_id)) {
            Ok(()) => ok(id, Value::Null),
            Err(e) => failed(id, &e),
        },
        Call::SetRemoteVideoView(a) => {
            let views = a
                .views
                .into_iter()
                .map(|v| RemoteVideoView {
                    user_id: v.user_id,
                    view: view(v.view_id),
                    enable_low_resolution_stream: v.enable_low_resolution_stream,
                })
                .collect();
            unit(engine.set_remote_video_view(views))
        }
        Call::RemoveVideoView(a) => unit(engine.remove_video_view(&a.user_id)),
        Call::SetVideoConfig(a) => {
            let set =
                driver.set_video_config(a.resolution, a.frame_rate, a.min_bitrate, a.max_bitrate);
            driven(set.await)
        }
        Call::StartCall(params) => done(engine.start_call(params).await.map(|r| json!(r))),
        Call::AcceptCall(a) => unit(engine.accept_call(&a.call_id.unwrap_or_default()).await),
        Call::EndCall(a) => {
            let params = EndCallParams {
                call_id: a.call_id,
                push_config: a.push_config,
            };
            unit(engine.end_call(params).await)
        }
        Call::JoinCall(a) => unit(engine.join_call(&a.call_id.unwrap_or_default()).await),
        Call::InviteToCall(a) => done(engine.invite_to_call(a.user_ids).await.map(|r| json!(r))),
        Call::EnableCamera(a) => unit(engine.enable_camera(a.enable).await),
        Call::EnableMicrophone(a) => unit(engine.enable_microphone(a.enable).await),
        Call::IsCameraEnabled => ok(id, json!(engine.is_camera_enabled())),
        Call::IsMicrophoneEnabled => ok(id, json!(engine.is_microphone_enabled())),
        Call::RequestChangeMediaType(a) => done(
            engine
                .request_change_media_type(a.media_type)
                .await
                .map(|tx| json!({ "transactionId": tx })),
        ),
        Call::CancelChangeMediaType(a) => {
            unit(engine.cancel_change_media_type(&a.transaction_id).await)
        }
        Call::ReplyChangeMediaType(a) => unit(
            engine
                .reply_change_media_type(&a.transaction_id, a.is_agreed)
                .await,
        ),
        Call::GetCurrentCallSession => ok(id, json!(engine.get_current_call_session())),
        Call::GetHistoryCallLogs(params) => {
            done(engine.get_history_call_logs(params).await.map(|p| json!(p)))
        }
        Call::GetOngoingCallLogs => done(engine.get_ongoing_call_logs().await.map(|l| json!(l))),
        Call::DeleteCallLogsForMe(a) => done(
            engine
                .delete_call_logs_for_me(a.call_ids)
                .await
                .map(|r| json!(r)),
        ),
        Call::DeleteAllCallLogsForMe => done(
            engine
                .delete_all_call_logs_for_me()
                .await
                .map(|n| json!({ "deletedCount": n })),
        ),
        Call::GetAudioInputDevices => ok(id, json!(engine.get_audio_input_devices())),
        Call::GetAudioOutputDevices => ok(id, json!(engine.get_audio_output_devices())),
        Call::GetVideoInputDevices => ok(id, json!(engine.get_video_input_devices())),
        Call::SelectAudioInputDevice(a) => unit(engine.select_audio_input_device(&a.device_id)),
        Call::SelectAudioOutputDevice(a) => unit(engine.select_audio_output_device(&a.device_id)),
        Call::SelectVideoInputDevice(a) => unit(engine.select_video_input_device(&a.device_id)),
        // Instrumentation: the suite's view into the SDK and its devices.
        Call::PlugDevice(a) => driven(driver.plug_device(&a.device_id, true).await),
        Call::UnplugDevice(a) => driven(driver.plug_device(&a.device_id, false).await),
        Call::DeviceInUse(a) => ok(id, json!(engine.device_in_use(a.kind))),
        Call::VideoCapture => ok(id, json!(engine.video_capture())),
        Call::MediaStats => ok(id, json!(engine.media_stats())),
        Call::AudioPacketsFrom(a) => ok(id, json!(engine.audio_packets_from(&a.user_id))),
        Call::HeardToneFrom(a) => ok(id, json!(engine.heard_tone_from(&a.user_id))),
        Call::WaitForAudioPackets(a) => {
            let timeout = Duration::from_millis(a.timeout_ms);
            ok(
                id,
                json!(engine.wait_for_audio_packets(a.count, timeout).await),
            )
        }
        Call::WaitForAudioFrom(a) => {
            let timeout = Duration::from_millis(a.timeout_ms);
            let user = a.user_id.unwrap_or_default();
            let got = engine.wait_for_audio_from(&user, a.count, timeout).await;
            ok(id, json!(got))
        }
        Call::WaitMediaConnected(a) => {
            let timeout = Duration::from_millis(a.timeout_ms);
            ok(
                id,
                json!(engine.wait_media_connected(a.connected, timeout).await),
            )
        }
        Call::ConnectionStatus => ok(id, json!(engine.connection_status())),
        Call::Reconnections => ok(id, json!(engine.reconnections())),
        Call::WaitConnectionStatus(a) => {
            let Some(status) = a.status else {
                return bad_params(id, "status is missing");
            };
            let timeout = Duration::from_millis(a.timeout_ms);
            ok(
                id,
                json!(engine.wait_connection_status(status, timeout).await),
            )
        }
        Call::WaitReconnected(a) => {
            let timeout = Duration::from_millis(a.timeout_ms);
            ok(id, json!(engine.wait_reconnected(a.count, timeout).await))
        }
        // Answered before an engine is looked up (`Driver::handle`).
        Call::Hello | Call::Reset | Call::GetVersion | Call::CreateEngine(_) => {
            bad_params(id, format!("{} takes no engine here", call.command()))
        }
    }
}
