//! Unit tests of the call table alone: no sockets, no clock.

use nccall_protocol::{
    CallEndReason, CallMediaType, CallType, CallUserState, ErrorCode, MediaState, ServerEvent,
    StartCallParams,
};

use super::{Actor, CallTable, Note, Target, UserKey};

const ON: MediaState = MediaState {
    camera_enabled: true,
    microphone_enabled: true,
};
use crate::fixtures::Fixtures;

const T0: i64 = 1_000_000;

fn app() -> crate::fixtures::AppFixture {
    Fixtures::from_yaml(
        "apps:\n  - app_key: a\n    ring_timeout_secs: 30\n    users:\n      - { user_id: alice, token: ta }\n      - { user_id: bob, token: tb }\n      - { user_id: carol, token: tc }\n",
    )
    .unwrap()
    .apps
    .remove(0)
}

fn params(callees: &[&str]) -> StartCallParams {
    StartCallParams {
        callee_ids: callees.iter().map(|s| s.to_string()).collect(),
        call_type: CallType::Single,
        media_type: CallMediaType::Audio,
        extra: Some("x".into()),
        target_id: None,
        push_config: None,
    }
}

fn key(u: &str) -> UserKey {
    UserKey::new("a", u)
}

/// Each user acts from one device, numbered by name.
fn actor(u: &str) -> Actor {
    let device = match u {
        "alice" => 1,
        "bob" => 2,
        _ => 3,
    };
    Actor {
        user: key(u),
        device,
    }
}

fn events_for(notes: &[Note], user: &str) -> Vec<ServerEvent> {
    notes
        .iter()
        .filter(|n| n.to.user == user)
        .map(|n| n.event.clone())
        .collect()
}

fn ended_reason(notes: &[Note], user: &str) -> Option<CallEndReason> {
    events_for(notes, user).into_iter().find_map(|e| match e {
        ServerEvent::CallEnded { reason, .. } => Some(reason),
        _ => None,
    })
}

fn placed(table: &mut CallTable) -> String {
    let r = table
        .start(T0, &app(), &actor("alice"), params(&["bob"]), ON, &|_| true)
        .unwrap();
    table.drain_notes().for_each(drop);
    r.call_id
}

#[test]
fn start_rings_an_online_callee_and_tells_the_caller() {
    let mut t = CallTable::new();
    let r = t
        .start(T0, &app(), &actor("alice"), params(&["bob"]), ON, &|_| true)
        .unwrap();
    let notes: Vec<Note> = t.drain_notes().collect();
    assert!(matches!(&events_for(&notes, "bob")[..],
        [ServerEvent::CallReceived { call_id, caller_user_id, extra, .. }]
        if *call_id == r.call_id && caller_user_id == "alice" && extra.as_deref() == Some("x")));
    assert!(matches!(
        &events_for(&notes, "alice")[..],
        [ServerEvent::RemoteUserStateChanged {
            user_state: CallUserState::Ringing,
            ..
        }]
    ));
    assert_eq!(t.next_deadline(), Some(T0 + 30_000));
}

#[test]
fn offline_callee_is_invited_not_ringing() {
    let mut t = CallTable::new();
    let r = t
        .start(T0, &app(), &actor("alice"), params(&["bob"]), ON, &|_| {
            false
        })
        .unwrap();
    let call = t.get(&r.call_id).unwrap();
    assert_eq!(call.member("bob").unwrap().state, CallUserState::Invited);
}

#[test]
fn refusals_leave_no_call_behind() {
    let mut t = CallTable::new();
    let cases: Vec<(Vec<&str>, CallType, ErrorCode)> = vec![
        (vec![], CallType::Single, ErrorCode::UserListInvalid),
        (
            vec!["bob", "bob"],
            CallType::Single,
            ErrorCode::UserListInvalid,
        ),
        (vec![""], CallType::Single, ErrorCode::UserListInvalid),
        (
            vec!["bob", "carol"],
            CallType::Single,
            ErrorCode::SingleCallNotSupportMultiPerson,
        ),
        (vec!["alice"], CallType::Single, ErrorCode::UserIdInvalid),
        (vec!["zed"], CallType::Single, ErrorCode::UserIdInvalid),
    ];
    for (callees, call_type, code) in cases {
        let mut p = params(&callees);
        p.call_type = call_type;
        let err = t
            .start(T0, &app(), &actor("alice"), p, ON, &|_| true)
            .unwrap_err();
        assert_eq!(err.0, code, "{callees:?}");
    }
    assert!(t.is_empty());
    assert_eq!(t.drain_notes().count(), 0);
}

#[test]
fn second_call_while_in_one_is_session_exist() {
    let mut t = CallTable::new();
    placed(&mut t);
    let err = t
        .start(T0, &app(), &actor("alice"), params(&["carol"]), ON, &|_| {
            true
        })
        .unwrap_err();
    assert_eq!(err.0, ErrorCode::SessionExist);
}

#[test]
fn accept_connects_both_with_one_start_time() {
    let mut t = CallTable::new();
    let id = placed(&mut t);
    t.accept(T0 + 500, &actor("bob"), &id, ON).unwrap();
    let notes: Vec<Note> = t.drain_notes().collect();
    for user in ["alice", "bob"] {
        let starts: Vec<i64> = events_for(&notes, user)
            .into_iter()
            .filter_map(|e| match e {
                ServerEvent::StartTimeReceived { start_time, .. } => Some(start_time),
                _ => None,
            })
            .collect();
        assert_eq!(starts, vec![T0 + 500], "{user}");
    }
    assert_eq!(
        t.next_deadline(),
        None,
        "a connected call has no ring deadline"
    );
}

#[test]
fn accept_refusals() {
    let mut t = CallTable::new();
    let id = placed(&mut t);
    assert_eq!(
        t.accept(T0, &actor("alice"), &id, ON).unwrap_err().0,
        ErrorCode::CallStateInvalid
    );
    assert_eq!(
        t.accept(T0, &actor("carol"), &id, ON).unwrap_err().0,
        ErrorCode::CallIdInvalid
    );
    assert_eq!(
        t.accept(T0, &actor("bob"), "nope", ON).unwrap_err().0,
        ErrorCode::CallIdInvalid
    );
    t.accept(T0, &actor("bob"), &id, ON).unwrap();
    assert_eq!(
        t.accept(T0, &actor("bob"), &id, ON).unwrap_err().0,
        ErrorCode::CallStateInvalid
    );
}

#[test]
fn each_side_gets_its_own_end_reason() {
    // (who ends, connected first?, reason for alice, reason for bob)
    let cases = [
        (
            "alice",
            false,
            CallEndReason::Cancel,
            CallEndReason::RemoteCancel,
        ),
        (
            "bob",
            false,
            CallEndReason::RemoteReject,
            CallEndReason::Reject,
        ),
        (
            "alice",
            true,
            CallEndReason::Hangup,
            CallEndReason::RemoteHangup,
        ),
        (
            "bob",
            true,
            CallEndReason::RemoteHangup,
            CallEndReason::Hangup,
        ),
    ];
    for (who, connect, for_alice, for_bob) in cases {
        let mut t = CallTable::new();
        let id = placed(&mut t);
        if connect {
            t.accept(T0, &actor("bob"), &id, ON).unwrap();
            t.drain_notes().for_each(drop);
        }
        t.end(T0 + 1, &actor(who), &id, None).unwrap();
        let notes: Vec<Note> = t.drain_notes().collect();
        assert_eq!(
            ended_reason(&notes, "alice"),
            Some(for_alice),
            "{who} {connect}"
        );
        assert_eq!(
            ended_reason(&notes, "bob"),
            Some(for_bob),
            "{who} {connect}"
        );
        assert!(t.is_empty());
        assert_eq!(t.calls_of(&key("alice")).count(), 0);
        assert_eq!(
            t.end(T0, &actor(who), &id, None).unwrap_err().0,
            ErrorCode::CallIdInvalid
        );
    }
}

#[test]
fn ring_timeout_fires_at_the_deadline_and_not_before() {
    let mut t = CallTable::new();
    placed(&mut t);
    t.handle_timeout(T0 + 29_999);
    assert_eq!(t.drain_notes().count(), 0);
    t.handle_timeout(T0 + 45_000);
    let notes: Vec<Note> = t.drain_notes().collect();
    assert_eq!(
        ended_reason(&notes, "alice"),
        Some(CallEndReason::RemoteNoResponse)
    );
    assert_eq!(ended_reason(&notes, "bob"), Some(CallEndReason::NoResponse));
    let end_times: Vec<i64> = notes
        .iter()
        .filter_map(|n| match n.event {
            ServerEvent::CallEnded { end_time, .. } => Some(end_time),
            _ => None,
        })
        .collect();
    assert_eq!(
        end_times,
        vec![T0 + 30_000; 2],
        "ends at the deadline, not at the tick"
    );
    assert_eq!(t.next_deadline(), None);
}

fn group(callees: &[&str]) -> StartCallParams {
    StartCallParams {
        call_type: CallType::Group,
        ..params(callees)
    }
}

fn app_with(extra_yaml: &str) -> crate::fixtures::AppFixture {
    let yaml = format!(
        "apps:\n  - app_key: a\n{extra_yaml}    users:\n      - {{ user_id: alice, token: ta }}\n      - {{ user_id: bob, token: tb }}\n      - {{ user_id: carol, token: tc }}\n      - {{ user_id: dave, token: td }}\n"
    );
    Fixtures::from_yaml(&yaml).unwrap().apps.remove(0)
}

#[test]
fn group_call_goes_on_until_fewer_than_two_remain() {
    let mut t = CallTable::new();
    let id = t
        .start(
            T0,
            &app_with(""),
            &actor("alice"),
            group(&["bob", "carol"]),
            ON,
            &|_| true,
        )
        .unwrap()
        .call_id;
    t.accept(T0, &actor("bob"), &id, ON).unwrap();
    t.accept(T0, &actor("carol"), &id, ON).unwrap();
    t.drain_notes().for_each(drop);
    t.end(T0, &actor("alice"), &id, None).unwrap();
    let notes: Vec<Note> = t.drain_notes().collect();
    assert_eq!(ended_reason(&notes, "alice"), Some(CallEndReason::Hangup));
    assert_eq!(ended_reason(&notes, "bob"), None, "bob stays");
    assert!(t.get(&id).is_some());
    t.end(T0, &actor("bob"), &id, None).unwrap();
    let notes: Vec<Note> = t.drain_notes().collect();
    assert_eq!(
        ended_reason(&notes, "carol"),
        Some(CallEndReason::RemoteHangup)
    );
    assert!(t.get(&id).is_none());
}

#[test]
fn caller_cancelling_a_group_call_before_any_answer_ends_it_for_all() {
    let mut t = CallTable::new();
    let id = t
        .start(
            T0,
            &app_with(""),
            &actor("alice"),
            group(&["bob", "carol"]),
            ON,
            &|_| true,
        )
        .unwrap()
        .call_id;
    t.drain_notes().for_each(drop);
    t.end(T0, &actor("alice"), &id, None).unwrap();
    let notes: Vec<Note> = t.drain_notes().collect();
    for user in ["bob", "carol"] {
        assert_eq!(
            ended_reason(&notes, user),
            Some(CallEndReason::RemoteCancel),
            "{user}"
        );
    }
    assert!(t.is_empty());
}

#[test]
fn busy_policies() {
    for (policy, rings) in [("", true), ("    busy_policy: reject\n", false)] {
        let app = app_with(policy);
        let mut t = CallTable::new();
        let first = t
            .start(T0, &app, &actor("alice"), params(&["bob"]), ON, &|_| true)
            .unwrap()
            .call_id;
        t.accept(T0, &actor("bob"), &first, ON).unwrap();
        t.drain_notes().for_each(drop);
        let r = t
            .start(T0, &app, &actor("carol"), params(&["bob"]), ON, &|_| true)
            .unwrap();
        assert_eq!(r.busy_line_user_list.len(), 1);
        assert_eq!(r.busy_line_user_list[0].user_state, CallUserState::OnCall);
        let notes: Vec<Note> = t.drain_notes().collect();
        let bob_rang = events_for(&notes, "bob")
            .iter()
            .any(|e| matches!(e, ServerEvent::CallReceived { .. }));
        assert_eq!(bob_rang, rings, "policy {policy:?}");
        let carol_ended = ended_reason(&notes, "carol");
        assert_eq!(
            carol_ended,
            (!rings).then_some(CallEndReason::RemoteBusyLine),
            "policy {policy:?}"
        );
        assert!(t.get(&first).is_some(), "bob's call is untouched");
    }
}

/// Bob is in alice's call and carol's call rings for him (notes drained):
/// the table, the first call's id and the second's.
fn bob_in_a_call_with_a_second_ringing() -> (CallTable, String, String) {
    let mut t = CallTable::new();
    let app = app_with("");
    let first = t
        .start(T0, &app, &actor("alice"), params(&["bob"]), ON, &|_| true)
        .unwrap()
        .call_id;
    t.accept(T0, &actor("bob"), &first, ON).unwrap();
    let second = t
        .start(T0, &app, &actor("carol"), params(&["bob"]), ON, &|_| true)
        .unwrap()
        .call_id;
    t.drain_notes().for_each(drop);
    (t, first, second)
}

/// An SDK that answers without hanging up its current call first (the
/// spec has the SDK do it; the server does not rely on it): the first call
/// ends as that hang-up would have, HANGUP for the user, REMOTE_HANGUP for
/// the other party.
#[test]
fn accepting_a_second_call_on_the_same_device_hangs_up_the_first() {
    let (mut t, first, second) = bob_in_a_call_with_a_second_ringing();
    t.accept(T0, &actor("bob"), &second, ON).unwrap();
    let notes: Vec<Note> = t.drain_notes().collect();
    assert_eq!(
        ended_reason(&notes, "alice"),
        Some(CallEndReason::RemoteHangup)
    );
    assert_eq!(ended_reason(&notes, "bob"), Some(CallEndReason::Hangup));
    assert!(t.get(&first).is_none(), "the first call is over");
}

#[test]
fn accepting_a_second_call_ends_the_first_and_stops_other_devices_ringing() {
    let (mut t, first, second) = bob_in_a_call_with_a_second_ringing();
    let bob_tablet = Actor {
        user: key("bob"),
        device: 9,
    };
    t.accept(T0, &bob_tablet, &second, ON).unwrap();
    let notes: Vec<Note> = t.drain_notes().collect();
    assert_eq!(
        ended_reason(&notes, "alice"),
        Some(CallEndReason::RemoteOtherClientJoinedCall)
    );
    let bob_ends: Vec<(Target, CallEndReason)> = notes
        .iter()
        .filter(|n| n.to.user == "bob")
        .filter_map(|n| match n.event {
            ServerEvent::CallEnded { reason, .. } => Some((n.target, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        bob_ends,
        vec![
            (Target::OtherDevices(9), CallEndReason::AcceptByOtherClient),
            (Target::Device(2), CallEndReason::OtherClientJoinedCall),
        ]
        .into_iter()
        .rev()
        .collect::<Vec<_>>(),
        "the first call ends on the device it was on (another device joined a call), then the other devices stop ringing"
    );
    assert!(t.get(&first).is_none());
}

#[test]
fn inviting_into_a_one_to_one_call_upgrades_it_first() {
    let mut t = CallTable::new();
    let app = app_with("");
    let id = t
        .start(T0, &app, &actor("alice"), params(&["bob"]), ON, &|_| true)
        .unwrap()
        .call_id;
    t.accept(T0, &actor("bob"), &id, ON).unwrap();
    t.drain_notes().for_each(drop);
    t.invite(
        T0,
        &app,
        &actor("alice"),
        &id,
        vec!["carol".into()],
        &|_| true,
    )
    .unwrap();
    let notes: Vec<Note> = t.drain_notes().collect();
    let bob: Vec<&str> = events_for(&notes, "bob")
        .iter()
        .map(|e| match e {
            ServerEvent::CallTypeChanged { .. } => "type",
            ServerEvent::RemoteUserInvited { .. } => "invited",
            ServerEvent::RemoteUserStateChanged { .. } => "state",
            _ => "other",
        })
        .collect();
    assert_eq!(bob, vec!["type", "invited", "state"]);
    assert!(
        !events_for(&notes, "alice")
            .iter()
            .any(|e| matches!(e, ServerEvent::RemoteUserInvited { .. }))
    );
    assert_eq!(t.get(&id).map(|c| c.call_type), Some(CallType::Group));
    let again = t.invite(
        T0,
        &app,
        &actor("alice"),
        &id,
        vec!["carol".into()],
        &|_| true,
    );
    assert_eq!(again.unwrap_err().0, ErrorCode::UserAlreadyInCall);
}

#[test]
fn the_next_deadline_follows_every_change_to_a_call() {
    // Read between every change: the index must be refiled each time (a
    // change the index missed would leave a stale deadline behind).
    let mut t = CallTable::new();
    let first = placed(&mut t);
    assert_eq!(t.next_deadline(), Some(T0 + 30_000));
    t.accept(T0 + 500, &actor("bob"), &first, ON).unwrap();
    assert_eq!(t.next_deadline(), None, "answered: no ring deadline left");
    t.invite(
        T0 + 1_000,
        &app(),
        &actor("alice"),
        &first,
        vec!["carol".into()],
        &|_| true,
    )
    .unwrap();
    assert_eq!(t.next_deadline(), Some(T0 + 31_000), "carol rings");
    t.end(T0 + 2_000, &actor("carol"), &first, None).unwrap();
    assert_eq!(t.next_deadline(), None, "carol declined");
    t.end(T0 + 3_000, &actor("alice"), &first, None).unwrap();
    assert_eq!(t.next_deadline(), None);
    assert!(t.is_empty(), "the call ended");
}
