//! Group calls: placing, inviting, joining, and what the others see.

use cucumber::{then, when};
use nccall::{CallEvent, CallType, StartCallParams};

use super::acting::place;
use super::{Who, expect, media, names};
use crate::world::CallWorld;
use nccall_conformance::engine_driver::Sdk;

#[when(regex = r"^(\w+(?:@\w+)?) calls (.+) for (audio|video) as a group call$")]
async fn group_call(world: &mut CallWorld, caller: String, callees: String, kind: String) {
    let params = StartCallParams {
        callee_ids: names(&callees),
        call_type: CallType::Group,
        ..StartCallParams::single("", media(&kind))
    };
    place(world, &caller, params).await;
}

#[when(regex = r"^(\w+(?:@\w+)?) invites (.+)$")]
async fn invites(world: &mut CallWorld, who: String, invitees: String) {
    let engine = world.person(&who).engine.clone();
    match engine.invite_to_call(names(&invitees)).await {
        Ok(result) => {
            world.busy_lists.insert(who, result.busy_line_user_list);
        }
        Err(e) => panic!("{who} could not invite {invitees}: {e}"),
    }
}

#[when(expr = "{who} joins {who}'s call")]
async fn joins(world: &mut CallWorld, who: Who, owner: Who) {
    let Who(who) = who;
    let Who(owner) = owner;
    let call_id = world.current_call_id(&owner).await;
    let engine = world.person(&who).engine.clone();
    if let Err(e) = engine.join_call(&call_id).await {
        panic!("{who} could not join {owner}'s call {call_id}: {e}");
    }
}

#[then(expr = "{who} sees the call become a group call")]
async fn type_changed(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    expect(
        world,
        &who,
        "onCallTypeChanged to GROUP",
        |e| matches!(e, CallEvent::CallTypeChanged(c) if c.call_type == CallType::Group),
    )
    .await;
    let current = world.current_session(&who).await;
    assert_eq!(
        current.map(|s| s.call_type()),
        Some(CallType::Group),
        "{who}'s session"
    );
}

#[then(regex = r"^(\w+(?:@\w+)?) is told (\w+) invited (.+)$")]
async fn told_invited(world: &mut CallWorld, who: String, inviter: String, invitees: String) {
    let invitees = names(&invitees);
    let what = format!("onRemoteUserInvited {invitees:?} by {inviter}");
    expect(world, &who, &what, |e| {
        matches!(e, CallEvent::RemoteUserInvited(i)
            if i.inviter_user_id == inviter && i.invitee_user_list == invitees)
    })
    .await;
}

#[then(regex = r"^(\w+(?:@\w+)?) is told (.+) (?:is|are) busy$")]
async fn told_busy(world: &mut CallWorld, who: String, busy: String) {
    let expected = names(&busy);
    let listed: Vec<String> = world
        .busy_lists
        .get(&who)
        .map(|l| l.iter().map(|b| b.user_id.clone()).collect())
        .unwrap_or_default();
    assert_eq!(listed, expected, "{who}'s busyLineUserList");
}

#[then(regex = r"^(\w+(?:@\w+)?)'s call has (.+)$")]
async fn participants(world: &mut CallWorld, who: String, list: String) {
    let wanted: Vec<String> = list.split(", ").map(str::to_string).collect();
    let seen = |session: Option<nccall::CallSession>| -> Vec<String> {
        session
            .map(|s| {
                s.remote_participants()
                    .iter()
                    .map(|p| format!("{} {}", p.user_id(), p.user_state().name()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let what = format!("participants {wanted:?}");
    if let Err(msg) = world
        .person(&who)
        .wait_until(&what, async |e: &Sdk| {
            Ok(seen(e.get_current_call_session().await?) == wanted)
        })
        .await
    {
        let now = seen(world.current_session(&who).await);
        panic!("{msg} (now {now:?})");
    }
}
