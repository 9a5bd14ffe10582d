//! What the call-setup benchmarks share: one measured video call between
//! two participants (in process or behind a driver), and its hang-up.

use std::time::{Duration, Instant};

use nccall::{CallEvent, CallMediaType, EndCallParams, StartCallParams};
use nccall_conformance::rig::Participant;

pub async fn ended(p: &mut Participant) {
    p.expect("onCallEnded", |e| matches!(e, CallEvent::CallEnded(_)))
        .await
        .expect("ended");
}

/// One measured media setup; the hang-up is not measured.
pub async fn one_media_call(alice: &mut Participant, bob: &mut Participant) -> Duration {
    let alice_view = alice
        .remote_views
        .get("bob")
        .cloned()
        .expect("alice watches bob");
    let bob_view = bob
        .remote_views
        .get("alice")
        .cloned()
        .expect("bob watches alice");
    let (a0, b0) = (alice_view.frames(), bob_view.frames());
    let start = Instant::now();
    alice
        .engine
        .start_call(StartCallParams::single("bob", CallMediaType::AudioVideo))
        .await
        .expect("start_call");
    let received = bob
        .expect("onCallReceived", |e| {
            matches!(e, CallEvent::CallReceived(_))
        })
        .await
        .expect("ring");
    let CallEvent::CallReceived(r) = received else {
        unreachable!()
    };
    bob.engine
        .accept_call(r.session.call_id())
        .await
        .expect("accept");
    let wait = Duration::from_secs(5);
    assert!(
        alice_view.wait_for_frames(a0 + 1, wait).await > a0,
        "alice saw no frame"
    );
    assert!(
        bob_view.wait_for_frames(b0 + 1, wait).await > b0,
        "bob saw no frame"
    );
    let took = start.elapsed();
    alice
        .engine
        .end_call(EndCallParams::default())
        .await
        .expect("hang up");
    ended(alice).await;
    ended(bob).await;
    took
}
