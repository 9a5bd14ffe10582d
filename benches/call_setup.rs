//! Signaling-only call setup on loopback, read against its floor.
//!
//! - `websocket_round_trip`: one JSON text frame to a bare tokio-tungstenite
//!   echo server and back: the least any signaling round trip can cost here.
//! - `call_setup`: from alice's `start_call` until both alice and bob have
//!   seen `onCallConnected` (bob answers as soon as his `onCallReceived`
//!   arrives). The protocol needs about two round trips, so the target is
//!   within 4x the round trip's median.
//!
//! Both run on the same two-worker tokio runtime. `cargo bench --bench call_setup`.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::{SinkExt, StreamExt};
use nccall::{CallEvent, CallMediaType, EndCallParams, StartCallParams};
use nccall_conformance::rig::{DEFAULT_APP, Participant, Rig};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

/// About the size of a `startCall` frame.
const PAYLOAD: &str = r#"{"id":17,"type":"startCall","calleeIds":["bob"],"callType":"SINGLE","mediaType":"AUDIO_VIDEO"}"#;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

async fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_text() && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    format!("ws://{addr}")
}

async fn connected(p: &mut Participant) {
    p.expect("onCallConnected", |e| {
        matches!(e, CallEvent::CallConnected(_))
    })
    .await
    .expect("connected");
}

async fn ended(p: &mut Participant) {
    p.expect("onCallEnded", |e| matches!(e, CallEvent::CallEnded(_)))
        .await
        .expect("ended");
}

/// One measured setup; the hang-up afterwards is not measured.
async fn one_call(alice: &mut Participant, bob: &mut Participant) -> Duration {
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
    connected(alice).await;
    connected(bob).await;
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

fn signaling(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("signaling_loopback");
    group
        .sample_size(60)
        .measurement_time(Duration::from_secs(5));

    let url = rt.block_on(echo_server());
    let (mut ws, _) = rt
        .block_on(tokio_tungstenite::connect_async_with_config(
            url.as_str(),
            None,
            true,
        ))
        .expect("connect to echo server");
    // Measured the same way as the call setup: inside one `block_on`, so
    // neither figure includes entering the runtime.
    group.bench_function("websocket_round_trip", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    ws.send(Message::text(PAYLOAD)).await.expect("send");
                    let echo = ws.next().await.expect("echo").expect("frame");
                    std::hint::black_box(echo);
                }
                start.elapsed()
            })
        })
    });

    let rig = rt.block_on(Rig::start(false)).expect("simulator");
    let mut alice = rt
        .block_on(rig.online("alice", DEFAULT_APP))
        .expect("alice");
    let mut bob = rt.block_on(rig.online("bob", DEFAULT_APP)).expect("bob");
    group.bench_function("call_setup", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += one_call(&mut alice, &mut bob).await;
                }
                total
            })
        })
    });
    group.finish();
}

criterion_group!(benches, signaling);
criterion_main!(benches);
