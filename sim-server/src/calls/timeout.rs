//! Deadlines: a call nobody answers stops ringing after the app's ring
//! timeout. The callee is told NO_RESPONSE, the caller REMOTE_NO_RESPONSE.

use nccall_protocol::{CallEndReason, CallUserState};

use super::CallTable;
use crate::clock::Millis;

impl CallTable {
    /// The earliest moment at which [`CallTable::handle_timeout`] has work.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.calls.values().filter_map(|c| c.ring_deadline).min()
    }

    /// Fires every deadline at or before `now`, earliest first.
    pub fn handle_timeout(&mut self, now: Millis) {
        let mut due: Vec<(Millis, String)> = self
            .calls
            .values()
            .filter_map(|c| {
                c.ring_deadline
                    .filter(|d| *d <= now)
                    .map(|d| (d, c.id.clone()))
            })
            .collect();
        due.sort();
        for (deadline, call_id) in due {
            let unanswered = self.calls.get(&call_id).and_then(|c| {
                c.members
                    .iter()
                    .find(|m| matches!(m.state, CallUserState::Ringing | CallUserState::Invited))
                    .map(|m| m.user_id.clone())
            });
            match unanswered {
                Some(callee) => self.finish(deadline, &call_id, &callee, CallEndReason::NoResponse),
                None => {
                    if let Some(c) = self.calls.get_mut(&call_id) {
                        c.ring_deadline = None;
                    }
                }
            }
        }
    }
}
