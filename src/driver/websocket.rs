//! The WebSocket transport of the driver protocol: one text frame per
//! message, both ways. Shared by the suite's client and `nccall-driver
//! --listen`.

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{Error, Message};

/// Hands every text frame of `source` to `texts` until the socket closes
/// (or nobody listens any more).
pub async fn read_texts<S>(mut source: S, texts: mpsc::UnboundedSender<String>)
where
    S: Stream<Item = Result<Message, Error>> + Unpin,
{
    while let Some(Ok(frame)) = source.next().await {
        match frame {
            Message::Text(text) if texts.send(text.to_string()).is_err() => return,
            Message::Close(_) => return,
            _ => {}
        }
    }
}

/// Sends each item of `items`, as `encode` writes it, as a text frame;
/// closes the socket when `items` ends.
pub async fn write_texts<K, T>(
    mut sink: K,
    mut items: mpsc::UnboundedReceiver<T>,
    encode: impl Fn(T) -> Option<String>,
) where
    K: Sink<Message> + Unpin,
{
    while let Some(item) = items.recv().await {
        let Some(text) = encode(item) else { continue };
        if sink.send(Message::text(text)).await.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}
