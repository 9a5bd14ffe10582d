//! Push notifications the simulator records for users with no live device.

use cucumber::{then, when};
use nccall::{EndCallParams, PushConfig, StartCallParams, VivoPushType};
use nccall_sim::PushKind;

use super::acting::place;
use super::{Who, media};
use crate::world::{CallWorld, outcome};
use nccall_conformance::engine_driver::Sdk;

/// A push configuration as an app builds it: title, content, and Android
/// settings from the engine's builder (`createAndroidPushConfigBuilder`).
fn push_config(engine: &Sdk, title: &str, content: &str) -> PushConfig {
    let android = engine
        .create_android_push_config_builder()
        .set_channel_id_mi("calls")
        .set_type_vivo(VivoPushType::System)
        .build();
    match android {
        Ok(a) => a.into_push_config(title, content),
        Err(e) => panic!("the Android push config does not build: {e}"),
    }
}

#[when(
    regex = r#"^(\w+(?:@\w+)?) calls (\w+) for (audio|video) with push "([^"]*)" / "([^"]*)" and extra "([^"]*)"$"#
)]
async fn calls_with_push(
    world: &mut CallWorld,
    caller: String,
    callee: String,
    kind: String,
    title: String,
    content: String,
    extra: String,
) {
    let mut params = StartCallParams::single(callee, media(&kind));
    let engine = world.person(&caller).engine.clone();
    params.push_config = Some(push_config(&engine, &title, &content));
    params.extra = Some(extra);
    place(world, &caller, params).await;
}

#[when(regex = r#"^(\w+(?:@\w+)?) hangs up with push "([^"]*)" / "([^"]*)"$"#)]
async fn hangs_up_with_push(world: &mut CallWorld, who: String, title: String, content: String) {
    let engine = world.person(&who).engine.clone();
    let params = EndCallParams {
        call_id: None,
        push_config: Some(push_config(&engine, &title, &content)),
    };
    if let Err(e) = engine.end_call(params).await {
        panic!("{who} could not hang up: {e}");
    }
}

#[then(
    regex = r#"^(\w+) got (?:an? )?(incoming call|hang-up) push(?: from (\w+))? titled "([^"]*)"(?: with extra "([^"]*)")?$"#
)]
async fn got_push(
    world: &mut CallWorld,
    user: String,
    kind: String,
    from: String,
    title: String,
    extra: String,
) {
    let kind = if kind == "hang-up" {
        PushKind::HangUp
    } else {
        PushKind::IncomingCall
    };
    let pushes = match world.rig().await.server.pushes().await {
        Ok(p) => p,
        Err(e) => panic!("cannot read the simulator's pushes: {e}"),
    };
    let found = pushes.iter().find(|p| {
        p.user_id == user
            && p.kind == kind
            && p.push_config.push_title.as_deref() == Some(title.as_str())
            && (from.is_empty() || p.from_user_id.as_deref() == Some(from.as_str()))
            && (extra.is_empty() || p.extra.as_deref() == Some(extra.as_str()))
    });
    assert!(
        found.is_some(),
        "no such push to {user}; pushes: {pushes:#?}"
    );
    let channel = found.and_then(|p| p.push_config.android.get("channelIdMi").cloned());
    assert_eq!(
        channel.as_deref(),
        Some("calls"),
        "the Android settings travel with the push"
    );
}

#[then(expr = "no push was sent")]
async fn no_push(world: &mut CallWorld) {
    // A simulator that cannot be asked is no evidence that nothing was sent.
    let pushes = match world.rig().await.server.pushes().await {
        Ok(pushes) => pushes,
        Err(e) => panic!("cannot read the simulator's pushes: {e}"),
    };
    assert!(pushes.is_empty(), "pushes were sent: {pushes:#?}");
}

#[when(expr = "{who} tries to call {who} with a push title of {int} characters")]
async fn push_too_long(world: &mut CallWorld, caller: Who, callee: Who, n: usize) {
    let Who(caller) = caller;
    let Who(callee) = callee;
    let mut params = StartCallParams::single(callee, nccall::CallMediaType::Audio);
    let engine = world.person(&caller).engine.clone();
    params.push_config = Some(push_config(&engine, &"t".repeat(n), "content"));
    let callees = params.callee_ids.clone();
    let result = engine.start_call(params).await.map(|r| r.call_id);
    if let Ok(id) = &result {
        world.placed(&caller, &callees, id);
    }
    world.last_attempt = Some(outcome(result));
}
