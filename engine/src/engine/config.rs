//! What an engine is made with ([`EngineConfig`]) and what its API calls
//! take beyond the protocol's own types ([`ConnectParams`], [`EndCallParams`]).

use std::sync::Arc;
use std::time::Duration;

use nccall_protocol::PushConfig;

use crate::devices::{DeviceProvider, VirtualDevices};
use crate::media::{DEFAULT_MEDIA_LOSS_TIMEOUT, ICE_CHECK_INTERVAL};
use crate::signaling::TlsRoots;

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
    /// Whom a `wss://` server's certificate may chain to: the system's
    /// store unless set (a test server's own certificate:
    /// [`TlsRoots::only_pem`]).
    pub tls_roots: TlsRoots,
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
            tls_roots: TlsRoots::system(),
        }
    }
}

/// Where and as whom to connect (the analogue of the spec's chat connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectParams {
    /// `ws://host:port` of the simulator (`wss://` over TLS).
    pub url: String,
    /// The app key the user belongs to.
    pub app_key: String,
    /// The user's token in that app.
    pub token: String,
}

/// `endCall`'s parameters: no call id means the current (primary) call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndCallParams {
    /// The call's id (the server's, stable for the call's life).
    pub call_id: Option<String>,
    /// How the callee's push notification reads, when they are offline.
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
