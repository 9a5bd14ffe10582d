use std::time::Duration;

use cucumber::when;

use crate::world::CallWorld;

/// Virtual time: the simulator's timers due by then fire before the step ends.
#[when(expr = "{int} second(s) pass(es)")]
async fn seconds_pass(world: &mut CallWorld, seconds: u64) {
    world.advance(Duration::from_secs(seconds)).await;
}
