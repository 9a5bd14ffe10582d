//! The server's side of a net: which clock it reads, faults injected at
//! it, and its restart.
//!
//! A net's server reads the net's clock ([`ServerClock::Net`]: the property
//! test, where everything moves together), or a clock of its own that
//! moves only when [`Net::advance_server`] moves it
//! ([`ServerClock::Stepped`]), as a simulator on a virtual clock does
//! beside engines on real time. That is the suite's world: its scenarios
//! say when server time passes ("60 seconds pass"), while the engines'
//! own timers (heartbeats, reconnect backoff, request deadlines) run on
//! the net's clock whenever a step waits for something.

use std::time::Duration;

use nccall_sim::{Millis, ServerCore, StoreError, VIRTUAL_EPOCH_MS};

use super::wire::Delivery;
use super::{Net, NetError};

/// Which clock a net's server reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerClock {
    /// The net's: server timers fire as the net runs.
    Net,
    /// Its own, at this server time: it moves only by [`Net::advance_server`].
    Stepped(Millis),
}

impl ServerClock {
    /// A clock of its own, starting where a simulator's virtual clock does.
    pub fn stepped() -> Self {
        ServerClock::Stepped(VIRTUAL_EPOCH_MS)
    }
}

impl Net {
    /// Server time now.
    pub fn server_time(&self) -> Millis {
        match self.server_clock {
            ServerClock::Net => self.server_ms(self.now),
            ServerClock::Stepped(ms) => ms,
        }
    }

    /// Moves server time by `by`: the server's timers due by then fire and
    /// what they sent arrives (engine time does not move: only the server's
    /// clock was moved). On the net's clock, the whole net runs for `by`.
    pub fn advance_server(&mut self, by: Duration) -> Result<Millis, NetError> {
        let ServerClock::Stepped(ms) = self.server_clock else {
            self.run_for(by)?;
            return Ok(self.server_time());
        };
        let to = ms.saturating_add(Millis::try_from(by.as_millis()).unwrap_or(Millis::MAX));
        self.server_clock = ServerClock::Stepped(to);
        self.server.handle_timeout(to);
        self.settle()?;
        Ok(to)
    }

    /// Does something to the server at server time now (a fault, seeding
    /// logs), then carries out what it caused.
    pub fn with_server<T>(
        &mut self,
        f: impl FnOnce(&mut ServerCore, Millis) -> T,
    ) -> Result<T, NetError> {
        let now = self.server_time();
        let value = f(&mut self.server, now);
        self.settle()?;
        Ok(value)
    }

    /// The server process dies and starts again on the same store: every
    /// link closes (the engines hear it at once), what was only in memory
    /// (sessions, calls in progress) is gone, the call logs are not.
    pub fn restart_server(&mut self) -> Result<(), StoreError> {
        for (conn, (peer, generation)) in std::mem::take(&mut self.conns) {
            self.wire.drop_lanes(conn);
            self.wire.push(
                self.now,
                super::wire::Lane::None,
                Delivery::ClosedAtPeer { peer, generation },
            );
        }
        let fresh = ServerCore::new(self.fixtures.clone())?;
        let store = std::mem::replace(&mut self.server, fresh).into_store();
        self.server = ServerCore::with_store(self.fixtures.clone(), store)?;
        self.server.set_heartbeat_interval(self.heartbeat_ms);
        Ok(())
    }
}
