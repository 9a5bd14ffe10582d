//! Guards media setup time. The `webrtc` crate's default ICE check interval
//! (200 ms) adds a whole interval to every connect; the engine shortens it.
//! If that tuning is lost, the first audio packet arrives after more than
//! 200 ms and this test fails. (The figures themselves are measured by
//! `cargo bench --bench call_setup`.)

use std::time::{Duration, Instant};

use nccall::{CallEvent, CallMediaType, StartCallParams};

mod common;

/// Well under the 200 ms a fallback to the default interval would add.
const BOUND: Duration = Duration::from_millis(180);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_audio_arrives_well_within_one_default_ice_interval() {
    let (_sim, alice, bob) = common::alice_and_bob(common::config()).await;
    let mut bob_events = bob.events();
    let mut alice_events = alice.events();

    // Best of three: the bound is about the ICE tuning, not a busy machine.
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let call = alice
            .start_call(StartCallParams::single("bob", CallMediaType::Audio))
            .await
            .unwrap();
        common::received(&mut bob_events, &call.call_id).await;
        let before = alice.media_stats().audio_packets_received;
        let start = Instant::now();
        bob.accept_call(&call.call_id).await.unwrap();
        let got = alice
            .wait_for_audio_packets(before + 1, Duration::from_secs(5))
            .await;
        assert!(got > before, "no audio arrived");
        best = best.min(start.elapsed());
        alice
            .end_call(nccall::EndCallParams::default())
            .await
            .unwrap();
        // Wait until the call is gone on both sides before the next round.
        for events in [&mut alice_events, &mut bob_events] {
            loop {
                match events.recv().await {
                    Some(CallEvent::CallEnded(_)) => break,
                    Some(_) => continue,
                    None => panic!("an engine stopped"),
                }
            }
        }
    }
    println!("accept to first audio packet: {best:?} (best of 3)");
    assert!(
        best < BOUND,
        "media setup took {best:?}: has the ICE check interval fallen back to 200 ms?"
    );
}
