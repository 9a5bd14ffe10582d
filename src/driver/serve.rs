//! The reference engine behind the driver protocol: what `nccall-driver`
//! runs. Each participant the suite names gets its own `CallEngine`; every
//! event of each engine is written out as it happens.

use std::collections::HashMap;

use nccall::{
    CallEngine, CallError, CallLogOrder, CallMediaType, CallType, ConnectParams, EndCallParams,
    EngineConfig, GetHistoryCallLogsParams, StartCallParams,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use super::wire::{Command, DRIVER_PROTOCOL_VERSION, EventMessage, HelloResult, Message, Reply};

/// Every command this driver implements (the rest are `unimplemented`).
pub const CAPABILITIES: &[&str] = &[
    "hello",
    "reset",
    "createEngine",
    "connect",
    "disconnect",
    "heartbeat",
    "getVersion",
    "startCall",
    "acceptCall",
    "endCall",
    "joinCall",
    "inviteToCall",
    "enableCamera",
    "enableMicrophone",
    "isMicrophoneEnabled",
    "requestChangeMediaType",
    "cancelChangeMediaType",
    "replyChangeMediaType",
    "getCurrentCallSession",
    "getHistoryCallLogs",
    "getOngoingCallLogs",
    "deleteCallLogsForMe",
    "deleteAllCallLogsForMe",
];

/// Serves the protocol on stdin/stdout until stdin closes.
pub async fn serve_stdio() -> std::io::Result<()> {
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
    let mut driver = Driver {
        engines: HashMap::new(),
        flushes: HashMap::new(),
        out: out_tx,
    };
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
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
    drop(driver);
    let _ = writer.await;
    Ok(())
}

struct Driver {
    engines: HashMap<String, CallEngine>,
    /// Asks an engine's event forwarder to write out every event it has
    /// received so far, and says when it has.
    flushes: HashMap<String, mpsc::UnboundedSender<tokio::sync::oneshot::Sender<()>>>,
    out: mpsc::UnboundedSender<Message>,
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
struct StartCallArgs {
    callee_ids: Vec<String>,
    call_type: CallType,
    media_type: CallMediaType,
    #[serde(default)]
    extra: Option<String>,
    #[serde(default)]
    target_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallIdArgs {
    #[serde(default)]
    call_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserIdsArgs {
    user_ids: Vec<String>,
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
struct HistoryArgs {
    start_time: i64,
    count: i64,
    order: CallLogOrder,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallIdsArgs {
    call_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateArgs {
    #[serde(default)]
    device_id: Option<String>,
}

impl Driver {
    async fn handle(&mut self, c: Command) -> Reply {
        let id = c.id;
        match (c.command.as_str(), c.engine.as_deref()) {
            ("hello", _) => ok(
                id,
                json!(HelloResult {
                    implementation: "nccall (reference engine)".into(),
                    version: CallEngine::get_version().into(),
                    protocol_version: DRIVER_PROTOCOL_VERSION,
                    capabilities: CAPABILITIES.iter().map(|s| s.to_string()).collect(),
                }),
            ),
            ("reset", _) => {
                for engine in self.engines.values() {
                    engine.disconnect();
                }
                self.engines.clear();
                self.flushes.clear();
                ok(id, Value::Null)
            }
            ("getVersion", _) => ok(id, json!(CallEngine::get_version())),
            ("createEngine", Some(name)) => match params::<CreateArgs>(&c.params) {
                Ok(args) => {
                    self.create(name, args.device_id);
                    ok(id, Value::Null)
                }
                Err(e) => bad_params(id, e),
            },
            (command, Some(name)) => match self.engines.get(name).cloned() {
                Some(engine) => {
                    let reply = run(id, command, &engine, &c.params).await;
                    if command == "heartbeat" {
                        // The promise of `heartbeat`: every event the server
                        // sent before it is written out before its reply.
                        self.flush(name).await;
                    }
                    reply
                }
                None => bad_params(id, format!("no engine {name}: send createEngine first")),
            },
            (_, None) => bad_params(id, "this command needs an engine"),
        }
    }

    async fn flush(&self, name: &str) {
        let Some(flush) = self.flushes.get(name) else {
            return;
        };
        let (done, flushed) = tokio::sync::oneshot::channel();
        if flush.send(done).is_ok() {
            let _ = flushed.await;
        }
    }

    /// A new engine for a participant; its events go out as they come.
    fn create(&mut self, name: &str, device_id: Option<String>) {
        let engine = CallEngine::new(EngineConfig {
            device_id: device_id.unwrap_or_else(|| format!("{name}-device")),
            // The suite's scenarios wait for reconnects in real time.
            reconnect_max_backoff: std::time::Duration::from_millis(100),
            ..EngineConfig::default()
        });
        let mut events = engine.events();
        let (out, name_owned) = (self.out.clone(), name.to_string());
        let (flush, mut flush_requests) = mpsc::unbounded_channel();
        self.flushes.insert(name.to_string(), flush);
        tokio::spawn(async move {
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
        if let Some(old) = self.engines.insert(name.to_string(), engine) {
            old.disconnect();
        }
    }
}

/// Writes one event out as `{engine, callback, event}`; false once the
/// output is gone.
fn send_event(
    out: &mpsc::UnboundedSender<Message>,
    engine: &str,
    event: &nccall::CallEvent,
) -> bool {
    let Ok(Value::Object(mut fields)) = serde_json::to_value(event) else {
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

/// One engine command.
async fn run(id: u64, command: &str, engine: &CallEngine, p: &Value) -> Reply {
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
    match command {
        "connect" => {
            let a = args!(ConnectArgs);
            let params = ConnectParams {
                url: a.url,
                app_key: a.app_key,
                token: a.token,
            };
            done(engine.connect(params).await.map(|user| json!(user)))
        }
        "disconnect" => {
            engine.disconnect();
            ok(id, Value::Null)
        }
        "heartbeat" => done(engine.heartbeat().await.map(|t| json!(t))),
        "startCall" => {
            let a = args!(StartCallArgs);
            let mut params = StartCallParams::single("", a.media_type);
            params.callee_ids = a.callee_ids;
            params.call_type = a.call_type;
            params.extra = a.extra;
            params.target_id = a.target_id;
            done(engine.start_call(params).await.map(|r| json!(r)))
        }
        "acceptCall" => {
            let a = args!(CallIdArgs);
            let call_id = a.call_id.unwrap_or_default();
            done(engine.accept_call(&call_id).await.map(|()| Value::Null))
        }
        "endCall" => {
            let a = args!(CallIdArgs);
            let params = EndCallParams {
                call_id: a.call_id,
                push_config: None,
            };
            done(engine.end_call(params).await.map(|()| Value::Null))
        }
        "joinCall" => {
            let a = args!(CallIdArgs);
            let call_id = a.call_id.unwrap_or_default();
            done(engine.join_call(&call_id).await.map(|()| Value::Null))
        }
        "inviteToCall" => {
            let a = args!(UserIdsArgs);
            done(engine.invite_to_call(a.user_ids).await.map(|r| json!(r)))
        }
        "enableCamera" => {
            let a = args!(EnableArgs);
            done(engine.enable_camera(a.enable).await.map(|()| Value::Null))
        }
        "enableMicrophone" => {
            let a = args!(EnableArgs);
            done(
                engine
                    .enable_microphone(a.enable)
                    .await
                    .map(|()| Value::Null),
            )
        }
        "isMicrophoneEnabled" => ok(id, json!(engine.is_microphone_enabled())),
        "requestChangeMediaType" => {
            let a = args!(MediaTypeArgs);
            done(
                engine
                    .request_change_media_type(a.media_type)
                    .await
                    .map(|tx| json!({ "transactionId": tx })),
            )
        }
        "cancelChangeMediaType" => {
            let a = args!(TransactionArgs);
            done(
                engine
                    .cancel_change_media_type(&a.transaction_id)
                    .await
                    .map(|()| Value::Null),
            )
        }
        "replyChangeMediaType" => {
            let a = args!(TransactionArgs);
            done(
                engine
                    .reply_change_media_type(&a.transaction_id, a.is_agreed)
                    .await
                    .map(|()| Value::Null),
            )
        }
        "getCurrentCallSession" => ok(id, json!(engine.get_current_call_session())),
        "getHistoryCallLogs" => {
            let a = args!(HistoryArgs);
            let params = GetHistoryCallLogsParams {
                start_time: a.start_time,
                count: a.count,
                order: a.order,
            };
            done(engine.get_history_call_logs(params).await.map(|p| json!(p)))
        }
        "getOngoingCallLogs" => done(engine.get_ongoing_call_logs().await.map(|l| json!(l))),
        "deleteCallLogsForMe" => {
            let a = args!(CallIdsArgs);
            done(
                engine
                    .delete_call_logs_for_me(a.call_ids)
                    .await
                    .map(|r| json!(r)),
            )
        }
        "deleteAllCallLogsForMe" => done(
            engine
                .delete_all_call_logs_for_me()
                .await
                .map(|n| json!({ "deletedCount": n })),
        ),
        _ => unimplemented(id),
    }
}
