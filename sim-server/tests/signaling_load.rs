//! The signaling load tool end to end, small: a simulator child process,
//! 40 users, 20 concurrent calls in two waves, every call set up and ended,
//! percentiles in order and the JSON report readable.
//! (The figures come from `nccall-sim signaling-load`, not from here.)

use nccall_sim::load::signaling::{self, ChildSimulator, LoadConfig, Target};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_load_sets_up_and_ends_every_call() {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_nccall-sim"));
    let sim = Target::Child(ChildSimulator::start(exe, 40).expect("simulator"));
    let config = LoadConfig {
        users: 40,
        calls: 20,
        waves: 2,
        rate: 500,
        connect_concurrency: 10,
    };
    let report = signaling::run(&config, &sim).await.expect("load");
    assert_eq!(report.connect_errors, 0);
    assert_eq!(report.waves.len(), 2);
    for wave in &report.waves {
        assert_eq!((wave.placed, wave.connected, wave.errors), (20, 20, 0));
        assert!(wave.p50 <= wave.p99 && wave.p99 <= wave.p999 && wave.p999 <= wave.max);
        assert!(
            wave.lag_p50 <= wave.p50,
            "the generator's lateness is part of the setup"
        );
        let last = wave.distribution.last().expect("a distribution");
        assert_eq!(last.0, 100.0, "the distribution ends at the maximum");
    }
    let json = report.to_json(&config, sim.url());
    assert_eq!(json["waves"][1]["connected"], 20);
    assert!(json["waves"][0]["setupUs"]["p99.9"].as_u64().is_some());
    if cfg!(target_os = "linux") {
        assert!(report.kib_per_user().is_some(), "memory read from /proc");
    }
}
