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
//! - `faults.rs` — what the network does to frames, and the seeded generator.
//! - `wire.rs` — the frames in flight, in delivery order.
//! - `rules.rs` — the exactly-once rules a timeline must obey.

mod faults;
pub mod rules;
mod wire;

pub use faults::Faults;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use nccall::{CallError, CallEvent, CallMachine, Completion, MachineConfig, Output, RequestId};
use nccall_sim::{ConnId, Fixtures, Input, Millis, ServerCore, VIRTUAL_EPOCH_MS};

use faults::Rng;
use wire::{Delivery, Lane, Wire};

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
    /// A net with these users (each's token is `<user>-token`), the server
    /// asking for a heartbeat every `heartbeat_ms`.
    pub fn new(users: &[&str], heartbeat_ms: u64, faults: Faults, seed: u64) -> Self {
        let mut yaml = format!("apps:\n  - app_key: {APP_KEY}\n    users:\n");
        for u in users {
            yaml.push_str(&format!("      - {{ user_id: {u}, token: {u}-token }}\n"));
        }
        let fixtures = Fixtures::from_yaml(&yaml).expect("the net's fixtures are valid");
        let mut server = ServerCore::new(fixtures).expect("an in-memory store opens");
        server.set_heartbeat_interval(heartbeat_ms);
        let start = Instant::now();
        let peers = users
            .iter()
            .map(|u| Peer {
                user: u.to_string(),
                token: format!("{u}-token"),
                machine: CallMachine::new(MachineConfig::default()),
                link: None,
                timeline: Vec::new(),
                asked: Vec::new(),
                answers: BTreeMap::new(),
                answered_twice: Vec::new(),
                partitioned_until: None,
            })
            .collect();
        Net {
            start,
            now: start,
            server,
            peers,
            wire: Wire::default(),
            faults,
            rng: Rng::new(seed),
            next_conn: 0,
            conns: HashMap::new(),
            step_limit: 1_000_000,
        }
    }

    /// Changes what the network does from now on.
    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    /// Virtual time since the net was made.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
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

    /// When a frame sent now to or from peer `i` arrives: after the
    /// network's delay, and not before a partition heals (TCP holds it and
    /// sends it again; it is lost only if the link is given up meanwhile).
    fn arrival(&mut self, i: usize) -> Instant {
        let d = self.rng.delay(self.faults.max_delay);
        let heal = self.peers[i].partitioned_until.unwrap_or(self.now);
        (self.now + d).max(heal)
    }

    fn partitioned(&self, i: usize, at: Instant) -> bool {
        self.peers[i].partitioned_until.is_some_and(|t| at < t)
    }

    fn sever(&mut self, i: usize, generation: u64, conn: ConnId) {
        self.conns.remove(&conn);
        self.wire.drop_lanes(conn);
        let d = self.rng.delay(self.faults.max_delay);
        let heal = self.peers[i].partitioned_until.unwrap_or(self.now);
        let at = (self.now + d).max(heal);
        self.wire
            .push(at, Lane::None, Delivery::ClosedAtServer { conn });
        let d = self.rng.delay(self.faults.max_delay);
        self.wire.push(
            (self.now + d).max(heal),
            Lane::None,
            Delivery::ClosedAtPeer {
                peer: i,
                generation,
            },
        );
    }

    /// The next moment something is due, if anything is.
    fn next_due(&self) -> Option<Instant> {
        let server = self.server.poll_timeout().map(|ms| self.instant_of(ms));
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
        let mut steps = 0u64;
        while let Some(at) = self.next_due().filter(|at| *at <= until) {
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
        self.now = until;
        Ok(())
    }

    /// Handles everything due at `now`, then carries out what it caused.
    fn step(&mut self) {
        let now = self.now;
        while let Some(delivery) = self.wire.pop_due(now) {
            self.deliver(delivery);
        }
        let ms = self.server_ms(now);
        if self.server.poll_timeout().is_some_and(|t| t <= ms) {
            self.server.handle_timeout(ms);
        }
        for p in &mut self.peers {
            if p.machine.poll_timeout().is_some_and(|t| t <= now) {
                p.machine.handle_timeout(now);
            }
        }
        self.flush();
    }

    fn deliver(&mut self, delivery: Delivery) {
        let now = self.now;
        let ms = self.server_ms(now);
        match delivery {
            Delivery::Opened {
                peer,
                generation,
                conn,
            } => {
                let current = self.peers[peer].link == Some((generation, None));
                if !current {
                    return;
                }
                if self.partitioned(peer, now) {
                    // The connection attempt times out.
                    self.peers[peer].link = None;
                    self.peers[peer].machine.handle_link_closed(now, generation);
                    return;
                }
                self.conns.insert(conn, (peer, generation));
                self.peers[peer].link = Some((generation, Some(conn)));
                self.server.handle_input(ms, Input::Opened { conn });
                self.peers[peer].machine.handle_link_opened(now, generation);
            }
            Delivery::ToServer { conn, frame } => {
                if self.conns.contains_key(&conn) {
                    self.server.handle_input(ms, Input::Frame { conn, frame });
                }
            }
            Delivery::ToPeer {
                peer,
                generation,
                frame,
            } => {
                if matches!(self.peers[peer].link, Some((g, Some(_))) if g == generation) {
                    self.peers[peer].machine.handle_frame(now, frame);
                }
            }
            Delivery::ClosedAtServer { conn } => {
                self.server.handle_input(ms, Input::Closed { conn });
            }
            Delivery::ClosedAtPeer { peer, generation } => {
                if self.peers[peer].link.is_some_and(|(g, _)| g == generation) {
                    self.peers[peer].link = None;
                    self.peers[peer].machine.handle_link_closed(now, generation);
                }
            }
        }
    }

    /// Carries out every output of the server and the machines until none
    /// is left (an output may cause others: a frame sent on a link that
    /// breaks closes it).
    fn flush(&mut self) {
        loop {
            let mut any = false;
            while let Some(output) = self.server.poll_output() {
                any = true;
                self.server_output(output);
            }
            for i in 0..self.peers.len() {
                while let Some(output) = self.peers[i].machine.poll_output(self.now) {
                    any = true;
                    self.peer_output(i, output);
                }
            }
            if !any {
                return;
            }
        }
    }

    fn server_output(&mut self, output: nccall_sim::Output) {
        use nccall_sim::Output as S;
        match output {
            S::Send { conn, frame } => {
                let Some(&(peer, generation)) = self.conns.get(&conn) else {
                    return;
                };
                let at = self.arrival(peer);
                self.wire.push(
                    at,
                    Lane::ToPeer(conn),
                    Delivery::ToPeer {
                        peer,
                        generation,
                        frame,
                    },
                );
            }
            S::Close { conn } => {
                if let Some((peer, generation)) = self.conns.remove(&conn) {
                    // After what was queued on the link before it.
                    let d = self.rng.delay(self.faults.max_delay);
                    self.wire.push(
                        self.now + d,
                        Lane::ToPeer(conn),
                        Delivery::ClosedAtPeer { peer, generation },
                    );
                    self.wire
                        .push(self.now, Lane::None, Delivery::ClosedAtServer { conn });
                }
            }
            // No machine in a net publishes media (there is no media path).
            S::PublishMedia { .. }
            | S::UpdateMedia { .. }
            | S::SubscribeVideo { .. }
            | S::ReleaseMedia { .. } => {}
        }
    }

    fn peer_output(&mut self, i: usize, output: Output) {
        match output {
            Output::OpenLink { generation } => {
                if let Some((old, Some(conn))) = self.peers[i].link.take() {
                    self.sever(i, old, conn);
                }
                self.next_conn += 1;
                let conn = self.next_conn;
                self.peers[i].link = Some((generation, None));
                let d = self.rng.delay(self.faults.max_delay);
                self.wire.push(
                    self.now + d,
                    Lane::None,
                    Delivery::Opened {
                        peer: i,
                        generation,
                        conn,
                    },
                );
            }
            Output::CloseLink => {
                if let Some((_, conn)) = self.peers[i].link.take()
                    && let Some(conn) = conn
                    && self.conns.remove(&conn).is_some()
                {
                    self.wire.drop_lanes(conn);
                    let heal = self.peers[i].partitioned_until.unwrap_or(self.now);
                    let d = self.rng.delay(self.faults.max_delay);
                    self.wire.push(
                        (self.now + d).max(heal),
                        Lane::None,
                        Delivery::ClosedAtServer { conn },
                    );
                }
            }
            Output::Transmit(frame) => {
                let Some((generation, Some(conn))) = self.peers[i].link else {
                    return; // the shell has no link: the frame is lost
                };
                if !self.conns.contains_key(&conn) {
                    return; // the link broke: the frame is lost
                }
                if self.rng.chance(self.faults.break_per_10k) {
                    self.sever(i, generation, conn);
                    return;
                }
                let at = self.arrival(i);
                self.wire
                    .push(at, Lane::ToServer(conn), Delivery::ToServer { conn, frame });
            }
            Output::Event(event) => self.peers[i].timeline.push(event),
            Output::Completion(id, result) => {
                let peer = &mut self.peers[i];
                if peer.answers.insert(id, result).is_some() {
                    peer.answered_twice.push(id);
                }
            }
            // The net's machines are signaling only (no media configured).
            Output::Status { .. } | Output::Media(_) => {}
        }
    }
}
