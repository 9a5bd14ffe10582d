//! How an engine's events, quality callbacks and rendered frames leave the
//! driver: each as a message of its engine, in the order they happened.

use super::*;

pub(super) async fn flush(hosted: &Hosted) {
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

pub(super) fn send_event(
    out: &mpsc::UnboundedSender<Message>,
    engine: &str,
    event: &CallEvent,
) -> bool {
    match serde_json::to_value(event) {
        Ok(value) => send_callback(out, engine, value),
        Err(_) => true,
    }
}

/// The quality handler the driver registers: every callback goes out as an
/// event of the engine, like the call events.
pub(super) struct QualityForwarder {
    pub(super) engine: String,
    pub(super) out: mpsc::UnboundedSender<Message>,
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
pub(super) struct ForwardingView {
    pub(super) engine: String,
    pub(super) view: String,
    pub(super) out: mpsc::UnboundedSender<Message>,
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
