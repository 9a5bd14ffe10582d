//! Ring deadlines: a member who does not answer within the app's ring
//! timeout stops ringing with NO_RESPONSE (the others see REMOTE_NO_RESPONSE);
//! the end rule then decides whether the call goes on. Media-type change
//! requests time out here too (see `media.rs`).

use nccall_protocol::CallEndReason;

use super::CallTable;
use crate::clock::Millis;

impl CallTable {
    /// The earliest moment at which [`CallTable::handle_timeout`] has work.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.calls.next_deadline()
    }

    /// Fires every deadline at or before `now`, earliest first; each event is
    /// stamped with its deadline, not with `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        let mut due: Vec<(Millis, String, String)> = self
            .calls
            .values()
            .flat_map(|c| {
                c.members.iter().filter_map(|m| {
                    m.ring_deadline
                        .filter(|d| *d <= now)
                        .map(|d| (d, c.id.clone(), m.user_id.clone()))
                })
            })
            .collect();
        due.sort();
        for (deadline, call_id, user) in due {
            self.leave(
                deadline,
                &call_id,
                &user,
                CallEndReason::NoResponse,
                None,
                None,
            );
        }
        self.expire_media_changes(now);
    }
}
