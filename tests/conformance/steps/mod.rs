//! Step definitions, worded like the spec. Each module is one kind of step:
//! who is online, what they do, what time does, what must be seen, and the
//! attempts that must fail with a code.

mod acting;
mod attempts;
mod expecting;
mod presence;
mod time;

use nccall::CallMediaType;

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
