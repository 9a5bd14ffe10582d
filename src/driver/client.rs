//! The suite's side of the driver protocol: starts a driver command (a
//! shell command line, e.g. `node my-sdk-driver.js`), sends commands and
//! matches replies by id, and hands each engine's events over in order.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use nccall::CallEvent;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command as Process};
use tokio::sync::{mpsc, oneshot};

use super::wire::{Command, HelloResult, Message, Reply};

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
            DriverError::Unimplemented(c) => write!(f, "{c} is not implemented by the driver"),
            DriverError::Broken(why) => write!(f, "driver broken: {why}"),
        }
    }
}

/// How long a command may take (the engine's own request timeout is 10 s).
const REPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Reply>>>>;
type Streams = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<CallEvent>>>>;

/// A running driver process.
pub struct RemoteDriver {
    child: Child,
    commands: mpsc::UnboundedSender<String>,
    pending: Pending,
    streams: Streams,
    next_id: u64,
}

impl RemoteDriver {
    /// Starts `command_line` (run by `sh -c`) and says `hello`.
    pub async fn start(command_line: &str) -> Result<(RemoteDriver, HelloResult), DriverError> {
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
        tokio::spawn(async move {
            while let Some(mut line) = outgoing.recv().await {
                line.push('\n');
                if stdin.write_all(line.as_bytes()).await.is_err() {
                    return;
                }
                let _ = stdin.flush().await;
            }
        });
        let pending: Pending = Arc::default();
        let streams: Streams = Arc::default();
        let (p, s) = (pending.clone(), streams.clone());
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<Message>(&line) {
                    Ok(Message::Reply(reply)) => {
                        let waiter = p.lock().ok().and_then(|mut m| m.remove(&reply.id));
                        if let Some(waiter) = waiter {
                            let _ = waiter.send(reply);
                        }
                    }
                    Ok(Message::Event(e)) => {
                        let value = json!({ "callback": e.callback, "event": e.event });
                        match serde_json::from_value::<CallEvent>(value) {
                            Ok(event) => {
                                if let Some(tx) =
                                    s.lock().ok().and_then(|m| m.get(&e.engine).cloned())
                                {
                                    let _ = tx.send(event);
                                }
                            }
                            Err(err) => eprintln!("driver: unreadable {} event: {err}", e.callback),
                        }
                    }
                    Err(err) => eprintln!("driver: unreadable line ({err}): {line}"),
                }
            }
            // The driver is gone: whoever waits learns it.
            if let Ok(mut m) = p.lock() {
                m.clear();
            }
        });
        let mut driver = RemoteDriver {
            child,
            commands,
            pending,
            streams,
            next_id: 1,
        };
        let hello = driver.command(None, "hello", Value::Null).await?;
        let hello: HelloResult = serde_json::from_value(hello)
            .map_err(|e| DriverError::Broken(format!("hello result: {e}")))?;
        Ok((driver, hello))
    }

    /// Sends one command and waits for its reply.
    pub async fn command(
        &mut self,
        engine: Option<&str>,
        command: &str,
        params: Value,
    ) -> Result<Value, DriverError> {
        let id = self.next_id;
        self.next_id += 1;
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
        self.commands
            .send(line)
            .map_err(|_| DriverError::Broken("the driver's stdin is closed".into()))?;
        // A driver that never answers fails the step instead of hanging the run.
        let reply = tokio::time::timeout(REPLY_WAIT, rx)
            .await
            .map_err(|_| DriverError::Broken(format!("no reply to {command} in {REPLY_WAIT:?}")))?
            .map_err(|_| DriverError::Broken(format!("no reply to {command}")))?;
        if reply.unimplemented {
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

    /// Creates an engine for participant `name`; its events arrive on the
    /// returned stream, in the order the driver wrote them.
    pub async fn create_engine(
        &mut self,
        name: &str,
    ) -> Result<mpsc::UnboundedReceiver<CallEvent>, DriverError> {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut m) = self.streams.lock() {
            m.insert(name.to_string(), tx);
        }
        self.command(
            Some(name),
            "createEngine",
            json!({ "deviceId": format!("{name}-device") }),
        )
        .await?;
        Ok(rx)
    }

    /// Ends the driver process.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
