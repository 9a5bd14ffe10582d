//! One client connection: decode frames for the hub, encode what the hub
//! sends back. Frames that are not valid protocol are answered here, with
//! BAD_FRAME, without bothering the hub; the connection stays open. So are
//! requests over the connection's rate limit (RATE_LIMITED, `rate_limit.rs`).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nccall_protocol::{ClientFrame, ErrorCode, MAX_FRAME_BYTES, Response, ServerFrame};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::messages::{ConnCmd, ConnEvent};
use super::rate_limit::{Admission, RateLimit};

use crate::core::ConnId;

pub(super) async fn serve<S>(
    stream: S,
    conn: ConnId,
    hub: mpsc::UnboundedSender<ConnEvent>,
    idle: Duration,
    mut limit: Option<RateLimit>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Signaling frames are small and a server holds many connections: a
    // 4 KiB read buffer instead of the default eagerly allocated 128 KiB
    // (measured: 140.8 → 13.6 KiB per connected user, docs/perf.md).
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let ws = match tokio_tungstenite::accept_async_with_config(stream, Some(config)).await {
        Ok(ws) => ws,
        Err(e) => {
            tracing::debug!(conn, "WebSocket handshake failed: {e}");
            return;
        }
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel();
    if hub
        .send(ConnEvent::Open {
            conn,
            tx: tx.clone(),
        })
        .is_err()
    {
        return;
    }

    let writer = tokio::spawn(async move {
        while let Some(cmd) = rx.recv().await {
            match cmd {
                ConnCmd::Frame(frame) => {
                    let Ok(text) = serde_json::to_string(&frame) else {
                        continue;
                    };
                    if sink.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
                ConnCmd::Close => break,
            }
        }
        let _ = sink.close().await;
    });

    loop {
        let next = match tokio::time::timeout(idle, source.next()).await {
            Ok(next) => next,
            Err(_) => {
                tracing::debug!(conn, "closing idle connection");
                break;
            }
        };
        let counted = matches!(next, Some(Ok(Message::Text(_) | Message::Binary(_))));
        if let (true, Some(limit)) = (counted, limit.as_mut()) {
            match limit.admit(std::time::Instant::now()) {
                Admission::Admit => {}
                Admission::Refuse => {
                    let id = match &next {
                        Some(Ok(Message::Text(text))) => request_id(text.as_str()),
                        _ => None,
                    };
                    let _ = tx.send(ConnCmd::Frame(refusal(
                        id,
                        ErrorCode::RateLimited,
                        "over the connection's rate limit; slow down".into(),
                    )));
                    continue;
                }
                Admission::Close => {
                    tracing::debug!(conn, "closing a connection that floods");
                    let _ = tx.send(ConnCmd::Frame(ServerFrame::Error {
                        code: ErrorCode::RateLimited.code(),
                        message: "kept flooding after being rate limited; closing".into(),
                    }));
                    break;
                }
            }
        }
        match next {
            Some(Ok(Message::Text(text))) => match decode(text.as_str()) {
                Ok(frame) => {
                    if hub.send(ConnEvent::Frame { conn, frame }).is_err() {
                        break;
                    }
                }
                Err(reply) => {
                    let _ = tx.send(ConnCmd::Frame(*reply));
                }
            },
            Some(Ok(Message::Binary(_))) => {
                let _ = tx.send(ConnCmd::Frame(ServerFrame::Error {
                    code: ErrorCode::BadFrame.code(),
                    message: "binary frames are not part of the protocol; send JSON text".into(),
                }));
            }
            Some(Ok(Message::Close(_))) | None => break,
            Some(Ok(_)) => {} // ping/pong: answered by the WebSocket layer
            Some(Err(e)) => {
                tracing::debug!(conn, "connection error: {e}");
                let _ = tx.send(ConnCmd::Frame(ServerFrame::Error {
                    code: ErrorCode::BadFrame.code(),
                    message: format!("{e} (frames are limited to {MAX_FRAME_BYTES} bytes)"),
                }));
                break;
            }
        }
    }
    let _ = hub.send(ConnEvent::Closed { conn });
    let _ = tx.send(ConnCmd::Close);
    drop(tx);
    let _ = writer.await;
    // The closing handshake (RFC 6455 7.1.1): read, and drop, what the
    // client still sends until its Close. Closing the socket over unread
    // data makes the kernel reset the connection, and a reset can discard
    // the frames just written (the flood's RATE_LIMITED error) before the
    // client reads them.
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        while let Some(Ok(message)) = source.next().await {
            if message.is_close() {
                break;
            }
        }
    })
    .await;
}

/// How long a closing connection waits for the client's Close.
const CLOSE_LINGER: Duration = Duration::from_secs(1);

/// Parses a client frame; on failure builds the answer: a response to the
/// request's id when one can be read, an error frame otherwise.
fn decode(text: &str) -> Result<ClientFrame, Box<ServerFrame>> {
    serde_json::from_str::<ClientFrame>(text).map_err(|e| {
        Box::new(refusal(
            request_id(text),
            ErrorCode::BadFrame,
            format!("not a valid request: {e}"),
        ))
    })
}

/// The `id` of a request, if the text is JSON with one.
fn request_id(text: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("id").and_then(serde_json::Value::as_u64))
}

/// A request answered here: a response to its id when one can be read, an
/// error frame otherwise.
fn refusal(id: Option<u64>, code: ErrorCode, message: String) -> ServerFrame {
    match id {
        Some(id) => ServerFrame::Response(Response {
            id,
            code: code.code(),
            message: Some(message),
            result: None,
        }),
        None => ServerFrame::Error {
            code: code.code(),
            message,
        },
    }
}
