//! Spec methods the other steps do not need on their way: the event
//! handler (the rig records events through the stream), the version, and
//! removing a video view.

use cucumber::{given, then, when};

use super::Who;
use crate::world::{CallWorld, must};

#[given(regex = r"^(\w+) also listens with an event handler$")]
#[when(regex = r"^(\w+) also listens with an event handler$")]
async fn listens(world: &mut CallWorld, who: String) {
    let engine = world.person(&who).engine.clone();
    let set = engine.set_call_event_handler().await;
    must(set, format!("{who} cannot set an event handler"));
}

#[then(expr = "{who}'s event handler heard what her/his/their event stream did")]
async fn handler_matches_stream(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let person = world.person(&who);
    person.settle().await;
    let streamed: Vec<&str> = person.events.iter().map(|e| e.callback_name()).collect();
    let handled = must(
        person.engine.handled_callbacks().await,
        format!("{who}'s handler cannot be read"),
    );
    assert!(!streamed.is_empty(), "{who} heard nothing at all");
    assert_eq!(handled, streamed, "handler against stream");
}

/// The spec says only that `getVersion` returns the SDK version; that it
/// is a semantic version (`major.minor.patch`, a `-pre-release` and
/// `+build` allowed) is this suite's reading.
#[then(expr = "the engine reports a semantic version")]
async fn version(world: &mut CallWorld) {
    let version = must(world.rig().await.sdk_version().await, "no version");
    assert!(
        nccall_conformance::semver::is_semantic_version(&version),
        "version {version:?}"
    );
}

#[when(expr = "{who} stops watching {who}")]
async fn stops_watching(world: &mut CallWorld, who: Who, other: Who) {
    let Who(who) = who;
    let Who(other) = other;
    if let Err(e) = world.person(&who).engine.remove_video_view(&other).await {
        panic!("{who} could not remove the view of {other}: {e}");
    }
}
