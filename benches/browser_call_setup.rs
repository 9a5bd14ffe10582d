//! Call setup in a browser: the Web NCCallEngine (`web/nccall/`) in
//! headless Chromium, driven through its driver page as the suite drives
//! it (`--driver chromium`), against its floor measured in the same
//! browser in the same run.
//!
//! - `web_media_setup`: from alice's `startCall` (video) until both pages'
//!   views have shown a first decoded picture of the other, through the
//!   simulator (signaling, the SFU, H.264 both ways) and back to the suite
//!   as `frame` messages.
//! - `browser_pair_floor`: two bare `RTCPeerConnection`s in the page,
//!   signalled in-page, H.264 only, from opening the cameras to the first
//!   decoded picture on both sides (`web/driver/loopback.js`).
//!
//! Needs Debian's `chromium` (or `NCCALL_CHROMIUM`).
//! `cargo bench --bench browser_call_setup`.

mod common;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use nccall_conformance::browser::driver_page::BrowserDriver;
use nccall_conformance::driver::client::RemoteDriver;
use nccall_conformance::rig::{DEFAULT_APP, Rig};
use tokio::runtime::Runtime;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn browser(c: &mut Criterion) {
    let rt = runtime();
    let work = std::env::temp_dir().join(format!("nccall-bench-chromium-{}", std::process::id()));
    let page = rt
        .block_on(BrowserDriver::start("chromium", 2, &work))
        .unwrap_or_else(|e| panic!("the browser driver: {e}"));
    let mut group = c.benchmark_group("browser");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(20));

    // One connection for the floor, one for the calls: the page keeps two.
    let (floor, _) = rt
        .block_on(RemoteDriver::start(&page.target))
        .expect("a driver connection for the floor");
    group.bench_function("browser_pair_floor", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let r = floor
                        .command_named(None, "benchLoopbackPair", serde_json::Value::Null)
                        .await
                        .expect("benchLoopbackPair");
                    let ms = r["ms"].as_f64().expect("ms");
                    total += Duration::from_secs_f64(ms / 1000.0);
                }
                total
            })
        })
    });

    let mut rig = rt.block_on(Rig::for_benchmarks()).expect("simulator");
    rt.block_on(rig.use_driver(&page.target))
        .expect("the driver page");
    let mut alice = rt
        .block_on(rig.online("alice", DEFAULT_APP))
        .expect("alice");
    let mut bob = rt.block_on(rig.online("bob", DEFAULT_APP)).expect("bob");
    rt.block_on(alice.watch("bob", false))
        .expect("alice watches");
    rt.block_on(bob.watch("alice", false)).expect("bob watches");
    group.bench_function("web_media_setup", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += common::one_media_call(&mut alice, &mut bob).await;
                }
                total
            })
        })
    });
    group.finish();
    drop(page);
}

criterion_group!(benches, browser);
criterion_main!(benches);
