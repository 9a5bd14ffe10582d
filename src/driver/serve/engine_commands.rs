//! The commands addressed to one engine: each is the reference engine's
//! own method (or its instrumentation), params decoded with `params.rs`.

use super::forwarding::{ForwardingView, QualityForwarder};
use super::*;

/// One engine command.
pub(super) async fn run(
    id: u64,
    command: DriverCommand,
    name: &str,
    hosted: &Hosted,
    p: &Value,
    out: &mpsc::UnboundedSender<Message>,
) -> Reply {
    macro_rules! args {
        ($t:ty) => {
            match decode::<$t>(p) {
                Ok(a) => a,
                Err(e) => return bad_params(id, e),
            }
        };
    }
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
    match command {
        DriverCommand::Connect => {
            let a = args!(ConnectArgs);
            let params = ConnectParams {
                url: a.url,
                app_key: a.app_key,
                token: a.token,
            };
            done(engine.connect(params).await.map(|user| json!(user)))
        }
        DriverCommand::Disconnect => {
            engine.disconnect();
            ok(id, Value::Null)
        }
        DriverCommand::Heartbeat => done(engine.heartbeat().await.map(|t| json!(t))),
        DriverCommand::SetCallEventHandler => {
            engine.set_call_event_handler(hosted.local.handled.clone());
            ok(id, Value::Null)
        }
        DriverCommand::HandledCallbacks => ok(id, json!(hosted.local.handled.callbacks())),
        DriverCommand::SetConnectionQualityHandler => {
            engine.set_connection_quality_handler(Arc::new(QualityForwarder {
                engine: name.to_string(),
                out: out.clone(),
            }));
            ok(id, Value::Null)
        }
        DriverCommand::SetLocalVideoView => {
            let a = args!(ViewArgs);
            match engine.set_local_video_view(view(a.view_id)) {
                Ok(()) => ok(id, Value::Null),
                Err(e) => failed(id, &e),
            }
        }
        DriverCommand::SetRemoteVideoView => {
            let a = args!(RemoteViewsArgs);
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
        DriverCommand::RemoveVideoView => {
            let a = args!(UserIdArgs);
            unit(engine.remove_video_view(&a.user_id))
        }
        DriverCommand::SetVideoConfig => {
            let a = args!(VideoConfigArgs);
            let set =
                driver.set_video_config(a.resolution, a.frame_rate, a.min_bitrate, a.max_bitrate);
            driven(set.await)
        }
        DriverCommand::StartCall => {
            let params = args!(StartCallParams);
            done(engine.start_call(params).await.map(|r| json!(r)))
        }
        DriverCommand::AcceptCall => {
            let a = args!(CallIdArgs);
            unit(engine.accept_call(&a.call_id.unwrap_or_default()).await)
        }
        DriverCommand::EndCall => {
            let a = args!(EndCallArgs);
            let params = EndCallParams {
                call_id: a.call_id,
                push_config: a.push_config,
            };
            unit(engine.end_call(params).await)
        }
        DriverCommand::JoinCall => {
            let a = args!(CallIdArgs);
            unit(engine.join_call(&a.call_id.unwrap_or_default()).await)
        }
        DriverCommand::InviteToCall => {
            let a = args!(UserIdsArgs);
            done(engine.invite_to_call(a.user_ids).await.map(|r| json!(r)))
        }
        DriverCommand::EnableCamera => unit(engine.enable_camera(args!(EnableArgs).enable).await),
        DriverCommand::EnableMicrophone => {
            unit(engine.enable_microphone(args!(EnableArgs).enable).await)
        }
        DriverCommand::IsCameraEnabled => ok(id, json!(engine.is_camera_enabled())),
        DriverCommand::IsMicrophoneEnabled => ok(id, json!(engine.is_microphone_enabled())),
        DriverCommand::RequestChangeMediaType => {
            let a = args!(MediaTypeArgs);
            done(
                engine
                    .request_change_media_type(a.media_type)
                    .await
                    .map(|tx| json!({ "transactionId": tx })),
            )
        }
        DriverCommand::CancelChangeMediaType => {
            let a = args!(TransactionArgs);
            unit(engine.cancel_change_media_type(&a.transaction_id).await)
        }
        DriverCommand::ReplyChangeMediaType => {
            let a = args!(TransactionArgs);
            unit(
                engine
                    .reply_change_media_type(&a.transaction_id, a.is_agreed)
                    .await,
            )
        }
        DriverCommand::GetCurrentCallSession => ok(id, json!(engine.get_current_call_session())),
        DriverCommand::GetHistoryCallLogs => {
            let params = args!(GetHistoryCallLogsParams);
            done(engine.get_history_call_logs(params).await.map(|p| json!(p)))
        }
        DriverCommand::GetOngoingCallLogs => {
            done(engine.get_ongoing_call_logs().await.map(|l| json!(l)))
        }
        DriverCommand::DeleteCallLogsForMe => {
            let a = args!(CallIdsArgs);
            done(
                engine
                    .delete_call_logs_for_me(a.call_ids)
                    .await
                    .map(|r| json!(r)),
            )
        }
        DriverCommand::DeleteAllCallLogsForMe => done(
            engine
                .delete_all_call_logs_for_me()
                .await
                .map(|n| json!({ "deletedCount": n })),
        ),
        DriverCommand::GetAudioInputDevices => ok(id, json!(engine.get_audio_input_devices())),
        DriverCommand::GetAudioOutputDevices => ok(id, json!(engine.get_audio_output_devices())),
        DriverCommand::GetVideoInputDevices => ok(id, json!(engine.get_video_input_devices())),
        DriverCommand::SelectAudioInputDevice => {
            unit(engine.select_audio_input_device(&args!(DeviceIdArgs).device_id))
        }
        DriverCommand::SelectAudioOutputDevice => {
            unit(engine.select_audio_output_device(&args!(DeviceIdArgs).device_id))
        }
        DriverCommand::SelectVideoInputDevice => {
            unit(engine.select_video_input_device(&args!(DeviceIdArgs).device_id))
        }
        // Instrumentation: the suite's view into the SDK and its devices.
        DriverCommand::PlugDevice | DriverCommand::UnplugDevice => {
            let a = args!(DeviceIdArgs);
            let plugged = command == DriverCommand::PlugDevice;
            driven(driver.plug_device(&a.device_id, plugged).await)
        }
        DriverCommand::DeviceInUse => ok(id, json!(engine.device_in_use(args!(KindArgs).kind))),
        DriverCommand::VideoCapture => ok(id, json!(engine.video_capture())),
        DriverCommand::MediaStats => ok(id, json!(engine.media_stats())),
        DriverCommand::AudioPacketsFrom => ok(
            id,
            json!(engine.audio_packets_from(&args!(UserIdArgs).user_id)),
        ),
        DriverCommand::HeardToneFrom => ok(
            id,
            json!(engine.heard_tone_from(&args!(UserIdArgs).user_id)),
        ),
        DriverCommand::WaitForAudioPackets => {
            let a = args!(WaitArgs);
            let timeout = Duration::from_millis(a.timeout_ms);
            ok(
                id,
                json!(engine.wait_for_audio_packets(a.count, timeout).await),
            )
        }
        DriverCommand::WaitForAudioFrom => {
            let a = args!(WaitArgs);
            let timeout = Duration::from_millis(a.timeout_ms);
            let user = a.user_id.unwrap_or_default();
            let got = engine.wait_for_audio_from(&user, a.count, timeout).await;
            ok(id, json!(got))
        }
        DriverCommand::WaitMediaConnected => {
            let a = args!(WaitArgs);
            let timeout = Duration::from_millis(a.timeout_ms);
            ok(
                id,
                json!(engine.wait_media_connected(a.connected, timeout).await),
            )
        }
        DriverCommand::ConnectionStatus => ok(id, json!(engine.connection_status())),
        DriverCommand::Reconnections => ok(id, json!(engine.reconnections())),
        DriverCommand::WaitConnectionStatus => {
            let a = args!(WaitArgs);
            let Some(status) = a.status else {
                return bad_params(id, "status is missing");
            };
            let timeout = Duration::from_millis(a.timeout_ms);
            ok(
                id,
                json!(engine.wait_connection_status(status, timeout).await),
            )
        }
        DriverCommand::WaitReconnected => {
            let a = args!(WaitArgs);
            let timeout = Duration::from_millis(a.timeout_ms);
            ok(id, json!(engine.wait_reconnected(a.count, timeout).await))
        }
        // Answered before an engine is looked up (`Driver::handle`).
        DriverCommand::Hello
        | DriverCommand::Reset
        | DriverCommand::GetVersion
        | DriverCommand::CreateEngine => bad_params(id, format!("{command} takes no engine here")),
    }
}
