//! Authoritative call state: a sans-IO table of calls.
//!
//! Operations take `now` and return a result; what the participants must be
//! told is queued as [`Note`]s for the caller of the table (the server core)
//! to deliver. Nothing here touches a socket or a clock.
//!
//! - `start.rs`  — placing a call: validation, ids, who rings.
//! - `answer.rs` — accepting: connection and the billing start time.
//! - `hangup.rs` — ending: cancel / reject / hang-up and each side's reason.
//! - `timeout.rs` — deadlines: unanswered calls stop ringing.

mod answer;
mod call;
mod hangup;
mod start;
mod timeout;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use nccall_protocol::{ErrorCode, ServerEvent};

pub use call::{Call, Member};

/// A user of an app: user ids are unique only within an app.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserKey {
    pub app: String,
    pub user: String,
}

impl UserKey {
    pub fn new(app: &str, user: &str) -> Self {
        UserKey {
            app: app.to_string(),
            user: user.to_string(),
        }
    }
}

/// Something a user must be told, in this order.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub to: UserKey,
    pub event: ServerEvent,
}

/// A refused operation: the code and a message for the client.
pub type Refusal = (ErrorCode, String);

/// Every call that has not ended, with an index of each user's calls.
#[derive(Debug, Default)]
pub struct CallTable {
    calls: BTreeMap<String, Call>,
    by_user: HashMap<UserKey, BTreeSet<String>>,
    next_call_number: u64,
    notes: Vec<Note>,
}

impl CallTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the notes queued by the operations so far.
    pub fn drain_notes(&mut self) -> std::vec::Drain<'_, Note> {
        self.notes.drain(..)
    }

    pub fn get(&self, call_id: &str) -> Option<&Call> {
        self.calls.get(call_id)
    }

    /// The calls a user is a present member of.
    pub fn calls_of(&self, user: &UserKey) -> impl Iterator<Item = &Call> {
        self.by_user
            .get(user)
            .into_iter()
            .flatten()
            .filter_map(|id| self.calls.get(id))
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    fn note(&mut self, app: &str, user: &str, event: ServerEvent) {
        self.notes.push(Note {
            to: UserKey::new(app, user),
            event,
        });
    }

    /// Looks up a call the user is a member of; anything else is an unknown id
    /// to that user (a user never learns of calls they are not in).
    fn call_of_member(&self, user: &UserKey, call_id: &str) -> Result<&Call, Refusal> {
        self.calls
            .get(call_id)
            .filter(|c| c.app == user.app && c.member(&user.user).is_some_and(|m| m.is_present()))
            .ok_or_else(|| {
                (
                    ErrorCode::CallIdInvalid,
                    format!("no call {call_id} that {} is part of", user.user),
                )
            })
    }

    fn insert(&mut self, call: Call) {
        for m in &call.members {
            self.by_user
                .entry(UserKey::new(&call.app, &m.user_id))
                .or_default()
                .insert(call.id.clone());
        }
        self.calls.insert(call.id.clone(), call);
    }

    /// Drops a member from the per-user index (they left the call).
    fn unindex(&mut self, app: &str, user: &str, call_id: &str) {
        let key = UserKey::new(app, user);
        if let Some(set) = self.by_user.get_mut(&key) {
            set.remove(call_id);
            if set.is_empty() {
                self.by_user.remove(&key);
            }
        }
    }

    fn remove(&mut self, call_id: &str) -> Option<Call> {
        let call = self.calls.remove(call_id)?;
        for m in &call.members {
            self.unindex(&call.app, &m.user_id, call_id);
        }
        Some(call)
    }
}

#[cfg(test)]
mod tests;
