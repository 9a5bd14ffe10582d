//! A simulator and the people who use it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nccall::{
    AudioVolumeEvent, CallEngine, CallError, CallEvent, CallQuality, ConnectParams,
    ConnectionQualityHandler, EngineConfig, EventStream, ReceiveQualityEvent, RecordingView,
    RemoteVideoView, SendQualityEvent, VirtualDevices,
};
use nccall_sim::{Fixtures, SimConfig, SimHandle, Simulator};
use tokio::sync::Notify;

/// The fixtures of the suite and the demo (`fixtures/conformance.yaml`).
pub const CONFORMANCE_FIXTURES: &str = include_str!("../fixtures/conformance.yaml");

/// The app users log in to unless a step says otherwise.
pub const DEFAULT_APP: &str = "conformance";

/// How long a step waits for an event before it fails (real time; virtual
/// time never needs waiting for).
pub const EVENT_WAIT: Duration = Duration::from_secs(5);

pub fn conformance_fixtures() -> Fixtures {
    match Fixtures::from_yaml(CONFORMANCE_FIXTURES) {
        Ok(f) => f,
        Err(e) => panic!("fixtures/conformance.yaml is invalid: {e}"),
    }
}

/// The token of a fixture user: fixtures use `<user>-token`. A participant
/// named `alice@phone` is alice on another device.
pub fn token_of(participant: &str) -> String {
    format!("{}-token", user_of(participant))
}

/// The user a participant is: `alice@phone` is `alice`.
pub fn user_of(participant: &str) -> &str {
    participant.split('@').next().unwrap_or(participant)
}

/// A simulator on loopback.
pub struct Rig {
    pub sim: SimHandle,
    /// Server time when the rig started: times in timelines are relative to it.
    pub epoch: i64,
    /// What the simulator was started with (a restart starts it the same way).
    config: SimConfig,
    /// Where the simulator keeps its call logs, when on disk (removed with the rig).
    data_dir: Option<std::path::PathBuf>,
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A fresh directory for one rig's data.
fn data_dir() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("nccall-rig-{}-{n}", std::process::id()))
}

impl Rig {
    /// Starts a simulator with the conformance fixtures; `virtual_clock`
    /// makes timers fire only when [`SimHandle::advance`] moves time.
    pub async fn start(virtual_clock: bool) -> Result<Rig, nccall_sim::SimError> {
        Self::start_with(virtual_clock, None, false, 0).await
    }

    /// A simulator on the real clock without the per-connection rate limit:
    /// benchmarks drive one connection far faster than any app does.
    pub async fn for_benchmarks() -> Result<Rig, nccall_sim::SimError> {
        let config = SimConfig::new(conformance_fixtures()).without_rate_limit();
        Self::launch(config, None).await
    }

    /// As [`Rig::start`], asking clients for a heartbeat every `heartbeat`
    /// (real time) instead of the default, so a dead link is noticed fast,
    /// and keeping call logs in a directory of its own if `on_disk` (so
    /// that [`Rig::restart`] keeps them); `seed` seeds its randomness.
    pub async fn start_with(
        virtual_clock: bool,
        heartbeat: Option<Duration>,
        on_disk: bool,
        seed: u64,
    ) -> Result<Rig, nccall_sim::SimError> {
        let mut config = SimConfig::new(conformance_fixtures()).with_seed(seed);
        if virtual_clock {
            config = config.with_virtual_clock();
        }
        if let Some(interval) = heartbeat {
            config = config.with_heartbeat_interval(interval);
        }
        let data_dir = on_disk.then(data_dir);
        if let Some(dir) = &data_dir {
            config = config.with_data_dir(dir);
        }
        Self::launch(config, data_dir).await
    }

    async fn launch(
        config: SimConfig,
        data_dir: Option<std::path::PathBuf>,
    ) -> Result<Rig, nccall_sim::SimError> {
        let sim = Simulator::start(config.clone()).await?;
        let epoch = sim.now();
        Ok(Rig {
            sim,
            epoch,
            config,
            data_dir,
        })
    }

    /// Stops the simulator (every connection closes, as when its process
    /// dies) and starts it again on the same address, data directory and
    /// clock: engines reconnect on their own; what is stored is still there,
    /// what was only in memory (sessions, calls in progress) is not.
    pub async fn restart(&mut self) -> Result<(), nccall_sim::SimError> {
        let mut config = self.config.clone().with_listen(self.sim.local_addr());
        config.clock = self.sim.clock().clone();
        self.sim.stop().await;
        self.sim = Simulator::start(config).await?;
        Ok(())
    }

    /// A participant with an engine that is not connected yet, with its own
    /// set of the built-in virtual devices.
    pub fn participant(&self, name: &str) -> Participant {
        self.participant_with(name, true)
    }

    /// A participant whose engine builds no peer connections (signaling only).
    pub fn signaling_participant(&self, name: &str) -> Participant {
        self.participant_with(name, false)
    }

    fn participant_with(&self, name: &str, media_enabled: bool) -> Participant {
        let devices = Arc::new(VirtualDevices::builtin());
        let engine = CallEngine::new(EngineConfig {
            device_id: format!("{name}-device"),
            devices: devices.clone(),
            // Reconnect scenarios wait for real reconnect attempts: keep them close.
            reconnect_max_backoff: Duration::from_millis(100),
            // Media outages in scenarios last seconds, not tens of them.
            media_loss_timeout: Duration::from_secs(1),
            media_enabled,
            ..EngineConfig::default()
        });
        let stream = engine.events();
        // Every participant shows its own camera: the spec requires a local
        // view before a video call is placed or answered.
        let local_view = RecordingView::new();
        engine.set_local_video_view(local_view.clone());
        let quality = Arc::new(QualityRecorder::default());
        engine.set_connection_quality_handler(quality.clone());
        Participant {
            name: name.to_string(),
            engine,
            local_view,
            quality,
            reconnects_before_fault: 0,
            remote_views: BTreeMap::new(),
            devices,
            stream,
            events: Vec::new(),
            cursor: 0,
        }
    }

    /// A participant connected to `app` with their fixture token.
    pub async fn online(&self, name: &str, app: &str) -> Result<Participant, CallError> {
        self.connect(self.participant(name), app).await
    }

    /// Connects a participant to `app` with their fixture token.
    pub async fn connect(&self, p: Participant, app: &str) -> Result<Participant, CallError> {
        let name = p.name.clone();
        p.engine
            .connect(ConnectParams {
                url: self.sim.url(),
                app_key: app.to_string(),
                token: token_of(&name),
            })
            .await?;
        Ok(p)
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
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.changed.notified();
            let latest = self.receive.lock().ok().and_then(|r| {
                r.iter()
                    .rev()
                    .find(|e| e.user_id == user)
                    .map(|e| e.quality)
            });
            if latest.is_some_and(&cond)
                || tokio::time::timeout_at(deadline, changed).await.is_err()
            {
                return latest;
            }
        }
    }

    /// Waits until `cond` holds for the latest receive-quality event about
    /// `user` (the whole event: loss rate and jitter too); returns it.
    pub async fn wait_receive_event(
        &self,
        user: &str,
        timeout: Duration,
        cond: impl Fn(&ReceiveQualityEvent) -> bool,
    ) -> Option<ReceiveQualityEvent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.changed.notified();
            let latest = self
                .receive
                .lock()
                .ok()
                .and_then(|r| r.iter().rev().find(|e| e.user_id == user).cloned());
            if latest.as_ref().is_some_and(&cond)
                || tokio::time::timeout_at(deadline, changed).await.is_err()
            {
                return latest;
            }
        }
    }

    /// Waits until `cond` holds for the latest send-quality event.
    pub async fn wait_send(
        &self,
        timeout: Duration,
        cond: impl Fn(&SendQualityEvent) -> bool,
    ) -> Option<SendQualityEvent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.changed.notified();
            let latest = self.send.lock().ok().and_then(|s| s.last().cloned());
            if latest.as_ref().is_some_and(&cond)
                || tokio::time::timeout_at(deadline, changed).await.is_err()
            {
                return latest;
            }
        }
    }

    /// Waits until a volume report gives `user` a level above zero.
    pub async fn wait_volume(&self, user: &str, timeout: Duration) -> Option<u8> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.changed.notified();
            let level = self.volumes.lock().ok().and_then(|v| {
                v.iter().rev().find_map(|e| {
                    e.volumes
                        .iter()
                        .find(|l| l.user_id == user)
                        .map(|l| l.level)
                })
            });
            if level.is_some_and(|l| l > 0)
                || tokio::time::timeout_at(deadline, changed).await.is_err()
            {
                return level;
            }
        }
    }
}

impl ConnectionQualityHandler for QualityRecorder {
    fn on_send_quality_changed(&self, event: &SendQualityEvent) {
        if let Ok(mut s) = self.send.lock() {
            s.push(event.clone());
        }
        self.changed.notify_waiters();
    }

    fn on_receive_quality_changed(&self, event: &ReceiveQualityEvent) {
        if let Ok(mut r) = self.receive.lock() {
            r.push(event.clone());
        }
        self.changed.notify_waiters();
    }

    fn on_audio_volume_changed(&self, event: &AudioVolumeEvent) {
        if let Ok(mut v) = self.volumes.lock() {
            v.push(event.clone());
        }
        self.changed.notify_waiters();
    }
}

/// One user's engine and everything it reported, in order.
pub struct Participant {
    pub name: String,
    pub engine: CallEngine,
    /// The participant's virtual devices, to plug and unplug.
    pub devices: Arc<VirtualDevices>,
    /// Where the participant's own camera is shown.
    pub local_view: Arc<RecordingView>,
    /// Every quality and volume callback, in order.
    pub quality: Arc<QualityRecorder>,
    /// The engine's reconnect count when the last network fault was injected.
    pub reconnects_before_fault: u64,
    /// Views of remote users' video, by user id.
    pub remote_views: BTreeMap<String, Arc<RecordingView>>,
    stream: EventStream,
    /// Every event so far, in the order the engine delivered them.
    pub events: Vec<CallEvent>,
    /// Events before this index were matched by earlier expectations.
    cursor: usize,
}

impl Participant {
    /// Binds a recording view for `user`'s video and returns it.
    pub fn watch(&mut self, user: &str, low_resolution: bool) -> Arc<RecordingView> {
        let view = RecordingView::new();
        let bound = self.engine.set_remote_video_view(vec![RemoteVideoView {
            user_id: user.to_string(),
            view: view.clone(),
            enable_low_resolution_stream: low_resolution,
        }]);
        if let Err(e) = bound {
            panic!("{} cannot watch {user}: {e}", self.name);
        }
        self.remote_views.insert(user.to_string(), view.clone());
        view
    }

    /// Records every event that has arrived so far.
    pub fn drain(&mut self) {
        while let Some(e) = self.stream.try_recv() {
            self.events.push(e);
        }
    }

    /// Waits until an event after the last matched one satisfies `pred`, and
    /// returns it; events it skips stay recorded. Fails after [`EVENT_WAIT`]
    /// with what was seen instead.
    pub async fn expect(
        &mut self,
        what: &str,
        pred: impl Fn(&CallEvent) -> bool,
    ) -> Result<CallEvent, String> {
        let deadline = tokio::time::Instant::now() + EVENT_WAIT;
        loop {
            self.drain();
            if let Some(offset) = self.events[self.cursor..].iter().position(&pred) {
                let index = self.cursor + offset;
                self.cursor = index + 1;
                return Ok(self.events[index].clone());
            }
            match tokio::time::timeout_at(deadline, self.stream.recv()).await {
                Ok(Some(e)) => self.events.push(e),
                Ok(None) => {
                    return Err(format!(
                        "{}'s engine is gone while waiting for {what}",
                        self.name
                    ));
                }
                Err(_) => {
                    let seen: Vec<&str> = self.events[self.cursor..]
                        .iter()
                        .map(CallEvent::callback_name)
                        .collect();
                    return Err(format!(
                        "{} did not get {what} within {EVENT_WAIT:?}; events since the last match: {seen:?}",
                        self.name
                    ));
                }
            }
        }
    }

    /// The latest recorded event that satisfies `pred`, waiting for one if
    /// none has arrived yet. Unlike [`Participant::expect`] it does not move
    /// the cursor: it is for steps that need a value from an event.
    pub async fn latest(
        &mut self,
        what: &str,
        pred: impl Fn(&CallEvent) -> bool,
    ) -> Result<CallEvent, String> {
        let deadline = tokio::time::Instant::now() + EVENT_WAIT;
        loop {
            self.drain();
            if let Some(e) = self.events.iter().rev().find(|e| pred(e)) {
                return Ok(e.clone());
            }
            match tokio::time::timeout_at(deadline, self.stream.recv()).await {
                Ok(Some(e)) => self.events.push(e),
                Ok(None) | Err(_) => return Err(format!("{} never got {what}", self.name)),
            }
        }
    }

    /// Waits (recording events meanwhile) until `cond` holds for the engine;
    /// fails after [`EVENT_WAIT`].
    pub async fn wait_until(
        &mut self,
        what: &str,
        cond: impl Fn(&CallEngine) -> bool,
    ) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + EVENT_WAIT;
        loop {
            self.drain();
            if cond(&self.engine) {
                return Ok(());
            }
            match tokio::time::timeout_at(deadline, self.stream.recv()).await {
                Ok(Some(e)) => self.events.push(e),
                Ok(None) | Err(_) => {
                    return Err(format!(
                        "{}: {what} did not happen within {EVENT_WAIT:?}",
                        self.name
                    ));
                }
            }
        }
    }

    /// Makes sure every event the server sent so far has been recorded: a
    /// heartbeat round trip is answered after everything sent before it.
    /// A participant who is not connected has nothing in flight.
    pub async fn settle(&mut self) {
        if self.engine.user_id().is_some() {
            let _ = self.engine.heartbeat().await;
        }
        self.drain();
    }
}
