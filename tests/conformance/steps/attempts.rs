//! Attempts that may fail: the outcome is kept for a `Then the attempt ...` step.

use cucumber::{then, when};
use nccall::{CallType, EndCallParams, ErrorCode, StartCallParams};

use super::{Media, Who, media, names};
use crate::world::{CallWorld, must, outcome};

#[when(regex = r"^(\w+(?:@\w+)?) tries to call (.*) for (audio|video)( as a group call)?$")]
async fn tries_to_call(
    world: &mut CallWorld,
    caller: String,
    callees: String,
    kind: String,
    group: String,
) {
    let callees = if callees == "nobody" {
        Vec::new()
    } else {
        names(&callees)
    };
    let params = StartCallParams {
        callee_ids: callees,
        call_type: if group.is_empty() {
            CallType::Single
        } else {
            CallType::Group
        },
        ..StartCallParams::single("", media(&kind))
    };
    let engine = world.person(&caller).engine.clone();
    let callees = params.callee_ids.clone();
    let result = engine.start_call(params).await.map(|r| r.call_id);
    if let Ok(id) = &result {
        world.placed(&caller, &callees, id);
    }
    world.last_attempt = Some(outcome(result));
}

#[when(regex = r#"^(\w+(?:@\w+)?) tries to accept call "([^"]*)"$"#)]
async fn tries_to_accept(world: &mut CallWorld, who: String, call_id: String) {
    let engine = world.person(&who).engine.clone();
    world.last_attempt = Some(outcome(
        engine.accept_call(&call_id).await.map(|()| call_id),
    ));
}

#[when(expr = "{who} tries to accept their/his/her own call")]
async fn tries_to_accept_own(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let engine = world.person(&who).engine.clone();
    let call_id = world
        .current_session(&who)
        .await
        .map(|s| s.call_id().to_string())
        .unwrap_or_default();
    world.last_attempt = Some(outcome(
        engine.accept_call(&call_id).await.map(|()| call_id),
    ));
}

#[when(regex = r#"^(\w+(?:@\w+)?) tries to hang up(?: call "([^"]*)")?$"#)]
async fn tries_to_hang_up(world: &mut CallWorld, who: String, call_id: String) {
    let engine = world.person(&who).engine.clone();
    let params = EndCallParams {
        call_id: (!call_id.is_empty()).then_some(call_id),
        push_config: None,
    };
    world.last_attempt = Some(outcome(
        engine.end_call(params).await.map(|()| String::new()),
    ));
}

#[when(regex = r#"^(\w+(?:@\w+)?) tries to connect to app "([^"]*)" with token "([^"]*)"$"#)]
async fn tries_to_connect(world: &mut CallWorld, who: String, app: String, token: String) {
    // A fresh engine: what an app has before its first connect.
    let rig = world.rig().await;
    let key = format!("{who}#connect");
    let (engine, _events) = must(rig.bare_engine(&key, &key, true).await, "no engine");
    let mut params = rig.connect_params(&who, &app);
    params.token = token;
    let result = engine.connect(params).await;
    world.last_attempt = Some(outcome(result).map(|user| format!("{who} connected as {user}")));
}

/// For rules the spec states without a code: the attempt must fail, with
/// whichever code the SDK chose.
#[then(expr = "the attempt fails")]
async fn attempt_fails_somehow(world: &mut CallWorld) {
    match world.last_attempt.take() {
        Some(Err(_)) => {}
        Some(Ok(v)) => panic!("the attempt succeeded ({v}); it must fail"),
        None => panic!("no attempt was made"),
    }
}

#[when(expr = "{who} tries to accept {who}'s last call")]
async fn tries_to_accept_last(world: &mut CallWorld, who: Who, caller: Who) {
    let Who(who) = who;
    let Who(caller) = caller;
    let Some(call_id) = world.last_call(&caller) else {
        panic!("{caller} has placed no call in this scenario");
    };
    let engine = world.person(&who).engine.clone();
    world.last_attempt = Some(outcome(
        engine.accept_call(&call_id).await.map(|()| call_id),
    ));
}

#[then(expr = "the attempt fails with {word}")]
async fn attempt_fails(world: &mut CallWorld, code: String) {
    let Some(expected) = ErrorCode::from_name(&code) else {
        panic!("{code} is not an error code name");
    };
    match world.last_attempt.take() {
        // The spec's rule is that it fails; the number is the spec's or the
        // ancestor's below 80013, this project's from there on.
        Some(Err(e)) => {
            if e.code() != expected && expected.is_project_defined() {
                world.differs_from_project(format!(
                    "failed with {} where this project answers {expected}",
                    e.code()
                ));
            } else {
                assert_eq!(e.code(), expected, "wrong code; message: {}", e.message());
            }
            if e.message().is_empty() {
                world.differs_from_project(format!(
                    "{} came without a message (this project's rule: every error says what was wrong)",
                    e.code()
                ));
            }
        }
        Some(Ok(v)) => panic!("the attempt succeeded ({v}); expected {expected}"),
        None => panic!("no attempt was made"),
    }
}

#[when(regex = r"^(\w+(?:@\w+)?) tries to (accept|hang up|join) (\w+)'s call$")]
async fn tries_on_others_call(world: &mut CallWorld, who: String, act: String, owner: String) {
    let call_id = world.current_call_id(&owner).await;
    let engine = world.person(&who).engine.clone();
    let result = match act.as_str() {
        "accept" => engine.accept_call(&call_id).await,
        "join" => engine.join_call(&call_id).await,
        _ => engine.end_call(EndCallParams::call(call_id.clone())).await,
    };
    world.last_attempt = Some(outcome(result.map(|()| call_id)));
}

#[when(regex = r#"^(\w+(?:@\w+)?) tries to join call "([^"]*)"$"#)]
async fn tries_to_join(world: &mut CallWorld, who: String, call_id: String) {
    let engine = world.person(&who).engine.clone();
    world.last_attempt = Some(outcome(engine.join_call(&call_id).await.map(|()| call_id)));
}

#[when(regex = r"^(\w+(?:@\w+)?) tries to invite (.+)$")]
async fn tries_to_invite(world: &mut CallWorld, who: String, invitees: String) {
    let engine = world.person(&who).engine.clone();
    let result = engine.invite_to_call(names(&invitees)).await;
    world.last_attempt = Some(outcome(
        result.map(|r| format!("busy: {:?}", r.busy_line_user_list)),
    ));
}

/// Glare, made to happen on purpose: bob hears nothing of alice's call until
/// he has placed his own, so both calls are in flight at the same instant.
#[when(expr = "{who} and {who} call each other for {media} at the same instant")]
async fn glare(world: &mut CallWorld, first: Who, second: Who, kind: Media) {
    let Who(first) = first;
    let Who(second) = second;
    let app = world.app().to_string();
    let sim_hold = world.rig().await.server.hold(&app, &second).await;
    if let Err(e) = sim_hold {
        panic!("cannot hold {second}'s events: {e}");
    }
    let a = world.person(&first).engine.clone();
    let b = world.person(&second).engine.clone();
    match a
        .start_call(StartCallParams::single(second.clone(), kind.into()))
        .await
    {
        Ok(r) => world.placed(&first, std::slice::from_ref(&second), &r.call_id),
        Err(e) => panic!("{first} could not call {second}: {e}"),
    }
    let result = b
        .start_call(StartCallParams::single(first.clone(), kind.into()))
        .await
        .map(|r| r.call_id);
    if let Ok(id) = &result {
        world.placed(&second, std::slice::from_ref(&first), id);
    }
    world.last_attempt = Some(outcome(result));
    if let Err(e) = world.rig().await.server.release(&app, &second).await {
        panic!("cannot release {second}'s events: {e}");
    }
}
