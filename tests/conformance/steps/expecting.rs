//! What users must see. Each step waits for the event (bounded, real time)
//! after the ones earlier steps matched, and checks the engine's state.

use cucumber::then;
use nccall::{CallEndReason, CallEvent, CallState, CallUserState};

use super::{Media, Who, expect};
use crate::world::CallWorld;
use nccall_conformance::engine_driver::Sdk;

#[then(expr = "{who} receives an incoming {media} call from {who}")]
async fn receives_call(world: &mut CallWorld, callee: Who, kind: Media, caller: Who) {
    let Who(callee) = callee;
    let Who(caller) = caller;
    let media_type = kind.into();
    let what = format!("an incoming {kind} call from {caller}");
    let event = expect(world, &callee, &what, |e| {
        matches!(e, CallEvent::CallReceived(r)
            if r.session.caller_user_id() == caller && r.session.media_type() == media_type)
    })
    .await;
    let CallEvent::CallReceived(received) = event else {
        unreachable!("matched above")
    };
    let state = received.session.call_state();
    assert!(
        matches!(state, CallState::Ringing | CallState::BusylineRinging),
        "an incoming call in state {state}"
    );
    // A ringing call is current unless another call was there first.
    let current = world.current_session(&callee).await;
    assert!(
        current.is_some(),
        "{callee} has a ringing call but no current call"
    );
}

#[then(regex = r#"^(\w+(?:@\w+)?) receives the extra "([^"]*)"$"#)]
async fn receives_extra(world: &mut CallWorld, callee: String, extra: String) {
    let what = format!("a call with extra {extra:?}");
    expect(
        world,
        &callee,
        &what,
        |e| matches!(e, CallEvent::CallReceived(r) if r.extra.as_deref() == Some(extra.as_str())),
    )
    .await;
}

#[then(
    regex = r"^(\w+(?:@\w+)?) sees (\w+(?:@\w+)?) (ringing|busy-line ringing|invited|on call|leave)$"
)]
async fn sees_remote_state(world: &mut CallWorld, who: String, other: String, state: String) {
    let wanted = match state.as_str() {
        "ringing" => CallUserState::Ringing,
        "busy-line ringing" => CallUserState::BusylineRinging,
        "invited" => CallUserState::Invited,
        "on call" => CallUserState::OnCall,
        _ => CallUserState::Ended,
    };
    let what = format!("{other} {state}");
    expect(world, &who, &what, |e| {
        matches!(e, CallEvent::RemoteUserStateChanged(s) if s.user_id == other && s.user_state == wanted)
    })
    .await;
}

#[then(expr = "{who} and {who} are connected")]
async fn connected(world: &mut CallWorld, a: Who, b: Who) {
    let Who(a) = a;
    let Who(b) = b;
    let mut ids = Vec::new();
    for who in [&a, &b] {
        let event = expect(world, who, "onCallConnected", |e| {
            matches!(e, CallEvent::CallConnected(_))
        })
        .await;
        let CallEvent::CallConnected(c) = event else {
            unreachable!("matched above")
        };
        assert_eq!(c.session.call_state(), CallState::OnCall);
        let current = world.current_session(who).await;
        assert_eq!(
            current.map(|s| s.call_state()),
            Some(CallState::OnCall),
            "{who}'s current call"
        );
        ids.push(c.session.call_id().to_string());
    }
    assert_eq!(
        ids[0], ids[1],
        "{a} and {b} are connected to different calls"
    );
}

#[then(expr = "{who} and {who} see the same start time")]
async fn same_start_time(world: &mut CallWorld, a: Who, b: Who) {
    let Who(a) = a;
    let Who(b) = b;
    let mut times = Vec::new();
    for who in [&a, &b] {
        let event = expect(world, who, "onStartTimeReceived", |e| {
            matches!(e, CallEvent::StartTimeReceived(_))
        })
        .await;
        let CallEvent::StartTimeReceived(s) = event else {
            unreachable!("matched above")
        };
        // The session's startTime getter is this project's (the spec
        // gives the start time through onStartTimeReceived only).
        let session_time = world
            .current_session(who)
            .await
            .and_then(|s| s.start_time());
        if session_time != Some(s.start_time) {
            world.differs_from_project(format!(
                "{who}'s session says startTime {session_time:?}, the event {}",
                s.start_time
            ));
        }
        times.push(s.start_time);
    }
    assert_eq!(
        times[0], times[1],
        "{a} and {b} were given different start times"
    );
}

#[then(expr = "{who}'s call ends with reason {word}")]
async fn call_ends(world: &mut CallWorld, who: Who, reason: String) {
    let Who(who) = who;
    let Some(wanted) = CallEndReason::from_name(&reason) else {
        panic!("{reason} is not an end reason");
    };
    let what = format!("onCallEnded with {wanted}");
    let event = expect(world, &who, &what, |e| matches!(e, CallEvent::CallEnded(_))).await;
    let CallEvent::CallEnded(ended) = event else {
        unreachable!("matched above")
    };
    assert_eq!(
        ended.reason, wanted,
        "{who}'s call ended for another reason"
    );
    assert!(ended.session.call_state().is_terminal());
    let current = world.current_session(&who).await;
    assert_ne!(
        current.map(|s| s.call_id().to_string()),
        Some(ended.session.call_id().to_string()),
        "{who}'s ended call is still current"
    );
}

#[then(expr = "{who} has no current call")]
async fn no_current_call(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let outcome = world
        .person(&who)
        .wait_until("no current call", async |e: &Sdk| {
            Ok(e.get_current_call_session().await?.is_none())
        })
        .await;
    if let Err(msg) = outcome {
        let current = world.current_session(&who).await;
        panic!("{msg}: {current:?}");
    }
}

#[then(expr = "{who}'s current call is {word}")]
async fn current_call_state(world: &mut CallWorld, who: Who, state: String) {
    let Who(who) = who;
    let what = format!("a current call in state {state}");
    let outcome = world
        .person(&who)
        .wait_until(&what, async |e: &Sdk| {
            let session = e.get_current_call_session().await?;
            Ok(session.map(|s| s.call_state().name()) == Some(state.as_str()))
        })
        .await;
    if let Err(msg) = outcome {
        let current = world.current_session(&who).await.map(|s| s.call_state());
        panic!("{msg} (it is {current:?})");
    }
}
