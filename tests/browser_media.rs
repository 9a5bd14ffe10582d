//! Real media with a real browser: headless Chromium (Debian's `chromium`)
//! runs `web/tests/media-call.html`, a page written from `docs/protocol.md`
//! and `docs/media.md`, its fake camera and microphone playing the marker
//! files of its user. Through the simulator and its SFU:
//!
//! - the page and the reference engine call each other, and each decodes
//!   the other's video (marker read back: sender and advancing numbers) and
//!   hears the other's tone;
//! - two pages call each other, the second publishing 6 s after the first,
//!   and both decode the other's pictures: the SFU relays the new
//!   receiver's key frame requests to the first sender (its `pliCount`
//!   counts them; nothing in the pages forces one).
//!
//! Without a browser these tests say so and pass, except in CI (`CI` set),
//! where a missing browser fails them: `.ci/run` installs one.

use std::path::PathBuf;
use std::time::Duration;

use nccall::marker::{tag_of, tone_hz};
use nccall_conformance::browser::chromium::{self, Browser};
use nccall_conformance::browser::pages::PageServer;
use nccall_conformance::fake_capture;
use nccall_conformance::rig::{DEFAULT_APP, Rig, token_of};
use serde_json::Value;

/// How long a browser has to start, connect and show media. Chromium's
/// cold start is 1-3 s here; the bound only stops a broken run.
const BROWSER_WAIT: Duration = Duration::from_secs(30);

/// How long after the call connects bob's page waits to publish: long
/// enough that alice's stream is well under way when bob's starts.
const PUBLISH_DELAY_MS: i64 = 6_000;

struct Setup {
    rig: Rig,
    pages: PageServer,
    chromium: PathBuf,
    work: PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

/// The simulator, the page server and the browser binary; `None` (with a
/// message) when there is no browser outside CI.
async fn setup(test: &str) -> Option<Setup> {
    let Some(chromium) = chromium::find() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Chromium (.ci/run installs Debian's `chromium`)"
        );
        eprintln!(
            "{test}: SKIPPED, no Chromium found (install Debian's `chromium`, or set NCCALL_CHROMIUM)"
        );
        return None;
    };
    let work = std::env::temp_dir().join(format!("nccall-browser-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("a work directory");
    let rig = Rig::start(false).await.expect("simulator");
    let web = concat!(env!("CARGO_MANIFEST_DIR"), "/web");
    let pages = PageServer::start(web).await.expect("page server");
    Some(Setup {
        rig,
        pages,
        chromium,
        work,
    })
}

impl Setup {
    /// Opens `user`'s page (`how`: `call=<callee>` or `answer=1`, and more).
    fn open(&self, user: &str, how: &str) -> Browser {
        let capture = fake_capture::write_for_user(&self.work, user).expect("capture files");
        let url = format!(
            "{}?ws={}&app={DEFAULT_APP}&token={}&report=/report/{user}&{how}",
            self.pages.url("tests/media-call.html"),
            self.rig.server.url(),
            token_of(user),
        );
        Browser::open(&self.chromium, &url, Some(&capture), &self.work).expect("chromium starts")
    }
}

/// What page `report` says it saw from `sender`: (pictures with their
/// marker, first number, last number, first arrival in ms).
fn seen_from(report: &Value, sender: &str) -> Option<(u64, u64, u64, i64)> {
    let seen = &report["markers"][tag_of(sender).to_string()];
    Some((
        seen["count"].as_u64()?,
        seen["firstNumber"].as_u64()?,
        seen["lastNumber"].as_u64()?,
        seen["firstAt"].as_i64()?,
    ))
}

/// The page saw `sender`'s pictures (five, numbers advancing) and hears
/// `sender`'s tone.
fn sees_and_hears(report: &Value, sender: &str) -> bool {
    let frames =
        seen_from(report, sender).is_some_and(|(n, first, last, _)| n >= 5 && last != first);
    let tone = report["heardHz"].as_u64() == Some(u64::from(tone_hz(tag_of(sender))));
    frames && tone
}

fn failure(page: &str, report: Option<Value>, browser: &Browser) -> String {
    let log = browser.log();
    let tail: String = log.lines().rev().take(30).collect::<Vec<_>>().join("\n");
    format!("{page}'s page reported {report:?}; browser log (last lines, newest first):\n{tail}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_and_the_reference_engine_see_and_hear_each_other() {
    let Some(setup) = setup("engine").await else {
        return;
    };
    let mut bob = setup
        .rig
        .online("bob", DEFAULT_APP)
        .await
        .expect("bob online");
    let view = bob.watch("alice", false).await.expect("bob watches alice");
    let browser = setup.open("alice", "call=bob");

    let received = bob
        .expect("alice's call", |e| {
            matches!(e, nccall::CallEvent::CallReceived(_))
        })
        .await;
    let call_id = match received {
        Ok(nccall::CallEvent::CallReceived(r)) => r.session.call_id().to_string(),
        other => panic!(
            "{other:?}\n{}",
            failure("alice", setup.pages.report("alice"), &browser)
        ),
    };
    bob.engine.accept_call(&call_id).await.expect("bob accepts");

    // The engine decodes the browser's H.264: five pictures, each alice's,
    // numbers going up (the file loops every 60 frames: allow one wrap).
    let mut seen = Vec::new();
    for _ in 0..5 {
        let got = view.wait_for_frames(view.frames() + 1, BROWSER_WAIT).await;
        assert!(
            got > 0,
            "bob's view of alice shows nothing\n{}",
            failure("alice", setup.pages.report("alice"), &browser)
        );
        seen.extend(view.last_frame());
    }
    assert!(
        seen.iter().all(|f| f.sender_tag == Some(tag_of("alice"))),
        "bob sees someone else's pictures: {seen:?}"
    );
    let wraps = seen
        .windows(2)
        .filter(|p| p[1].number <= p[0].number)
        .count();
    assert!(wraps <= 1, "alice's frame numbers do not advance: {seen:?}");

    // ... and the browser's Opus: alice's tone, half a second of it.
    let alice_tone = Some(tone_hz(tag_of("alice")));
    let heard = bob
        .engine
        .heard_tone_after("alice", 25, BROWSER_WAIT)
        .await
        .expect("heard");
    assert_eq!(heard, alice_tone, "bob hears the wrong tone from alice");

    // The page decodes the engine's pictures and hears bob's tone.
    let (report, ok) = setup
        .pages
        .wait_report("alice", BROWSER_WAIT, |r| sees_and_hears(r, "bob"))
        .await;
    assert!(ok, "{}", failure("alice", report, &browser));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_browsers_see_each_other_within_a_second_of_the_later_publish() {
    let Some(setup) = setup("pages").await else {
        return;
    };
    let bob = setup.open(
        "bob",
        &format!("answer=1&publishDelayMs={PUBLISH_DELAY_MS}"),
    );
    // bob's page must be online before alice calls: wait for its report.
    let (report, online) = setup
        .pages
        .wait_report("bob", BROWSER_WAIT, |r| r["state"] == "online")
        .await;
    assert!(online, "{}", failure("bob", report, &bob));
    let alice = setup.open("alice", "call=bob");

    let (alice_report, ok) = setup
        .pages
        .wait_report("alice", BROWSER_WAIT, |r| sees_and_hears(r, "bob"))
        .await;
    assert!(ok, "{}", failure("alice", alice_report, &alice));
    let (bob_report, ok) = setup
        .pages
        .wait_report("bob", BROWSER_WAIT, |r| sees_and_hears(r, "alice"))
        .await;
    assert!(ok, "{}", failure("bob", bob_report, &bob));
    let (Some(alice_report), Some(bob_report)) = (alice_report, bob_report) else {
        unreachable!("ready reports exist");
    };

    // bob published last, 6 s after the call connected; alice had been
    // publishing since, so bob's decoder needs a key frame of a stream well
    // under way. The SFU asked alice's camera for one (Chromium's own key
    // frames, from its encoder's ramp-up, come late and at random: alice
    // encoded 6 in its first 96 frames without being asked).
    let published = bob_report["publishedAt"].as_i64().expect("bob published");
    let alice_connected = alice_report["connectedAt"]
        .as_i64()
        .expect("alice connected");
    assert!(
        published - alice_connected >= PUBLISH_DELAY_MS - 100,
        "bob published {} ms after alice's call connected, not {PUBLISH_DELAY_MS} ms",
        published - alice_connected
    );
    let asked = |stats: &Value| {
        stats["pliCount"].as_u64().unwrap_or(0) + stats["firCount"].as_u64().unwrap_or(0)
    };
    assert!(
        asked(&alice_report["videoSent"]) >= 1,
        "nobody asked alice's camera for a key frame: {}",
        alice_report["videoSent"]
    );
    // And promptly (the bound; 300-600 ms here, beside a CPU hog too).
    let (_, _, _, alice_first) = seen_from(&alice_report, "bob").expect("alice saw bob");
    let (_, _, _, bob_first) = seen_from(&bob_report, "alice").expect("bob saw alice");
    eprintln!(
        "first picture after bob's publish: alice {} ms, bob {} ms; alice's camera asked {} times",
        alice_first - published,
        bob_first - published,
        asked(&alice_report["videoSent"]),
    );
    for (who, first) in [("alice", alice_first), ("bob", bob_first)] {
        assert!(
            first - published <= 1_000,
            "{who}'s first picture came {} ms after bob's publish",
            first - published
        );
    }
}
