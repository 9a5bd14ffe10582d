//! [`CallEngine`] (`NCCallEngine`): the public API, a thin async shell around
//! the sans-IO [`CallMachine`]. API calls run the machine's checks and queue
//! a request; the signaling reader feeds server frames to the machine and
//! delivers the resulting events, in order, to the handler and the streams.

use std::collections::HashMap;
use std::sync::atomic::Ordering as AtomicOrdering;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use nccall_protocol::{
    CallLog, CallLogPage, CallMediaType, CallState, CallUserState, DeleteCallLogsResult, ErrorCode,
    GetHistoryCallLogsParams, InviteToCallResult, PushConfig, ServerFrame, StartCallParams,
    StartCallResult,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::call::{CallMachine, Completion, ConnectionStatus, MachineConfig, Output, RequestId};
use crate::devices::{DeviceInfo, DeviceKind, DeviceProvider, DeviceSelection, VirtualDevices};
use crate::error::{CallError, CallResult};
use crate::events::{CallEvent, CallEventHandler};
use crate::media::{
    ConnectionQualityHandler, DEFAULT_MEDIA_LOSS_TIMEOUT, ICE_CHECK_INTERVAL, LinkState,
    MediaSession, MediaShared, RemoteVideoView, SlotControl, VideoView, assign_slots,
};
use crate::push::AndroidPushConfigBuilder;
use crate::session::CallSession;
use crate::signaling::{Link, LinkEvents};
use crate::video::{VideoCapture, VideoConfig, VideoConfigBuilder};

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How long an API call waits for the server before REQUEST_TIMEOUT.
    pub request_timeout: Duration,
    /// Names this device among the user's devices.
    pub device_id: String,
    /// Where microphones, speakers and cameras come from: the built-in
    /// virtual devices unless replaced (e.g. by `CpalDevices`).
    pub devices: Arc<dyn DeviceProvider>,
    /// After an unexpected loss of the signaling connection the engine
    /// reconnects on its own, waiting 0, then 50 ms, doubling up to this.
    pub reconnect_max_backoff: Duration,
    /// A media path silent this long counts as lost: the engine builds and
    /// publishes a new peer connection (the ICE disconnected timeout; the
    /// `webrtc` crate's default, 5 s).
    pub media_loss_timeout: Duration,
    /// `false`: signaling only, no peer connection is ever built (load
    /// generators and signaling benchmarks, where media would only add
    /// noise). Calls, events and logs behave the same.
    pub media_enabled: bool,
    /// How often ICE connectivity checks are sent while a peer connection
    /// connects ([`ICE_CHECK_INTERVAL`] unless set; the `webrtc` crate's own
    /// default is 200 ms, which adds a whole interval to every connect).
    /// The number of checks scales with it to keep a ~1.4 s budget.
    pub ice_check_interval: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            request_timeout: Duration::from_secs(10),
            device_id: "rust-engine".into(),
            devices: Arc::new(VirtualDevices::builtin()),
            reconnect_max_backoff: Duration::from_secs(2),
            media_loss_timeout: DEFAULT_MEDIA_LOSS_TIMEOUT,
            media_enabled: true,
            ice_check_interval: ICE_CHECK_INTERVAL,
        }
    }
}

/// Where and as whom to connect (the analogue of the spec's chat connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectParams {
    /// `ws://host:port` of the simulator.
    pub url: String,
    pub app_key: String,
    pub token: String,
}

/// `endCall`'s parameters: no call id means the current (primary) call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndCallParams {
    pub call_id: Option<String>,
    pub push_config: Option<PushConfig>,
}

impl EndCallParams {
    /// Ends the given call (the current one, or one that rings beside it).
    pub fn call(call_id: impl Into<String>) -> Self {
        EndCallParams {
            call_id: Some(call_id.into()),
            push_config: None,
        }
    }
}

/// A stream of every event of one engine, in order, from the moment it was
/// created.
pub struct EventStream {
    rx: mpsc::UnboundedReceiver<CallEvent>,
}

impl EventStream {
    /// The next event; `None` once the engine is gone.
    pub async fn recv(&mut self) -> Option<CallEvent> {
        self.rx.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<CallEvent> {
        self.rx.try_recv().ok()
    }
}

/// `NCCallEngine`. Cheap to clone; clones share one engine.
#[derive(Clone)]
pub struct CallEngine {
    inner: Arc<Inner>,
}

struct Inner {
    /// The engine itself, for tasks it starts (media setup).
    me: Weak<Inner>,
    config: EngineConfig,
    media: Arc<MediaShared>,
    state: Mutex<State>,
    handler: Mutex<Option<Arc<dyn CallEventHandler>>>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<CallEvent>>>,
    /// The connection status, and how many times the engine got a
    /// connection back after losing one (as the machine last said).
    status: tokio::sync::watch::Sender<(ConnectionStatus, u64)>,
    /// Wakes the timer task: the machine's next timeout may have moved.
    wake: Arc<tokio::sync::Notify>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(timer) = lock(&self.state).timer.take() {
            timer.abort();
        }
    }
}

/// The real audio devices open for the current call, by id.
#[derive(Debug, Default)]
struct OpenAudio {
    /// The call they were opened for was connected (with media).
    in_call: bool,
    microphone: Option<String>,
    speaker: Option<String>,
}

#[derive(Default)]
struct State {
    machine: CallMachine,
    waiters: HashMap<RequestId, oneshot::Sender<CallResult<Completion>>>,
    link: Option<Link>,
    /// The link the machine asked for last: reports about others are stale.
    link_generation: u64,
    /// Where `connect` said the server is, to reconnect to.
    url: String,
    /// The task that calls the machine's `handle_timeout` when it is due.
    timer: Option<JoinHandle<()>>,
    selection: DeviceSelection,
    video_config: VideoConfig,
    capture: Option<VideoCapture>,
    /// The microphone and speaker open for the current call (their ids).
    open_audio: OpenAudio,
    watching_devices: bool,
    /// The media of the current call: being set up, or running.
    media_slot: Option<MediaSlot>,
    /// The incoming call this device is accepting: its peer connection is
    /// built while the answer travels.
    accepting: Option<String>,
}

/// The peer connection of one call. Dropping it stops the setup if it is
/// still running and closes the connection.
struct MediaSlot {
    call_id: String,
    setup: JoinHandle<()>,
    session: Arc<Mutex<Option<MediaSession>>>,
    /// The receive slots wanted now; the media task follows them.
    slots: tokio::sync::watch::Sender<Vec<String>>,
    /// The call is connected: the media task publishes once this is true.
    on_call: tokio::sync::watch::Sender<bool>,
}

impl Drop for MediaSlot {
    fn drop(&mut self) {
        self.setup.abort();
        if let Ok(mut session) = self.session.lock() {
            session.take();
        }
    }
}

/// What media arrived for this engine so far (all calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaStats {
    /// A peer connection to the media server is up (ICE and DTLS connected)
    /// for the current call.
    pub connected: bool,
    pub audio_packets_received: u64,
    pub video_frames_received: u64,
    /// The round trip to the media server at the last quality interval.
    #[serde(rename = "roundTripTimeMs", with = "crate::millis::option")]
    pub round_trip_time: Option<Duration>,
    /// Peer connections built again in the current call after its media
    /// path was lost.
    pub media_reconnections: u64,
}

impl Default for CallEngine {
    fn default() -> Self {
        Self::new(EngineConfig::default())
    }
}

impl CallEngine {
    pub fn new(config: EngineConfig) -> Self {
        let media = MediaShared::default();
        let loss_ms = u64::try_from(config.media_loss_timeout.as_millis()).unwrap_or(u64::MAX);
        media
            .loss_timeout_ms
            .store(loss_ms.max(1), AtomicOrdering::SeqCst);
        let ice_us = u64::try_from(config.ice_check_interval.as_micros()).unwrap_or(u64::MAX);
        media
            .ice_check_interval_us
            .store(ice_us.max(1), AtomicOrdering::SeqCst);
        let machine_config = MachineConfig {
            request_timeout: config.request_timeout,
            reconnect_max_backoff: config.reconnect_max_backoff,
        };
        let engine = CallEngine {
            inner: Arc::new_cyclic(|me| Inner {
                me: me.clone(),
                config,
                media: Arc::new(media),
                state: Mutex::new(State {
                    machine: CallMachine::new(machine_config),
                    ..State::default()
                }),
                handler: Mutex::new(None),
                subscribers: Mutex::new(Vec::new()),
                status: tokio::sync::watch::Sender::new((ConnectionStatus::Disconnected, 0)),
                wake: Arc::new(tokio::sync::Notify::new()),
            }),
        };
        {
            let provider = engine.inner.config.devices.clone();
            let mut st = engine.inner.lock_state();
            st.selection.refresh(&|kind| provider.devices(kind));
        }
        engine.watch_devices();
        engine
    }

    /// Follows the device provider's changes on a task (once; needs a
    /// tokio runtime, so it is retried at `connect` if there was none).
    fn watch_devices(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Some(mut changes) = self.inner.config.devices.changes() else {
            return;
        };
        {
            let mut st = self.inner.lock_state();
            if st.watching_devices {
                return;
            }
            st.watching_devices = true;
        }
        let inner = Arc::downgrade(&self.inner);
        runtime.spawn(async move {
            while changes.changed().await.is_ok() {
                match inner.upgrade() {
                    Some(inner) => inner.on_devices_changed(),
                    None => return,
                }
            }
        });
    }

    // ---- devices ---------------------------------------------------------

    /// `getAudioInputDevices`.
    pub fn get_audio_input_devices(&self) -> Vec<DeviceInfo> {
        self.inner.config.devices.devices(DeviceKind::AudioInput)
    }

    /// `getAudioOutputDevices`.
    pub fn get_audio_output_devices(&self) -> Vec<DeviceInfo> {
        self.inner.config.devices.devices(DeviceKind::AudioOutput)
    }

    /// `getVideoInputDevices`.
    pub fn get_video_input_devices(&self) -> Vec<DeviceInfo> {
        self.inner.config.devices.devices(DeviceKind::VideoInput)
    }

    /// `selectAudioInputDevice`; also during a call. Unknown id: DEVICE_ID_INVALID, nothing changes.
    pub fn select_audio_input_device(&self, device_id: &str) -> CallResult<()> {
        self.select(DeviceKind::AudioInput, device_id)
    }

    /// `selectAudioOutputDevice`.
    pub fn select_audio_output_device(&self, device_id: &str) -> CallResult<()> {
        self.select(DeviceKind::AudioOutput, device_id)
    }

    /// `selectVideoInputDevice`; during a call the capture restarts on the
    /// new camera (with the latest video config).
    pub fn select_video_input_device(&self, device_id: &str) -> CallResult<()> {
        self.select(DeviceKind::VideoInput, device_id)
    }

    /// Re-reads the device lists now and applies the loss rule. The engine
    /// does this by itself when its provider reports changes (virtual
    /// devices do); call it for providers that cannot (cpal), e.g. when the
    /// platform says devices changed.
    pub fn refresh_devices(&self) {
        self.inner.on_devices_changed();
    }

    /// The device of `kind` in use now (the selected one, or the default).
    pub fn device_in_use(&self, kind: DeviceKind) -> Option<String> {
        let available = self.inner.config.devices.devices(kind);
        self.inner.lock_state().selection.in_use(kind, &available)
    }

    fn select(&self, kind: DeviceKind, device_id: &str) -> CallResult<()> {
        let available = self.inner.config.devices.devices(kind);
        let mut st = self.inner.lock_state();
        let before = st.selection.clone();
        st.selection.select(kind, device_id, &available)?;
        self.inner.update_capture(&mut st);
        if kind != DeviceKind::VideoInput {
            // During a call a real device is opened now: if it cannot be,
            // the selection and the device in use stay as they were.
            if let Err(e) = self.inner.update_audio_devices(&mut st) {
                st.selection = before;
                let _ = self.inner.update_audio_devices(&mut st);
                return Err(e);
            }
        }
        Ok(())
    }

    // ---- video and push configuration --------------------------------------

    /// `createVideoConfigBuilder`.
    pub fn create_video_config_builder(&self) -> VideoConfigBuilder {
        VideoConfigBuilder::new()
    }

    /// `setVideoConfig`: takes effect the next time capture starts.
    pub fn set_video_config(&self, config: VideoConfig) {
        self.inner.lock_state().video_config = config;
    }

    /// The video config capture will use next.
    pub fn video_config(&self) -> VideoConfig {
        self.inner.lock_state().video_config
    }

    /// What the camera captures now: the device and the config it started
    /// with. Not in the spec; shows when a new config took effect.
    pub fn video_capture(&self) -> Option<VideoCapture> {
        self.inner.lock_state().capture.clone()
    }

    /// `createAndroidPushConfigBuilder`.
    pub fn create_android_push_config_builder(&self) -> AndroidPushConfigBuilder {
        AndroidPushConfigBuilder::new()
    }

    /// `getVersion`: the engine's version.
    pub fn get_version() -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// `setCallEventHandler`: replaces the handler. Register it before
    /// `connect` so that no incoming call is missed.
    pub fn set_call_event_handler(&self, handler: Arc<dyn CallEventHandler>) {
        *lock(&self.inner.handler) = Some(handler);
    }

    /// A new stream that receives every event from now on.
    pub fn events(&self) -> EventStream {
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.inner.subscribers).push(tx);
        EventStream { rx }
    }

    /// Connects to the server and authenticates; returns the user id the
    /// token belongs to. A previous connection is closed first. A
    /// connection lost later is opened again on its own (the machine says
    /// when), and the session resumed, until `disconnect`.
    pub async fn connect(&self, params: ConnectParams) -> CallResult<String> {
        for (name, value) in [
            ("url", &params.url),
            ("app key", &params.app_key),
            ("token", &params.token),
        ] {
            if value.is_empty() {
                return Err(CallError::new(
                    ErrorCode::ParamError,
                    format!("the {name} is empty"),
                ));
            }
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(CallError::new(
                ErrorCode::ParamError,
                "connect needs a tokio runtime",
            ));
        }
        self.watch_devices();
        self.inner.lock_state().url = params.url.clone();
        let device = self.inner.config.device_id.clone();
        let completion = self
            .request(|m, now| Ok(m.connect(now, &params.app_key, &params.token, &device)))
            .await;
        match completion? {
            Completion::Hello(hello) => Ok(hello.user_id),
            other => Err(unexpected(other)),
        }
    }

    /// The connection status now.
    pub fn connection_status(&self) -> ConnectionStatus {
        self.inner.status.borrow().0
    }

    /// How many times the engine reconnected on its own so far.
    pub fn reconnections(&self) -> u64 {
        self.inner.status.borrow().1
    }

    /// Waits until the connection status is `status`, up to `timeout`.
    pub async fn wait_connection_status(
        &self,
        status: ConnectionStatus,
        timeout: Duration,
    ) -> bool {
        let mut rx = self.inner.status.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|(s, _)| *s == status))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Waits until the engine has reconnected on its own more than `count`
    /// times in all, up to `timeout`; returns whether it has.
    pub async fn wait_reconnected(&self, count: u64, timeout: Duration) -> bool {
        let mut rx = self.inner.status.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|(_, n)| *n > count))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Closes the signaling connection. Requests in flight fail with
    /// SIGNAL_DISCONNECTED; calls in progress end for this device with
    /// NETWORK_ERROR (the server ends them for the others when the session
    /// expires) and their media is released.
    pub fn disconnect(&self) {
        let mut st = self.inner.lock_state();
        st.machine.disconnect(now());
        let events = self.inner.pump(&mut st);
        drop(st);
        // The app hears how its calls ended, as for any other end.
        self.inner.deliver(events);
    }

    /// The user this engine is connected as.
    pub fn user_id(&self) -> Option<String> {
        self.inner
            .lock_state()
            .machine
            .user_id()
            .map(str::to_string)
    }

    // ---- views and media --------------------------------------------------

    /// `setLocalVideoView`: where this device's camera is shown. Required
    /// before placing or answering a video call. The spec returns a result
    /// (`NCCallSetLocalVideoViewResult`); here it cannot fail (the view is
    /// typed), so it is always `Ok`, kept for the spec's shape.
    pub fn set_local_video_view(&self, view: Arc<dyn VideoView>) -> CallResult<()> {
        *lock(&self.inner.media.local_view) = Some(view);
        Ok(())
    }

    /// `setRemoteVideoView`: where each remote user's video is shown; may be
    /// set before the call or once the user is ON_CALL.
    pub fn set_remote_video_view(&self, views: Vec<RemoteVideoView>) -> CallResult<()> {
        if let Some(bad) = views.iter().find(|v| v.user_id.is_empty()) {
            return Err(CallError::new(
                ErrorCode::UserIdInvalid,
                format!("a view for an empty user id: {:?}", bad.user_id),
            ));
        }
        let mut changes = Vec::new();
        if let (Ok(mut remote), Ok(mut low)) = (
            self.inner.media.remote_views.lock(),
            self.inner.media.low_resolution.lock(),
        ) {
            for v in views {
                let changed = if v.enable_low_resolution_stream {
                    low.insert(v.user_id.clone())
                } else {
                    low.remove(&v.user_id)
                };
                if changed {
                    changes.push((v.user_id.clone(), v.enable_low_resolution_stream));
                }
                remote.insert(v.user_id, v.view);
            }
        }
        // In a call, tell the media server which stream to send from now on.
        let mut st = self.inner.lock_state();
        for (user, low) in changes {
            st.machine.subscribe_video(&user, low);
        }
        let events = self.inner.pump(&mut st);
        drop(st);
        self.inner.deliver(events);
        Ok(())
    }

    /// `removeVideoView`: stops showing `user_id`'s video.
    pub fn remove_video_view(&self, user_id: &str) -> CallResult<()> {
        let removed = self
            .inner
            .media
            .remote_views
            .lock()
            .map(|mut r| r.remove(user_id).is_some())
            .unwrap_or(false);
        if removed {
            Ok(())
        } else {
            Err(CallError::new(
                ErrorCode::UserIdInvalid,
                format!("no view is bound for {user_id}"),
            ))
        }
    }

    /// `setConnectionQualityHandler`: send and receive quality and audio
    /// volume, computed every second during a call with media; each
    /// callback fires when its value changed.
    pub fn set_connection_quality_handler(&self, handler: Arc<dyn ConnectionQualityHandler>) {
        if let Ok(mut h) = self.inner.media.quality_handler.lock() {
            *h = Some(handler);
        }
    }

    /// What media arrived so far.
    pub fn media_stats(&self) -> MediaStats {
        let connected = self
            .inner
            .lock_state()
            .media_slot
            .as_ref()
            .is_some_and(|slot| slot.session.lock().map(|s| s.is_some()).unwrap_or(false))
            && self.inner.media.link_up.load(AtomicOrdering::SeqCst);
        MediaStats {
            connected,
            audio_packets_received: self.inner.media.audio_received.load(AtomicOrdering::SeqCst),
            video_frames_received: self.inner.media.video_received.load(AtomicOrdering::SeqCst),
            round_trip_time: self.inner.media.round_trip_time(),
            media_reconnections: self
                .inner
                .media
                .media_reconnections
                .load(AtomicOrdering::SeqCst),
        }
    }

    /// Waits until `total` audio packets arrived in all (up to `timeout`);
    /// returns how many did. Audio is a clock a test can wait on.
    pub async fn wait_for_audio_packets(&self, total: u64, timeout: Duration) -> u64 {
        let media = &self.inner.media;
        self.wait_for_audio(total, timeout, || {
            media.audio_received.load(AtomicOrdering::SeqCst)
        })
        .await
    }

    /// Waits until the current call's peer connection is connected (`true`)
    /// or not (`false`), up to `timeout`; returns whether it is now.
    pub async fn wait_media_connected(&self, connected: bool, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.inner.media.link_changed.notified();
            if self.media_stats().connected == connected
                || tokio::time::timeout_at(deadline, changed).await.is_err()
            {
                return self.media_stats().connected == connected;
            }
        }
    }

    /// Audio packets received from `user_id` in the current call.
    pub fn audio_packets_from(&self, user_id: &str) -> u64 {
        self.inner.media.audio_packets_from(user_id)
    }

    /// The marker tone (Hz) last heard in the decoded audio from `user_id`,
    /// if a tone stood out (see `media::marker`).
    pub fn heard_tone_from(&self, user_id: &str) -> Option<u32> {
        self.inner.media.heard_tone_from(user_id)
    }

    /// Waits until `total` audio packets arrived from `user_id` in the
    /// current call (up to `timeout`); returns how many did.
    pub async fn wait_for_audio_from(&self, user_id: &str, total: u64, timeout: Duration) -> u64 {
        self.wait_for_audio(total, timeout, || self.audio_packets_from(user_id))
            .await
    }

    async fn wait_for_audio(&self, total: u64, timeout: Duration, count: impl Fn() -> u64) -> u64 {
        let media = &self.inner.media;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = media.audio_arrived.notified();
            if count() >= total || tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return count();
            }
        }
    }

    fn require_local_view(&self, media_type: CallMediaType) -> CallResult<()> {
        let has_view = self
            .inner
            .media
            .local_view
            .lock()
            .map(|v| v.is_some())
            .unwrap_or(false);
        if media_type == CallMediaType::AudioVideo && !has_view {
            return Err(CallError::new(
                ErrorCode::LocalViewNotSet,
                "set the local video view before placing or answering a video call",
            ));
        }
        Ok(())
    }

    /// Publishes media for a call (used by the media setup task).
    async fn publish_media(
        &self,
        call_id: &str,
        sdp: String,
        slots: Vec<String>,
    ) -> CallResult<String> {
        let low: Vec<String> = self
            .inner
            .media
            .low_resolution
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default();
        match self
            .request(|m, _| m.publish_media(call_id, sdp, low, slots))
            .await?
        {
            Completion::Published(answer) => Ok(answer),
            other => Err(unexpected(other)),
        }
    }

    /// Re-assigns receive slots, renegotiating with `offer` when given.
    async fn update_media(
        &self,
        call_id: &str,
        offer: Option<String>,
        slots: Vec<String>,
    ) -> CallResult<Option<String>> {
        match self
            .request(|m, _| m.update_media(call_id, offer, slots))
            .await?
        {
            Completion::MediaUpdated(answer) => Ok(answer),
            other => Err(unexpected(other)),
        }
    }

    /// `startCall`: places a call; the result holds the call id.
    pub async fn start_call(&self, params: StartCallParams) -> CallResult<StartCallResult> {
        self.require_local_view(params.media_type)?;
        match self.request(|m, _| m.start_call(params)).await? {
            Completion::StartCall(result) => Ok(result),
            other => Err(unexpected(other)),
        }
    }

    /// `acceptCall`: answers an incoming call.
    pub async fn accept_call(&self, call_id: &str) -> CallResult<()> {
        let media_type = self
            .inner
            .lock_state()
            .machine
            .session(call_id)
            .map(|s| s.media_type());
        if let Some(media_type) = media_type {
            self.require_local_view(media_type)?;
        }
        // The spec: "only one active call is allowed at a time, the SDK ends
        // the current call internally before answering the new one". A
        // plain hang-up (HANGUP here, REMOTE_HANGUP for the others, as in
        // the ancestor); if it fails the new call is not answered.
        let current = self.get_current_call_session().filter(|s| {
            s.call_id() != call_id
                && matches!(
                    s.call_state(),
                    CallState::OnCall
                        | CallState::Connecting
                        | CallState::Calling
                        | CallState::BusylineWait
                )
        });
        if let (Some(current), true) = (current, media_type.is_some()) {
            self.end_call(EndCallParams {
                call_id: Some(current.call_id().to_string()),
                push_config: None,
            })
            .await?;
        }
        self.inner.lock_state().accepting = Some(call_id.to_string());
        let accepted = self.request(|m, _| m.accept_call(call_id)).await.map(drop);
        if accepted.is_err() {
            let mut st = self.inner.lock_state();
            st.accepting = None;
            self.inner.sync_media(&mut st);
        }
        accepted
    }

    /// `inviteToCall`: invites users into the current call. A one-to-one
    /// call becomes a group call. The result lists invitees who were busy.
    pub async fn invite_to_call(&self, user_ids: Vec<String>) -> CallResult<InviteToCallResult> {
        match self.request(|m, _| m.invite_to_call(user_ids)).await? {
            Completion::InviteToCall(result) => Ok(result),
            other => Err(unexpected(other)),
        }
    }

    /// `joinCall`: joins an ongoing group call directly.
    pub async fn join_call(&self, call_id: &str) -> CallResult<()> {
        self.request(|m, _| m.join_call(call_id)).await.map(drop)
    }

    /// `enableCamera`: switches the camera. Before a call the choice applies
    /// to the next call; in a call the others see
    /// `onRemoteCameraStateChanged`, and a failure to tell the server is an error.
    pub async fn enable_camera(&self, enable: bool) -> CallResult<()> {
        self.switch_media(Some(enable), None).await
    }

    /// `enableMicrophone`: switches the microphone (see [`CallEngine::enable_camera`]).
    pub async fn enable_microphone(&self, enable: bool) -> CallResult<()> {
        self.switch_media(None, Some(enable)).await
    }

    /// `isMicrophoneEnabled`.
    pub fn is_microphone_enabled(&self) -> bool {
        self.inner.lock_state().machine.is_microphone_enabled()
    }

    /// Whether the camera is switched on (the counterpart of `isMicrophoneEnabled`).
    pub fn is_camera_enabled(&self) -> bool {
        self.inner.lock_state().machine.is_camera_enabled()
    }

    async fn switch_media(&self, camera: Option<bool>, microphone: Option<bool>) -> CallResult<()> {
        let (tx, rx) = oneshot::channel();
        {
            let mut st = self.inner.lock_state();
            let Some(id) = st.machine.set_local_media(camera, microphone) else {
                return Ok(()); // not in a call: recorded for the next one
            };
            st.waiters.insert(id, tx);
            let events = self.inner.pump(&mut st);
            drop(st);
            self.inner.deliver(events);
        }
        answered(rx).await.map(drop)
    }

    /// `requestChangeMediaType`: asks the other side of the current
    /// one-to-one call; returns the transaction id.
    pub async fn request_change_media_type(&self, media_type: CallMediaType) -> CallResult<String> {
        match self
            .request(|m, _| m.request_change_media_type(media_type))
            .await?
        {
            Completion::MediaTypeChangeRequested(transaction_id) => Ok(transaction_id),
            other => Err(unexpected(other)),
        }
    }

    /// `cancelChangeMediaType`: withdraws this side's pending request.
    pub async fn cancel_change_media_type(&self, transaction_id: &str) -> CallResult<()> {
        self.request(|m, _| m.cancel_change_media_type(transaction_id))
            .await
            .map(drop)
    }

    /// `replyChangeMediaType`: answers the other side's request.
    pub async fn reply_change_media_type(
        &self,
        transaction_id: &str,
        is_agreed: bool,
    ) -> CallResult<()> {
        self.request(|m, _| m.reply_change_media_type(transaction_id, is_agreed))
            .await
            .map(drop)
    }

    /// `getHistoryCallLogs`: a page of the user's call history. Pass `-1` as
    /// `start_time` first, then the returned `sync_time`.
    pub async fn get_history_call_logs(
        &self,
        params: GetHistoryCallLogsParams,
    ) -> CallResult<CallLogPage> {
        match self.request(|m, _| m.get_history_call_logs(params)).await? {
            Completion::CallLogPage(page) => Ok(page),
            other => Err(unexpected(other)),
        }
    }

    /// `getOngoingCallLogs`: the user's calls that have not ended.
    pub async fn get_ongoing_call_logs(&self) -> CallResult<Vec<CallLog>> {
        match self.request(|m, _| m.get_ongoing_call_logs()).await? {
            Completion::CallLogs(logs) => Ok(logs),
            other => Err(unexpected(other)),
        }
    }

    /// `deleteCallLogsForMe`: at most 100 ids; the result lists ids the user
    /// had no log for. Other participants keep theirs.
    pub async fn delete_call_logs_for_me(
        &self,
        call_ids: Vec<String>,
    ) -> CallResult<DeleteCallLogsResult> {
        match self
            .request(|m, _| m.delete_call_logs_for_me(call_ids))
            .await?
        {
            Completion::Deleted(result) => Ok(result),
            other => Err(unexpected(other)),
        }
    }

    /// `deleteAllCallLogsForMe`: returns how many logs were deleted.
    pub async fn delete_all_call_logs_for_me(&self) -> CallResult<u64> {
        match self.request(|m, _| m.delete_all_call_logs_for_me()).await? {
            Completion::DeletedAll(n) => Ok(n),
            other => Err(unexpected(other)),
        }
    }

    /// `endCall`: hangs up, cancels or rejects a call.
    pub async fn end_call(&self, params: EndCallParams) -> CallResult<()> {
        self.request(|m, _| m.end_call(params.call_id.as_deref(), params.push_config))
            .await
            .map(drop)
    }

    /// Sends a heartbeat and waits for its answer; returns the server time.
    /// Not in the spec: when it returns, every event the server sent this
    /// device before answering has been delivered, which makes it a barrier
    /// for tests and tools.
    pub async fn heartbeat(&self) -> CallResult<i64> {
        let op = |m: &mut CallMachine, _| {
            m.heartbeat().ok_or_else(|| {
                CallError::new(
                    ErrorCode::SignalDisconnected,
                    "not connected: call connect first",
                )
            })
        };
        match self.request(op).await? {
            Completion::Heartbeat(server_time) => Ok(server_time),
            other => Err(unexpected(other)),
        }
    }

    /// `getCurrentCallSession`: the current (primary) call, if any.
    pub fn get_current_call_session(&self) -> Option<CallSession> {
        self.inner.lock_state().machine.current_session()
    }

    /// Runs `op` on the machine, sends what it queued and waits for the
    /// answer (the machine fails it with REQUEST_TIMEOUT if none comes in
    /// time, or SIGNAL_DISCONNECTED if the connection goes first).
    async fn request(
        &self,
        op: impl FnOnce(&mut CallMachine, Instant) -> CallResult<RequestId>,
    ) -> CallResult<Completion> {
        let (tx, rx) = oneshot::channel();
        {
            let mut st = self.inner.lock_state();
            let id = op(&mut st.machine, now())?;
            st.waiters.insert(id, tx);
            self.inner.ensure_timer(&mut st);
            let events = self.inner.pump(&mut st);
            drop(st);
            self.inner.deliver(events);
        }
        answered(rx).await
    }
}

/// The answer to a request the machine holds (it always answers one).
async fn answered(rx: oneshot::Receiver<CallResult<Completion>>) -> CallResult<Completion> {
    rx.await.unwrap_or_else(|_| {
        Err(CallError::new(
            ErrorCode::SignalDisconnected,
            "the engine stopped",
        ))
    })
}

/// The shell's clock: tokio's, so that a test runtime with paused time
/// moves the machine's timers too.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// The media of one call: builds the peer connection at once, publishes it
/// with the receive slots wanted when the call connects, then follows
/// changes of the slots, adding m-lines (renegotiation) when the call grows
/// past its largest size, and builds a new connection when the media path
/// is lost (silent for the loss timeout), until the call ends.
async fn run_media(
    engine: CallEngine,
    call_id: String,
    mut slots: tokio::sync::watch::Receiver<Vec<String>>,
    mut on_call: tokio::sync::watch::Receiver<bool>,
    target: Arc<Mutex<Option<MediaSession>>>,
) {
    let shared = engine.inner.media.clone();
    let outcome: Result<(), String> = async {
        let wanted = slots.borrow().len().max(1);
        let (pending, offer) = MediaSession::offer(wanted, shared.clone()).await?;
        // Built ahead; the media server takes it once the call is connected.
        on_call
            .wait_for(|connected| *connected)
            .await
            .map_err(|_| "the call ended".to_string())?;
        let first = slots.borrow_and_update().clone();
        let (pending, offer) = if first.len() > wanted {
            // More members than when the connection was built: build it again
            // with enough slots (rare: a group that grew while ringing).
            drop(pending);
            MediaSession::offer(first.len(), shared.clone()).await?
        } else {
            (pending, offer)
        };
        let answer = engine
            .publish_media(&call_id, offer, first.clone())
            .await
            .map_err(|e| e.to_string())?;
        shared.reset_reception(first);
        let mut session = pending.answer(answer).await?;
        loop {
            let control = session.slot_control();
            let mut link = session.link_state().ok_or("the connection has no state")?;
            if let Ok(mut slot) = target.lock() {
                *slot = Some(session);
            }
            // Follow the slots until the media path is lost.
            loop {
                tokio::select! {
                    changed = slots.changed() => {
                        if changed.is_err() {
                            return Ok(()); // the call's media is being dropped
                        }
                        let next = slots.borrow_and_update().clone();
                        follow_slots(&engine, &call_id, &control, next).await?;
                    }
                    lost = async { link.wait_for(|s| *s == LinkState::Lost).await.is_ok() } => {
                        if !lost {
                            return Ok(());
                        }
                        break;
                    }
                }
            }
            tracing::info!(
                call = call_id,
                "media path lost; building a new peer connection"
            );
            session = reconnect_media(&engine, &call_id, &slots, &target).await;
        }
    }
    .await;
    if let Err(e) = outcome {
        tracing::warn!(call = call_id, "media failed: {e}");
    }
}

/// Tells the media server who each receive slot carries now, adding
/// m-lines first when there are more slots than the connection has.
async fn follow_slots(
    engine: &CallEngine,
    call_id: &str,
    control: &SlotControl,
    next: Vec<String>,
) -> Result<(), String> {
    let offer = if next.len() > control.offered() {
        Some(control.grow(next.len()).await?)
    } else {
        None
    };
    let answer = engine
        .update_media(call_id, offer, next.clone())
        .await
        .map_err(|e| e.to_string())?;
    if let Some(answer) = answer {
        control.apply_answer(answer).await?;
    }
    if let Ok(mut current) = engine.inner.media.slots.lock() {
        *current = next;
    }
    Ok(())
}

/// Replaces a lost peer connection: closes it, then builds and publishes a
/// new one (the media server drops the old one on the new publish), trying
/// again with backoff (100 ms doubling to 2 s) while it fails, e.g. while
/// signaling is still reconnecting. Ends only with a new connection, or
/// when the task is aborted with the call's media.
async fn reconnect_media(
    engine: &CallEngine,
    call_id: &str,
    slots: &tokio::sync::watch::Receiver<Vec<String>>,
    target: &Arc<Mutex<Option<MediaSession>>>,
) -> MediaSession {
    let shared = engine.inner.media.clone();
    if let Ok(mut slot) = target.lock() {
        slot.take();
    }
    shared.link_up.store(false, AtomicOrdering::SeqCst);
    shared.link_changed.notify_waiters();
    let mut backoff = Duration::from_millis(100);
    loop {
        let wanted = slots.borrow().clone();
        let attempt = async {
            let (pending, offer) = MediaSession::offer(wanted.len().max(1), shared.clone()).await?;
            let answer = engine
                .publish_media(call_id, offer, wanted.clone())
                .await
                .map_err(|e| e.to_string())?;
            pending.answer(answer).await
        };
        match attempt.await {
            Ok(session) => {
                if let Ok(mut current) = shared.slots.lock() {
                    *current = wanted;
                }
                shared
                    .media_reconnections
                    .fetch_add(1, AtomicOrdering::SeqCst);
                return session;
            }
            Err(e) => {
                tracing::debug!(call = call_id, "media reconnect failed: {e}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// The call whose media should exist now, and whether it is connected. A
/// call about to connect gets its peer connection built ahead: the caller's
/// while the callee rings, the callee's from the moment it accepts.
fn media_call(st: &State) -> Option<(CallSession, bool)> {
    if let Some(s) = st.machine.current_session() {
        match s.call_state() {
            CallState::OnCall => return Some((s, true)),
            CallState::Calling | CallState::BusylineWait | CallState::Connecting => {
                return Some((s, false));
            }
            _ => {}
        }
    }
    let id = st.accepting.as_ref()?;
    st.machine
        .session(id)
        .filter(|s| {
            matches!(
                s.call_state(),
                CallState::Ringing | CallState::Invited | CallState::BusylineRinging
            )
        })
        .map(|s| (s.clone(), false))
}

fn unexpected(c: Completion) -> CallError {
    CallError::new(
        ErrorCode::UnknownServerCode,
        format!("unexpected answer: {c:?}"),
    )
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking handler must not take the engine down with it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Inner {
    fn lock_state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Moves the machine's outputs where they go: frames to the link, results
    /// to waiting API calls. Returns the events, to be delivered by the caller
    /// once the state lock is released.
    #[must_use = "the events go to the app: deliver them once the lock is released"]
    fn pump(&self, st: &mut State) -> Vec<CallEvent> {
        let mut events = Vec::new();
        let now = now();
        while let Some(output) = st.machine.poll_output(now) {
            match output {
                Output::Transmit(frame) => {
                    let sent = st.link.as_ref().is_some_and(|l| l.send(frame));
                    if !sent {
                        st.link = None;
                        let generation = st.link_generation;
                        st.machine.handle_link_closed(now, generation);
                    }
                }
                Output::Event(event) => events.push(event),
                Output::Completion(id, result) => {
                    if let Some(waiter) = st.waiters.remove(&id) {
                        let _ = waiter.send(result);
                    }
                }
                Output::OpenLink { generation } => {
                    st.link = None;
                    st.link_generation = generation;
                    self.open_link(st, generation);
                }
                Output::CloseLink => st.link = None,
                Output::Status {
                    status,
                    reconnections,
                } => {
                    self.status.send_replace((status, reconnections));
                }
            }
        }
        // The next timeout may have moved.
        self.wake.notify_one();
        self.update_capture(st);
        if st.open_audio.in_call != self.audio_call(st)
            && let Err(e) = self.update_audio_devices(st)
        {
            tracing::warn!("call without a real audio device: {e}");
        }
        self.sync_media(st);
        events
    }

    /// Keeps the media in step with the calls: the peer connection is built
    /// ahead (the caller's while the callee rings, the callee's from the
    /// moment it accepts) and published once the call is connected; it
    /// closes when the call ends. Also keeps the receive slots in step with
    /// the members (group calls), and the senders with the camera and
    /// microphone.
    fn sync_media(&self, st: &mut State) {
        let media_call = media_call(st).filter(|_| self.config.media_enabled);
        let on_call = media_call.as_ref().is_some_and(|(_, on)| *on);
        let media = &self.media;
        media
            .video_on
            .store(st.capture.is_some(), AtomicOrdering::SeqCst);
        media.audio_on.store(
            on_call && st.machine.is_microphone_enabled(),
            AtomicOrdering::SeqCst,
        );
        if let Some(capture) = &st.capture {
            let (w, h) = capture.config.resolution.size();
            media.width.store(w, AtomicOrdering::SeqCst);
            media.height.store(h, AtomicOrdering::SeqCst);
            media
                .fps
                .store(capture.config.frame_rate.code(), AtomicOrdering::SeqCst);
            media.max_bitrate_kbps.store(
                capture.config.max_bitrate_kbps.unwrap_or(0),
                AtomicOrdering::SeqCst,
            );
        }
        if let Some(user) = st.machine.user_id() {
            let tag = crate::media::marker::tag_of(user);
            media.tag.store(u32::from(tag), AtomicOrdering::SeqCst);
            let mut me = lock(&media.local_user);
            if me.as_str() != user {
                *me = user.to_string();
            }
        }
        let members: Vec<String> = media_call
            .as_ref()
            .map(|(s, _)| {
                s.remote_participants()
                    .iter()
                    .filter(|p| p.user_state() != CallUserState::Ended)
                    .map(|p| p.user_id().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let wanted_id = media_call.as_ref().map(|(s, _)| s.call_id().to_string());
        if let Some(slot) = &st.media_slot
            && Some(&slot.call_id) == wanted_id.as_ref()
        {
            slot.slots.send_if_modified(|slots| {
                let next = assign_slots(slots, &members);
                let changed = *slots != next;
                *slots = next;
                changed
            });
            slot.on_call.send_if_modified(|connected| {
                let changed = *connected != on_call;
                *connected = on_call;
                changed
            });
            return;
        }
        st.media_slot = None; // closes the previous call's media
        let (Some((session, _)), Some(me)) = (media_call, self.me.upgrade()) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let call_id = session.call_id().to_string();
        let (slots, slots_rx) = tokio::sync::watch::channel(assign_slots(&[], &members));
        let (on_call, on_call_rx) = tokio::sync::watch::channel(on_call);
        self.media.reset_reception(Vec::new());
        let slot_session = Arc::new(Mutex::new(None));
        let engine = CallEngine { inner: me };
        let setup = runtime.spawn(run_media(
            engine,
            call_id.clone(),
            slots_rx,
            on_call_rx,
            slot_session.clone(),
        ));
        st.media_slot = Some(MediaSlot {
            call_id,
            setup,
            session: slot_session,
            slots,
            on_call,
        });
    }

    /// Starts, restarts or stops the camera capture to match the call: it
    /// runs while the current call is connected, has video and the camera
    /// is on; it (re)starts with the video config set at that moment.
    fn update_capture(&self, st: &mut State) {
        let cameras = self.config.devices.devices(DeviceKind::VideoInput);
        let camera = st.selection.in_use(DeviceKind::VideoInput, &cameras);
        let capturing = st.machine.current_session().is_some_and(|s| {
            s.call_state() == CallState::OnCall && s.media_type() == CallMediaType::AudioVideo
        }) && st.machine.is_camera_enabled();
        st.capture = match (capturing, camera) {
            (true, Some(device_id)) => match st.capture.take() {
                Some(running) if running.device_id == device_id => Some(running),
                _ => Some(VideoCapture {
                    device_id,
                    config: st.video_config,
                }),
            },
            _ => None,
        };
    }

    /// Whether this call's audio devices should be open: a connected call
    /// with media.
    fn audio_call(&self, st: &State) -> bool {
        self.config.media_enabled
            && st
                .machine
                .current_session()
                .is_some_and(|s| s.call_state() == CallState::OnCall)
    }

    /// Opens, switches or closes the microphone and speaker to match the
    /// call and the selection. Providers with virtual devices open
    /// nothing (the media path plays the marker tone); a real device that
    /// fails to open leaves its kind closed, and the error is returned.
    fn update_audio_devices(&self, st: &mut State) -> CallResult<()> {
        let in_call = self.audio_call(st);
        st.open_audio.in_call = in_call;
        let provider = self.config.devices.clone();
        let mut result = Ok(());
        for kind in [DeviceKind::AudioInput, DeviceKind::AudioOutput] {
            let want = if in_call {
                st.selection.in_use(kind, &provider.devices(kind))
            } else {
                None
            };
            let open = match kind {
                DeviceKind::AudioInput => &mut st.open_audio.microphone,
                _ => &mut st.open_audio.speaker,
            };
            if *open == want {
                continue;
            }
            // Close first: a device may not be opened twice.
            match kind {
                DeviceKind::AudioInput => *lock(&self.media.microphone) = None,
                _ => *lock(&self.media.speaker) = None,
            }
            *open = None;
            let Some(device_id) = want else { continue };
            let opened = match kind {
                DeviceKind::AudioInput => provider
                    .open_microphone(&device_id)
                    .map(|m| *lock(&self.media.microphone) = m),
                _ => provider
                    .open_speaker(&device_id)
                    .map(|s| *lock(&self.media.speaker) = s),
            };
            match opened {
                Ok(()) => *open = Some(device_id),
                Err(e) => result = Err(e),
            }
        }
        result
    }

    /// The device lists changed: fall back, or switch the microphone or
    /// camera off when no device of its kind is left (`devices/selection.rs`).
    fn on_devices_changed(&self) {
        let provider = self.config.devices.clone();
        let events = {
            let mut st = self.lock_state();
            let losses = st.selection.refresh(&|kind| provider.devices(kind));
            for loss in losses.iter().filter(|l| l.now.is_none()) {
                tracing::info!(
                    "{:?} device {} is gone and none is left",
                    loss.kind,
                    loss.was
                );
                match loss.kind {
                    DeviceKind::AudioInput => {
                        st.machine.set_local_media(None, Some(false));
                    }
                    DeviceKind::VideoInput => {
                        st.machine.set_local_media(Some(false), None);
                    }
                    DeviceKind::AudioOutput => {}
                }
            }
            if let Err(e) = self.update_audio_devices(&mut st) {
                tracing::warn!("after a device change: {e}");
            }
            self.pump(&mut st)
        };
        self.deliver(events);
    }

    fn deliver(&self, events: Vec<CallEvent>) {
        if events.is_empty() {
            return;
        }
        let handler = lock(&self.handler).clone();
        for event in events {
            if let Some(h) = &handler {
                event.dispatch(h.as_ref());
            }
            lock(&self.subscribers).retain(|tx| tx.send(event.clone()).is_ok());
        }
    }
}

impl Inner {
    /// Opens link `generation` on a task, as the machine asked, and tells
    /// the machine how it went.
    fn open_link(&self, st: &State, generation: u64) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let url = st.url.clone();
        let me = self.me.clone();
        runtime.spawn(async move {
            let opened = Link::open(&url, generation, me.clone()).await;
            let Some(inner) = me.upgrade() else { return };
            let events = {
                let mut st = inner.lock_state();
                if st.link_generation != generation {
                    return; // superseded; the link closes as it drops
                }
                match opened {
                    Ok(link) => {
                        st.link = Some(link);
                        st.machine.handle_link_opened(now(), generation);
                    }
                    Err(e) => {
                        tracing::debug!("cannot open the signaling connection: {e}");
                        st.machine.handle_link_closed(now(), generation);
                    }
                }
                inner.pump(&mut st)
            };
            inner.deliver(events);
        });
    }

    /// Starts the task that calls the machine's `handle_timeout` when it
    /// is due (once; it needs a tokio runtime, which `connect` has).
    fn ensure_timer(&self, st: &mut State) {
        if st.timer.is_some() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let me = self.me.clone();
        let wake = self.wake.clone();
        st.timer = Some(runtime.spawn(async move {
            loop {
                let Some(inner) = me.upgrade() else { return };
                let due = inner.lock_state().machine.poll_timeout();
                drop(inner);
                match due {
                    Some(at) => {
                        tokio::select! {
                            _ = tokio::time::sleep_until(at.into()) => {}
                            _ = wake.notified() => continue,
                        }
                    }
                    None => {
                        wake.notified().await;
                        continue;
                    }
                }
                let Some(inner) = me.upgrade() else { return };
                let events = {
                    let mut st = inner.lock_state();
                    st.machine.handle_timeout(now());
                    inner.pump(&mut st)
                };
                inner.deliver(events);
            }
        }));
    }
}

impl LinkEvents for Inner {
    fn on_frame(&self, generation: u64, frame: ServerFrame) {
        let events = {
            let mut st = self.lock_state();
            if st.link_generation != generation || st.link.is_none() {
                return;
            }
            st.machine.handle_frame(now(), frame);
            self.pump(&mut st)
        };
        self.deliver(events);
    }

    fn on_closed(&self, generation: u64) {
        let events = {
            let mut st = self.lock_state();
            if st.link_generation != generation {
                return;
            }
            st.link = None;
            st.machine.handle_link_closed(now(), generation);
            self.pump(&mut st)
        };
        self.deliver(events);
    }
}
