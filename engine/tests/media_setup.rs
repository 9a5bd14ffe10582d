//! Guards media setup time. The `webrtc` crate's default ICE check interval
//! (200 ms) adds a whole interval to every connect; the engine shortens it
//! (`ICE_CHECK_INTERVAL`). The guard compares, in the same run, the engine
//! as configured against a pair of engines set to the crate's default: a
//! busy or slow machine slows both alike, the lost interval shows as the
//! difference. If the tuning is lost, both pairs take the same time and
//! this test fails. (The figures themselves are measured by
//! `cargo bench --bench call_setup`.)

use std::time::{Duration, Instant};

use nccall::{
    CallEngine, CallMediaType, ConnectParams, EngineConfig, Instrumentation, StartCallParams,
};
use nccall_sim::{SimHandle, Simulator};

mod common;

/// The crate's own ICE check interval.
const CRATE_DEFAULT: Duration = Duration::from_millis(200);

/// Accept → first audio packet at the caller, best of three calls between
/// two engines built with `config`.
async fn best_setup(sim: &SimHandle, config: impl Fn() -> EngineConfig) -> Duration {
    let connect = |token: &str| ConnectParams {
        url: sim.url(),
        app_key: "app".into(),
        token: token.into(),
    };
    let alice = CallEngine::new(config());
    let bob = CallEngine::new(config());
    alice.connect(connect("ta")).await.expect("alice online");
    bob.connect(connect("tb")).await.expect("bob online");
    let mut bob_events = bob.events();
    let mut alice_events = alice.events();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let call = alice
            .start_call(StartCallParams::single("bob", CallMediaType::Audio))
            .await
            .expect("call");
        common::received(&mut bob_events, &call.call_id).await;
        let before = alice.media_stats().audio_packets_received;
        let start = Instant::now();
        bob.accept_call(&call.call_id).await.expect("accept");
        let got = alice
            .wait_for_audio_packets(before + 1, Duration::from_secs(10))
            .await;
        assert!(got > before, "no audio arrived");
        best = best.min(start.elapsed());
        alice
            .end_call(nccall::EndCallParams::default())
            .await
            .expect("hang up");
        // Wait until the call is gone on both sides before the next round.
        common::ended(&mut alice_events).await;
        common::ended(&mut bob_events).await;
    }
    alice.disconnect();
    bob.disconnect();
    best
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tuned_ice_interval_saves_the_crate_default_interval_on_every_connect() {
    let sim = Simulator::start(common::config()).await.expect("simulator");
    let tuned = best_setup(&sim, EngineConfig::default).await;
    let floor = best_setup(&sim, || EngineConfig {
        ice_check_interval: CRATE_DEFAULT,
        ..EngineConfig::default()
    })
    .await;
    println!("accept to first audio packet (best of 3): tuned {tuned:?}, crate default {floor:?}");
    // Half the interval: the default pair waits for at least one whole
    // interval more, whatever the machine's speed.
    assert!(
        tuned + CRATE_DEFAULT / 2 < floor,
        "tuned {tuned:?} against the crate's default {floor:?}: has the ICE check interval fallen back to 200 ms?"
    );
}
