//! Busy: a user who is already part of another call, ringing or connected.
//!
//! The app's [`BusyPolicy`] decides what a call to them does:
//! - `ring` (default, the ancestor's behaviour): they are reported in
//!   `busyLineUserList` with their state in the other call, and still ring,
//!   in state BUSYLINE_RINGING. Answering ends their other call (preemption).
//! - `reject`: they are reported in `busyLineUserList` and left out of the
//!   call. A one-to-one call whose callee is busy therefore still gets a call
//!   id (code 0), and then ends at once for the caller with REMOTE_BUSY_LINE.

use nccall_protocol::{CallUserState, UserStateEntry};

use super::{CallTable, UserKey};
use crate::fixtures::BusyPolicy;

/// How one invitee will be treated.
pub(super) enum Reach {
    /// Not busy: rings (online) or waits INVITED (offline).
    Free,
    /// Busy, and the policy rings them anyway.
    BusyRinging(UserStateEntry),
    /// Busy, and the policy leaves them out.
    BusyLeftOut(UserStateEntry),
}

impl CallTable {
    /// The user's state in another call, if they are in one.
    pub(super) fn busy_state(
        &self,
        user: &UserKey,
        except_call: Option<&str>,
    ) -> Option<CallUserState> {
        self.calls_of(user)
            .filter(|c| Some(c.id.as_str()) != except_call)
            .find_map(|c| c.member(&user.user).map(|m| m.state))
    }

    pub(super) fn reach(
        &self,
        app: &str,
        user: &str,
        policy: BusyPolicy,
        call_id: Option<&str>,
    ) -> Reach {
        let Some(state) = self.busy_state(&UserKey::new(app, user), call_id) else {
            return Reach::Free;
        };
        let entry = UserStateEntry {
            user_id: user.to_string(),
            user_state: state,
        };
        match policy {
            BusyPolicy::Ring => Reach::BusyRinging(entry),
            BusyPolicy::Reject => Reach::BusyLeftOut(entry),
        }
    }
}
