//! What the engine's integration tests share: a simulator with alice and
//! bob, and their two engines, online.

// Each test binary uses part of this module.
#![allow(dead_code)]

use nccall::{
    CallEngine, CallEvent, CallMediaType, ConnectParams, EngineConfig, EventStream, StartCallParams,
};
use nccall_sim::{Fixtures, SimConfig, SimHandle, Simulator};

const FIXTURES: &str = "apps:\n  - app_key: app\n    users:\n      - { user_id: alice, token: ta }\n      - { user_id: bob, token: tb }\n";

/// A simulator's configuration knowing alice and bob.
pub fn config() -> SimConfig {
    SimConfig::new(Fixtures::from_yaml(FIXTURES).expect("fixtures"))
}

/// The simulator started with `config`, and alice's and bob's engines
/// connected to it.
pub async fn alice_and_bob(config: SimConfig) -> (SimHandle, CallEngine, CallEngine) {
    alice_and_bob_with(config, EngineConfig::default()).await
}

/// As [`alice_and_bob`], with alice's engine built from `alice_config`.
pub async fn alice_and_bob_with(
    config: SimConfig,
    alice_config: EngineConfig,
) -> (SimHandle, CallEngine, CallEngine) {
    let sim = Simulator::start(config).await.expect("simulator");
    let connect = |token: &str| ConnectParams {
        url: sim.url(),
        app_key: "app".into(),
        token: token.into(),
    };
    let alice = CallEngine::new(alice_config);
    let bob = CallEngine::default();
    alice.connect(connect("ta")).await.expect("alice online");
    bob.connect(connect("tb")).await.expect("bob online");
    (sim, alice, bob)
}

/// `caller` calls `callee` for audio and `callee` accepts once it rang;
/// returns the call's id.
pub async fn audio_call(caller: &CallEngine, callee: &CallEngine, callee_id: &str) -> String {
    let mut callee_events = callee.events();
    let call = caller
        .start_call(StartCallParams::single(callee_id, CallMediaType::Audio))
        .await
        .expect("start_call");
    received(&mut callee_events, &call.call_id).await;
    callee.accept_call(&call.call_id).await.expect("accept");
    call.call_id
}

/// Waits for a `CallEnded` on `events`.
pub async fn ended(events: &mut EventStream) {
    loop {
        match events.recv().await {
            Some(CallEvent::CallEnded(_)) => return,
            Some(_) => continue,
            None => panic!("the engine stopped"),
        }
    }
}

/// Waits for the `CallReceived` of `call_id` on `events`.
pub async fn received(events: &mut EventStream, call_id: &str) {
    loop {
        match events.recv().await {
            Some(CallEvent::CallReceived(r)) if r.session.call_id() == call_id => return,
            Some(_) => continue,
            None => panic!("the engine stopped"),
        }
    }
}
