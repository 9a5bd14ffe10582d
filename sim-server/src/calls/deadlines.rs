//! The calls in progress, filed by their earliest deadline (a ring
//! timeout, a media-type change's timeout), so that the core's
//! `poll_timeout` reads the next deadline instead of scanning every call.
//! Scanning after every input was a quarter of the server's CPU with 5,000
//! calls up (docs/perf.md).
//!
//! Every change to a call goes through [`CallMap::get_mut`], `insert` or
//! `remove`, which mark it; a marked call is filed again the next time the
//! deadline is read. Reading is `&self` (the core's `poll_timeout`), hence
//! the cells. In debug builds every read is checked against a full scan.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::Call;
use crate::clock::Millis;

/// Calls by id, and the index of their deadlines.
#[derive(Debug, Default)]
pub(super) struct CallMap {
    calls: BTreeMap<String, Call>,
    index: RefCell<DeadlineIndex>,
}

#[derive(Debug, Default)]
struct DeadlineIndex {
    /// (earliest deadline, call id) of every call that has one.
    by_deadline: BTreeSet<(Millis, String)>,
    /// The deadline each call is filed under in `by_deadline`.
    filed: HashMap<String, Millis>,
    /// Calls that may have changed since they were filed.
    marked: Vec<String>,
}

/// A call's earliest deadline, if it has one.
fn earliest(call: &Call) -> Option<Millis> {
    let rings = call.members.iter().filter_map(|m| m.ring_deadline);
    let change = call.pending_change.as_ref().map(|p| p.deadline);
    rings.chain(change).min()
}

impl std::ops::Deref for CallMap {
    type Target = BTreeMap<String, Call>;

    /// Reading needs no bookkeeping; changing goes through the methods
    /// below (there is no `DerefMut`).
    fn deref(&self) -> &Self::Target {
        &self.calls
    }
}

impl CallMap {
    /// The call, to change: it is filed again before the next read.
    pub(super) fn get_mut(&mut self, call_id: &str) -> Option<&mut Call> {
        let call = self.calls.get_mut(call_id)?;
        self.index.get_mut().marked.push(call_id.to_string());
        Some(call)
    }

    pub(super) fn insert(&mut self, call: Call) {
        self.index.get_mut().marked.push(call.id.clone());
        self.calls.insert(call.id.clone(), call);
    }

    pub(super) fn remove(&mut self, call_id: &str) -> Option<Call> {
        self.index.get_mut().marked.push(call_id.to_string());
        self.calls.remove(call_id)
    }

    /// The earliest deadline of any call.
    pub(super) fn next_deadline(&self) -> Option<Millis> {
        let mut index = self.index.borrow_mut();
        let marked = std::mem::take(&mut index.marked);
        for call_id in marked {
            if let Some(old) = index.filed.remove(&call_id) {
                index.by_deadline.remove(&(old, call_id.clone()));
            }
            if let Some(deadline) = self.calls.get(&call_id).and_then(earliest) {
                index.by_deadline.insert((deadline, call_id.clone()));
                index.filed.insert(call_id, deadline);
            }
        }
        let next = index.by_deadline.first().map(|(deadline, _)| *deadline);
        debug_assert_eq!(
            next,
            self.calls.values().filter_map(earliest).min(),
            "the deadline index disagrees with the calls"
        );
        next
    }
}
