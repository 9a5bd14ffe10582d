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

/// `{who}` in a step: a participant, a user (`alice`) or one of their
/// devices (`alice@phone`).
#[derive(Debug, Default, Clone, cucumber::Parameter)]
#[param(name = "who", regex = r"\w+(?:@\w+)?")]
pub struct Who(pub String);

impl std::str::FromStr for Who {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Who(s.to_string()))
    }
}

/// `{media}` in a step: a call's media, `audio` or `video`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "media", regex = "audio|video")]
pub enum Media {
    Audio,
    Video,
}

impl std::str::FromStr for Media {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "audio" => Ok(Media::Audio),
            "video" => Ok(Media::Video),
            other => Err(format!("not audio or video: {other}")),
        }
    }
}

impl std::fmt::Display for Media {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Media::Audio => "audio",
            Media::Video => "video",
        })
    }
}

impl From<Media> for CallMediaType {
    fn from(m: Media) -> Self {
        match m {
            Media::Audio => CallMediaType::Audio,
            Media::Video => CallMediaType::AudioVideo,
        }
    }
}
