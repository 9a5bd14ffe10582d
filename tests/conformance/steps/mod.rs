//! Step definitions, worded like the spec. Each module is one kind of step:
//! who is online, what they do, what time does, what must be seen, and the
//! attempts that must fail with a code.

mod acting;
mod api;
mod attempts;
mod devices;
mod expecting;
mod faults;
mod group;
mod logs;
mod media;
mod media_flow;
mod presence;
mod push;
mod time;

use nccall::{CallEvent, CallMediaType};

use crate::world::CallWorld;

/// Waits for `who`'s next event after the last matched one that satisfies
/// `pred`; fails the step with what was seen instead.
pub async fn expect(
    world: &mut CallWorld,
    who: &str,
    what: &str,
    pred: impl Fn(&CallEvent) -> bool,
) -> CallEvent {
    match world.person(who).expect(what, pred).await {
        Ok(e) => e,
        Err(msg) => panic!("{msg}"),
    }
}

/// "alice", "alice and bob", "alice, bob and carol", "alice, bob".
pub fn names(list: &str) -> Vec<String> {
    list.replace(" and ", ",")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn media(word: &str) -> CallMediaType {
    match word {
        "video" => CallMediaType::AudioVideo,
        _ => CallMediaType::Audio,
    }
}
