//! What users do, expecting it to work: a failure here fails the step.

use cucumber::when;
use nccall::{EndCallParams, StartCallParams};

use super::{Media, Who, media};
use crate::world::CallWorld;

/// Places a call that must be accepted by the server; keeps its id and busy list.
pub async fn place(world: &mut CallWorld, caller: &str, params: StartCallParams) {
    let engine = world.person(caller).engine.clone();
    let callees = params.callee_ids.clone();
    match engine.start_call(params).await {
        Ok(result) => {
            world.placed(caller, &callees, &result.call_id);
            world
                .busy_lists
                .insert(caller.to_string(), result.busy_line_user_list);
        }
        Err(e) => panic!("{caller} could not call {}: {e}", callees.join(", ")),
    }
}

#[when(expr = "{who} calls {who} for {media}")]
async fn calls(world: &mut CallWorld, caller: Who, callee: Who, kind: Media) {
    let Who(caller) = caller;
    let Who(callee) = callee;
    place(world, &caller, StartCallParams::single(callee, kind.into())).await;
}

#[when(
    regex = r#"^(\w+(?:@\w+)?) calls (\w+(?:@\w+)?) for (audio|video) with (extra|target id) "([^"]*)"$"#
)]
async fn calls_with_extra(
    world: &mut CallWorld,
    caller: String,
    callee: String,
    kind: String,
    field: String,
    value: String,
) {
    let mut params = StartCallParams::single(callee, media(&kind));
    match field.as_str() {
        "extra" => params.extra = Some(value),
        _ => params.target_id = Some(value),
    }
    place(world, &caller, params).await;
}

#[when(expr = "{who} accepts")]
async fn accepts(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let call_id = world.current_call_id(&who).await;
    let engine = world.person(&who).engine.clone();
    if let Err(e) = engine.accept_call(&call_id).await {
        panic!("{who} could not accept {call_id}: {e}");
    }
}

#[when(regex = r"^(\w+(?:@\w+)?) (?:rejects|hangs up)$")]
async fn ends(world: &mut CallWorld, who: String) {
    // The call to end may still be on its way (an invitation just sent).
    let call_id = world.current_call_id(&who).await;
    let engine = world.person(&who).engine.clone();
    if let Err(e) = engine.end_call(EndCallParams::default()).await {
        panic!("{who} could not end call {call_id}: {e}");
    }
}

#[when(regex = r"^(\w+(?:@\w+)?) (accepts|rejects) the call from (\w+)$")]
async fn acts_on_call_from(world: &mut CallWorld, who: String, act: String, caller: String) {
    let call_id = world.call_from(&who, &caller).await;
    let engine = world.person(&who).engine.clone();
    let outcome = match act.as_str() {
        "accepts" => engine.accept_call(&call_id).await,
        _ => engine.end_call(EndCallParams::call(call_id.clone())).await,
    };
    if let Err(e) = outcome {
        panic!("{who} could not {act} {call_id} from {caller}: {e}");
    }
}
