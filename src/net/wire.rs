//! The frames and link reports in flight, delivered in time order. Each
//! direction of a link is a lane: whatever its delay, nothing on a lane
//! overtakes what was sent on it before (TCP); different lanes race.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

use nccall_protocol::{ClientFrame, ServerFrame};
use nccall_sim::ConnId;

#[derive(Debug)]
pub(super) enum Delivery {
    /// Link `generation` of a peer opened: the server gets `conn`.
    Opened {
        peer: usize,
        generation: u64,
        conn: ConnId,
    },
    ToServer {
        conn: ConnId,
        frame: ClientFrame,
    },
    ToPeer {
        peer: usize,
        generation: u64,
        frame: ServerFrame,
    },
    ClosedAtServer {
        conn: ConnId,
    },
    ClosedAtPeer {
        peer: usize,
        generation: u64,
    },
}

/// Which ordered stream a delivery belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Lane {
    ToServer(ConnId),
    ToPeer(ConnId),
    /// Link reports: ordered by time only.
    None,
}

struct Entry {
    at: Instant,
    /// Sending order, to keep equal times first-in first-out.
    seq: u64,
    lane: Lane,
    delivery: Delivery,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Default)]
pub(super) struct Wire {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    /// The latest delivery time queued on each lane.
    lane_tail: HashMap<Lane, Instant>,
}

impl Wire {
    /// Queues `delivery` for `at`, or later if its lane holds a later one.
    pub fn push(&mut self, at: Instant, lane: Lane, delivery: Delivery) {
        let at = match (lane, self.lane_tail.get(&lane)) {
            (Lane::None, _) => at,
            (_, Some(tail)) => at.max(*tail),
            (_, None) => at,
        };
        if lane != Lane::None {
            self.lane_tail.insert(lane, at);
        }
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            at,
            seq: self.seq,
            lane,
            delivery,
        }));
    }

    pub fn next_at(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    pub fn pop_due(&mut self, now: Instant) -> Option<Delivery> {
        if self.next_at()? > now {
            return None;
        }
        self.heap.pop().map(|Reverse(e)| e.delivery)
    }

    /// A link broke: what was in flight on it is lost.
    pub fn drop_lanes(&mut self, conn: ConnId) {
        let lost = |lane: &Lane| matches!(lane, Lane::ToServer(c) | Lane::ToPeer(c) if *c == conn);
        self.heap.retain(|Reverse(e)| !lost(&e.lane));
        self.lane_tail.retain(|lane, _| !lost(lane));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn closed(conn: ConnId) -> Delivery {
        Delivery::ClosedAtServer { conn }
    }

    fn order(w: &mut Wire, now: Instant) -> Vec<ConnId> {
        std::iter::from_fn(|| w.pop_due(now))
            .map(|d| match d {
                Delivery::ClosedAtServer { conn } => conn,
                _ => 0,
            })
            .collect()
    }

    #[test]
    fn a_lane_keeps_its_order_and_lanes_race() {
        let t = Instant::now();
        let ms = Duration::from_millis;
        let mut w = Wire::default();
        w.push(t + ms(10), Lane::ToServer(1), closed(1));
        w.push(t + ms(1), Lane::ToServer(1), closed(2)); // may not overtake
        w.push(t + ms(5), Lane::ToServer(2), closed(3)); // another lane may
        assert_eq!(order(&mut w, t + ms(20)), [3, 1, 2]);
    }

    #[test]
    fn a_broken_link_loses_what_was_in_flight() {
        let t = Instant::now();
        let mut w = Wire::default();
        w.push(t, Lane::ToServer(1), closed(1));
        w.push(t, Lane::ToPeer(1), closed(2));
        w.push(t, Lane::ToServer(2), closed(3));
        w.drop_lanes(1);
        assert_eq!(order(&mut w, t), [3]);
    }
}
