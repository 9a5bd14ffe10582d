//! The signaling load tool end to end, small: a simulator child process,
//! 40 users, 20 concurrent calls in two waves, every call set up and ended,
//! percentiles in order and the JSON and CSV reports readable; group calls;
//! a soak that runs waves until its duration passed; a ramp that places
//! its first calls slower than the full rate; a `wss://` simulator loaded
//! by users that trust its self-signed certificate.
//! (The figures come from `nccall-sim signaling-load`, not from here.)

use std::time::{Duration, Instant};

use nccall_sim::load::signaling::{self, ChildSimulator, LoadConfig, Target};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_load_sets_up_and_ends_every_call() {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_nccall-sim"));
    let sim = Target::Child(ChildSimulator::start(exe, 40).expect("simulator"));
    let config = LoadConfig {
        connect_concurrency: 10,
        ..LoadConfig::one_to_one(40, 20, 2, 500)
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
    let csv = report.to_csv();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3, "a header and one row per wave:\n{csv}");
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{csv}");
    assert_eq!(rows[2][2], "20", "wave 2 connected 20:\n{csv}");
}

fn simulator(users: usize) -> Target {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_nccall-sim"));
    Target::Child(ChildSimulator::start(exe, users).expect("simulator"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_calls_connect_and_end_for_every_member() {
    let sim = simulator(12);
    // 12 users in calls of 4: 3 concurrent group calls.
    let config = LoadConfig {
        group_size: 4,
        ..LoadConfig::one_to_one(12, 10, 1, 200)
    };
    let report = signaling::run(&config, &sim).await.expect("load");
    let wave = &report.waves[0];
    assert_eq!((wave.placed, wave.connected, wave.errors), (3, 3, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soak_runs_waves_until_its_duration_passed() {
    let sim = simulator(8);
    let soak = Duration::from_millis(1_500);
    let config = LoadConfig {
        duration: Some(soak),
        ..LoadConfig::one_to_one(8, 4, 1, 200)
    };
    let started = Instant::now();
    let report = signaling::run(&config, &sim).await.expect("load");
    assert!(started.elapsed() >= soak);
    assert!(report.waves.len() >= 2, "{} waves", report.waves.len());
    assert!(
        report
            .waves
            .iter()
            .all(|w| w.errors == 0 && w.connected == 4)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ramp_starts_slow() {
    let sim = simulator(8);
    // At the full 1,000 calls/s four calls are placed within 3 ms; ramped
    // over 10 s the first call waits a whole second (1 call/s) before the
    // second is placed.
    let config = LoadConfig {
        ramp: Duration::from_secs(10),
        ..LoadConfig::one_to_one(8, 4, 1, 1_000)
    };
    let report = signaling::run(&config, &sim).await.expect("load");
    let wave = &report.waves[0];
    assert_eq!((wave.connected, wave.errors), (4, 0));
    assert!(wave.took >= Duration::from_secs(1), "{:?}", wave.took);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_simulator_is_loaded_over_wss() {
    use nccall_sim::{Fixtures, SimConfig, Simulator, TlsIdentity, tls};
    let pair = tls::self_signed(&[]).expect("certificate");
    let fixtures = Fixtures::from_yaml(&signaling::load_fixtures(8)).expect("fixtures");
    let sim = Simulator::start(
        SimConfig::new(fixtures)
            .without_rate_limit()
            .with_tls(TlsIdentity::from_self_signed(&pair).expect("identity")),
    )
    .await
    .expect("simulator");
    assert!(sim.url().starts_with("wss://"));
    let config = LoadConfig {
        tls: Some(tls::client_trusting(pair.cert_pem.as_bytes()).expect("roots")),
        ..LoadConfig::one_to_one(8, 4, 1, 200)
    };
    let report = signaling::run(&config, &Target::Remote(sim.url()))
        .await
        .expect("load");
    assert_eq!(report.connect_errors, 0);
    assert_eq!((report.waves[0].connected, report.waves[0].errors), (4, 0));
    // Without the certificate (the system's roots), nobody logs in.
    let untrusting = LoadConfig {
        tls: None,
        ..config
    };
    let refused = signaling::run(&untrusting, &Target::Remote(sim.url()))
        .await
        .expect("a report");
    assert_eq!(
        refused.connect_errors, 8,
        "the system's roots do not trust a self-signed simulator"
    );
}
