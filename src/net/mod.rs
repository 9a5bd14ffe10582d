//! A socket-free network: the simulator's [`ServerCore`] and N engine
//! [`CallMachine`]s in one process, on one virtual clock, with frames
//! carried between them by a seeded, faulty [`Faults`] network.
//!
//! Nothing here runs on its own: [`Net::run_for`] moves the clock from one
//! due moment to the next (a frame arriving, a server timer, an engine's
//! heartbeat, request deadline or reconnect), handles everything due, and
//! carries out what each side asked for, as quinn's `Pair::drive` and
//! str0m's tests do. A minute of calls takes milliseconds, and the same
//! seed gives the same run. The engines are the reference engine's real
//! core: the same machine the tokio shell wraps, minus sockets and media.
//!
//! - `carry.rs` — frames onto the wire and off it, to the side they are for.
//! - `faults.rs` — what the network does to frames, and the seeded generator.
//! - `wire.rs` — the frames in flight, in delivery order.
//! - `server_side.rs` — the server's clock (the net's, or one moved only
//!   by hand, as a simulator on a virtual clock), faults injected at the
//!   server, and its restart.
//! - `rules.rs` — the exactly-once rules a timeline must obey.

mod carry;
mod faults;
pub mod rules;
mod server_side;
mod wire;

pub use faults::Faults;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use nccall::{CallError, CallEvent, CallMachine, Completion, MachineConfig, RequestId};
use nccall_sim::{ConnId, Fixtures, Millis, ServerCore, VIRTUAL_EPOCH_MS};

use faults::Rng;
pub use server_side::ServerClock;
use wire::Wire;

/// The app every participant of a net belongs to.
pub const APP_KEY: &str = "net-app";

/// One engine in the net, and what it heard.
pub struct Peer {
    pub user: String,
    token: String,
    pub machine: CallMachine,
    /// The link the machine asked for last, and its server-side connection
    /// once it opened.
    link: Option<(u64, Option<ConnId>)>,
    /// Every event, in the order the machine emitted it.
    pub timeline: Vec<CallEvent>,
    /// Every request this peer's app made that the machine accepted.
    pub asked: Vec<RequestId>,
    /// Every answer, by request id.
    pub answers: BTreeMap<RequestId, Result<Completion, CallError>>,
    /// Answers that came for a request already answered (must stay 0).
    pub answered_twice: Vec<RequestId>,
    /// Until when this peer's network is cut off (both ways, silently).
    partitioned_until: Option<Instant>,
}

/// Why a run stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// More than the step limit in one `run_for`: something loops.
    StepLimit { steps: u64, at: Duration },
}

pub struct Net {
    start: Instant,
    now: Instant,
    pub server: ServerCore,
    /// What the server is made with (a restart makes it again).
    fixtures: Fixtures,
    heartbeat_ms: u64,
    server_clock: ServerClock,
    pub peers: Vec<Peer>,
    wire: Wire,
    faults: Faults,
    rng: Rng,
    next_conn: ConnId,
    /// Server-side connections, to the peer and link generation they carry.
    conns: HashMap<ConnId, (usize, u64)>,
    /// Steps one `run_for` may take before it gives up.
    pub step_limit: u64,
}

impl Net {
    /// A net with these users of [`APP_KEY`] (each's token is
    /// `<user>-token`), the server asking for a heartbeat every
    /// `heartbeat_ms` and on the net's clock.
    pub fn new(users: &[&str], heartbeat_ms: u64, faults: Faults, seed: u64) -> Self {
        let mut yaml = format!("apps:\n  - app_key: {APP_KEY}\n    users:\n");
        for u in users {
            yaml.push_str(&format!("      - {{ user_id: {u}, token: {u}-token }}\n"));
        }
        let fixtures = Fixtures::from_yaml(&yaml).expect("the net's fixtures are valid");
        let mut net = Net::with_fixtures(fixtures, heartbeat_ms, faults, seed, ServerClock::Net)
            .expect("an in-memory store opens");
        for u in users {
            net.add_peer(u, &format!("{u}-token"), MachineConfig::default());
        }
        net
    }

    /// A net with no engines yet and a server made with `fixtures`.
    pub fn with_fixtures(
        fixtures: Fixtures,
        heartbeat_ms: u64,
        faults: Faults,
        seed: u64,
        server_clock: ServerClock,
    ) -> Result<Self, nccall_sim::StoreError> {
        let mut server = ServerCore::new(fixtures.clone())?;
        server.set_heartbeat_interval(heartbeat_ms);
        let start = Instant::now();
        Ok(Net {
            start,
            now: start,
            server,
            fixtures,
            heartbeat_ms,
            server_clock,
            peers: Vec::new(),
            wire: Wire::default(),
            faults,
            rng: Rng::new(seed),
            next_conn: 0,
            conns: HashMap::new(),
            step_limit: 1_000_000,
        })
    }

    /// A new engine in the net, named `name` (found by [`Net::peer`]), that
    /// [`Net::connect`] connects with `token`; returns its index.
    pub fn add_peer(&mut self, name: &str, token: &str, config: MachineConfig) -> usize {
        self.peers.push(Peer {
            user: name.to_string(),
            token: token.to_string(),
            machine: CallMachine::new(config),
            link: None,
            timeline: Vec::new(),
            asked: Vec::new(),
            answers: BTreeMap::new(),
            answered_twice: Vec::new(),
            partitioned_until: None,
        });
        self.peers.len() - 1
    }

    /// Changes what the network does from now on.
    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    /// Virtual time since the net was made.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// The net's clock now (every engine's).
    pub fn now(&self) -> Instant {
        self.now
    }

    fn server_ms(&self, at: Instant) -> Millis {
        VIRTUAL_EPOCH_MS + i64::try_from((at - self.start).as_millis()).unwrap_or(i64::MAX)
    }

    fn instant_of(&self, ms: Millis) -> Instant {
        self.start + Duration::from_millis(u64::try_from(ms - VIRTUAL_EPOCH_MS).unwrap_or(0))
    }

    pub fn peer(&self, user: &str) -> usize {
        self.peers
            .iter()
            .position(|p| p.user == user)
            .unwrap_or_else(|| panic!("no peer {user} in this net"))
    }

    /// An API call on peer `i`'s machine, as its app would make it; an
    /// accepted request is remembered, to check it is answered once.
    pub fn act<T>(
        &mut self,
        i: usize,
        op: impl FnOnce(&mut CallMachine, Instant) -> Result<RequestId, T>,
    ) -> Result<RequestId, T> {
        let now = self.now;
        let result = op(&mut self.peers[i].machine, now);
        if let Ok(id) = &result {
            self.peers[i].asked.push(*id);
        }
        self.flush();
        result
    }

    /// `connect` on peer `i`.
    pub fn connect(&mut self, i: usize) -> RequestId {
        let (user, token) = (self.peers[i].user.clone(), self.peers[i].token.clone());
        let device = format!("{user}-device");
        let id = self.act(i, |m, now| {
            Ok::<_, ()>(m.connect(now, APP_KEY, &token, &device))
        });
        id.unwrap_or_default()
    }

    /// `disconnect` on peer `i`.
    pub fn disconnect(&mut self, i: usize) {
        let now = self.now;
        self.peers[i].machine.disconnect(now);
        self.flush();
    }

    /// Cuts peer `i` off for `for_`: frames to and from it are held until
    /// then (as TCP holds them), neither side is told, and new links cannot
    /// open. A side that gives the link up meanwhile loses what was held.
    pub fn partition(&mut self, i: usize, for_: Duration) {
        self.peers[i].partitioned_until = Some(self.now + for_);
    }

    /// Breaks peer `i`'s link now: both sides hear it closed (after the
    /// network's delay), and what was in flight on it is lost.
    pub fn break_link(&mut self, i: usize) {
        if let Some((generation, Some(conn))) = self.peers[i].link {
            self.sever(i, generation, conn);
        }
    }

    /// The next moment something is due, if anything is. A server on a
    /// clock of its own has nothing due until that clock is moved.
    fn next_due(&self) -> Option<Instant> {
        let server = match self.server_clock {
            ServerClock::Net => self.server.poll_timeout().map(|ms| self.instant_of(ms)),
            ServerClock::Stepped(_) => None,
        };
        let peers = self.peers.iter().filter_map(|p| p.machine.poll_timeout());
        self.wire
            .next_at()
            .into_iter()
            .chain(server)
            .chain(peers)
            .min()
    }

    /// Runs the net for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) -> Result<(), NetError> {
        let until = self.now + d;
        self.run_until(until, |_| false)?;
        Ok(())
    }

    /// Handles everything due now (frames sent at this instant arrive at
    /// it on a perfect network), without moving the clock.
    pub fn settle(&mut self) -> Result<(), NetError> {
        self.run_for(Duration::ZERO)
    }

    /// Runs the net until `done` holds (checked before each step and at
    /// the end) or `until` is reached; returns whether `done` held. The
    /// clock stops where `done` first held, or at `until`.
    pub fn run_until(
        &mut self,
        until: Instant,
        mut done: impl FnMut(&Net) -> bool,
    ) -> Result<bool, NetError> {
        // Whatever the sides were asked to do since the last run goes out first.
        self.flush();
        let mut steps = 0u64;
        loop {
            if done(self) {
                return Ok(true);
            }
            let Some(at) = self.next_due().filter(|at| *at <= until) else {
                break;
            };
            steps += 1;
            if steps > self.step_limit {
                return Err(NetError::StepLimit {
                    steps,
                    at: self.elapsed(),
                });
            }
            self.now = self.now.max(at);
            self.step();
        }
        self.now = self.now.max(until);
        Ok(done(self))
    }

    /// Handles everything due at `now`, then carries out what it caused.
    fn step(&mut self) {
        let now = self.now;
        while let Some(delivery) = self.wire.pop_due(now) {
            self.deliver(delivery);
        }
        if let ServerClock::Net = self.server_clock {
            let ms = self.server_ms(now);
            if self.server.poll_timeout().is_some_and(|t| t <= ms) {
                self.server.handle_timeout(ms);
            }
        }
        for p in &mut self.peers {
            if p.machine.poll_timeout().is_some_and(|t| t <= now) {
                p.machine.handle_timeout(now);
            }
        }
        self.flush();
    }
}
