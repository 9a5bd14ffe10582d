//! Carrying out what each side asked for: frames onto the wire (with the
//! network's delay, held by partitions, lost with a broken link), and what
//! arrives handed to the side it is for. Every link is a WebSocket over
//! TCP: in order on one link, never twice, gone with the link.

use std::time::Instant;

use nccall::Output;
use nccall_sim::{ConnId, Input};

use super::Net;
use super::wire::{Delivery, Lane};

impl Net {
    /// When a frame sent now to or from peer `i` arrives: after the
    /// network's delay, and not before a partition heals (TCP holds it and
    /// sends it again; it is lost only if the link is given up meanwhile).
    pub(super) fn arrival(&mut self, i: usize) -> Instant {
        let d = self.rng.delay(self.faults.max_delay);
        let heal = self.peers[i].partitioned_until.unwrap_or(self.now);
        (self.now + d).max(heal)
    }

    pub(super) fn partitioned(&self, i: usize, at: Instant) -> bool {
        self.peers[i].partitioned_until.is_some_and(|t| at < t)
    }

    pub(super) fn sever(&mut self, i: usize, generation: u64, conn: ConnId) {
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

    pub(super) fn deliver(&mut self, delivery: Delivery) {
        let now = self.now;
        let ms = self.server_time();
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
    pub(super) fn flush(&mut self) {
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

    pub(super) fn server_output(&mut self, output: nccall_sim::Output) {
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

    pub(super) fn peer_output(&mut self, i: usize, output: Output) {
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
