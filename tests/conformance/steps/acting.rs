//! What users do, expecting it to work: a failure here fails the step.

use cucumber::when;
use nccall::{EndCallParams, StartCallParams};

use super::media;
use crate::world::CallWorld;

async fn place(
    world: &mut CallWorld,
    caller: &str,
    callee: &str,
    kind: &str,
    extra: Option<String>,
) {
    let mut params = StartCallParams::single(callee, media(kind));
    params.extra = extra;
    let engine = world.person(caller).engine.clone();
    if let Err(e) = engine.start_call(params).await {
        panic!("{caller} could not call {callee}: {e}");
    }
}

#[when(regex = r"^(\w+) calls (\w+) for (audio|video)$")]
async fn calls(world: &mut CallWorld, caller: String, callee: String, kind: String) {
    place(world, &caller, &callee, &kind, None).await;
}

#[when(regex = r#"^(\w+) calls (\w+) for (audio|video) with extra "([^"]*)"$"#)]
async fn calls_with_extra(
    world: &mut CallWorld,
    caller: String,
    callee: String,
    kind: String,
    extra: String,
) {
    place(world, &caller, &callee, &kind, Some(extra)).await;
}

/// The call the user would act on: their current one.
fn current_call_id(world: &mut CallWorld, who: &str) -> String {
    match world.person(who).engine.get_current_call_session() {
        Some(s) => s.call_id().to_string(),
        None => panic!("{who} has no current call"),
    }
}

#[when(regex = r"^(\w+) accepts$")]
async fn accepts(world: &mut CallWorld, who: String) {
    let call_id = current_call_id(world, &who);
    let engine = world.person(&who).engine.clone();
    if let Err(e) = engine.accept_call(&call_id).await {
        panic!("{who} could not accept {call_id}: {e}");
    }
}

#[when(regex = r"^(\w+) (?:rejects|hangs up)$")]
async fn ends(world: &mut CallWorld, who: String) {
    let engine = world.person(&who).engine.clone();
    if let Err(e) = engine.end_call(EndCallParams::default()).await {
        panic!("{who} could not end the call: {e}");
    }
}
