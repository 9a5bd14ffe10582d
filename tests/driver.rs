//! The remote path end to end, in `cargo test`: the same call (alice calls
//! bob, bob answers, alice switches her camera off and hangs up) is played
//! through the suite's engine seam twice, once with the reference engine in
//! process and once through `nccall-driver`, each against its own
//! simulator; the normalised timelines (the snapshots' form) must be equal.
//! The same over WebSocket, to a driver that is already running. Also: a
//! command the driver does not implement is reported as such, and a
//! refusal keeps its spec code. (CI runs the whole suite through the driver
//! as well; this is the quick check.)

use std::collections::BTreeMap;

use nccall::{CallEvent, CallMediaType, EndCallParams, ErrorCode, StartCallParams};
use nccall_conformance::engine_driver::DriverError;
use nccall_conformance::rig::{DEFAULT_APP, Rig};
use nccall_conformance::timeline::Normaliser;
use serde_json::Value;

type Timelines = BTreeMap<String, Vec<Value>>;

/// A simulator whose participants' engines live in the driver at `target`
/// (a command line or a `ws://` address), or in process.
async fn rig(driver: Option<&str>) -> Rig {
    let mut rig = Rig::start(true).await.unwrap();
    if let Some(target) = driver {
        rig.use_driver(target).await.unwrap();
    }
    rig
}

/// `nccall-driver --listen`: a driver that is already running, as a test
/// app on a device would be; returns its address.
async fn listening_driver() -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_nccall-driver"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let url = lines.next_line().await.unwrap().unwrap();
    assert!(url.starts_with("ws://"), "{url}");
    (child, url)
}

async fn a_call(rig: &Rig) -> Timelines {
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
    // A refusal keeps its spec code, through the driver too.
    let refused = bob.engine.accept_call("no-such-call").await;
    assert!(
        matches!(&refused, Err(DriverError::Code { code, .. }) if *code == ErrorCode::CallIdInvalid.code()),
        "{refused:?}"
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_through_the_driver_is_seen_exactly_as_in_process() {
    let local = a_call(&rig(None).await).await;
    let remote = a_call(&rig(Some(env!("CARGO_BIN_EXE_nccall-driver"))).await).await;
    assert!(local.values().all(|t| !t.is_empty()));
    assert_eq!(remote, local);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_through_a_websocket_driver_is_seen_exactly_as_in_process() {
    let (_driver, url) = listening_driver().await;
    let local = a_call(&rig(None).await).await;
    // Twice over the same running driver: each connection has engines of
    // its own (the second alice is not the first).
    for _ in 0..2 {
        let remote = a_call(&rig(Some(&url)).await).await;
        assert_eq!(remote, local);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unimplemented_command_is_reported_as_such() {
    let exe = env!("CARGO_BIN_EXE_nccall-driver");
    let (driver, hello) = nccall_conformance::driver::client::RemoteDriver::start(exe)
        .await
        .unwrap();
    assert!(hello.capabilities.iter().any(|c| c == "startCall"));
    let _events = driver
        .create_engine("alice", serde_json::json!({}))
        .await
        .unwrap();
    let answer = driver
        .command_named(Some("alice"), "noSuchCommand", Value::Null)
        .await;
    assert_eq!(
        answer,
        Err(DriverError::Unimplemented("noSuchCommand".into()))
    );
    assert_eq!(driver.unimplemented(), vec!["noSuchCommand".to_string()]);
    driver.stop().await;
}
