//! One WebSocket connection to the simulator (or any server that speaks
//! `docs/protocol.md`). Tasks are aborted when the [`Link`] is dropped.

use futures_util::{SinkExt, StreamExt};
use nccall_protocol::{ClientFrame, MAX_FRAME_BYTES, ServerFrame};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::TlsRoots;

/// Why a link could not be opened.
pub(crate) enum OpenError {
    /// The TLS handshake failed (an untrusted certificate, a name that
    /// does not match): trying again will not help.
    Tls(String),
    /// Anything else: refused, unreachable, not a WebSocket.
    Other(String),
}

/// Where a link reports what it reads. Implemented by the engine; the link
/// holds it weakly so that dropping the engine stops everything.
pub(crate) trait LinkEvents: Send + Sync + 'static {
    fn on_frame(&self, generation: u64, frame: ServerFrame);
    fn on_closed(&self, generation: u64);
}

pub(crate) struct Link {
    outbound: mpsc::UnboundedSender<ClientFrame>,
    tasks: Vec<JoinHandle<()>>,
}

impl Link {
    /// Opens the WebSocket (over TLS, trusting `roots`, for `wss://`);
    /// nothing is sent yet.
    pub async fn open<E: LinkEvents>(
        url: &str,
        roots: &TlsRoots,
        generation: u64,
        events: std::sync::Weak<E>,
    ) -> Result<Link, OpenError> {
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_FRAME_BYTES))
            .max_frame_size(Some(MAX_FRAME_BYTES));
        let connector = if url.starts_with("wss:") {
            let tls = roots.client_config().map_err(OpenError::Tls)?;
            Some(Connector::Rustls(tls))
        } else {
            Some(Connector::Plain)
        };
        let (ws, _) =
            tokio_tungstenite::connect_async_tls_with_config(url, Some(config), true, connector)
                .await
                .map_err(|e| {
                    let message = format!("cannot open a WebSocket to {url}: {e}");
                    if is_tls_failure(&e) {
                        OpenError::Tls(message)
                    } else {
                        OpenError::Other(message)
                    }
                })?;
        let (mut sink, mut source) = ws.split();
        let (outbound, mut rx) = mpsc::unbounded_channel::<ClientFrame>();

        let writer = tokio::spawn(async move {
            while let Some(frame) = rx.recv().await {
                let Ok(text) = serde_json::to_string(&frame) else {
                    continue;
                };
                if sink.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });

        let reader = tokio::spawn(async move {
            while let Some(message) = source.next().await {
                let text = match message {
                    Ok(Message::Text(text)) => text,
                    Ok(Message::Close(_)) | Err(_) => break,
                    Ok(_) => continue,
                };
                match serde_json::from_str::<ServerFrame>(text.as_str()) {
                    Ok(frame) => match events.upgrade() {
                        Some(e) => e.on_frame(generation, frame),
                        None => return,
                    },
                    Err(e) => tracing::warn!("ignoring a frame that is not protocol: {e}"),
                }
            }
            if let Some(e) = events.upgrade() {
                e.on_closed(generation);
            }
        });

        Ok(Link {
            outbound,
            tasks: vec![writer, reader],
        })
    }

    /// Queues a frame; false if the connection is gone.
    pub fn send(&self, frame: ClientFrame) -> bool {
        self.outbound.send(frame).is_ok()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A handshake refused by TLS: rustls's error comes back wrapped in an I/O
/// error (tokio-rustls), or as tungstenite's own TLS error.
fn is_tls_failure(error: &tokio_tungstenite::tungstenite::Error) -> bool {
    use tokio_tungstenite::tungstenite::Error;
    match error {
        Error::Tls(_) => true,
        Error::Io(e) => e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()),
        _ => false,
    }
}
