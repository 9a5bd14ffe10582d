//! The suite as the listening side of the driver protocol
//! (`--driver listen:ADDR`): for a driver that cannot listen itself — a
//! page in a browser, a test app on a phone — and connects out instead.
//! Each WebSocket connection that arrives serves one scenario, exactly as
//! a connection to `nccall-driver --listen` does; a driver that runs
//! scenarios at once keeps several connections open.
//!
//! One listener per address for the whole run (scenarios take connections
//! from its queue in the order they arrived).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::client::{DriverError, Lines};
use super::websocket;

/// A bound address and the driver connections that arrived on it.
pub struct Listener {
    address: SocketAddr,
    arrived: tokio::sync::Mutex<mpsc::UnboundedReceiver<Lines>>,
}

/// How long a scenario waits for a driver to connect: a browser that
/// starts cold takes a few seconds; a driver that never comes fails the
/// scenario instead of hanging the run.
pub const CONNECT_WAIT: Duration = Duration::from_secs(60);

fn listeners() -> &'static Mutex<HashMap<String, Arc<Listener>>> {
    static LISTENERS: OnceLock<Mutex<HashMap<String, Arc<Listener>>>> = OnceLock::new();
    LISTENERS.get_or_init(Mutex::default)
}

impl Listener {
    /// The listener for `address` (`127.0.0.1:7791`; port 0 picks one),
    /// bound on first use. Under the name `address` it is found again,
    /// and under its real address (`ws://` + [`Listener::address`]).
    pub async fn bind(address: &str) -> Result<Arc<Listener>, DriverError> {
        if let Some(found) = listeners()
            .lock()
            .ok()
            .and_then(|m| m.get(address).cloned())
        {
            return Ok(found);
        }
        let socket = TcpListener::bind(address)
            .await
            .map_err(|e| DriverError::Broken(format!("cannot listen on {address}: {e}")))?;
        let bound = socket
            .local_addr()
            .map_err(|e| DriverError::Broken(e.to_string()))?;
        let (queue, arrived) = mpsc::unbounded_channel();
        tokio::spawn(accept(socket, queue));
        let listener = Arc::new(Listener {
            address: bound,
            arrived: tokio::sync::Mutex::new(arrived),
        });
        if let Ok(mut m) = listeners().lock() {
            m.insert(address.to_string(), listener.clone());
            m.insert(bound.to_string(), listener.clone());
        }
        Ok(listener)
    }

    /// The address drivers connect to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The next driver connection, waiting up to `wait` for one.
    pub async fn next(&self, wait: Duration) -> Result<Lines, DriverError> {
        let mut arrived = self.arrived.lock().await;
        match tokio::time::timeout(wait, arrived.recv()).await {
            Ok(Some(lines)) => Ok(lines),
            Ok(None) => Err(DriverError::Broken("the listener stopped".into())),
            Err(_) => Err(DriverError::Broken(format!(
                "no driver connected to ws://{} in {wait:?}",
                self.address
            ))),
        }
    }
}

/// Accepts WebSocket connections and queues each as a driver's two directions.
async fn accept(socket: TcpListener, queue: mpsc::UnboundedSender<Lines>) {
    while let Ok((stream, _)) = socket.accept().await {
        let queue = queue.clone();
        tokio::spawn(async move {
            // Not a WebSocket handshake (a port scan, a browser's probe): ignored.
            let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let (sink, source) = ws.split();
            let (commands, outgoing) = mpsc::unbounded_channel::<String>();
            tokio::spawn(websocket::write_texts(sink, outgoing, Some));
            let (lines, incoming) = mpsc::unbounded_channel::<String>();
            tokio::spawn(websocket::read_texts(source, lines));
            let _ = queue.send((commands, incoming));
        });
    }
}
