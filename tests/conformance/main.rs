//! The conformance suite: every `.feature` under `features/` runs against an
//! in-process simulator with a virtual clock, one engine per named user, and
//! each scenario's event timelines are compared with the YAML snapshots in
//! `features/snapshots/` (accept new ones with `INSTA_UPDATE=always`).

mod snapshot;
mod steps;
mod world;

use cucumber::World as _;
use world::CallWorld;

#[tokio::main]
async fn main() {
    let features = concat!(env!("CARGO_MANIFEST_DIR"), "/features");
    CallWorld::cucumber()
        .fail_on_skipped()
        .after(|feature, _rule, scenario, finished, world| {
            Box::pin(async move {
                // A scenario whose steps failed has already failed; its
                // timeline would only add noise.
                if let (Some(world), cucumber::event::ScenarioFinished::StepPassed) =
                    (world, finished)
                {
                    snapshot::check(world, feature, scenario).await;
                }
            })
        })
        .run_and_exit(features)
        .await;
}
