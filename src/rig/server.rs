//! The server a rig's participants use, and what the steps do to it: the
//! simulator on loopback ([`Server::Socket`]), or the simulator's core in a
//! socket-free net with the reference engine's cores ([`Server::Net`]).
//! Both take the same faults, clock moves and queries; the media ones need
//! the simulator's media server, which a net does not have.

use std::time::Duration;

use nccall_sim::{
    MediaStats, Millis, NetworkProfile, PushRecord, SeedSpec, SimConfig, SimError, SimHandle,
    UserKey,
};

use crate::engine_driver::SharedNet;
use crate::engine_driver::net::broken;

/// Where a rig's server runs.
pub enum Server {
    /// The simulator, listening on loopback; `config` is what it was
    /// started with (a restart starts it the same way).
    Socket {
        sim: SimHandle,
        config: Box<SimConfig>,
    },
    /// The simulator's core in the scenario's net.
    Net(SharedNet),
}

/// Why the server did not do what a step asked.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error("{0}")]
    Net(String),
    /// The net has no media server (reported as not implemented).
    #[error("the socket-free net has no media server ({0})")]
    NoMedia(&'static str),
}

impl From<crate::engine_driver::DriverError> for ServerError {
    fn from(e: crate::engine_driver::DriverError) -> Self {
        ServerError::Net(e.to_string())
    }
}

impl Server {
    /// The URL engines connect to (a net's engines need none).
    pub fn url(&self) -> String {
        match self {
            Server::Socket { sim, .. } => sim.url(),
            Server::Net(_) => "net://server".to_string(),
        }
    }

    /// Server time now.
    pub fn now(&self) -> Millis {
        match self {
            Server::Socket { sim, .. } => sim.now(),
            Server::Net(net) => net.lock().server_time(),
        }
    }

    /// Moves the server's clock (see [`SimHandle::advance`]).
    pub async fn advance(&self, by: Duration) -> Result<Millis, ServerError> {
        match self {
            Server::Socket { sim, .. } => Ok(sim.advance(by).await?),
            Server::Net(net) => Ok(net
                .lock()
                .advance_server(by)
                .map_err(|e| ServerError::from(broken(e)))?),
        }
    }

    /// Does `on_core` to a net's server, or `on_sim` to the simulator.
    async fn either<T>(
        &self,
        on_sim: impl AsyncFnOnce(&SimHandle) -> Result<T, SimError>,
        on_core: impl FnOnce(&mut nccall_sim::ServerCore, Millis) -> T,
    ) -> Result<T, ServerError> {
        match self {
            Server::Socket { sim, .. } => Ok(on_sim(sim).await?),
            Server::Net(net) => Ok(net
                .lock()
                .with_server(on_core)
                .map_err(|e| ServerError::from(broken(e)))?),
        }
    }

    /// See [`SimHandle::hold`].
    pub async fn hold(&self, app: &str, user: &str) -> Result<(), ServerError> {
        let key = UserKey::new(app, user);
        self.either(async |s| s.hold(app, user).await, |c, _| c.hold(key))
            .await
    }

    /// See [`SimHandle::release`].
    pub async fn release(&self, app: &str, user: &str) -> Result<(), ServerError> {
        let key = UserKey::new(app, user);
        self.either(async |s| s.release(app, user).await, |c, _| c.release(&key))
            .await
    }

    /// See [`SimHandle::delay_events`].
    pub async fn delay_events(
        &self,
        app: &str,
        user: &str,
        delay: Duration,
    ) -> Result<(), ServerError> {
        let key = UserKey::new(app, user);
        let ms = Millis::try_from(delay.as_millis()).unwrap_or(Millis::MAX);
        self.either(
            async |s| s.delay_events(app, user, delay).await,
            |c, _| c.delay_events(key, ms),
        )
        .await
    }

    /// See [`SimHandle::reverse_events`].
    pub async fn reverse_events(
        &self,
        app: &str,
        user: &str,
        count: usize,
    ) -> Result<(), ServerError> {
        let key = UserKey::new(app, user);
        self.either(
            async |s| s.reverse_events(app, user, count).await,
            |c, _| c.reverse_events(key, count),
        )
        .await
    }

    /// See [`SimHandle::partition`].
    pub async fn partition(&self, app: &str, user: &str) -> Result<(), ServerError> {
        let key = UserKey::new(app, user);
        self.either(
            async |s| s.partition(app, user).await,
            |c, _| c.partition(key),
        )
        .await
    }

    /// See [`SimHandle::drop_connections`].
    pub async fn drop_connections(&self, app: &str, user: &str) -> Result<(), ServerError> {
        let key = UserKey::new(app, user);
        self.either(
            async |s| s.drop_connections(app, user).await,
            |c, now| c.drop_connections(now, &key),
        )
        .await
    }

    /// See [`SimHandle::network_down`].
    pub async fn network_down(&self, app: &str, user: &str) -> Result<(), ServerError> {
        let key = UserKey::new(app, user);
        self.either(
            async |s| s.network_down(app, user).await,
            |c, now| c.block(now, key),
        )
        .await
    }

    /// See [`SimHandle::network_up`].
    pub async fn network_up(&self, app: &str, user: &str) -> Result<(), ServerError> {
        let key = UserKey::new(app, user);
        self.either(
            async |s| s.network_up(app, user).await,
            |c, _| c.unblock(&key),
        )
        .await
    }

    /// See [`SimHandle::pushes`].
    pub async fn pushes(&self) -> Result<Vec<PushRecord>, ServerError> {
        self.either(async |s| s.pushes().await, |c, _| c.pushes().to_vec())
            .await
    }

    /// See [`SimHandle::seed_logs`].
    pub async fn seed_logs(
        &self,
        app: &str,
        spec: SeedSpec,
        prefix: &str,
    ) -> Result<(), ServerError> {
        match self {
            Server::Socket { sim, .. } => Ok(sim.seed_logs(app, spec, prefix).await?),
            Server::Net(net) => net
                .lock()
                .with_server(|core, _| core.seed_logs(app, &spec, prefix))
                .map_err(|e| ServerError::from(broken(e)))?
                .map_err(|e| ServerError::Sim(SimError::Store(e))),
        }
    }

    /// The media server's counters (the simulator's only).
    pub async fn media_stats(&self) -> Result<MediaStats, ServerError> {
        match self {
            Server::Socket { sim, .. } => Ok(sim.media_stats().await),
            Server::Net(net) => Err(no_media(net, "mediaStats")),
        }
    }

    /// See [`SimHandle::impair_media`].
    pub fn impair_media(&self, user: &str, profile: NetworkProfile) -> Result<(), ServerError> {
        match self {
            Server::Socket { sim, .. } => {
                sim.impair_media(user, profile);
                Ok(())
            }
            Server::Net(net) => Err(no_media(net, "impairMedia")),
        }
    }

    /// See [`SimHandle::apply_network_profile`].
    pub fn apply_network_profile(&self, user: &str, name: &str) -> Result<(), ServerError> {
        match self {
            Server::Socket { sim, .. } => Ok(sim.apply_network_profile(user, name)?),
            Server::Net(net) => Err(no_media(net, "applyNetworkProfile")),
        }
    }

    /// Stops the server and starts it again on the same store (see
    /// [`crate::rig::Rig::restart`]).
    pub async fn restart(&mut self) -> Result<(), ServerError> {
        match self {
            Server::Socket { sim, config } => {
                let mut again = (**config).clone().with_listen(sim.local_addr());
                again.clock = sim.clock().clone();
                sim.stop().await;
                *sim = nccall_sim::Simulator::start(again).await?;
                Ok(())
            }
            Server::Net(net) => net
                .lock()
                .restart_server()
                .map_err(|e| ServerError::Sim(SimError::Store(e))),
        }
    }
}

/// A media command in a net: noted as not implemented, so the scenario is
/// reported as not run rather than failed.
fn no_media(net: &SharedNet, what: &'static str) -> ServerError {
    net.note_unimplemented(what);
    ServerError::NoMedia(what)
}
