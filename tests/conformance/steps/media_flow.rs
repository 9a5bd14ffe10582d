//! Real media through the simulator's SFU: what each view shows, what
//! stops when a camera or microphone goes off, and what is released.

use std::time::Duration;

use cucumber::{given, then, when};

use nccall::marker::{tag_of, tone_hz};
use nccall_sim::NetworkProfile;

use super::Who;
use crate::world::{CallWorld, must, outcome};
use nccall_conformance::engine_driver::{Next, Sdk};

/// Real time: media runs on the wall clock, unlike the signaling clock.
const MEDIA_WAIT: Duration = Duration::from_secs(10);

#[given(regex = r"^(\w+) watches (\w+)$")]
#[when(regex = r"^(\w+) watches (\w+)$")]
async fn watches(world: &mut CallWorld, who: String, other: String) {
    watch(world, &who, &other, false).await;
}

async fn watch(world: &mut CallWorld, who: &str, other: &str, low_resolution: bool) {
    let watched = world.person(who).watch(other, low_resolution).await;
    must(watched, format!("{who} cannot watch {other}"));
}

#[given(regex = r"^(\w+) watches (\w+) in (low|full) resolution$")]
#[when(regex = r"^(\w+) watches (\w+) in (low|full) resolution$")]
async fn watches_in(world: &mut CallWorld, who: String, other: String, resolution: String) {
    watch(world, &who, &other, resolution == "low").await;
}

/// `n` more frames of that size arrive, and the view ends on that size.
/// Frames of another size may land first: a layer switch or a new capture
/// size takes effect after the frames already in flight.
#[then(expr = "{who}'s view of {who} shows {int} frame(s) of {int}x{int}")]
async fn view_shows(world: &mut CallWorld, who: Who, other: Who, n: u64, w: u32, h: u32) {
    let Who(who) = who;
    let Who(other) = other;
    let Some(view) = world.person(&who).remote_views.get(&other).cloned() else {
        panic!("{who} does not watch {other}");
    };
    let seen = view.frames_of(w, h) + n;
    let got = view.wait_for_frames_of(w, h, seen, MEDIA_WAIT).await;
    assert!(
        got >= seen,
        "{who}'s view of {other} got {got} frames of {w}x{h}, wanted {seen}; last {:?}",
        view.last_frame()
    );
    let last = view.last_frame();
    assert_eq!(
        last.map(|f| (f.width, f.height)),
        Some((w, h)),
        "frame size"
    );
    // Whose camera: the marker in the decoded picture names the sender.
    assert_eq!(
        last.and_then(|f| f.sender_tag),
        Some(tag_of(&other)),
        "{who}'s view of {other} shows someone else's frames: {last:?}"
    );
    assert!(
        last.is_some_and(|f| f.delay < Duration::from_secs(1)),
        "end-to-end delay: {last:?}"
    );
}

#[then(expr = "{who}'s own view shows {int}x{int}")]
async fn own_view(world: &mut CallWorld, who: Who, w: u32, h: u32) {
    let Who(who) = who;
    let view = world.person(&who).local_view.clone();
    // New frames, not the total: a camera that stopped after its first
    // pictures must fail here.
    let before = view.frames();
    let got = view.wait_for_frames(before + 3, MEDIA_WAIT).await;
    assert!(
        got >= before + 3,
        "{who}'s own view shows no new frames ({before} before, {got} after {MEDIA_WAIT:?})"
    );
    assert_eq!(view.last_frame().map(|f| (f.width, f.height)), Some((w, h)));
}

/// Audio is the clock: while `n` more audio packets arrive (20 ms each),
/// the view must show no frame captured after the step began (the sender
/// stopped before it); frames still in flight, late on a busy machine, may land.
#[then(expr = "{who}'s view of {who} stays still while {int} audio packets arrive")]
async fn view_still(world: &mut CallWorld, who: Who, other: Who, n: u64) {
    let Who(who) = who;
    let Who(other) = other;
    let person = world.person(&who);
    let Some(view) = person.remote_views.get(&other).cloned() else {
        panic!("{who} does not watch {other}");
    };
    view.mark();
    let engine = person.engine.clone();
    let target = media_stats(&engine, &who).await.audio_packets_received + n;
    let got = must(
        engine.wait_for_audio_packets(target, MEDIA_WAIT).await,
        format!("{who}'s audio"),
    );
    assert!(got >= target, "{who} got only {got} audio packets");
    assert_eq!(
        view.frames_captured_since_mark(),
        0,
        "{other}'s video kept coming ({} frames in all)",
        view.frames()
    );
}

/// Audio arrives from `other`, and what it decodes to is `other`'s own
/// marker tone (not silence, noise, or someone else's).
#[then(expr = "{who} hears {who}")]
async fn hears(world: &mut CallWorld, who: Who, other: Who) {
    let Who(who) = who;
    let Who(other) = other;
    let engine = world.person(&who).engine.clone();
    let target = audio_from(&engine, &who, &other).await + 10;
    let got = engine.wait_for_audio_from(&other, target, MEDIA_WAIT).await;
    let got = must(got, format!("{who}'s audio from {other}"));
    assert!(
        got >= target,
        "{who} hears nothing from {other}: {got} audio packets"
    );
    // What an SDK hears is what it played out, some tens of milliseconds
    // (a jitter buffer, an audio graph) after the packets arrived: the
    // tone has until the event wait to show, and must be `other`'s.
    let want = Some(tone_hz(tag_of(&other)));
    let heard = std::cell::Cell::new(None);
    let outcome = world
        .person(&who)
        .wait_until("the tone", async |e: &Sdk| {
            heard.set(e.heard_tone_from(&other).await?);
            Ok(heard.get() == want)
        })
        .await;
    if outcome.is_err() {
        assert_eq!(heard.get(), want, "{who} hears the wrong tone from {other}");
    }
}

/// `n` more frames from `other`, each named by its marker as `other`'s,
/// with frame numbers that only go up.
#[then(expr = "{who} sees {who}'s frames")]
async fn sees_frames(world: &mut CallWorld, who: Who, other: Who) {
    let Who(who) = who;
    let Who(other) = other;
    let Some(view) = world.person(&who).remote_views.get(&other).cloned() else {
        panic!("{who} does not watch {other}");
    };
    // Five frames that carry a marker: a picture with none (a player's
    // black frame before the first decoded one, docs/media.md "Markers")
    // is shown but names nobody, so it is neither counted nor a failure.
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + MEDIA_WAIT;
    while seen.len() < 5 {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let before = view.frames();
        let got = view.wait_for_frames(before + 1, left).await;
        assert!(
            got > before,
            "{who}'s view of {other} shows nothing (frames with a marker: {seen:?})"
        );
        seen.extend(view.last_frame().filter(|f| f.sender_tag.is_some()));
    }
    assert!(
        seen.iter().all(|f| f.sender_tag == Some(tag_of(&other))),
        "{who}'s view of {other} shows someone else's frames: {seen:?}"
    );
    assert!(
        seen.windows(2).all(|p| p[1].number > p[0].number),
        "{other}'s frame numbers do not advance: {seen:?}"
    );
}

/// Video is the clock: while `n` more frames arrive, no audio packet does.
#[then(expr = "{who} hears nothing from {who} while {int} frames arrive")]
async fn hears_nothing(world: &mut CallWorld, who: Who, other: Who, n: u64) {
    let Who(who) = who;
    let Who(other) = other;
    let person = world.person(&who);
    let Some(view) = person.remote_views.get(&other).cloned() else {
        panic!("{who} does not watch {other}");
    };
    let engine = person.engine.clone();
    view.wait_for_frames(view.frames() + 3, MEDIA_WAIT).await;
    let before = audio_from(&engine, &who, &other).await;
    let target = view.frames() + n;
    let got = view.wait_for_frames(target, MEDIA_WAIT).await;
    assert!(got >= target, "video stalled at {got}");
    let after = audio_from(&engine, &who, &other).await;
    assert!(
        after <= before + 1,
        "{other}'s audio kept coming: {before} -> {after}"
    );
}

#[then(expr = "{who} has no media connection")]
async fn no_media(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let outcome = world
        .person(&who)
        .wait_until("media released", async |e: &Sdk| {
            Ok(!e.media_stats().await?.connected)
        })
        .await;
    if let Err(msg) = outcome {
        panic!("{msg}");
    }
}

#[then(expr = "the media server holds no peer connections")]
async fn sfu_empty(world: &mut CallWorld) {
    let stats = must(world.rig().await.server.media_stats().await, "media stats");
    assert_eq!(stats.peers, 0, "peer connections left in the media server");
}

#[then(expr = "{who}'s media connection is lost")]
async fn media_lost(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let engine = world.person(&who).engine.clone();
    let lost = engine.wait_media_connected(false, MEDIA_WAIT).await;
    assert!(
        must(lost, format!("{who}'s media")),
        "{who}'s media connection is still up"
    );
}

/// A new peer connection, built and published after the old one's path was lost.
#[then(expr = "{who}'s media reconnects")]
async fn media_reconnects(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let engine = world.person(&who).engine.clone();
    let back = engine.wait_media_connected(true, MEDIA_WAIT).await;
    assert!(
        must(back, format!("{who}'s media")),
        "{who}'s media did not come back"
    );
    let stats = media_stats(&engine, &who).await;
    assert!(
        stats.media_reconnections >= 1,
        "{who}'s media came back on the old connection: {stats:?}"
    );
}

#[then(expr = "{who} still has her/his/their first media connection")]
async fn first_media_connection(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let engine = world.person(&who).engine.clone();
    let stats = media_stats(&engine, &who).await;
    assert!(
        stats.connected && stats.media_reconnections == 0,
        "{who}'s media: {stats:?}"
    );
}

#[then(expr = "the media server holds {int} peer connection(s)")]
async fn sfu_holds(world: &mut CallWorld, n: usize) {
    let stats = must(world.rig().await.server.media_stats().await, "media stats");
    assert_eq!(stats.peers, n, "peer connections in the media server");
}

#[when(expr = "{who} tries to call {who} for video without a local view")]
async fn call_without_view(world: &mut CallWorld, caller: Who, callee: Who) {
    let Who(caller) = caller;
    let Who(callee) = callee;
    // A fresh engine for the same user, with no view bound.
    let app = world.app().to_string();
    let rig = world.rig().await;
    let key = format!("{caller}#no-view");
    let (engine, _events) = must(rig.bare_engine(&key, &key, true).await, "no second engine");
    let connected = engine.connect(rig.connect_params(&caller, &app)).await;
    must(
        connected,
        format!("{caller} cannot connect a second engine"),
    );
    let params = nccall::StartCallParams::single(callee, nccall::CallMediaType::AudioVideo);
    let callees = params.callee_ids.clone();
    let result = engine.start_call(params).await.map(|r| r.call_id);
    if let Ok(id) = &result {
        world.placed(&caller, &callees, id);
    }
    world.last_attempt = Some(outcome(result));
}

/// The spec: a local view is needed before a video call is placed *or
/// answered*. Another device of the callee, with no view bound, rings too
/// (it connected while the call rang) and tries to answer.
#[when(expr = "{who} tries to accept {who}'s video call on a device without a local view")]
async fn accept_without_view(world: &mut CallWorld, callee: Who, caller: Who) {
    let Who(callee) = callee;
    let Who(caller) = caller;
    let app = world.app().to_string();
    let rig = world.rig().await;
    let key = format!("{callee}#no-view");
    let (engine, mut events) = must(rig.bare_engine(&key, &key, true).await, "no second engine");
    let connected = engine.connect(rig.connect_params(&callee, &app)).await;
    must(
        connected,
        format!("{callee} cannot connect a second engine"),
    );
    let deadline = events.now() + nccall_conformance::rig::event_wait();
    let call_id = loop {
        match events.next_before(deadline).await {
            Next::Event(nccall::CallEvent::CallReceived(r))
                if r.session.caller_user_id() == caller =>
            {
                break r.session.call_id().to_string();
            }
            Next::Event(_) => {}
            Next::Gone | Next::Quiet => {
                panic!("{caller}'s call did not ring on {callee}'s device without a view")
            }
        }
    };
    let result = engine.accept_call(&call_id).await.map(|()| call_id);
    world.last_attempt = Some(outcome(result));
}

async fn media_stats(engine: &Sdk, who: &str) -> nccall::MediaStats {
    must(engine.media_stats().await, format!("{who}'s media stats"))
}

async fn audio_from(engine: &Sdk, who: &str, other: &str) -> u64 {
    let count = engine.audio_packets_from(other).await;
    must(count, format!("{who}'s audio from {other}"))
}

fn quality(name: &str) -> nccall::CallQuality {
    use nccall::CallQuality as Q;
    match name {
        "EXCELLENT" => Q::Excellent,
        "GOOD" => Q::Good,
        "POOR" => Q::Poor,
        "BAD" => Q::Bad,
        "VERY_BAD" => Q::VeryBad,
        "DOWN" => Q::Down,
        _ => Q::Unknown,
    }
}

#[then(regex = r"^(\w+)'s reception from (\w+) is ([A-Z_]+)( or worse| or better)?$")]
async fn reception(
    world: &mut CallWorld,
    who: String,
    other: String,
    level: String,
    bound: String,
) {
    let wanted = quality(&level);
    let recorder = world.person(&who).quality.clone();
    let ok = |q: nccall::CallQuality| match bound.as_str() {
        // Worse, but not DOWN unless asked: a lossy or slow path still
        // carries packets, and "nothing got through" would be a bug.
        " or worse" => {
            q >= wanted
                && q != nccall::CallQuality::Unknown
                && (wanted == nccall::CallQuality::Down || q != nccall::CallQuality::Down)
        }
        " or better" => q <= wanted && q != nccall::CallQuality::Unknown,
        _ => q == wanted,
    };
    let latest = recorder.wait_receive(&other, MEDIA_WAIT, ok).await;
    assert!(
        latest.is_some_and(ok),
        "{who}'s reception from {other} is {latest:?}, wanted {level}{bound}"
    );
}

/// One impairment at a time on the path from the SFU to a user, as `netem`
/// or `tbf` would add it to a real link.
async fn impair(world: &mut CallWorld, who: &str, profile: NetworkProfile) {
    world.media_paths.insert(who.to_string(), profile);
    if let Err(e) = world.rig().await.server.impair_media(who, profile) {
        panic!("{e}");
    }
}

/// How far past its lower bound a measured delay may be: the impairment
/// plus this is "the path's", more is a stall the step must not pass.
const DELAY_SLACK: Duration = Duration::from_secs(1);

#[when(expr = "{int}% of the media packets to {who} are lost")]
async fn lose_packets(world: &mut CallWorld, percent: u32, who: Who) {
    let Who(who) = who;
    impair(world, &who, NetworkProfile::loss(percent)).await;
}

#[when(expr = "the media loss/impairment to {who} is lifted")]
async fn lift_impairment(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    impair(world, &who, NetworkProfile::default()).await;
}

#[when(
    regex = r"^the media path to (\w+) (?:adds (\d+) ms of (delay|jitter)|is capped at (\d+) kbps)$"
)]
async fn impair_path(world: &mut CallWorld, who: String, ms: String, what: String, kbps: String) {
    let mut profile = NetworkProfile::default();
    match (what.as_str(), ms.parse::<u32>(), kbps.parse::<u32>()) {
        ("delay", Ok(ms), _) => profile.delay_ms = ms,
        ("jitter", Ok(ms), _) => profile.jitter_ms = ms,
        (_, _, Ok(kbps)) => profile.bandwidth_kbps = kbps,
        _ => panic!("no impairment in {ms:?} ms of {what:?} / {kbps:?} kbps"),
    }
    impair(world, &who, profile).await;
}

#[when(regex = r#"^(\w+)'s network follows the "([\w-]+)" profile$"#)]
async fn network_profile(world: &mut CallWorld, who: String, name: String) {
    let applied = world.rig().await.server.apply_network_profile(&who, &name);
    if let Err(e) = applied {
        panic!("{e}");
    }
}

#[then(expr = "{who}'s view of {who} lags by at least {int} ms")]
async fn view_lags(world: &mut CallWorld, who: Who, other: Who, ms: u64) {
    let Who(who) = who;
    let Who(other) = other;
    let Some(view) = world.person(&who).remote_views.get(&other).cloned() else {
        panic!("{who} does not watch {other}");
    };
    // Frames sent before the impairment are still arriving; look past them.
    let wanted = Duration::from_millis(ms);
    let deadline = tokio::time::Instant::now() + MEDIA_WAIT;
    let mut last = None;
    while tokio::time::Instant::now() < deadline {
        view.wait_for_frames(view.frames() + 1, MEDIA_WAIT).await;
        last = view.last_frame();
        if let Some(frame) = last.as_ref().filter(|f| f.delay >= wanted) {
            assert!(
                frame.delay <= wanted + DELAY_SLACK,
                "{who}'s view of {other} lags by {:?}: more than {ms} ms + {DELAY_SLACK:?}",
                frame.delay
            );
            return;
        }
    }
    panic!("{who}'s view of {other} lags by {last:?}, wanted at least {ms} ms");
}

#[then(expr = "{who} measures at least {int} ms of jitter from {who}")]
async fn jitter_at_least(world: &mut CallWorld, who: Who, ms: u64, other: Who) {
    let Who(who) = who;
    let Who(other) = other;
    let recorder = world.person(&who).quality.clone();
    let wanted = Duration::from_millis(ms);
    let seen = recorder
        .wait_receive_event(&other, MEDIA_WAIT, |e| e.jitter >= wanted)
        .await;
    assert!(
        seen.as_ref().is_some_and(|e| e.jitter >= wanted),
        "{who} measures {:?} of jitter from {other}, wanted at least {ms} ms",
        seen.map(|e| e.jitter)
    );
    // From above: for delays spread over ±J the RFC 3550 estimate tends to
    // the mean |D| of successive packets (2J/3) and stays below 2J; 20 ms
    // more for the scheduling of the sender and receiver themselves.
    if let (Some(e), Some(path)) = (&seen, world.media_paths.get(&who)) {
        let ceiling = Duration::from_millis(2 * u64::from(path.jitter_ms) + 20);
        assert!(
            e.jitter <= ceiling,
            "{who} measures {:?} of jitter from {other}: more than the {ceiling:?} the path can give",
            e.jitter
        );
    }
}

#[then(expr = "{who}'s sending is {word} or worse")]
async fn sending_worse(world: &mut CallWorld, who: Who, level: String) {
    let Who(who) = who;
    let wanted = quality(&level);
    let recorder = world.person(&who).quality.clone();
    let ok = |e: &nccall::SendQualityEvent| e.quality >= wanted;
    let latest = recorder.wait_send(MEDIA_WAIT, ok).await;
    assert!(
        latest.as_ref().is_some_and(ok),
        "{who}'s sending is {latest:?}, wanted {level} or worse"
    );
}

/// The round trip the engine measured last (its quality interval reads it);
/// audio packets are the clock between two looks.
#[then(expr = "{who} measures a round trip of at least {int} ms")]
async fn round_trip(world: &mut CallWorld, who: Who, ms: u64) {
    let Who(who) = who;
    let engine = world.person(&who).engine.clone();
    let wanted = Duration::from_millis(ms);
    let deadline = tokio::time::Instant::now() + MEDIA_WAIT;
    let mut rtt = media_stats(&engine, &who).await.round_trip_time;
    while rtt.is_none_or(|r| r < wanted) && tokio::time::Instant::now() < deadline {
        let next = media_stats(&engine, &who).await.audio_packets_received + 25;
        let waited = engine.wait_for_audio_packets(next, MEDIA_WAIT).await;
        must(waited, format!("{who}'s audio"));
        rtt = media_stats(&engine, &who).await.round_trip_time;
    }
    assert!(
        rtt.is_some_and(|r| r >= wanted && r <= wanted + DELAY_SLACK),
        "{who} measures a round trip of {rtt:?}, wanted at least {ms} ms and at most {DELAY_SLACK:?} more"
    );
}

#[then(expr = "{who} hears {who} at a volume above zero")]
async fn volume(world: &mut CallWorld, who: Who, other: Who) {
    let Who(who) = who;
    let Who(other) = other;
    let recorder = world.person(&who).quality.clone();
    let level = recorder.wait_volume(&other, MEDIA_WAIT).await;
    assert!(
        level.is_some_and(|l| l > 0),
        "{who} hears {other} at {level:?}"
    );
}
