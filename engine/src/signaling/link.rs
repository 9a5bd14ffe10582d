//! One WebSocket connection to the simulator (or any server that speaks
//! `docs/protocol.md`). Tasks are aborted when the [`Link`] is dropped.

use futures_util::{SinkExt, StreamExt};
use nccall_protocol::{ClientFrame, MAX_FRAME_BYTES, ServerFrame};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

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
    /// Opens the WebSocket; nothing is sent yet.
    pub async fn open<E: LinkEvents>(
        url: &str,
        generation: u64,
        events: std::sync::Weak<E>,
    ) -> Result<Link, String> {
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_FRAME_BYTES))
            .max_frame_size(Some(MAX_FRAME_BYTES));
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await
            .map_err(|e| format!("cannot open a WebSocket to {url}: {e}"))?;
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
