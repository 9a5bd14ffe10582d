//! Faults on the signaling path to one user, which the suite injects:
//! events held until released, delayed (in the simulator's time), delivered
//! in reverse order, or a partition (nothing reaches the user and nothing
//! from them is heard, while their connection stays open: a half-open
//! link). Events are numbered and kept in the device's outbox before a
//! fault touches them, so a resume replays whatever a fault swallowed.
//!
//! Sans-IO like the rest of the core: delayed events leave when
//! [`ServerCore::handle_timeout`] reaches their time.

use std::collections::VecDeque;

use super::{Output, ServerCore};
use crate::calls::UserKey;
use crate::clock::Millis;

/// What happens to the events on their way to one user.
#[derive(Debug)]
pub(super) enum SignalFault {
    /// Kept until [`ServerCore::release`], then sent in order.
    Hold(Vec<Output>),
    /// Each event leaves `delay` after it was sent.
    Delay {
        delay: Millis,
        queue: VecDeque<(Millis, Output)>,
    },
    /// The next `count` events are gathered, then sent last first; later
    /// events pass untouched.
    Reverse { count: usize, queue: Vec<Output> },
    /// Events are lost on the way; requests from the user go unanswered.
    Partition,
}

impl ServerCore {
    /// Sends an output bound for `user` through their fault, if any.
    pub(super) fn send_to_user(&mut self, user: &UserKey, output: Output) {
        let now = self.now;
        let Some(fault) = self.faults.get_mut(user) else {
            self.outputs.push_back(output);
            return;
        };
        match fault {
            SignalFault::Hold(queue) => queue.push(output),
            SignalFault::Delay { delay, queue } => queue.push_back((now + *delay, output)),
            SignalFault::Reverse { count, queue } => {
                queue.push(output);
                if queue.len() >= *count {
                    let gathered = std::mem::take(queue);
                    self.faults.remove(user);
                    self.outputs.extend(gathered.into_iter().rev());
                }
            }
            SignalFault::Partition => {}
        }
    }

    /// Holds back every event for `user` until [`ServerCore::release`]
    /// (answers to their own requests still go out).
    pub fn hold(&mut self, user: UserKey) {
        self.set_fault(user, SignalFault::Hold(Vec::new()));
    }

    /// Events to `user` leave `delay_ms` (simulator time) after they were sent.
    pub fn delay_events(&mut self, user: UserKey, delay_ms: Millis) {
        self.set_fault(
            user,
            SignalFault::Delay {
                delay: delay_ms.max(0),
                queue: VecDeque::new(),
            },
        );
    }

    /// The next `count` events to `user` arrive in reverse order.
    pub fn reverse_events(&mut self, user: UserKey, count: usize) {
        self.set_fault(
            user,
            SignalFault::Reverse {
                count: count.max(1),
                queue: Vec::new(),
            },
        );
    }

    /// Cuts `user` off without closing their connections: events to them
    /// are lost, their requests unanswered, until [`ServerCore::release`].
    pub fn partition(&mut self, user: UserKey) {
        self.set_fault(user, SignalFault::Partition);
    }

    /// Ends any fault on `user`'s path; what it kept goes out in order.
    pub fn release(&mut self, user: &UserKey) {
        match self.faults.remove(user) {
            Some(SignalFault::Hold(queue)) | Some(SignalFault::Reverse { queue, .. }) => {
                self.outputs.extend(queue)
            }
            Some(SignalFault::Delay { queue, .. }) => {
                self.outputs.extend(queue.into_iter().map(|(_, o)| o))
            }
            Some(SignalFault::Partition) | None => {}
        }
    }

    pub(super) fn is_partitioned(&self, user: &UserKey) -> bool {
        matches!(self.faults.get(user), Some(SignalFault::Partition))
    }

    /// A new fault replaces the old one, which gives up what it kept first.
    fn set_fault(&mut self, user: UserKey, fault: SignalFault) {
        self.release(&user);
        self.faults.insert(user, fault);
    }

    /// Sends the delayed events whose time has come.
    pub(super) fn release_due(&mut self, now: Millis) {
        for fault in self.faults.values_mut() {
            if let SignalFault::Delay { queue, .. } = fault {
                while queue.front().is_some_and(|(at, _)| *at <= now) {
                    if let Some((_, output)) = queue.pop_front() {
                        self.outputs.push_back(output);
                    }
                }
            }
        }
    }

    /// When the next delayed event is due, if any.
    pub(super) fn next_fault_due(&self) -> Option<Millis> {
        self.faults
            .values()
            .filter_map(|f| match f {
                SignalFault::Delay { queue, .. } => queue.front().map(|(at, _)| *at),
                _ => None,
            })
            .min()
    }
}
