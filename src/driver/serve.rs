//! The reference engine behind the driver protocol: what `nccall-driver`
//! runs. Each participant the suite names gets its own `CallEngine`; every
//! event of each engine is written out as it happens.
//!
//! This file holds the transports (stdio, WebSocket), the session and the
//! commands about engines themselves; `serve/engine_commands.rs` the
//! commands addressed to one engine, `serve/forwarding.rs` how events,
//! quality callbacks and frames go out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use nccall::{
    AudioVolumeEvent, CallEngine, CallError, CallEvent, ConnectParams, ConnectionQualityHandler,
    EndCallParams, EngineConfig, Instrumentation, ReceiveQualityEvent, RemoteVideoView,
    RenderedFrame, SendQualityEvent, TlsRoots, VideoView, VirtualDevices,
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::engine_driver::{DriverError, DriverResult, InProcess, Sdk};

mod engine_commands;
mod forwarding;

use engine_commands::run;
use forwarding::{flush, send_event};

use super::commands::{Call, DriverCommand};
use super::params::CreateArgs;
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

impl Driver {
    async fn handle(&mut self, c: Command) -> Reply {
        let id = c.id;
        if self.without.contains(&c.command) {
            return unimplemented(id);
        }
        let call = match Call::decode(&c.command, &c.params) {
            Ok(Some(call)) => call,
            Ok(None) => return unimplemented(id),
            Err(e) => return bad_params(id, e),
        };
        match (call, c.engine.as_deref()) {
            (Call::Hello, _) => ok(
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
            (Call::Reset, _) => {
                // Dropping an engine hangs it up and stops its forwarder.
                self.engines.clear();
                ok(id, Value::Null)
            }
            (Call::GetVersion, _) => ok(id, json!(CallEngine::get_version())),
            (Call::CreateEngine(args), Some(name)) => match self.create(name, args) {
                Ok(()) => ok(id, Value::Null),
                Err(e) => failed(id, &e),
            },
            (call, Some(name)) => match self.engines.get(name) {
                Some(hosted) => {
                    let heartbeat = call.command() == DriverCommand::Heartbeat;
                    let reply = run(id, call, name, hosted, &self.out).await;
                    if heartbeat {
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
    /// PARAM_ERROR if the certificate to trust is not PEM.
    fn create(&mut self, name: &str, args: CreateArgs) -> Result<(), CallError> {
        let devices = Arc::new(VirtualDevices::builtin());
        let defaults = EngineConfig::default();
        let tls_roots = match &args.trusted_certificate_pem {
            Some(pem) => TlsRoots::only_pem(pem.as_bytes())?,
            None => defaults.tls_roots.clone(),
        };
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
            tls_roots,
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
        Ok(())
    }
}
