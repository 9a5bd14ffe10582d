//! The tokio shell around [`crate::ServerCore`]: a WebSocket listener, one
//! task per connection (`connection.rs`), and one hub task (`hub.rs`) that
//! owns the core, feeds it inputs in arrival order and fires its timers.

pub mod admin;
mod connection;
mod hub;
mod messages;
mod rate_limit;
pub mod tls;

use rate_limit::RateLimit;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::calls::UserKey;
use crate::clock::{Millis, SimClock};
use crate::core::{CoreStats, PushRecord, ServerCore};
use crate::fixtures::Fixtures;
use crate::media::{MediaServer, MediaStats, NetworkProfile};
use crate::store::{CallLogStore, SeedSpec, SqliteStore, StoreError};
use messages::{ConnEvent, Control, Fault};
use tls::TlsIdentity;

/// How to run a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where signaling listens (port 0: a free one).
    pub listen: SocketAddr,
    /// The apps and users it knows.
    pub fixtures: Fixtures,
    /// The system's clock, or a virtual one.
    pub clock: SimClock,
    /// A connection silent for this long (no frame, no heartbeat) is closed.
    pub idle_timeout: Duration,
    /// Where call logs are kept across restarts; in memory if `None`.
    pub data_dir: Option<PathBuf>,
    /// How often clients are asked to send `heartbeat`.
    pub heartbeat_interval: Duration,
    /// Seeds the simulator's randomness (network impairment): the same seed
    /// replays the same losses and jitter.
    pub seed: u64,
    /// Each connection's request budget; `false` lifts it (benchmarks that
    /// drive one connection as fast as it goes).
    pub rate_limited: bool,
    /// Where the SFU binds its UDP socket; `None`: the listen address's IP
    /// (loopback when that is unspecified).
    pub media_ip: Option<std::net::IpAddr>,
    /// The address the SFU's answers give as its candidate (what peers
    /// send media to); `None`: the bind address (loopback when that is
    /// unspecified). Set it when the SFU binds `0.0.0.0` in a container and
    /// peers reach it by another address.
    pub advertise_ip: Option<std::net::IpAddr>,
    /// Serve `wss://` with this certificate; `None`: plain `ws://`.
    pub tls: Option<TlsIdentity>,
}

impl SimConfig {
    /// Loopback on a free port, system clock, 60 s idle timeout.
    pub fn new(fixtures: Fixtures) -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            fixtures,
            clock: SimClock::System,
            idle_timeout: Duration::from_secs(60),
            data_dir: None,
            heartbeat_interval: Duration::from_millis(crate::core::HEARTBEAT_INTERVAL_MS),
            seed: 0,
            rate_limited: true,
            media_ip: None,
            advertise_ip: None,
            tls: None,
        }
    }

    /// Asks clients to send `heartbeat` this often (and so to notice a dead
    /// connection within two intervals).
    pub fn with_heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// Serves `wss://` (TLS) instead of `ws://`.
    pub fn with_tls(mut self, identity: TlsIdentity) -> Self {
        self.tls = Some(identity);
        self
    }

    /// Lifts the per-connection rate limit (see `rate_limit.rs`).
    pub fn without_rate_limit(mut self) -> Self {
        self.rate_limited = false;
        self
    }

    /// Seeds network impairment (see [`SimConfig::seed`]).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Keeps call logs in `dir` (SQLite), where they survive a restart.
    pub fn with_data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Uses a virtual clock: timers fire only through [`SimHandle::advance`].
    pub fn with_virtual_clock(mut self) -> Self {
        self.clock = SimClock::virtual_at_epoch();
        self
    }

    /// Listens on `listen` (port 0: a free one).
    pub fn with_listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    /// Binds the SFU on `bind` and advertises `advertise` in its answers
    /// (each `None`: as [`SimConfig::media_ip`] and
    /// [`SimConfig::advertise_ip`] say).
    pub fn with_media_addresses(
        mut self,
        bind: Option<std::net::IpAddr>,
        advertise: Option<std::net::IpAddr>,
    ) -> Self {
        self.media_ip = bind;
        self.advertise_ip = advertise;
        self
    }
}

/// Why a simulator could not start or do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// It stopped before answering.
    #[error("the simulator has stopped")]
    Stopped,
    /// A clock move asked of a simulator on the system clock.
    #[error("only a virtual clock can be advanced; this simulator runs on the system clock")]
    NotVirtual,
    /// The call-log store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A network profile the fixtures do not name.
    #[error("no network profile named {0} in the fixtures")]
    UnknownProfile(String),
    /// The TLS certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
}

/// Starts simulators ([`Simulator::start`]).
pub struct Simulator;

impl Simulator {
    /// Binds the listener and starts the hub and accept tasks on the current
    /// tokio runtime. The returned handle stops everything when dropped.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let store: Box<dyn CallLogStore> = match &config.data_dir {
            Some(dir) => Box::new(SqliteStore::open_dir(dir)?),
            None => Box::new(SqliteStore::in_memory()?),
        };
        let network_profiles = config.fixtures.network_profiles.clone();
        let mut core = ServerCore::with_store(config.fixtures, store)?;
        core.set_heartbeat_interval(
            u64::try_from(config.heartbeat_interval.as_millis()).unwrap_or(u64::MAX),
        );
        // The media server's host candidate must be an address peers can
        // reach: never the unspecified address.
        let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
        let bind = config.media_ip.unwrap_or(addr.ip());
        let advertise = config.advertise_ip.unwrap_or(bind).to_canonical();
        let bind = if config.media_ip.is_none() && bind.is_unspecified() {
            loopback
        } else {
            bind
        };
        let advertise = if advertise.is_unspecified() {
            loopback
        } else {
            advertise
        };
        let media = MediaServer::start_with(bind, advertise, config.seed).map_err(|source| {
            SimError::Bind {
                addr: SocketAddr::new(bind, 0),
                source,
            }
        })?;
        let hub_task = tokio::spawn(hub::run(
            core,
            config.clock.clone(),
            media.clone(),
            events_rx,
            control_rx,
        ));
        let accept_task = tokio::spawn(accept_loop(
            listener,
            events_tx,
            config.idle_timeout,
            config.rate_limited,
            config.tls.clone(),
        ));
        let scheme = if config.tls.is_some() { "wss" } else { "ws" };
        tracing::info!(%addr, "nccall-sim listening on {scheme}://{addr}");
        Ok(SimHandle {
            addr,
            scheme,
            media,
            network_profiles,
            clock: config.clock,
            hub: control_tx,
            tasks: vec![hub_task, accept_task],
        })
    }
}

async fn accept_loop(
    listener: TcpListener,
    hub: mpsc::UnboundedSender<ConnEvent>,
    idle: Duration,
    rate_limited: bool,
    tls: Option<TlsIdentity>,
) {
    let next_conn = Arc::new(AtomicU64::new(1));
    // The connections live in this task's set: stopping the simulator (this
    // task aborted) closes every one of them, as a process exit would.
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let conn = next_conn.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(conn, %peer, "connection accepted");
                    let limit = rate_limited.then(|| RateLimit::new(std::time::Instant::now()));
                    let hub = hub.clone();
                    let _ = stream.set_nodelay(true);
                    match &tls {
                        None => {
                            conns.spawn(connection::serve(stream, conn, hub, idle, limit));
                        }
                        Some(identity) => {
                            // The handshake runs on the connection's task:
                            // a slow client holds up no one else.
                            let acceptor = identity.acceptor.clone();
                            conns.spawn(async move {
                                match tokio::time::timeout(idle, acceptor.accept(stream)).await {
                                    Ok(Ok(stream)) => {
                                        connection::serve(stream, conn, hub, idle, limit).await
                                    }
                                    Ok(Err(e)) => tracing::debug!(conn, "TLS handshake failed: {e}"),
                                    Err(_) => tracing::debug!(conn, "TLS handshake timed out"),
                                }
                            });
                        }
                    }
                }
                Err(e) => {
                    // Out of file descriptors and the like: keep serving the others.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// A running simulator.
pub struct SimHandle {
    addr: SocketAddr,
    /// `ws` or `wss`.
    scheme: &'static str,
    media: MediaServer,
    network_profiles: std::collections::BTreeMap<String, NetworkProfile>,
    clock: SimClock,
    /// The hub's control channel (connections have their own).
    hub: mpsc::UnboundedSender<Control>,
    tasks: Vec<JoinHandle<()>>,
}

/// A read-only view of a running simulator, for its admin port: cheap to
/// clone, it stops answering (`None`) when the simulator stops.
#[derive(Clone)]
pub struct SimObserver {
    media: MediaServer,
    hub: mpsc::UnboundedSender<Control>,
}

impl SimObserver {
    /// The core's counters; `None` once the hub is gone.
    pub async fn stats(&self) -> Option<CoreStats> {
        let (ack, done) = oneshot::channel();
        self.hub.send(Control::Stats { ack }).ok()?;
        done.await.ok()
    }

    /// The media server's counters.
    pub async fn media_stats(&self) -> MediaStats {
        self.media.stats().await
    }
}

impl SimHandle {
    /// A view for the admin port (`server/admin.rs`).
    pub fn observer(&self) -> SimObserver {
        SimObserver {
            media: self.media.clone(),
            hub: self.hub.clone(),
        }
    }

    /// The signaling listener's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL engines connect to.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The simulator's clock.
    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// Server time now.
    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Moves the virtual clock forward and returns once every timer due by
    /// then has fired and its events have been handed to the connections.
    pub async fn advance(&self, by: Duration) -> Result<Millis, SimError> {
        if !self.clock.is_virtual() {
            return Err(SimError::NotVirtual);
        }
        let by_ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.ask(|ack| Control::Advance { by_ms, ack }).await
    }

    /// The core's counters.
    pub async fn stats(&self) -> Result<CoreStats, SimError> {
        self.ask(|ack| Control::Stats { ack }).await
    }

    /// The media server's counters (peer connections alive, frames forwarded).
    pub async fn media_stats(&self) -> MediaStats {
        self.media.stats().await
    }

    /// Impairs the media the SFU sends to `user_id` from now on (loss,
    /// delay, jitter, bandwidth cap); a clear profile lifts it.
    pub fn impair_media(&self, user_id: &str, profile: NetworkProfile) {
        self.media.impair(user_id, profile);
    }

    /// Applies the fixtures' network profile `name` to `user_id`'s media path.
    pub fn apply_network_profile(&self, user_id: &str, name: &str) -> Result<(), SimError> {
        let profile = self
            .network_profiles
            .get(name)
            .copied()
            .ok_or_else(|| SimError::UnknownProfile(name.to_string()))?;
        self.media.impair(user_id, profile);
        Ok(())
    }

    /// Every push notification sent to offline users so far, oldest first.
    pub async fn pushes(&self) -> Result<Vec<PushRecord>, SimError> {
        self.ask(|ack| Control::Pushes { ack }).await
    }

    /// Holds back every event for `user_id` of `app` until [`SimHandle::release`]:
    /// the user's devices hear nothing new, though their own requests are
    /// still answered. Used to make races (glare) happen on purpose.
    pub async fn hold(&self, app: &str, user_id: &str) -> Result<(), SimError> {
        let user = UserKey::new(app, user_id);
        self.ask(|ack| Control::Hold { user, ack }).await
    }

    /// Events to the user leave `delay` (simulator time: with a virtual
    /// clock, when [`SimHandle::advance`] gets there) after they were sent,
    /// until [`SimHandle::release`].
    pub async fn delay_events(
        &self,
        app: &str,
        user_id: &str,
        delay: Duration,
    ) -> Result<(), SimError> {
        let ms = Millis::try_from(delay.as_millis()).unwrap_or(Millis::MAX);
        self.fault(app, user_id, Fault::Delay(ms)).await
    }

    /// The next `count` events to the user arrive in reverse order.
    pub async fn reverse_events(
        &self,
        app: &str,
        user_id: &str,
        count: usize,
    ) -> Result<(), SimError> {
        self.fault(app, user_id, Fault::Reverse(count)).await
    }

    /// Cuts the user off without closing anything: events to them are lost,
    /// their requests go unanswered (a half-open link their engine must
    /// detect), new connections are closed, until [`SimHandle::release`].
    pub async fn partition(&self, app: &str, user_id: &str) -> Result<(), SimError> {
        self.fault(app, user_id, Fault::Partition).await
    }

    /// Ends a hold, delay, reordering or partition of the user's events;
    /// what was kept is delivered in order.
    pub async fn release(&self, app: &str, user_id: &str) -> Result<(), SimError> {
        let user = UserKey::new(app, user_id);
        self.ask(|ack| Control::Release { user, ack }).await
    }

    /// Closes every connection of `user_id` (the network blips): their
    /// device sessions wait [`crate::RESUME_WINDOW_MS`] for a resume.
    pub async fn drop_connections(&self, app: &str, user_id: &str) -> Result<(), SimError> {
        self.fault(app, user_id, Fault::Drop).await
    }

    /// Takes `user_id`'s network down: connections are closed and new ones
    /// get no answer until [`SimHandle::network_up`].
    pub async fn network_down(&self, app: &str, user_id: &str) -> Result<(), SimError> {
        self.fault(app, user_id, Fault::Down).await
    }

    /// Ends [`SimHandle::network_down`] for `user_id`.
    pub async fn network_up(&self, app: &str, user_id: &str) -> Result<(), SimError> {
        self.fault(app, user_id, Fault::Restore).await
    }

    async fn fault(&self, app: &str, user_id: &str, fault: Fault) -> Result<(), SimError> {
        let user = UserKey::new(app, user_id);
        self.ask(|ack| Control::Fault { user, fault, ack }).await
    }

    /// Stores seeded call logs for `app` (see [`SeedSpec`]); call ids start with `prefix`.
    pub async fn seed_logs(&self, app: &str, spec: SeedSpec, prefix: &str) -> Result<(), SimError> {
        let (app, prefix) = (app.to_string(), prefix.to_string());
        self.ask(|ack| Control::Seed {
            app,
            spec,
            prefix,
            ack,
        })
        .await?
    }

    async fn ask<T>(&self, msg: impl FnOnce(oneshot::Sender<T>) -> Control) -> Result<T, SimError> {
        let (ack, done) = oneshot::channel();
        self.hub.send(msg(ack)).map_err(|_| SimError::Stopped)?;
        done.await.map_err(|_| SimError::Stopped)
    }

    /// Stops accepting, closes every connection and stops the hub.
    pub fn shutdown(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }

    /// Stops the simulator and waits until it is gone: its listener and
    /// every connection closed, its store closed. A simulator started on
    /// the same address and data directory afterwards is a restart.
    pub async fn stop(&mut self) {
        let tasks: Vec<JoinHandle<()>> = self.tasks.drain(..).collect();
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}
