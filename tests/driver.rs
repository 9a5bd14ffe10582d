//! The remote path end to end: the suite's driver client talking to
//! `nccall-driver` (the reference engine behind the driver protocol) must
//! see exactly what the in-process engine sees. The same call (alice calls
//! bob, bob answers, alice switches her camera off and hangs up) runs both
//! ways, each against its own simulator, and the normalised timelines
//! (the snapshots' form) must be equal. Also: a command the driver does not
//! implement is reported as such, and a refusal keeps its spec code.

use std::collections::BTreeMap;

use nccall::{CallEvent, CallMediaType, EndCallParams, ErrorCode, StartCallParams};
use nccall_conformance::driver::client::{DriverError, RemoteDriver};
use nccall_conformance::rig::{DEFAULT_APP, Rig, token_of};
use nccall_conformance::timeline::Normaliser;
use serde_json::{Value, json};
use tokio::sync::mpsc;

type Timelines = BTreeMap<String, Vec<serde_json::Value>>;

/// Waits for the next event of `events` that `pred` accepts, keeping all.
async fn until(
    events: &mut mpsc::UnboundedReceiver<CallEvent>,
    seen: &mut Vec<CallEvent>,
    pred: impl Fn(&CallEvent) -> bool,
) -> CallEvent {
    loop {
        let event = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv())
            .await
            .expect("an event within 5 s")
            .expect("the stream is open");
        seen.push(event.clone());
        if pred(&event) {
            return event;
        }
    }
}

async fn in_process() -> Timelines {
    let rig = Rig::start(true).await.unwrap();
    let mut alice = rig.online("alice", DEFAULT_APP).await.unwrap();
    let mut bob = rig.online("bob", DEFAULT_APP).await.unwrap();
    alice
        .engine
        .start_call(StartCallParams::single("bob", CallMediaType::Audio))
        .await
        .unwrap();
    let received = bob
        .expect("ring", |e| matches!(e, CallEvent::CallReceived(_)))
        .await
        .unwrap();
    let CallEvent::CallReceived(r) = received else {
        unreachable!()
    };
    bob.engine.accept_call(r.session.call_id()).await.unwrap();
    alice
        .expect("connected", |e| matches!(e, CallEvent::CallConnected(_)))
        .await
        .unwrap();
    alice.engine.enable_camera(false).await.unwrap();
    alice
        .engine
        .end_call(EndCallParams::default())
        .await
        .unwrap();
    alice.settle().await;
    bob.settle().await;
    let mut n = Normaliser::new(rig.epoch);
    n.timelines([
        ("alice", alice.events.as_slice()),
        ("bob", bob.events.as_slice()),
    ])
}

async fn through_driver() -> Timelines {
    let rig = Rig::start(true).await.unwrap();
    let exe = env!("CARGO_BIN_EXE_nccall-driver");
    let (mut d, hello) = RemoteDriver::start(exe).await.unwrap();
    assert!(hello.capabilities.iter().any(|c| c == "startCall"));
    let mut streams = BTreeMap::new();
    for name in ["alice", "bob"] {
        streams.insert(name, d.create_engine(name).await.unwrap());
        let connect = json!({"url": rig.sim.url(), "appKey": DEFAULT_APP, "token": token_of(name)});
        d.command(Some(name), "connect", connect).await.unwrap();
    }
    let (mut alice_seen, mut bob_seen) = (Vec::new(), Vec::new());
    let started = d
        .command(
            Some("alice"),
            "startCall",
            json!({"calleeIds": ["bob"], "callType": "SINGLE", "mediaType": "AUDIO"}),
        )
        .await
        .unwrap();
    let call_id = started["callId"].as_str().unwrap().to_string();
    let bob_events = streams.get_mut("bob").unwrap();
    until(bob_events, &mut bob_seen, |e| {
        matches!(e, CallEvent::CallReceived(_))
    })
    .await;
    d.command(Some("bob"), "acceptCall", json!({ "callId": call_id }))
        .await
        .unwrap();
    let alice_events = streams.get_mut("alice").unwrap();
    until(alice_events, &mut alice_seen, |e| {
        matches!(e, CallEvent::CallConnected(_))
    })
    .await;
    d.command(Some("alice"), "enableCamera", json!({"enable": false}))
        .await
        .unwrap();
    d.command(Some("alice"), "endCall", Value::Null)
        .await
        .unwrap();
    // A heartbeat round trip: every event sent before it has been written.
    for (name, seen) in [("alice", &mut alice_seen), ("bob", &mut bob_seen)] {
        d.command(Some(name), "heartbeat", Value::Null)
            .await
            .unwrap();
        d.command(None, "getVersion", Value::Null).await.unwrap(); // the pipe is drained in order
        let events = streams.get_mut(name).unwrap();
        while let Ok(event) = events.try_recv() {
            seen.push(event);
        }
    }
    // Not implemented by this driver: reported as such, not as a failure.
    let views = d
        .command(Some("alice"), "setLocalVideoView", json!({}))
        .await;
    assert_eq!(
        views,
        Err(DriverError::Unimplemented("setLocalVideoView".into()))
    );
    // A refusal keeps its spec code.
    let refused = d
        .command(Some("bob"), "acceptCall", json!({"callId": "no-such-call"}))
        .await;
    assert!(
        matches!(refused, Err(DriverError::Code { code, .. }) if code == ErrorCode::CallIdInvalid.code()),
        "{refused:?}"
    );
    d.stop().await;
    let mut n = Normaliser::new(rig.epoch);
    n.timelines([
        ("alice", alice_seen.as_slice()),
        ("bob", bob_seen.as_slice()),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_through_the_driver_is_seen_exactly_as_in_process() {
    let local = in_process().await;
    let remote = through_driver().await;
    assert!(local.values().all(|t| !t.is_empty()));
    assert_eq!(remote, local);
}
