//! The reference engine behind the driver protocol: what `nccall-driver`
//! runs. Each participant the suite names gets its own `CallEngine`; every
//! event of each engine is written out as it happens.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use nccall::{
    AudioVolumeEvent, CallEngine, CallError, CallEvent, CallMediaType, ConnectParams,
    ConnectionQualityHandler, ConnectionStatus, DeviceKind, EndCallParams, EngineConfig,
    GetHistoryCallLogsParams, Instrumentation, PushConfig, ReceiveQualityEvent, RemoteVideoView,
    RenderedFrame, SendQualityEvent, StartCallParams, VideoFrameRate, VideoResolution, VideoView,
    VirtualDevices,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::engine_driver::{DriverError, DriverResult, InProcess, Sdk};

use super::commands::DriverCommand;
use super::websocket;
use super::wire::{
    Command, DRIVER_PROTOCOL_VERSION, EventMessage, FrameMessage, HelloResult, Message, Reply,
};

/// Every command this driver implements: all of them (`commands.rs`), the
/// spec's methods and the suite's instrumentation; a driver started
/// `--without` some answers those `unimplemented`.
pub const CAPABILITIES: &[&str] = DriverCommand::NAMES;

/// Serves the protocol on stdin/stdout until stdin closes. Commands named
/// in `without` are answered `unimplemented` and left out of `hello`'s
/// capabilities: the reference engine posing as an SDK that lacks them
/// (how the suite's reporting of unimplemented commands is checked).
pub async fn serve_stdio(without: Vec<String>) -> std::io::Result<()> {
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Message>();
    let writer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(message) = out_rx.recv().await {
            let Ok(mut line) = serde_json::to_string(&message) else {
                continue;
            };
            line.push('\n');
            if stdout.write_all(line.as_bytes()).await.is_err() || stdout.flush().await.is_err() {
                break;
            }
        }
    });
    let (in_tx, in_rx) = mpsc::unbounded_channel::<String>();
    let reader = tokio::spawn(async move {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Some(line) = lines.next_line().await? {
            if in_tx.send(line).is_err() {
                break;
            }
        }
        Ok::<(), std::io::Error>(())
    });
    serve(in_rx, out_tx, without).await;
    // Give the writer a moment for what is queued (engine tasks may still
    // hold senders, so it would not end by itself).
    let _ = tokio::time::timeout(Duration::from_millis(200), writer).await;
    reader.await.unwrap_or(Ok(()))
}

/// Serves the protocol over WebSocket on `listener`, for drivers that run
/// long (a test app on a device or in a browser does, behind its own
/// bridge): each connection is one scenario's, with engines of its own,
/// dropped when it closes. One text frame per message.
pub async fn serve_websocket(
    listener: tokio::net::TcpListener,
    without: Vec<String>,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let without = without.clone();
        tokio::spawn(async move {
            let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let (sink, source) = socket.split();
            let (out_tx, out_rx) = mpsc::unbounded_channel::<Message>();
            let encode = |m: Message| serde_json::to_string(&m).ok();
            let writer = tokio::spawn(websocket::write_texts(sink, out_rx, encode));
            let (in_tx, in_rx) = mpsc::unbounded_channel::<String>();
            tokio::spawn(websocket::read_texts(source, in_tx));
            serve(in_rx, out_tx, without).await;
            let _ = tokio::time::timeout(Duration::from_millis(200), writer).await;
        });
    }
}

/// One driver session: commands from `incoming` until it ends, replies,
/// events and frames to `out`. Its engines are dropped (hung up) at the end.
async fn serve(
    mut incoming: mpsc::UnboundedReceiver<String>,
    out: mpsc::UnboundedSender<Message>,
    without: Vec<String>,
) {
    let mut driver = Driver {
        engines: HashMap::new(),
        out,
        without,
    };
    while let Some(line) = incoming.recv().await {
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Command>(&line) {
            Ok(command) => driver.handle(command).await,
            Err(e) => Reply {
                id: 0,
                code: nccall::ErrorCode::BadFrame.code(),
                message: Some(format!("not a command: {e}")),
                result: None,
                unimplemented: false,
            },
        };
        let _ = driver.out.send(Message::Reply(reply));
    }
}

/// One participant's SDK instance and what the driver keeps beside it.
struct Hosted {
    /// The engine with its virtual devices and recording event handler:
    /// what the suite drives in process, so the commands that are more
    /// than one engine call run the same code both ways.
    local: InProcess,
    /// Asks the engine's event forwarder to write out every event it has
    /// received so far, and says when it has.
    flush: mpsc::UnboundedSender<tokio::sync::oneshot::Sender<()>>,
    /// The event forwarder, stopped with the engine: a later engine of the
    /// same name must not get its events.
    forwarder: tokio::task::JoinHandle<()>,
}

impl Drop for Hosted {
    fn drop(&mut self) {
        self.forwarder.abort();
        self.local.engine.disconnect();
    }
}

struct Driver {
    engines: HashMap<String, Hosted>,
    out: mpsc::UnboundedSender<Message>,
    /// Commands to answer `unimplemented`.
    without: Vec<String>,
}

fn ok(id: u64, result: Value) -> Reply {
    Reply {
        id,
        code: 0,
        message: None,
        result: (!result.is_null()).then_some(result),
        unimplemented: false,
    }
}

fn failed(id: u64, error: &CallError) -> Reply {
    Reply {
        id,
        code: error.numeric_code(),
        message: Some(error.to_string()),
        result: None,
        unimplemented: false,
    }
}

fn bad_params(id: u64, what: impl std::fmt::Display) -> Reply {
    Reply {
        id,
        code: nccall::ErrorCode::ParamError.code(),
        message: Some(format!("bad params: {what}")),
        result: None,
        unimplemented: false,
    }
}

fn unimplemented(id: u64) -> Reply {
    Reply {
        id,
        code: 0,
        message: None,
        result: None,
        unimplemented: true,
    }
}

/// Decodes a command's params.
/// Absent params are an empty object.
fn params<T: for<'de> Deserialize<'de>>(value: &Value) -> Result<T, String> {
    let value = if value.is_null() {
        json!({})
    } else {
        value.clone()
    };
    serde_json::from_value(value).map_err(|e| e.to_string())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectArgs {
    url: String,
    app_key: String,
    token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallIdArgs {
    #[serde(default)]
    call_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EndCallArgs {
    #[serde(default)]
    call_id: Option<String>,
    #[serde(default)]
    push_config: Option<PushConfig>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserIdsArgs {
    user_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserIdArgs {
    user_id: String,
}

#[derive(Deserialize)]
struct EnableArgs {
    enable: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaTypeArgs {
    media_type: CallMediaType,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransactionArgs {
    transaction_id: String,
    #[serde(default)]
    is_agreed: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallIdsArgs {
    call_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceIdArgs {
    device_id: String,
}

#[derive(Deserialize)]
struct KindArgs {
    kind: DeviceKind,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ViewArgs {
    view_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RemoteViewArgs {
    user_id: String,
    view_id: String,
    #[serde(default)]
    enable_low_resolution_stream: bool,
}

#[derive(Deserialize)]
struct RemoteViewsArgs {
    views: Vec<RemoteViewArgs>,
}

/// The builder's inputs: the driver builds the config with the SDK's own
/// builder, so a config the SDK refuses is refused with its code.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VideoConfigArgs {
    resolution: VideoResolution,
    frame_rate: VideoFrameRate,
    #[serde(default)]
    min_bitrate: Option<u32>,
    #[serde(default)]
    max_bitrate: Option<u32>,
}

/// A wait of the instrumentation: up to `timeoutMs`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WaitArgs {
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    count: u64,
    #[serde(default)]
    connected: bool,
    #[serde(default)]
    status: Option<ConnectionStatus>,
    timeout_ms: u64,
}

/// `createEngine`'s params. The timings are hints for the suite's pace (it
/// waits for reconnects in real time); an SDK may ignore them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateArgs {
    #[serde(default)]
    device_id: Option<String>,
    #[serde(default)]
    reconnect_max_backoff_ms: Option<u64>,
    #[serde(default)]
    media_loss_timeout_ms: Option<u64>,
    /// `false`: signaling only, no peer connections (load and benchmarks).
    #[serde(default)]
    media_enabled: Option<bool>,
}

impl Driver {
    async fn handle(&mut self, c: Command) -> Reply {
        let id = c.id;
        if self.without.contains(&c.command) {
            return unimplemented(id);
        }
        let Some(command) = DriverCommand::from_name(&c.command) else {
            return unimplemented(id);
        };
        match (command, c.engine.as_deref()) {
            (DriverCommand::Hello, _) => ok(
                id,
                json!(HelloResult {
                    implementation: "nccall (reference engine)".into(),
                    version: CallEngine::get_version().into(),
                    protocol_version: DRIVER_PROTOCOL_VERSION,
                    capabilities: CAPABILITIES
                        .iter()
                        .map(|s| s.to_string())
                        .filter(|c| !self.without.contains(c))
                        .collect(),
                }),
            ),
            (DriverCommand::Reset, _) => {
                // Dropping an engine hangs it up and stops its forwarder.
                self.engines.clear();
                ok(id, Value::Null)
            }
            (DriverCommand::GetVersion, _) => ok(id, json!(CallEngine::get_version())),
            (DriverCommand::CreateEngine, Some(name)) => match params::<CreateArgs>(&c.params) {
                Ok(args) => {
                    self.create(name, args);
                    ok(id, Value::Null)
                }
                Err(e) => bad_params(id, e),
            },
            (command, Some(name)) => match self.engines.get(name) {
                Some(hosted) => {
                    let reply = run(id, command, name, hosted, &c.params, &self.out).await;
                    if command == DriverCommand::Heartbeat {
                        // The promise of `heartbeat`: every event the server
                        // sent before it is written out before its reply.
                        flush(hosted).await;
                    }
                    reply
                }
                None => bad_params(id, format!("no engine {name}: send createEngine first")),
            },
            (_, None) => bad_params(id, "this command needs an engine"),
        }
    }

    /// A new engine for a participant; its events go out as they come.
    fn create(&mut self, name: &str, args: CreateArgs) {
        let devices = Arc::new(VirtualDevices::builtin());
        let defaults = EngineConfig::default();
        let engine = CallEngine::new(EngineConfig {
            device_id: args.device_id.unwrap_or_else(|| format!("{name}-device")),
            devices: devices.clone(),
            reconnect_max_backoff: args
                .reconnect_max_backoff_ms
                .map_or(defaults.reconnect_max_backoff, Duration::from_millis),
            media_loss_timeout: args
                .media_loss_timeout_ms
                .map_or(defaults.media_loss_timeout, Duration::from_millis),
            media_enabled: args.media_enabled.unwrap_or(defaults.media_enabled),
            ..defaults
        });
        let mut events = engine.events();
        let (out, name_owned) = (self.out.clone(), name.to_string());
        let (flush, mut flush_requests) =
            mpsc::unbounded_channel::<tokio::sync::oneshot::Sender<()>>();
        let forwarder = tokio::spawn(async move {
            loop {
                tokio::select! {
                    event = events.recv() => {
                        let Some(event) = event else { return };
                        if !send_event(&out, &name_owned, &event) {
                            return;
                        }
                    }
                    request = flush_requests.recv() => {
                        let Some(done) = request else { return };
                        while let Some(event) = events.try_recv() {
                            send_event(&out, &name_owned, &event);
                        }
                        let _ = done.send(());
                    }
                }
            }
        });
        let hosted = Hosted {
            local: InProcess {
                engine,
                devices,
                handled: Arc::default(),
            },
            flush,
            forwarder,
        };
        // A replaced engine is dropped: hung up, its forwarder stopped.
        self.engines.insert(name.to_string(), hosted);
    }
}

async fn flush(hosted: &Hosted) {
    let (done, flushed) = tokio::sync::oneshot::channel();
    if hosted.flush.send(done).is_ok() {
        let _ = flushed.await;
    }
}

/// Writes one callback out as `{engine, callback, event}`; false once the
/// output is gone. `value` is `{"callback": name, "event": fields}`.
fn send_callback(out: &mpsc::UnboundedSender<Message>, engine: &str, value: Value) -> bool {
    let Value::Object(mut fields) = value else {
        return true;
    };
    let callback = fields
        .remove("callback")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let event = fields.remove("event").unwrap_or(Value::Null);
    let message = EventMessage {
        engine: engine.to_string(),
        callback,
        event,
    };
    out.send(Message::Event(message)).is_ok()
}

fn send_event(out: &mpsc::UnboundedSender<Message>, engine: &str, event: &CallEvent) -> bool {
    match serde_json::to_value(event) {
        Ok(value) => send_callback(out, engine, value),
        Err(_) => true,
    }
}

/// The quality handler the driver registers: every callback goes out as an
/// event of the engine, like the call events.
struct QualityForwarder {
    engine: String,
    out: mpsc::UnboundedSender<Message>,
}

impl QualityForwarder {
    fn forward(&self, callback: &str, event: Value) {
        send_callback(
            &self.out,
            &self.engine,
            json!({ "callback": callback, "event": event }),
        );
    }
}

impl ConnectionQualityHandler for QualityForwarder {
    fn on_send_quality_changed(&self, event: &SendQualityEvent) {
        self.forward("onSendQualityChanged", json!(event));
    }
    fn on_receive_quality_changed(&self, event: &ReceiveQualityEvent) {
        self.forward("onReceiveQualityChanged", json!(event));
    }
    fn on_audio_volume_changed(&self, event: &AudioVolumeEvent) {
        self.forward("onAudioVolumeChanged", json!(event));
    }
}

/// A view that writes every frame it shows out as a `frame` message.
struct ForwardingView {
    engine: String,
    view: String,
    out: mpsc::UnboundedSender<Message>,
}

impl VideoView for ForwardingView {
    fn on_frame(&self, frame: &RenderedFrame) {
        let _ = self.out.send(Message::Frame(FrameMessage {
            engine: self.engine.clone(),
            view: self.view.clone(),
            frame: *frame,
        }));
    }
}

/// One engine command.
async fn run(
    id: u64,
    command: DriverCommand,
    name: &str,
    hosted: &Hosted,
    p: &Value,
    out: &mpsc::UnboundedSender<Message>,
) -> Reply {
    macro_rules! args {
        ($t:ty) => {
            match params::<$t>(p) {
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
