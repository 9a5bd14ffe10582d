//! The suite's side of the driver protocol: starts a driver command (a
//! shell command line, e.g. `node my-sdk-driver.js`), sends commands and
//! matches replies by id, and routes what each engine reports (events,
//! quality callbacks, frames of its views) to that engine's recorders.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use nccall::{
    AudioVolumeEvent, CallEvent, ConnectionQualityHandler, ReceiveQualityEvent, RecordingView,
    SendQualityEvent, VideoView,
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command as Process};
use tokio::sync::{mpsc, oneshot};

use super::commands::DriverCommand;
use super::websocket;
use super::wire::{Command, DRIVER_PROTOCOL_VERSION, EventMessage, HelloResult, Message, Reply};
use crate::recorders::QualityRecorder;

/// Why a command did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverError {
    /// The SDK answered with a spec error code.
    Code { code: u32, message: String },
    /// The SDK does not implement the command.
    Unimplemented(String),
    /// The driver process went away, or spoke something else.
    Broken(String),
}

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriverError::Code { code, message } => write!(f, "code {code}: {message}"),
            DriverError::Unimplemented(c) => write!(f, "{c} {}", crate::junit::UNIMPLEMENTED_MARK),
            DriverError::Broken(why) => write!(f, "driver broken: {why}"),
        }
    }
}

impl std::error::Error for DriverError {}

/// How long a command may take (the engine's own request timeout is 10 s,
/// the suite's longest wait command 10 s).
const REPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Reply>>>>;

/// Where one engine's reports go.
#[derive(Default)]
struct Route {
    events: Option<mpsc::UnboundedSender<CallEvent>>,
    quality: Option<Arc<QualityRecorder>>,
    /// The suite's views, by the `viewId` it gave the driver.
    views: HashMap<String, Arc<RecordingView>>,
}

type Routes = Arc<Mutex<HashMap<String, Route>>>;

/// A driver (a process, or a connection to a running one), shared by the
/// participants of one scenario.
pub struct RemoteDriver {
    /// The process, when the suite started one.
    child: Mutex<Option<Child>>,
    commands: mpsc::UnboundedSender<String>,
    pending: Pending,
    routes: Routes,
    next_id: AtomicU64,
    /// Commands the driver answered `unimplemented`, in order.
    unimplemented: Mutex<Vec<String>>,
    /// This connection's number in `--driver-trace`.
    trace_id: u64,
}

impl RemoteDriver {
    /// Starts the driver and says `hello`. `target` is a command line (run
    /// by `sh -c`, spoken to over stdin/stdout), the `ws://` address of a
    /// driver that is already running (one connection per scenario), or
    /// `listen:ADDR`: the next connection a driver opened to the suite at
    /// that address (`listen.rs`).
    pub async fn start(target: &str) -> Result<(RemoteDriver, HelloResult), DriverError> {
        if let Some(address) = target.strip_prefix("listen:") {
            let listener = super::listen::Listener::bind(address).await?;
            // A connection queued a while ago may have closed since (a
            // page reloaded): take the next until one says hello.
            let mut last = None;
            for _ in 0..4 {
                let lines = listener.next(super::listen::CONNECT_WAIT).await?;
                match RemoteDriver::over(lines, None).await {
                    Ok(started) => return Ok(started),
                    Err(e @ DriverError::Broken(_)) => last = Some(e),
                    Err(e) => return Err(e),
                }
            }
            return Err(last.unwrap_or(DriverError::Broken("no driver said hello".into())));
        }
        if target.starts_with("ws://") || target.starts_with("wss://") {
            let lines = connect_websocket(target).await?;
            return RemoteDriver::over(lines, None).await;
        }
        let (lines, child) = spawn_process(target)?;
        RemoteDriver::over(lines, Some(child)).await
    }

    /// Says `hello` over a driver's two directions.
    async fn over(
        (commands, incoming): Lines,
        child: Option<Child>,
    ) -> Result<(RemoteDriver, HelloResult), DriverError> {
        let pending: Pending = Arc::default();
        let routes: Routes = Arc::default();
        let (p, r) = (pending.clone(), routes.clone());
        let trace_id = super::trace::next_driver();
        tokio::spawn(async move {
            let mut incoming = incoming;
            while let Some(line) = incoming.recv().await {
                super::trace::note(trace_id, "in", &line);
                dispatch(&line, &p, &r);
            }
            // The driver is gone: whoever waits learns it.
            if let Ok(mut m) = p.lock() {
                m.clear();
            }
        });
        let driver = RemoteDriver {
            child: Mutex::new(child),
            commands,
            pending,
            routes,
            next_id: AtomicU64::new(1),
            unimplemented: Mutex::default(),
            trace_id,
        };
        let hello = driver
            .command(None, DriverCommand::Hello, Value::Null)
            .await?;
        let hello: HelloResult = serde_json::from_value(hello)
            .map_err(|e| DriverError::Broken(format!("hello result: {e}")))?;
        if hello.protocol_version != DRIVER_PROTOCOL_VERSION {
            return Err(DriverError::Broken(format!(
                "{} speaks driver protocol {}, the suite speaks {DRIVER_PROTOCOL_VERSION}",
                hello.implementation, hello.protocol_version
            )));
        }
        Ok((driver, hello))
    }

    /// Sends one command and waits for its reply.
    pub async fn command(
        &self,
        engine: Option<&str>,
        command: DriverCommand,
        params: Value,
    ) -> Result<Value, DriverError> {
        self.command_named(engine, command.name(), params).await
    }

    /// Sends a command by its wire name: one outside the protocol's set (a
    /// driver's own, as the browser page's benchmark floor, or a name no
    /// driver knows, to see it refused).
    pub async fn command_named(
        &self,
        engine: Option<&str>,
        command: &str,
        params: Value,
    ) -> Result<Value, DriverError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut m) = self.pending.lock() {
            m.insert(id, tx);
        }
        let line = serde_json::to_string(&Command {
            id,
            command: command.to_string(),
            engine: engine.map(str::to_string),
            params,
        })
        .map_err(|e| DriverError::Broken(e.to_string()))?;
        super::trace::note(self.trace_id, "out", &line);
        self.commands
            .send(line)
            .map_err(|_| DriverError::Broken("the driver's stdin is closed".into()))?;
        // A driver that never answers fails the step instead of hanging the run.
        let reply = tokio::time::timeout(REPLY_WAIT, rx)
            .await
            .map_err(|_| DriverError::Broken(format!("no reply to {command} in {REPLY_WAIT:?}")))?
            .map_err(|_| DriverError::Broken(format!("no reply to {command}")))?;
        if reply.unimplemented {
            if let Ok(mut u) = self.unimplemented.lock() {
                u.push(command.to_string());
            }
            return Err(DriverError::Unimplemented(command.to_string()));
        }
        if reply.code != 0 {
            return Err(DriverError::Code {
                code: reply.code,
                message: reply.message.unwrap_or_default(),
            });
        }
        Ok(reply.result.unwrap_or(Value::Null))
    }

    /// Creates an engine for participant `name` with `params`
    /// (`createEngine`'s); its events arrive on the returned stream, in the
    /// order the driver wrote them.
    pub async fn create_engine(
        &self,
        name: &str,
        params: Value,
    ) -> Result<mpsc::UnboundedReceiver<CallEvent>, DriverError> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.route(name, |r| r.events = Some(tx));
        self.command(Some(name), DriverCommand::CreateEngine, params)
            .await?;
        Ok(rx)
    }

    /// Quality callbacks of `engine` go to `recorder` from now on.
    pub fn route_quality(&self, engine: &str, recorder: Arc<QualityRecorder>) {
        self.route(engine, |r| r.quality = Some(recorder));
    }

    /// Frames the driver reports for `engine`'s view `view_id` go to `view`.
    pub fn route_view(&self, engine: &str, view_id: &str, view: Arc<RecordingView>) {
        self.route(engine, |r| {
            r.views.insert(view_id.to_string(), view);
        });
    }

    fn route(&self, engine: &str, change: impl FnOnce(&mut Route)) {
        if let Ok(mut m) = self.routes.lock() {
            change(m.entry(engine.to_string()).or_default());
        }
    }

    /// The commands the driver answered `unimplemented` so far.
    pub fn unimplemented(&self) -> Vec<String> {
        self.unimplemented
            .lock()
            .map(|u| u.clone())
            .unwrap_or_default()
    }

    /// Ends the driver process.
    pub async fn stop(&self) {
        let child = self.child.lock().ok().and_then(|mut c| c.take());
        if let Some(mut child) = child {
            let _ = child.kill().await;
        }
    }
}

/// A driver command line with a leading `nccall-driver` word replaced by
/// the reference driver's binary at `binary` (quoted), as `--driver
/// nccall-driver ...` means; any other command line is kept.
pub fn resolve_reference_driver(command: &str, binary: &std::path::Path) -> String {
    match command.strip_prefix("nccall-driver") {
        Some(rest) if rest.is_empty() || rest.starts_with(' ') => {
            format!("'{}'{rest}", binary.display())
        }
        _ => command.to_string(),
    }
}

/// A driver's two directions: lines to send it, lines it sent.
pub type Lines = (
    mpsc::UnboundedSender<String>,
    mpsc::UnboundedReceiver<String>,
);

/// A driver process: commands to its stdin, lines from its stdout.
fn spawn_process(command_line: &str) -> Result<(Lines, Child), DriverError> {
    let mut child = Process::new("sh")
        .args(["-c", command_line])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| DriverError::Broken(format!("cannot start {command_line:?}: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or(DriverError::Broken("no stdin".into()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or(DriverError::Broken("no stdout".into()))?;
    let (commands, mut outgoing) = mpsc::unbounded_channel::<String>();
    // Ends when the driver is dropped: stdin closes, and the driver exits.
    tokio::spawn(async move {
        while let Some(mut line) = outgoing.recv().await {
            line.push('\n');
            if stdin.write_all(line.as_bytes()).await.is_err() {
                return;
            }
            let _ = stdin.flush().await;
        }
    });
    let (lines, incoming) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    Ok(((commands, incoming), child))
}

/// A running driver at a WebSocket address: one text frame per message.
async fn connect_websocket(url: &str) -> Result<Lines, DriverError> {
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| DriverError::Broken(format!("cannot reach {url}: {e}")))?;
    let (sink, source) = socket.split();
    let (commands, outgoing) = mpsc::unbounded_channel::<String>();
    // Ends when the driver is dropped: the close tells the driver that this
    // scenario's engines can go.
    tokio::spawn(websocket::write_texts(sink, outgoing, Some));
    let (lines, incoming) = mpsc::unbounded_channel::<String>();
    tokio::spawn(websocket::read_texts(source, lines));
    Ok((commands, incoming))
}

/// One line from the driver: a reply to its waiter, an event or a frame to
/// its engine's recorders.
fn dispatch(line: &str, pending: &Pending, routes: &Routes) {
    match serde_json::from_str::<Message>(line) {
        Ok(Message::Reply(reply)) => {
            let waiter = pending.lock().ok().and_then(|mut m| m.remove(&reply.id));
            if let Some(waiter) = waiter {
                let _ = waiter.send(reply);
            }
        }
        Ok(Message::Event(e)) => route_event(routes, e),
        Ok(Message::Frame(f)) => {
            let view = routes
                .lock()
                .ok()
                .and_then(|m| m.get(&f.engine)?.views.get(&f.view).cloned());
            if let Some(view) = view {
                view.on_frame(&f.frame);
            }
        }
        Err(err) => eprintln!("driver: unreadable line ({err}): {line}"),
    }
}

/// Hands one callback to its engine's stream or quality recorder.
fn route_event(routes: &Routes, e: EventMessage) {
    let Ok(m) = routes.lock() else { return };
    let Some(route) = m.get(&e.engine) else {
        return;
    };
    if let Some(why) = super::enum_names::numbered_enum(&e.event) {
        eprintln!("driver: {} event not taken: {why}", e.callback);
        return;
    }
    let quality = route.quality.as_deref();
    let decoded = match (e.callback.as_str(), quality) {
        ("onSendQualityChanged", Some(q)) => serde_json::from_value::<SendQualityEvent>(e.event)
            .map(|ev| q.on_send_quality_changed(&ev)),
        ("onReceiveQualityChanged", Some(q)) => {
            serde_json::from_value::<ReceiveQualityEvent>(e.event)
                .map(|ev| q.on_receive_quality_changed(&ev))
        }
        ("onAudioVolumeChanged", Some(q)) => serde_json::from_value::<AudioVolumeEvent>(e.event)
            .map(|ev| q.on_audio_volume_changed(&ev)),
        _ => {
            let value = json!({ "callback": e.callback, "event": e.event });
            serde_json::from_value::<CallEvent>(value).map(|event| {
                if let Some(tx) = &route.events {
                    let _ = tx.send(event);
                }
            })
        }
    };
    if let Err(err) = decoded {
        eprintln!("driver: unreadable {} event: {err}", e.callback);
    }
}
