//! Network faults injected at the simulator, and the engine getting its
//! connection back. The reconnect itself runs on real time (the engine's
//! backoff); what the server decides (the resume window) runs on the
//! virtual clock.

use std::time::Duration;

use cucumber::{then, when};

use crate::world::CallWorld;
use nccall_conformance::rig::user_of;

/// How long a reconnect may take in real time (the suite's backoff is 100 ms at most).
const RECONNECT_WAIT: Duration = Duration::from_secs(10);

/// Remembers how often the engine had reconnected before the fault, so the
/// next "reconnects" waits for a new one.
fn before_fault(world: &mut CallWorld, who: &str) {
    let person = world.person(who);
    person.reconnects_before_fault = person.engine.reconnections();
}

#[when(regex = r"^(\w+(?:@\w+)?)'s connection drops$")]
async fn connection_drops(world: &mut CallWorld, who: String) {
    before_fault(world, &who);
    let app = world.app().to_string();
    let dropped = world
        .rig()
        .await
        .sim
        .drop_connections(&app, user_of(&who))
        .await;
    if let Err(e) = dropped {
        panic!("{e}");
    }
}

#[when(regex = r"^(\w+)'s network goes down$")]
async fn network_down(world: &mut CallWorld, who: String) {
    before_fault(world, &who);
    let app = world.app().to_string();
    let down = world.rig().await.sim.network_down(&app, &who).await;
    if let Err(e) = down {
        panic!("{e}");
    }
}

#[when(regex = r"^(\w+)'s network comes back$")]
async fn network_up(world: &mut CallWorld, who: String) {
    let app = world.app().to_string();
    let up = world.rig().await.sim.network_up(&app, &who).await;
    if let Err(e) = up {
        panic!("{e}");
    }
}

#[then(regex = r"^(\w+(?:@\w+)?) reconnects$")]
async fn reconnects(world: &mut CallWorld, who: String) {
    let person = world.person(&who);
    let before = person.reconnects_before_fault;
    let engine = person.engine.clone();
    assert!(
        engine.wait_reconnected(before, RECONNECT_WAIT).await,
        "{who} did not reconnect within {RECONNECT_WAIT:?} (status {:?})",
        engine.connection_status()
    );
}

#[then(regex = r"^(\w+(?:@\w+)?) is reconnecting$")]
async fn is_reconnecting(world: &mut CallWorld, who: String) {
    let engine = world.person(&who).engine.clone();
    let reached = engine
        .wait_connection_status(nccall::ConnectionStatus::Reconnecting, RECONNECT_WAIT)
        .await;
    assert!(
        reached,
        "{who} is {:?}, not reconnecting",
        engine.connection_status()
    );
}
