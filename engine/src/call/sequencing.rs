//! Exactly once and in order (docs/protocol.md, "Sessions, resume and
//! acknowledgements"): the server numbers a session's events from 1; a
//! resume replays what it cannot know was processed, and an event can
//! arrive ahead of one numbered before it. [`Sequencer`] turns what
//! arrives into what is processed, and knows what to acknowledge. Pure: no
//! I/O and no clock; the call machine feeds it events and handles what
//! comes out.

use std::collections::BTreeMap;

/// The events of one server session, put in order.
#[derive(Debug)]
pub struct Sequencer<T> {
    /// The `seq` of the last event processed (0: none yet).
    last: u64,
    /// The `seq` last acknowledged to the server.
    acked: u64,
    /// Events that arrived ahead of a gap, held until it fills.
    early: BTreeMap<u64, T>,
}

impl<T> Default for Sequencer<T> {
    fn default() -> Self {
        Self {
            last: 0,
            acked: 0,
            early: BTreeMap::new(),
        }
    }
}

impl<T> Sequencer<T> {
    /// One event as it arrived. Returns the events to process now, in
    /// order: none for a duplicate or for one ahead of a gap (held), the
    /// event and every held one it lets through otherwise. `seq` 0 is an
    /// unnumbered event: processed at once, never replayed.
    #[must_use = "the events returned are the ones to process"]
    pub fn receive(&mut self, seq: u64, event: T) -> Vec<T> {
        if seq == 0 {
            return vec![event];
        }
        if seq <= self.last || self.early.contains_key(&seq) {
            return Vec::new();
        }
        if seq > self.last + 1 {
            self.early.insert(seq, event);
            return Vec::new();
        }
        self.last = seq;
        let mut ready = vec![event];
        while let Some(next) = self.early.remove(&(self.last + 1)) {
            self.last += 1;
            ready.push(next);
        }
        ready
    }

    /// The `seq` of the last event processed in order: where a resume
    /// asks the server to start again.
    #[must_use]
    pub fn last(&self) -> u64 {
        self.last
    }

    /// Whether events are held behind a gap.
    #[must_use]
    pub fn has_gap(&self) -> bool {
        !self.early.is_empty()
    }

    /// Events processed and not yet acknowledged.
    #[must_use]
    pub fn unacknowledged(&self) -> u64 {
        self.last - self.acked
    }

    /// The `seq` to acknowledge, if anything was processed since the last
    /// acknowledgement; it counts as acknowledged from now on.
    #[must_use = "the acknowledgement returned must be sent"]
    pub fn take_ack(&mut self) -> Option<u64> {
        (self.last > self.acked).then(|| {
            self.acked = self.last;
            self.last
        })
    }

    /// A new server session: numbering starts again.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_gap_holds_later_events_until_it_fills() {
        let mut s = Sequencer::default();
        assert_eq!(s.receive(1, 'a'), vec!['a']);
        assert!(s.receive(3, 'c').is_empty());
        assert!(s.has_gap());
        assert_eq!(s.receive(2, 'b'), vec!['b', 'c']);
        assert!(!s.has_gap());
        assert_eq!(s.last(), 3);
    }

    #[test]
    fn replays_and_duplicates_are_dropped() {
        let mut s = Sequencer::default();
        let _ = s.receive(1, 'a');
        let _ = s.receive(3, 'c');
        assert!(s.receive(1, 'a').is_empty());
        assert!(s.receive(3, 'c').is_empty());
        assert_eq!(s.receive(0, 'x'), vec!['x']);
        assert_eq!(s.receive(0, 'x'), vec!['x'], "unnumbered: every time");
    }

    #[test]
    fn acknowledgements_follow_what_was_processed() {
        let mut s = Sequencer::default();
        assert_eq!(s.take_ack(), None);
        let _ = s.receive(1, ());
        let _ = s.receive(2, ());
        let _ = s.receive(4, ());
        assert_eq!(s.unacknowledged(), 2);
        assert_eq!(s.take_ack(), Some(2), "not past the gap");
        assert_eq!(s.take_ack(), None);
        s.reset();
        assert_eq!((s.last(), s.unacknowledged()), (0, 0));
    }

    proptest! {
        /// Whatever order, duplication and replay the events of 1..=n come
        /// in, once all have come each was processed exactly once, in order.
        #[test]
        fn any_arrival_order_is_processed_once_in_order(
            n in 1u64..40,
            order in proptest::collection::vec(any::<proptest::sample::Index>(), 0..120),
        ) {
            let mut arrivals: Vec<u64> = order.iter().map(|i| i.index(n as usize) as u64 + 1).collect();
            arrivals.extend(1..=n);
            let mut s = Sequencer::default();
            let mut processed = Vec::new();
            for seq in arrivals {
                processed.extend(s.receive(seq, seq));
            }
            prop_assert_eq!(processed, (1..=n).collect::<Vec<_>>());
            prop_assert!(!s.has_gap());
        }
    }
}
