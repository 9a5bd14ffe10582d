//! [`CallEngine`] (`NCCallEngine`): the public API, a thin async shell around
//! the sans-IO [`CallMachine`]. API calls run the machine's checks and queue
//! a request; the signaling reader feeds server frames to the machine and
//! delivers the resulting events, in order, to the handler and the streams.
//!
//! This file is the spec's call API (connect, start, accept, end, media
//! type, logs); the rest is in `engine/`, one concern a file: `config.rs`,
//! `shell.rs` (the loop that carries out the machine's outputs),
//! `event_delivery.rs`, `devices.rs`, `video.rs` (config, capture, views),
//! `call_media.rs` (the current call's peer connection) and
//! `instrumentation.rs` (what tests and tools observe beyond the spec).

mod call_media;
mod config;
mod devices;
mod event_delivery;
mod instrumentation;
mod shell;
mod video;

pub use config::{ConnectParams, EndCallParams, EngineConfig};
pub use event_delivery::EventStream;
pub use instrumentation::{Instrumentation, MediaStats};

use std::collections::HashMap;
use std::sync::atomic::Ordering as AtomicOrdering;
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use nccall_protocol::{
    CallLog, CallLogPage, CallMediaType, DeleteCallLogsResult, ErrorCode, GetHistoryCallLogsParams,
    InviteToCallResult, StartCallParams, StartCallResult,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::call::{CallMachine, Completion, ConnectionStatus, MachineConfig, RequestId};
use crate::devices::DeviceSelection;
use crate::error::{CallError, CallResult};
use crate::events::{CallEvent, CallEventHandler};
use crate::media::MediaShared;
use crate::push::AndroidPushConfigBuilder;
use crate::session::CallSession;
use crate::signaling::Link;
use crate::video::{VideoCapture, VideoConfig};
use call_media::MediaSlot;
use devices::OpenAudio;
use shell::{answered, now};

/// `NCCallEngine`. Cheap to clone; clones share one engine.
///
/// Connect, place a call, hear it connect, hang up. Against the simulator
/// (`nccall-sim`) here; an app connects to its server the same way.
/// Signaling only (`media_enabled: false`) to keep the example short: with
/// media, the same calls also build, publish and show the call's audio and
/// video.
///
/// ```
/// use nccall::{CallEngine, CallEvent, CallMediaType, ConnectParams, EndCallParams, EngineConfig, StartCallParams};
/// use nccall_sim::{Fixtures, SimConfig, Simulator};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let fixtures = Fixtures::from_yaml(
///     "apps:\n  - app_key: app\n    users:\n      - { user_id: alice, token: a }\n      - { user_id: bob, token: b }\n",
/// )?;
/// let sim = Simulator::start(SimConfig::new(fixtures)).await?;
/// let engine = |device: &str| {
///     CallEngine::new(EngineConfig { device_id: device.into(), media_enabled: false, ..EngineConfig::default() })
/// };
/// let (alice, bob) = (engine("alice-phone"), engine("bob-phone"));
/// for (who, token) in [(&alice, "a"), (&bob, "b")] {
///     let params = ConnectParams { url: sim.url(), app_key: "app".into(), token: token.into() };
///     who.connect(params).await?;
/// }
/// let mut bob_events = bob.events();
/// let call = alice.start_call(StartCallParams::single("bob", CallMediaType::Audio)).await?;
/// // Bob's app answers when it rings (a handler, `set_call_event_handler`, works too).
/// while let Some(event) = bob_events.recv().await {
///     match event {
///         CallEvent::CallReceived(r) => bob.accept_call(r.session.call_id()).await?,
///         CallEvent::CallConnected(_) => break,
///         _ => {}
///     }
/// }
/// alice.end_call(EndCallParams::call(call.call_id)).await?;
/// # Ok(())
/// # }
/// ```
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
    /// What the timer task sleeps until (`None`: until woken).
    timer_due: Option<Instant>,
    selection: DeviceSelection,
    video_config: VideoConfig,
    capture: Option<VideoCapture>,
    /// The microphone and speaker open for the current call (their ids).
    open_audio: OpenAudio,
    watching_devices: bool,
    /// The media of the current call: being set up, or running.
    media_slot: Option<MediaSlot>,
}

impl Default for CallEngine {
    fn default() -> Self {
        Self::new(EngineConfig::default())
    }
}

impl CallEngine {
    /// An engine with these settings; nothing connects until [`CallEngine::connect`].
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
            media: config.media_enabled,
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

    /// `createAndroidPushConfigBuilder`.
    pub fn create_android_push_config_builder(&self) -> AndroidPushConfigBuilder {
        AndroidPushConfigBuilder::new()
    }

    /// `getVersion`: the engine's version.
    pub fn get_version() -> &'static str {
        env!("CARGO_PKG_VERSION")
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
        completion?.user_id()
    }

    /// The connection status now.
    pub fn connection_status(&self) -> ConnectionStatus {
        self.inner.status.borrow().0
    }

    /// How many times the engine reconnected on its own so far.
    pub fn reconnections(&self) -> u64 {
        self.inner.status.borrow().1
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

    /// `startCall`: places a call; the result holds the call id.
    pub async fn start_call(&self, params: StartCallParams) -> CallResult<StartCallResult> {
        self.request(|m, _| m.start_call(params))
            .await?
            .started_call()
    }

    /// `acceptCall`: answers an incoming call; an active call is ended
    /// first (the machine sends the answer once that hang-up succeeded).
    /// While the answer travels, the machine has the peer connection built
    /// (its media plan counts a pending accept).
    pub async fn accept_call(&self, call_id: &str) -> CallResult<()> {
        self.request(|m, _| m.accept_call(call_id)).await.map(drop)
    }

    /// `inviteToCall`: invites users into the current call. A one-to-one
    /// call becomes a group call. The result lists invitees who were busy.
    pub async fn invite_to_call(&self, user_ids: Vec<String>) -> CallResult<InviteToCallResult> {
        self.request(|m, _| m.invite_to_call(user_ids))
            .await?
            .invited()
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
        self.request(|m, _| m.request_change_media_type(media_type))
            .await?
            .transaction_id()
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
        self.request(|m, _| m.get_history_call_logs(params))
            .await?
            .call_log_page()
    }

    /// `getOngoingCallLogs`: the user's calls that have not ended.
    pub async fn get_ongoing_call_logs(&self) -> CallResult<Vec<CallLog>> {
        self.request(|m, _| m.get_ongoing_call_logs())
            .await?
            .call_logs()
    }

    /// `deleteCallLogsForMe`: at most 100 ids; the result lists ids the user
    /// had no log for. Other participants keep theirs.
    pub async fn delete_call_logs_for_me(
        &self,
        call_ids: Vec<String>,
    ) -> CallResult<DeleteCallLogsResult> {
        self.request(|m, _| m.delete_call_logs_for_me(call_ids))
            .await?
            .deleted()
    }

    /// `deleteAllCallLogsForMe`: returns how many logs were deleted.
    pub async fn delete_all_call_logs_for_me(&self) -> CallResult<u64> {
        self.request(|m, _| m.delete_all_call_logs_for_me())
            .await?
            .deleted_all()
    }

    /// `endCall`: hangs up, cancels or rejects a call.
    pub async fn end_call(&self, params: EndCallParams) -> CallResult<()> {
        self.request(|m, _| m.end_call(params.call_id.as_deref(), params.push_config))
            .await
            .map(drop)
    }

    /// `getCurrentCallSession`: the current (primary) call, if any.
    pub fn get_current_call_session(&self) -> Option<CallSession> {
        self.inner.lock_state().machine.current_session()
    }
}
