//! Media-type change, camera and microphone.

use cucumber::{then, when};
use nccall::{CallEvent, MediaTypeChangeResult};

use super::{Media, Who, expect};
use crate::world::{CallWorld, must, outcome};
use nccall_conformance::engine_driver::{DriverError, Sdk};

/// The media-type change request that `who` received from the latest
/// request another user's step made (waiting for it to arrive, so an
/// earlier request is never taken for it); the latest received if no
/// step of this scenario made one.
async fn received_transaction(world: &mut CallWorld, who: &str) -> String {
    let asked: Vec<String> = world
        .transactions
        .iter()
        .filter(|(asker, _)| asker.as_str() != who)
        .map(|(_, tx)| tx.clone())
        .collect();
    let found = world
        .person(who)
        .latest("a media type change request", |e| {
            matches!(e, CallEvent::MediaTypeChangeRequestReceived(r)
                if asked.is_empty() || asked.contains(&r.transaction_id))
        })
        .await;
    match found {
        Ok(CallEvent::MediaTypeChangeRequestReceived(r)) => r.transaction_id,
        Ok(_) => unreachable!("matched above"),
        Err(msg) => panic!("{msg}"),
    }
}

fn own_transaction(world: &CallWorld, who: &str) -> String {
    match world.transactions.get(who) {
        Some(tx) => tx.clone(),
        None => panic!("{who} asked for no media type change"),
    }
}

#[when(expr = "{who} asks to switch to {media}")]
async fn asks(world: &mut CallWorld, who: Who, kind: Media) {
    let Who(who) = who;
    let engine = world.person(&who).engine.clone();
    match engine.request_change_media_type(kind.into()).await {
        Ok(tx) => {
            world.transactions.insert(who, tx);
        }
        Err(e) => panic!("{who} could not ask to switch to {kind}: {e}"),
    }
}

#[when(expr = "{who} tries to ask to switch to {media}")]
async fn tries_to_ask(world: &mut CallWorld, who: Who, kind: Media) {
    let Who(who) = who;
    let engine = world.person(&who).engine.clone();
    world.last_attempt = Some(outcome(engine.request_change_media_type(kind.into()).await));
}

/// Both sides ask at once: the second one's events are held until its own
/// request was answered, so neither had seen the other's.
#[when(expr = "{who} and {who} both ask to switch to {media} at the same instant")]
async fn both_ask(world: &mut CallWorld, first: Who, second: Who, kind: Media) {
    let Who(first) = first;
    let Who(second) = second;
    let app = world.app().to_string();
    if let Err(e) = world.rig().await.server.hold(&app, &second).await {
        panic!("cannot hold {second}'s events: {e}");
    }
    asks(world, Who(first), kind).await;
    let engine = world.person(&second).engine.clone();
    world.last_attempt = Some(outcome(engine.request_change_media_type(kind.into()).await));
    if let Err(e) = world.rig().await.server.release(&app, &second).await {
        panic!("cannot release {second}'s events: {e}");
    }
}

#[then(expr = "{who} is asked by {who} to switch to {media}")]
async fn is_asked(world: &mut CallWorld, who: Who, asker: Who, kind: Media) {
    let Who(who) = who;
    let Who(asker) = asker;
    let media_type = kind.into();
    let what = format!("a request from {asker} to switch to {kind}");
    expect(world, &who, &what, |e| {
        matches!(e, CallEvent::MediaTypeChangeRequestReceived(r) if r.user_id == asker && r.media_type == media_type)
    })
    .await;
}

#[when(regex = r"^(\w+) (agrees|refuses)$")]
async fn replies(world: &mut CallWorld, who: String, answer: String) {
    let tx = received_transaction(world, &who).await;
    let engine = world.person(&who).engine.clone();
    if let Err(e) = engine
        .reply_change_media_type(&tx, answer == "agrees")
        .await
    {
        panic!("{who} could not answer {tx}: {e}");
    }
}

#[when(expr = "{who} cancels her/his/their request")]
async fn cancels(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let tx = own_transaction(world, &who);
    let engine = world.person(&who).engine.clone();
    if let Err(e) = engine.cancel_change_media_type(&tx).await {
        panic!("{who} could not cancel {tx}: {e}");
    }
}

#[when(regex = r#"^(\w+) tries to (agree|refuse|cancel) with transaction "([^"]*)"$"#)]
async fn tries_with_transaction(world: &mut CallWorld, who: String, act: String, tx: String) {
    let engine = world.person(&who).engine.clone();
    let result = match act.as_str() {
        "cancel" => engine.cancel_change_media_type(&tx).await,
        other => engine.reply_change_media_type(&tx, other == "agree").await,
    };
    world.last_attempt = Some(outcome(result.map(|()| tx)));
}

#[when(regex = r"^(\w+) tries to (agree to|cancel) (\w+)'s request$")]
async fn tries_on_request(world: &mut CallWorld, who: String, act: String, owner: String) {
    let tx = own_transaction(world, &owner);
    let engine = world.person(&who).engine.clone();
    let result = match act.as_str() {
        "cancel" => engine.cancel_change_media_type(&tx).await,
        _ => engine.reply_change_media_type(&tx, true).await,
    };
    world.last_attempt = Some(outcome(result.map(|()| tx)));
}

/// The request is still open: neither side has a result. The timeout's
/// lower bound (a rule that fired early would pass the check after it).
#[then(expr = "the change has not ended for {who} and {who}")]
async fn change_still_open(world: &mut CallWorld, a: Who, b: Who) {
    let Who(a) = a;
    let Who(b) = b;
    for who in [&a, &b] {
        let person = world.person(who);
        // Whatever the server sent before now has arrived.
        person.settle().await;
        let ended = person
            .events
            .iter()
            .find(|e| matches!(e, CallEvent::MediaTypeChangeResultReceived(_)));
        assert!(ended.is_none(), "{who}'s change already ended: {ended:?}");
    }
}

#[then(expr = "{who} and {who} see the change end {word} with {media}")]
async fn change_result(world: &mut CallWorld, a: Who, b: Who, result: String, kind: Media) {
    let Who(a) = a;
    let Who(b) = b;
    let Some(wanted) = MediaTypeChangeResult::from_name(&result) else {
        panic!("{result} is not a media type change result");
    };
    let media_type = kind.into();
    let mut transactions = Vec::new();
    for who in [&a, &b] {
        let what = format!("onMediaTypeChangeResultReceived {result} with {kind}");
        let event = expect(world, who, &what, |e| {
            matches!(e, CallEvent::MediaTypeChangeResultReceived(_))
        })
        .await;
        let CallEvent::MediaTypeChangeResultReceived(r) = event else {
            unreachable!("matched above")
        };
        assert_eq!(
            (r.result, r.media_type),
            (wanted, media_type),
            "{who}'s result"
        );
        let session = world.current_session(who).await;
        assert_eq!(
            session.map(|s| s.media_type()),
            Some(media_type),
            "{who}'s session media type"
        );
        transactions.push(r.transaction_id);
    }
    assert_eq!(
        transactions[0], transactions[1],
        "both sides are told about the same request"
    );
}

#[then(expr = "{who}'s call is a(n) {media} call")]
async fn call_media(world: &mut CallWorld, who: Who, kind: Media) {
    let Who(who) = who;
    let session = world.current_session(&who).await;
    assert_eq!(session.map(|s| s.media_type()), Some(kind.into()));
}

/// `enableCamera` or `enableMicrophone`.
async fn switch(
    engine: &Sdk,
    device: &str,
    on: bool,
) -> nccall_conformance::engine_driver::DriverResult<()> {
    match device {
        "camera" => engine.enable_camera(on).await,
        _ => engine.enable_microphone(on).await,
    }
}

#[when(regex = r"^(\w+(?:@\w+)?) turns (?:her|his|their) (camera|microphone) (on|off)$")]
async fn turns(world: &mut CallWorld, who: String, device: String, state: String) {
    let engine = world.person(&who).engine.clone();
    if let Err(e) = switch(&engine, &device, state == "on").await {
        panic!("{who} could not turn the {device} {state}: {e}");
    }
}

/// The spec: in a call, `enableCamera`/`enableMicrophone` "can fail ... if
/// resource propagation fails and the remote side does not receive the
/// local state update".
#[when(regex = r"^(\w+(?:@\w+)?) tries to turn (?:her|his|their) (camera|microphone) (on|off)$")]
async fn tries_to_turn(world: &mut CallWorld, who: String, device: String, state: String) {
    let engine = world.person(&who).engine.clone();
    let result = switch(&engine, &device, state == "on").await;
    world.last_attempt = Some(outcome(result.map(|()| format!("{device} {state}"))));
}

#[then(regex = r"^(\w+(?:@\w+)?) sees (\w+(?:@\w+)?)'s (camera|microphone) (on|off)$")]
async fn sees_switch(
    world: &mut CallWorld,
    who: String,
    other: String,
    device: String,
    state: String,
) {
    let disabled = state == "off";
    let what = format!("{other}'s {device} {state}");
    expect(world, &who, &what, |e| match (device.as_str(), e) {
        ("camera", CallEvent::RemoteCameraStateChanged(s))
        | ("microphone", CallEvent::RemoteMicrophoneStateChanged(s)) => {
            s.user_id == other && s.disabled == disabled
        }
        _ => false,
    })
    .await;
}

#[then(regex = r"^(\w+(?:@\w+)?)'s call shows (\w+) with camera (on|off) and microphone (on|off)$")]
async fn shows_flags(
    world: &mut CallWorld,
    who: String,
    other: String,
    camera: String,
    mic: String,
) {
    let wanted = (camera == "on", mic == "on");
    let what = format!("{other} with camera {camera} and microphone {mic}");
    let shown = |session: Option<nccall::CallSession>| {
        session.and_then(|s| {
            s.remote_participants()
                .iter()
                .find(|p| p.user_id() == other)
                .map(|p| (p.is_camera_enabled(), p.is_microphone_enabled()))
        })
    };
    let outcome = world
        .person(&who)
        .wait_until(&what, async |e: &Sdk| {
            Ok(shown(e.get_current_call_session().await?) == Some(wanted))
        })
        .await;
    if let Err(msg) = outcome {
        let now = shown(world.current_session(&who).await);
        panic!("{msg} (shown: {now:?})");
    }
}

#[then(regex = r"^(\w+(?:@\w+)?)'s (camera|microphone) is (on|off)$")]
async fn own_switch(world: &mut CallWorld, who: String, device: String, state: String) {
    let engine = world.person(&who).engine.clone();
    let on = match device.as_str() {
        // Not in the spec (it has no getter for the camera): a command of
        // this project's driver protocol, so an SDK without it differs
        // from the project, not from the spec.
        "camera" => match engine.is_camera_enabled().await {
            Err(DriverError::Unimplemented(command)) => {
                world.differs_from_project(format!(
                    "has no {command} (this project's command; the spec has no camera getter)"
                ));
                return;
            }
            other => other,
        },
        _ => engine.is_microphone_enabled().await,
    };
    assert_eq!(
        must(on, format!("{who}'s {device}")),
        state == "on",
        "{who}'s {device}"
    );
}
