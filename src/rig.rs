//! A server and the people who use it: the simulator on loopback, or its
//! core in a socket-free net (`server.rs`), and participants with the SDK
//! under test (`participant.rs`).

mod participant;
mod server;
mod tls;

pub use participant::Participant;
pub use server::{Server, ServerError};
pub use tls::{suite_tls, use_tls};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use nccall::{
    CallEngine, ConnectParams, EngineConfig, MachineConfig, RecordingView, TlsRoots, VirtualDevices,
};
use nccall_sim::{Fixtures, SimConfig, Simulator, TlsIdentity};
use serde_json::Value;

use crate::driver::client::RemoteDriver;
use crate::driver::commands::DriverCommand;
use crate::driver::params::{CreateArgs, encode};
use crate::engine_driver::{
    DriverError, DriverResult, EventSource, InProcess, NetSdk, Remote, Sdk, SharedNet,
};
use crate::net::{Faults, Net, ServerClock};
use crate::recorders::{HandlerRecorder, QualityRecorder};

/// The fixtures of the suite and the demo (`fixtures/conformance.yaml`).
pub const CONFORMANCE_FIXTURES: &str = include_str!("../fixtures/conformance.yaml");

/// The app users log in to unless a step says otherwise.
pub const DEFAULT_APP: &str = "conformance";

/// How long a step waits for an event before it fails unless
/// `NCCALL_EVENT_WAIT_MS` says otherwise (real time; virtual time never
/// needs waiting for). 5 s is far above what the suite needs on two busy
/// cores (every wait is for a condition, not a duration: a longer bound
/// only makes a real failure slower to report).
pub const EVENT_WAIT: Duration = Duration::from_secs(5);

static WAIT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();

/// Sets how long a step waits (the suite's `--event-wait-ms`), once,
/// before the first wait; later calls change nothing.
pub fn set_event_wait(wait: Duration) {
    let _ = WAIT.set(wait.max(Duration::from_millis(1)));
}

/// [`EVENT_WAIT`], or what [`set_event_wait`] or `NCCALL_EVENT_WAIT_MS`
/// said, for a machine slower than any the suite was measured on.
pub fn event_wait() -> Duration {
    *WAIT.get_or_init(|| {
        std::env::var("NCCALL_EVENT_WAIT_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&ms: &u64| ms > 0)
            .map_or(EVENT_WAIT, Duration::from_millis)
    })
}

/// How often [`Participant::wait_until`] looks again when no event came.
pub const RECHECK: Duration = Duration::from_millis(50);

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

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A server and the participants' SDKs.
pub struct Rig {
    pub server: Server,
    /// Server time when the rig started: times in timelines are relative to it.
    pub epoch: i64,
    /// Where the simulator keeps its call logs, when on disk (removed with the rig).
    data_dir: Option<std::path::PathBuf>,
    /// The driver process participants' engines live in, if the SDK under
    /// test is not the in-process reference engine.
    driver: Option<Arc<RemoteDriver>>,
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
        mut config: SimConfig,
        data_dir: Option<std::path::PathBuf>,
    ) -> Result<Rig, nccall_sim::SimError> {
        if let Some(pair) = suite_tls() {
            config = config.with_tls(TlsIdentity::from_self_signed(pair)?);
        }
        let sim = Simulator::start(config.clone()).await?;
        let epoch = sim.now();
        Ok(Rig {
            server: Server::Socket {
                sim,
                config: Box::new(config),
            },
            epoch,
            data_dir,
            driver: None,
        })
    }

    /// The simulator's core and the reference engine's cores in one
    /// socket-free net (`crate::net`), the server's clock moved only by
    /// [`Server::advance`] (as [`Rig::start`] with a virtual clock): the
    /// signaling scenarios, without sockets, threads or real time.
    pub fn start_net(heartbeat: Option<Duration>, seed: u64) -> Result<Rig, ServerError> {
        let heartbeat_ms = heartbeat.map_or(nccall_sim::HEARTBEAT_INTERVAL_MS, |h| {
            u64::try_from(h.as_millis()).unwrap_or(u64::MAX)
        });
        let clock = ServerClock::stepped();
        let net = Net::with_fixtures(
            conformance_fixtures(),
            heartbeat_ms,
            Faults::NONE,
            seed,
            clock,
        )
        .map_err(|e| ServerError::Sim(e.into()))?;
        let server = Server::Net(SharedNet::new(net));
        Ok(Rig {
            epoch: server.now(),
            server,
            data_dir: None,
            driver: None,
        })
    }

    /// From now on, participants' engines live in the driver process that
    /// `command_line` starts (`docs/driver-protocol.md`).
    pub async fn use_driver(&mut self, command_line: &str) -> DriverResult<()> {
        let (driver, _hello) = RemoteDriver::start(command_line).await?;
        self.driver = Some(Arc::new(driver));
        Ok(())
    }

    /// `getVersion` of the SDK under test.
    pub async fn sdk_version(&self) -> DriverResult<String> {
        let version = match &self.driver {
            Some(driver) => {
                let version = driver
                    .command(None, DriverCommand::GetVersion, Value::Null)
                    .await?;
                serde_json::from_value(version)
                    .map_err(|e| DriverError::Broken(format!("getVersion: {e}")))?
            }
            None => CallEngine::get_version().to_string(),
        };
        crate::engine_driver::note_exercised("getVersion");
        Ok(version)
    }

    /// The commands the driver (or the net) answered `unimplemented` so far.
    pub fn unimplemented(&self) -> Vec<String> {
        if let Server::Net(net) = &self.server {
            return net.unimplemented();
        }
        self.driver
            .as_ref()
            .map(|d| d.unimplemented())
            .unwrap_or_default()
    }

    /// Stops the simulator (every connection closes, as when its process
    /// dies) and starts it again on the same address, data directory and
    /// clock: engines reconnect on their own; what is stored is still there,
    /// what was only in memory (sessions, calls in progress) is not.
    pub async fn restart(&mut self) -> Result<(), ServerError> {
        self.server.restart().await
    }

    /// A participant with an engine that is not connected yet, with its own
    /// set of the built-in virtual devices.
    pub async fn participant(&self, name: &str) -> DriverResult<Participant> {
        self.participant_with(name, true).await
    }

    /// A participant whose engine builds no peer connections (signaling only).
    pub async fn signaling_participant(&self, name: &str) -> DriverResult<Participant> {
        self.participant_with(name, false).await
    }

    async fn participant_with(&self, name: &str, media_enabled: bool) -> DriverResult<Participant> {
        let (engine, stream) = self.bare_engine(name, name, media_enabled).await?;
        // Every participant shows its own camera: the spec requires a local
        // view before a video call is placed or answered.
        let local_view = RecordingView::new();
        engine.set_local_video_view(local_view.clone()).await?;
        let quality = Arc::new(QualityRecorder::default());
        engine
            .set_connection_quality_handler(quality.clone())
            .await?;
        Ok(Participant {
            name: name.to_string(),
            engine,
            local_view,
            quality,
            reconnects_before_fault: 0,
            remote_views: BTreeMap::new(),
            stream,
            events: Vec::new(),
            cursor: 0,
        })
    }

    /// An engine with no view or handler: what an app has right after
    /// creating one. `key` names it in the driver process (one user may have
    /// several engines); its device id is `{device}-device`.
    pub async fn bare_engine(
        &self,
        key: &str,
        device: &str,
        media_enabled: bool,
    ) -> DriverResult<(Sdk, EventSource)> {
        // Reconnect scenarios wait for real reconnect attempts: keep them
        // close. Media outages in scenarios last seconds, not tens of them.
        let reconnect_max_backoff = Duration::from_millis(100);
        let media_loss_timeout = Duration::from_secs(1);
        let device_id = format!("{device}-device");
        if let Server::Net(net) = &self.server {
            let config = MachineConfig {
                reconnect_max_backoff,
                ..MachineConfig::default()
            };
            let peer = net.lock().add_peer(key, &token_of(key), config);
            let sdk = NetSdk::new(net.clone(), peer, device_id);
            let events = EventSource::Net {
                net: net.clone(),
                peer,
                read: 0,
            };
            return Ok((Sdk::new(sdk), events));
        }
        if let Some(driver) = &self.driver {
            let params = encode(&CreateArgs {
                device_id: Some(device_id),
                reconnect_max_backoff_ms: Some(millis(reconnect_max_backoff)),
                media_loss_timeout_ms: Some(millis(media_loss_timeout)),
                media_enabled: Some(media_enabled),
                trusted_certificate_pem: suite_tls().map(|pair| pair.cert_pem.clone()),
            });
            let events = driver.create_engine(key, params).await?;
            let remote = Remote {
                driver: driver.clone(),
                name: key.to_string(),
            };
            return Ok((Sdk::new(remote), EventSource::Remote(events)));
        }
        let devices = Arc::new(VirtualDevices::builtin());
        let tls_roots = match suite_tls() {
            Some(pair) => TlsRoots::only_pem(pair.cert_pem.as_bytes())?,
            None => TlsRoots::system(),
        };
        let engine = CallEngine::new(EngineConfig {
            device_id,
            devices: devices.clone(),
            reconnect_max_backoff,
            media_loss_timeout,
            media_enabled,
            tls_roots,
            ..EngineConfig::default()
        });
        let stream = EventSource::InProcess(engine.events());
        let local = InProcess {
            engine,
            devices,
            handled: Arc::new(HandlerRecorder::default()),
        };
        Ok((Sdk::new(local), stream))
    }

    /// A participant connected to `app` with their fixture token.
    pub async fn online(&self, name: &str, app: &str) -> DriverResult<Participant> {
        self.connect(self.participant(name).await?, app).await
    }

    /// Connects a participant to `app` with their fixture token.
    pub async fn connect(&self, p: Participant, app: &str) -> DriverResult<Participant> {
        p.engine.connect(self.connect_params(&p.name, app)).await?;
        Ok(p)
    }

    /// Where and as whom `participant` connects to `app`.
    pub fn connect_params(&self, participant: &str, app: &str) -> ConnectParams {
        ConnectParams {
            url: self.server.url(),
            app_key: app.to_string(),
            token: token_of(participant),
        }
    }
}
