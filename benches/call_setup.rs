//! Signaling-only call setup on loopback, read against its floor.
//!
//! - `websocket_round_trip`: one JSON text frame to a bare tokio-tungstenite
//!   echo server and back: the least any signaling round trip can cost here.
//! - `call_setup`: from alice's `start_call` until both alice and bob have
//!   seen `onCallConnected` (bob answers as soon as his `onCallReceived`
//!   arrives). The protocol needs about two round trips, so the target is
//!   within 4x the round trip's median.
//!
//! - `media_setup`: from alice's `start_call` (video) until both alice's and
//!   bob's views have shown a first *decoded* H.264 picture of the other,
//!   through the simulator's SFU (signaling, two peer connections, encode,
//!   forwarding, decode).
//! - `webrtc_pair_floor`: the floor for that: two bare `webrtc` peer
//!   connections on loopback with the engine's settings and codec, from
//!   creation to the first H.264 key frame decoded on the other side.
//!   Target: media setup within 1.5x the floor.
//!
//! All run on the same two-worker tokio runtime. `cargo bench --bench call_setup`.
//! The measurements are `nccall_conformance::call_setup`'s, which
//! `nccall-conformance bench` runs for any SDK with percentiles.

mod common;

use std::time::{Duration, Instant};

use common::one_media_call;
use criterion::{Criterion, criterion_group, criterion_main};
use nccall_conformance::call_setup::{floor, one_call};
use nccall_conformance::rig::{DEFAULT_APP, Rig};
use tokio::runtime::Runtime;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn signaling(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("signaling_loopback");
    group
        .sample_size(60)
        .measurement_time(Duration::from_secs(5));

    let mut echo = rt
        .block_on(async { floor::EchoClient::connect(&floor::echo_server().await?).await })
        .expect("an echo server");
    // Measured the same way as the call setup: inside one `block_on`, so
    // neither figure includes entering the runtime.
    group.bench_function("websocket_round_trip", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    echo.round_trip().await.expect("an echo");
                }
                start.elapsed()
            })
        })
    });

    // Signaling only: engines that build no peer connections, so media
    // setup of the previous call does not run during the next one.
    let rig = rt.block_on(Rig::for_benchmarks()).expect("simulator");
    let mut alice = rt
        .block_on(async {
            let p = rig.signaling_participant("alice").await?;
            rig.connect(p, DEFAULT_APP).await
        })
        .expect("alice");
    let mut bob = rt
        .block_on(async {
            let p = rig.signaling_participant("bob").await?;
            rig.connect(p, DEFAULT_APP).await
        })
        .expect("bob");
    group.bench_function("call_setup", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let phases = one_call(&mut alice, &mut bob, false).await;
                    total += phases.expect("a call").signaling;
                }
                total
            })
        })
    });
    group.finish();
}

fn media(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("media_loopback");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(10));

    group.bench_function("webrtc_pair_floor", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += floor::pair_to_first_decoded_picture()
                        .await
                        .expect("the floor");
                }
                total
            })
        })
    });

    let rig = rt.block_on(Rig::for_benchmarks()).expect("simulator");
    let mut alice = rt
        .block_on(rig.online("alice", DEFAULT_APP))
        .expect("alice");
    let mut bob = rt.block_on(rig.online("bob", DEFAULT_APP)).expect("bob");
    rt.block_on(alice.watch("bob", false))
        .expect("alice watches");
    rt.block_on(bob.watch("alice", false)).expect("bob watches");
    group.bench_function("media_setup", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += one_media_call(&mut alice, &mut bob).await;
                }
                total
            })
        })
    });
    group.finish();
}

criterion_group!(benches, signaling, media);
criterion_main!(benches);
