//! Authoritative call state: a sans-IO table of calls.
//!
//! Operations take `now` and the acting user's device and return a result;
//! what participants must be told is queued as [`Note`]s for the server core
//! to deliver. Nothing here touches a socket or a clock.
//!
//! - `start.rs`    — placing a call: validation, ids, who rings.
//! - `busy.rs`     — who is busy, and what the app's busy policy does about it.
//! - `answer.rs`   — accepting: connection, billing start, preemption, other devices.
//! - `leave.rs`    — hanging up / rejecting / cancelling, and when a call ends for all.
//! - `invite.rs`   — inviting more users; a one-to-one call becomes a group call.
//! - `join.rs`     — joining a group call directly.
//! - `media.rs`    — camera/microphone switches and media-type change (1-to-1).
//! - `presence.rs` — an invited user who comes online starts ringing.
//! - `timeout.rs`  — ring deadlines.
//! - `deadlines.rs` — the calls, filed by their next deadline.

mod answer;
mod busy;
mod call;
mod deadlines;
mod invite;
mod join;
mod leave;
mod media;
mod presence;
mod start;
mod timeout;

use std::collections::{BTreeSet, HashMap};

use nccall_protocol::{CallUserState, ErrorCode, PushConfig, ServerEvent};

pub use call::{Call, Member, PendingChange};

/// One connection of a user: the device an action came from.
pub type DeviceId = u64;

/// A user of an app: user ids are unique only within an app.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserKey {
    /// The app's key.
    pub app: String,
    /// The user's id in that app.
    pub user: String,
}

impl UserKey {
    /// `user` of `app`.
    pub fn new(app: &str, user: &str) -> Self {
        UserKey {
            app: app.to_string(),
            user: user.to_string(),
        }
    }
}

/// Who did something: a user, on one of their devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Who.
    pub user: UserKey,
    /// On which of their devices (connections).
    pub device: DeviceId,
}

/// Which of a user's devices a note is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every live device (a call that rings everywhere).
    AllDevices,
    /// The one device the user is in the call on.
    Device(DeviceId),
    /// Every device but this one ("handled on another device").
    OtherDevices(DeviceId),
}

/// Something a user must be told, in this order.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// Whom to tell.
    pub to: UserKey,
    /// On which of their devices.
    pub target: Target,
    /// What to tell them.
    pub event: ServerEvent,
    /// Push settings to use if the user has no live device.
    pub push: Option<PushConfig>,
}

/// A refused operation: the code and a message for the client.
pub type Refusal = (ErrorCode, String);

/// Every call that has not ended, with an index of each user's calls.
#[derive(Debug, Default)]
pub struct CallTable {
    calls: deadlines::CallMap,
    by_user: HashMap<UserKey, BTreeSet<String>>,
    next_call_number: u64,
    next_transaction_number: u64,
    notes: Vec<Note>,
    /// Calls that ended since the last drain, for the call logs.
    finished: Vec<Call>,
    /// Calls placed since the server started (the metrics' counter).
    placed_total: u64,
    /// Calls that connected since the server started.
    connected_total: u64,
}

impl CallTable {
    /// A table with no calls.
    pub fn new() -> Self {
        Self::default()
    }

    /// New calls are numbered after `n` (the highest id already stored).
    pub fn continue_numbering_after(&mut self, n: u64) {
        self.next_call_number = self.next_call_number.max(n);
    }

    /// The number of the call started last (`call-N`), or the number
    /// numbering continues after.
    pub fn last_call_number(&self) -> u64 {
        self.next_call_number
    }

    /// Takes the notes queued by the operations so far.
    #[must_use]
    pub fn drain_notes(&mut self) -> std::vec::Drain<'_, Note> {
        self.notes.drain(..)
    }

    /// Takes the calls that ended since the last call.
    #[must_use]
    pub fn drain_finished(&mut self) -> std::vec::Drain<'_, Call> {
        self.finished.drain(..)
    }

    /// Every ongoing call the user is or was a member of (to rejoin).
    pub fn ongoing_of(&self, user: &UserKey) -> impl Iterator<Item = &Call> {
        self.calls
            .values()
            .filter(move |c| c.app == user.app && c.member(&user.user).is_some())
    }

    /// The call with this id, if it has not ended.
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

    /// How many calls have not ended.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Calls placed and calls connected since the server started.
    pub fn totals(&self) -> (u64, u64) {
        (self.placed_total, self.connected_total)
    }

    /// Ongoing calls that have connected (the rest are still ringing).
    pub fn connected_now(&self) -> usize {
        self.calls
            .values()
            .filter(|c| c.start_time.is_some())
            .count()
    }

    /// Whether no call is in progress.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Queues `event` for `user` of `call`, on the device they are in the
    /// call on, or on all their devices while it only rings for them.
    fn note_member(&mut self, call: &Call, user: &str, event: ServerEvent) {
        let target = match call.member(user).and_then(|m| m.device) {
            Some(d) => Target::Device(d),
            None => Target::AllDevices,
        };
        self.note_to(&call.app, user, target, event, None);
    }

    fn note_to(
        &mut self,
        app: &str,
        user: &str,
        target: Target,
        event: ServerEvent,
        push: Option<PushConfig>,
    ) {
        self.notes.push(Note {
            to: UserKey::new(app, user),
            target,
            event,
            push,
        });
    }

    /// Tells every present member but `except` that `user_id` is now `state`.
    fn broadcast_state(
        &mut self,
        call: &Call,
        user_id: &str,
        state: CallUserState,
        except: Option<&str>,
    ) {
        let event = |call: &Call| ServerEvent::RemoteUserStateChanged {
            call_id: call.id.clone(),
            user_id: user_id.to_string(),
            user_state: state,
            reason: None,
        };
        let to: Vec<String> = call
            .members
            .iter()
            .filter(|m| {
                m.is_present() && m.user_id != user_id && Some(m.user_id.as_str()) != except
            })
            .map(|m| m.user_id.clone())
            .collect();
        for user in to {
            self.note_member(call, &user, event(call));
        }
    }

    /// Looks up a call the user is a present member of; anything else is an
    /// unknown id to that user (a user never learns of calls they are not in).
    fn call_of_member(&self, user: &UserKey, call_id: &str) -> Result<&Call, Refusal> {
        self.calls
            .get(call_id)
            .filter(|c| c.app == user.app && c.member(&user.user).is_some_and(Member::is_present))
            .ok_or_else(|| {
                (
                    ErrorCode::CallIdInvalid,
                    format!("no call {call_id} that {} is part of", user.user),
                )
            })
    }

    fn index(&mut self, app: &str, user: &str, call_id: &str) {
        self.by_user
            .entry(UserKey::new(app, user))
            .or_default()
            .insert(call_id.to_string());
    }

    fn unindex(&mut self, app: &str, user: &str, call_id: &str) {
        let key = UserKey::new(app, user);
        if let Some(set) = self.by_user.get_mut(&key) {
            set.remove(call_id);
            if set.is_empty() {
                self.by_user.remove(&key);
            }
        }
    }

    fn insert(&mut self, call: Call) {
        for m in call.members.iter().filter(|m| m.is_present()) {
            self.index(&call.app, &m.user_id, &call.id);
        }
        self.calls.insert(call);
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
