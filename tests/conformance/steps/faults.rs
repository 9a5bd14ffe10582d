//! Network faults injected at the simulator, and the engine getting its
//! connection back. The reconnect itself runs on real time (the engine's
//! backoff); what the server decides (the resume window) runs on the
//! virtual clock.

use std::time::Duration;

use cucumber::{given, then, when};

use super::Who;
use crate::world::{CallWorld, must};
use nccall_conformance::rig::{Server, ServerError, user_of};

/// How long a reconnect may take in real time (the suite's backoff is 100 ms at most).
const RECONNECT_WAIT: Duration = Duration::from_secs(10);

/// Remembers how often the engine had reconnected before the fault, so the
/// next "reconnects" waits for a new one.
async fn before_fault(world: &mut CallWorld, who: &str) {
    let person = world.person(who);
    let count = person.engine.reconnections().await;
    person.reconnects_before_fault = must(count, format!("{who}'s reconnections"));
}

/// Injects a fault at the server (given the scenario's app); the step
/// fails if the server refuses.
async fn inject(
    world: &mut CallWorld,
    fault: impl AsyncFnOnce(&Server, &str) -> Result<(), ServerError>,
) {
    let app = world.app().to_string();
    if let Err(e) = fault(&world.rig().await.server, &app).await {
        panic!("{e}");
    }
}

#[when(expr = "{who}'s connection drops")]
async fn connection_drops(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    before_fault(world, &who).await;
    inject(world, async |sim, app| {
        sim.drop_connections(app, user_of(&who)).await
    })
    .await;
}

#[when(expr = "{who}'s network goes down")]
async fn network_down(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    before_fault(world, &who).await;
    inject(world, async |sim, app| sim.network_down(app, &who).await).await;
}

#[when(expr = "{who}'s network comes back")]
async fn network_up(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    inject(world, async |sim, app| sim.network_up(app, &who).await).await;
}

#[then(expr = "{who} reconnects")]
async fn reconnects(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let person = world.person(&who);
    let before = person.reconnects_before_fault;
    let engine = person.engine.clone();
    let reconnected = engine.wait_reconnected(before, RECONNECT_WAIT).await;
    assert!(
        must(reconnected, format!("{who}'s reconnects")),
        "{who} did not reconnect within {RECONNECT_WAIT:?} (status {:?})",
        engine.connection_status().await
    );
}

#[then(expr = "{who} is reconnecting")]
async fn is_reconnecting(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let engine = world.person(&who).engine.clone();
    let reached = engine
        .wait_connection_status(nccall::ConnectionStatus::Reconnecting, RECONNECT_WAIT)
        .await;
    assert!(
        must(reached, format!("{who}'s connection status")),
        "{who} is {:?}, not reconnecting",
        engine.connection_status().await
    );
}

#[given(expr = "the server asks for a heartbeat every {int} ms")]
async fn heartbeat_every(world: &mut CallWorld, ms: u64) {
    assert!(
        world.heartbeat.is_none() && world.people.is_empty(),
        "set the heartbeat before anyone connects"
    );
    world.heartbeat = Some(Duration::from_millis(ms));
}

#[when(expr = "{who}'s events are delayed by {int} ms")]
async fn events_delayed(world: &mut CallWorld, who: Who, ms: u64) {
    let Who(who) = who;
    let delay = Duration::from_millis(ms);
    inject(world, async |sim, app| {
        sim.delay_events(app, &who, delay).await
    })
    .await;
}

#[when(expr = "the next {int} events to {who} arrive in reverse order")]
async fn events_reversed(world: &mut CallWorld, n: usize, who: Who) {
    let Who(who) = who;
    inject(world, async |sim, app| {
        sim.reverse_events(app, &who, n).await
    })
    .await;
}

/// A partition: the connection stays open, nothing gets through either way.
#[when(expr = "{who} is cut off from the server")]
async fn cut_off(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    before_fault(world, &who).await;
    inject(world, async |sim, app| sim.partition(app, &who).await).await;
}

#[when(expr = "{who}'s link to the server heals")]
async fn link_heals(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    inject(world, async |sim, app| sim.release(app, &who).await).await;
}

/// Nothing the server sent `who` has arrived yet (checked after a heartbeat
/// round trip, so whatever was not held back would be here).
#[then(expr = "{who} has heard nothing yet")]
async fn heard_nothing(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let person = world.person(&who);
    person.settle().await;
    assert!(
        person.events.is_empty(),
        "{who} already heard {:?}",
        person.events
    );
}

#[given(expr = "the simulator keeps its data on disk")]
async fn on_disk(world: &mut CallWorld) {
    assert!(
        world.people.is_empty(),
        "say so before anyone connects (the simulator starts then)"
    );
    world.on_disk = true;
}

#[when(expr = "the simulator restarts")]
async fn simulator_restarts(world: &mut CallWorld) {
    let names: Vec<String> = world.people.keys().cloned().collect();
    for name in &names {
        before_fault(world, name).await;
    }
    world.restart_rig().await;
}
