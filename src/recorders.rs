//! Handlers that keep what they are told, for the suite to read: the
//! event handler (`NCCallEventHandler`) and the connection-quality handler.

use std::sync::Mutex;
use std::time::Duration;

use nccall::{
    AudioVolumeEvent, CallConnectedEvent, CallEndedEvent, CallEventHandler, CallLogEvent,
    CallQuality, CallReceivedEvent, CallTypeChangedEvent, ConnectionQualityHandler,
    MediaTypeChangeRequestEvent, MediaTypeChangeResultEvent, ReceiveQualityEvent,
    RemoteDeviceStateEvent, RemoteUserInvitedEvent, RemoteUserStateChangedEvent, SendQualityEvent,
    StartTimeReceivedEvent,
};
use tokio::sync::Notify;

/// An `NCCallEventHandler` that writes down the name of every callback.
#[derive(Default)]
pub struct HandlerRecorder {
    callbacks: Mutex<Vec<&'static str>>,
}

impl HandlerRecorder {
    /// The callbacks heard so far, by the spec's names, in order.
    pub fn callbacks(&self) -> Vec<String> {
        self.callbacks
            .lock()
            .map(|c| c.iter().map(|n| n.to_string()).collect())
            .unwrap_or_default()
    }

    fn saw(&self, name: &'static str) {
        if let Ok(mut c) = self.callbacks.lock() {
            c.push(name);
        }
    }
}

impl CallEventHandler for HandlerRecorder {
    fn on_call_received(&self, _: &CallReceivedEvent) {
        self.saw("onCallReceived");
    }
    fn on_call_ended(&self, _: &CallEndedEvent) {
        self.saw("onCallEnded");
    }
    fn on_call_connected(&self, _: &CallConnectedEvent) {
        self.saw("onCallConnected");
    }
    fn on_local_call_log_received(&self, _: &CallLogEvent) {
        self.saw("onLocalCallLogReceived");
    }
    fn on_server_call_log_received(&self, _: &CallLogEvent) {
        self.saw("onServerCallLogReceived");
    }
    fn on_media_type_change_request_received(&self, _: &MediaTypeChangeRequestEvent) {
        self.saw("onMediaTypeChangeRequestReceived");
    }
    fn on_media_type_change_result_received(&self, _: &MediaTypeChangeResultEvent) {
        self.saw("onMediaTypeChangeResultReceived");
    }
    fn on_remote_camera_state_changed(&self, _: &RemoteDeviceStateEvent) {
        self.saw("onRemoteCameraStateChanged");
    }
    fn on_remote_microphone_state_changed(&self, _: &RemoteDeviceStateEvent) {
        self.saw("onRemoteMicrophoneStateChanged");
    }
    fn on_remote_user_invited(&self, _: &RemoteUserInvitedEvent) {
        self.saw("onRemoteUserInvited");
    }
    fn on_remote_user_state_changed(&self, _: &RemoteUserStateChangedEvent) {
        self.saw("onRemoteUserStateChanged");
    }
    fn on_start_time_received(&self, _: &StartTimeReceivedEvent) {
        self.saw("onStartTimeReceived");
    }
    fn on_call_type_changed(&self, _: &CallTypeChangedEvent) {
        self.saw("onCallTypeChanged");
    }
}

/// A connection-quality handler that keeps what it is told.
#[derive(Default)]
pub struct QualityRecorder {
    pub receive: Mutex<Vec<ReceiveQualityEvent>>,
    pub send: Mutex<Vec<SendQualityEvent>>,
    pub volumes: Mutex<Vec<AudioVolumeEvent>>,
    changed: Notify,
}

impl QualityRecorder {
    /// Waits (up to `timeout`) until `cond` holds for the latest receive
    /// quality reported about `user`; returns that latest value.
    pub async fn wait_receive(
        &self,
        user: &str,
        timeout: Duration,
        cond: impl Fn(CallQuality) -> bool,
    ) -> Option<CallQuality> {
        self.wait_receive_event(user, timeout, |e| cond(e.quality))
            .await
            .map(|e| e.quality)
    }

    /// Waits until `cond` holds for the latest receive-quality event about
    /// `user` (the whole event: loss rate and jitter too); returns it.
    pub async fn wait_receive_event(
        &self,
        user: &str,
        timeout: Duration,
        cond: impl Fn(&ReceiveQualityEvent) -> bool,
    ) -> Option<ReceiveQualityEvent> {
        let latest = || {
            let receive = self.receive.lock().ok()?;
            receive.iter().rev().find(|e| e.user_id == user).cloned()
        };
        self.wait_for(timeout, latest, cond).await
    }

    /// Waits until `cond` holds for the latest send-quality event.
    pub async fn wait_send(
        &self,
        timeout: Duration,
        cond: impl Fn(&SendQualityEvent) -> bool,
    ) -> Option<SendQualityEvent> {
        let latest = || self.send.lock().ok()?.last().cloned();
        self.wait_for(timeout, latest, cond).await
    }

    /// Waits until a volume report gives `user` a level above zero.
    pub async fn wait_volume(&self, user: &str, timeout: Duration) -> Option<u8> {
        let latest = || {
            let volumes = self.volumes.lock().ok()?;
            volumes.iter().rev().find_map(|e| {
                e.volumes
                    .iter()
                    .find(|l| l.user_id == user)
                    .map(|l| l.level)
            })
        };
        self.wait_for(timeout, latest, |l| *l > 0).await
    }

    /// Reads `latest` after every callback until `cond` holds for it or
    /// `timeout` passes; returns the last value read.
    async fn wait_for<T>(
        &self,
        timeout: Duration,
        latest: impl Fn() -> Option<T>,
        cond: impl Fn(&T) -> bool,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.changed.notified();
            let value = latest();
            if value.as_ref().is_some_and(&cond)
                || tokio::time::timeout_at(deadline, changed).await.is_err()
            {
                return value;
            }
        }
    }
}

impl ConnectionQualityHandler for QualityRecorder {
    fn on_send_quality_changed(&self, event: &SendQualityEvent) {
        crate::engine_driver::note_exercised("onSendQualityChanged");
        if let Ok(mut s) = self.send.lock() {
            s.push(event.clone());
        }
        self.changed.notify_waiters();
    }

    fn on_receive_quality_changed(&self, event: &ReceiveQualityEvent) {
        crate::engine_driver::note_exercised("onReceiveQualityChanged");
        if let Ok(mut r) = self.receive.lock() {
            r.push(event.clone());
        }
        self.changed.notify_waiters();
    }

    fn on_audio_volume_changed(&self, event: &AudioVolumeEvent) {
        crate::engine_driver::note_exercised("onAudioVolumeChanged");
        if let Ok(mut v) = self.volumes.lock() {
            v.push(event.clone());
        }
        self.changed.notify_waiters();
    }
}
