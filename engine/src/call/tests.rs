//! The engine's state machine alone: frames in, frames/events/results out.

use nccall_protocol::{
    CallEndReason, CallMediaType, CallState, CallType, CallUserState, ErrorCode, Participant,
    Request, Response, ServerEvent, ServerFrame, StartCallParams,
};
use serde_json::json;

use super::{CallMachine, Completion};
use crate::events::CallEvent;

fn ok(id: u64, result: serde_json::Value) -> ServerFrame {
    ServerFrame::Response(Response {
        id,
        code: 0,
        message: None,
        result: Some(result),
    })
}

fn event(seq: u64, event: ServerEvent) -> ServerFrame {
    ServerFrame::Event { seq, event }
}

fn connected_as(user: &str) -> CallMachine {
    let mut m = CallMachine::new();
    let id = m.hello("app", "token", "dev", false);
    assert!(matches!(
        m.poll_transmit().map(|f| f.request),
        Some(Request::Hello(_))
    ));
    m.handle_frame(ok(
        id,
        json!({"userId": user, "serverTime": 1, "heartbeatIntervalMs": 20000, "sessionId": "s7"}),
    ));
    assert!(matches!(m.poll_completion(), Some((i, Ok(Completion::Hello(_)))) if i == id));
    m
}

fn participant(user: &str, state: CallUserState) -> Participant {
    Participant {
        user_id: user.into(),
        user_state: state,
        camera_enabled: false,
        microphone_enabled: true,
    }
}

fn incoming(call_id: &str) -> ServerEvent {
    ServerEvent::CallReceived {
        call_id: call_id.into(),
        call_type: CallType::Single,
        media_type: CallMediaType::Audio,
        caller_user_id: "alice".into(),
        inviter_user_id: "alice".into(),
        participants: vec![
            participant("alice", CallUserState::Calling),
            participant("bob", CallUserState::Ringing),
        ],
        extra: Some("hi".into()),
        target_id: None,
    }
}

fn drain_events(m: &mut CallMachine) -> Vec<CallEvent> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

#[test]
fn nothing_works_before_connect_and_nothing_is_sent() {
    let mut m = CallMachine::new();
    let err = m
        .start_call(StartCallParams::single("bob", CallMediaType::Audio))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignalDisconnected);
    assert_eq!(
        m.accept_call("c").unwrap_err().code(),
        ErrorCode::SignalDisconnected
    );
    assert_eq!(
        m.end_call(None, None).unwrap_err().code(),
        ErrorCode::SignalDisconnected
    );
    assert!(m.heartbeat().is_none());
    assert!(m.poll_transmit().is_none());
}

#[test]
fn local_checks_refuse_without_a_round_trip() {
    let mut m = connected_as("alice");
    let cases = [
        (vec![], CallType::Single, ErrorCode::UserListInvalid),
        (
            vec!["bob", "bob"],
            CallType::Group,
            ErrorCode::UserListInvalid,
        ),
        (vec![""], CallType::Single, ErrorCode::UserListInvalid),
        (
            vec!["bob", "carol"],
            CallType::Single,
            ErrorCode::SingleCallNotSupportMultiPerson,
        ),
        (vec!["alice"], CallType::Single, ErrorCode::UserIdInvalid),
    ];
    for (callees, call_type, code) in cases {
        let params = StartCallParams {
            callee_ids: callees.iter().map(|s| s.to_string()).collect(),
            call_type,
            ..StartCallParams::single("", CallMediaType::Audio)
        };
        assert_eq!(
            m.start_call(params).unwrap_err().code(),
            code,
            "{callees:?}"
        );
    }
    assert_eq!(
        m.accept_call("").unwrap_err().code(),
        ErrorCode::CallIdInvalid
    );
    assert_eq!(
        m.accept_call("nope").unwrap_err().code(),
        ErrorCode::CallIdInvalid
    );
    assert_eq!(
        m.end_call(None, None).unwrap_err().code(),
        ErrorCode::NotInCall
    );
    assert!(m.poll_transmit().is_none());
    assert!(m.current_session().is_none());
}

#[test]
fn outgoing_call_lifecycle() {
    let mut m = connected_as("alice");
    let id = m
        .start_call(StartCallParams::single("bob", CallMediaType::Audio))
        .unwrap();
    assert!(matches!(
        m.poll_transmit().map(|f| f.request),
        Some(Request::StartCall(_))
    ));
    // A second start while the first is in flight is refused locally.
    let again = m.start_call(StartCallParams::single("carol", CallMediaType::Audio));
    assert_eq!(again.unwrap_err().code(), ErrorCode::SessionExist);

    m.handle_frame(ok(id, json!({"callId": "c1", "busyLineUserList": []})));
    assert!(
        matches!(m.poll_completion(), Some((_, Ok(Completion::StartCall(r)))) if r.call_id == "c1")
    );
    let s = m.current_session().unwrap();
    assert_eq!(
        (s.call_state(), s.caller_user_id()),
        (CallState::Calling, "alice")
    );

    m.handle_frame(event(
        1,
        ServerEvent::RemoteUserStateChanged {
            call_id: "c1".into(),
            user_id: "bob".into(),
            user_state: CallUserState::Ringing,
            reason: None,
        },
    ));
    assert_eq!(
        m.current_session().unwrap().remote_participants()[0].user_state(),
        CallUserState::Ringing
    );
    assert_eq!(
        m.accept_call("c1").unwrap_err().code(),
        ErrorCode::CallStateInvalid
    );

    m.handle_frame(event(
        2,
        ServerEvent::CallEnded {
            call_id: "c1".into(),
            reason: CallEndReason::RemoteNoResponse,
            end_time: 9,
        },
    ));
    let events = drain_events(&mut m);
    match &events[events.len().saturating_sub(2)..] {
        [
            CallEvent::CallEnded(e),
            CallEvent::LocalCallLogReceived(log),
        ] => {
            assert_eq!(e.reason, CallEndReason::RemoteNoResponse);
            assert_eq!(e.session.call_state(), CallState::NoAnswer);
            let log = &log.call_log;
            assert_eq!(log.end_reason, Some(CallEndReason::RemoteNoResponse));
            assert_eq!(
                (log.end_time, log.duration_ms, log.missed),
                (Some(9), 0, false)
            );
            assert_eq!(log.direction, nccall_protocol::CallDirection::Outgoing);
        }
        other => panic!("expected onCallEnded then the local log, got {other:?}"),
    }
    assert!(m.current_session().is_none());
}

#[test]
fn incoming_call_is_answered_and_connects() {
    let mut m = connected_as("bob");
    m.handle_frame(event(1, incoming("c1")));
    let events = drain_events(&mut m);
    assert!(matches!(&events[..], [CallEvent::CallReceived(r)]
        if r.extra.as_deref() == Some("hi") && r.session.remote_participants().len() == 1));
    assert_eq!(
        m.current_session().unwrap().call_state(),
        CallState::Ringing
    );

    let id = m.accept_call("c1").unwrap();
    m.handle_frame(ok(id, serde_json::Value::Null));
    assert_eq!(
        m.current_session().unwrap().call_state(),
        CallState::Connecting
    );
    m.handle_frame(event(
        2,
        ServerEvent::CallConnected {
            call_id: "c1".into(),
            participants: vec![
                participant("alice", CallUserState::OnCall),
                participant("bob", CallUserState::OnCall),
            ],
        },
    ));
    m.handle_frame(event(
        3,
        ServerEvent::StartTimeReceived {
            call_id: "c1".into(),
            start_time: 77,
        },
    ));
    let s = m.current_session().unwrap();
    assert_eq!(
        (s.call_state(), s.start_time()),
        (CallState::OnCall, Some(77))
    );
    assert_eq!(drain_events(&mut m).len(), 2);

    m.handle_frame(event(
        4,
        ServerEvent::CallEnded {
            call_id: "c1".into(),
            reason: CallEndReason::RemoteHangup,
            end_time: 99,
        },
    ));
    let events = drain_events(&mut m);
    assert!(
        matches!(&events[..], [CallEvent::CallEnded(e), CallEvent::LocalCallLogReceived(l)]
            if e.session.call_state() == CallState::Ended
                && l.call_log.duration_ms == 99 - 77
                && !l.call_log.missed
                && l.call_log.extra.as_deref() == Some("hi")),
        "{events:?}"
    );
}

#[test]
fn events_about_unknown_calls_are_ignored() {
    let mut m = connected_as("bob");
    m.handle_frame(event(
        1,
        ServerEvent::CallConnected {
            call_id: "ghost".into(),
            participants: vec![],
        },
    ));
    m.handle_frame(event(
        2,
        ServerEvent::CallEnded {
            call_id: "ghost".into(),
            reason: CallEndReason::Hangup,
            end_time: 0,
        },
    ));
    assert!(drain_events(&mut m).is_empty());
    assert!(m.current_session().is_none());
}

#[test]
fn server_refusals_and_disconnects_complete_requests_with_codes() {
    let mut m = connected_as("alice");
    let id = m
        .start_call(StartCallParams::single("zed", CallMediaType::Audio))
        .unwrap();
    m.handle_frame(ServerFrame::Response(Response {
        id,
        code: 80010,
        message: Some("no user zed".into()),
        result: None,
    }));
    let (_, result) = m.poll_completion().unwrap();
    assert_eq!(result.unwrap_err().code(), ErrorCode::UserIdInvalid);
    assert!(
        m.current_session().is_none(),
        "a refused call leaves no session"
    );

    let id = m
        .start_call(StartCallParams::single("bob", CallMediaType::Audio))
        .unwrap();
    m.handle_frame(ServerFrame::Response(Response {
        id,
        code: 12345,
        message: None,
        result: None,
    }));
    assert_eq!(
        m.poll_completion().unwrap().1.unwrap_err().code(),
        ErrorCode::UnknownServerCode
    );

    let id = m
        .start_call(StartCallParams::single("bob", CallMediaType::Audio))
        .unwrap();
    m.handle_disconnect();
    let (done, result) = m.poll_completion().unwrap();
    assert_eq!(
        (done, result.unwrap_err().code()),
        (id, ErrorCode::SignalDisconnected)
    );
    assert!(!m.is_connected());
}

#[test]
fn a_second_incoming_call_rings_busy_line_and_does_not_replace_the_current() {
    let mut m = connected_as("bob");
    m.handle_frame(event(1, incoming("c1")));
    let id = m.accept_call("c1").unwrap();
    m.handle_frame(ok(id, serde_json::Value::Null));
    m.handle_frame(event(
        2,
        ServerEvent::CallConnected {
            call_id: "c1".into(),
            participants: vec![],
        },
    ));
    m.handle_frame(event(3, incoming("c2")));
    assert_eq!(
        m.session("c2").map(|s| s.call_state()),
        Some(CallState::BusylineRinging)
    );
    assert_eq!(
        m.current_session().map(|s| s.call_id().to_string()),
        Some("c1".into())
    );
    // Answering it is allowed: the server ends c1 first (preemption).
    assert!(m.accept_call("c2").is_ok());
}

#[test]
fn invite_checks() {
    let mut m = connected_as("alice");
    assert_eq!(
        m.invite_to_call(vec!["carol".into()]).unwrap_err().code(),
        ErrorCode::NotInCall
    );
    m.handle_frame(event(1, incoming("c1")));
    let ringing = m.invite_to_call(vec!["carol".into()]).unwrap_err();
    assert_eq!(
        ringing.code(),
        ErrorCode::CallStateInvalid,
        "answer before inviting"
    );

    let mut m = connected_as("alice");
    let id = m
        .start_call(StartCallParams::single("bob", CallMediaType::Audio))
        .unwrap();
    m.handle_frame(ok(id, json!({"callId": "c1"})));
    let cases = [
        (vec![], ErrorCode::UserListInvalid),
        (vec!["carol", "carol"], ErrorCode::UserListInvalid),
        (vec!["alice"], ErrorCode::UserAlreadyInCall),
    ];
    for (users, code) in cases {
        let users = users.iter().map(|u| u.to_string()).collect();
        assert_eq!(m.invite_to_call(users).unwrap_err().code(), code);
    }
    while m.poll_transmit().is_some() {}
    assert!(m.invite_to_call(vec!["carol".into()]).is_ok());
    assert!(
        matches!(m.poll_transmit().map(|f| f.request), Some(Request::InviteToCall(p)) if p.call_id == "c1")
    );

    m.handle_frame(event(
        1,
        ServerEvent::CallTypeChanged {
            call_id: "c1".into(),
            call_type: CallType::Group,
        },
    ));
    assert_eq!(
        m.current_session().map(|s| s.call_type()),
        Some(CallType::Group)
    );
}

#[test]
fn join_creates_the_session_from_the_answer() {
    let mut m = connected_as("dave");
    assert_eq!(
        m.join_call("").unwrap_err().code(),
        ErrorCode::CallIdInvalid
    );
    let id = m.join_call("g1").unwrap();
    m.handle_frame(ok(
        id,
        json!({"callId": "g1", "callType": "GROUP", "mediaType": "AUDIO", "callerUserId": "alice",
               "inviterUserId": "alice", "participants": [
                   {"userId": "alice", "userState": "ONCALL", "cameraEnabled": false, "microphoneEnabled": true},
                   {"userId": "dave", "userState": "ONCALL", "cameraEnabled": false, "microphoneEnabled": true}]}),
    ));
    let s = m.current_session().unwrap();
    assert_eq!(
        (s.call_state(), s.call_type(), s.remote_participants().len()),
        (CallState::Connecting, CallType::Group, 1)
    );
    assert_eq!(
        m.join_call("g2").unwrap_err().code(),
        ErrorCode::SessionExist
    );
}

#[test]
fn replayed_events_are_processed_once_and_a_resume_names_the_last_one() {
    let mut m = connected_as("bob");
    m.handle_frame(event(1, incoming("call-1")));
    m.handle_frame(event(1, incoming("call-1"))); // replayed after a resume
    let received = std::iter::from_fn(|| m.poll_event())
        .filter(|e| matches!(e, CallEvent::CallReceived(_)))
        .count();
    assert_eq!(received, 1);
    // The connection drops; the next hello asks to resume after seq 1.
    m.handle_disconnect();
    m.hello("app", "token", "dev", true);
    let Some(Request::Hello(h)) = m.poll_transmit().map(|f| f.request) else {
        panic!("no hello");
    };
    let resume = h.resume.expect("a resume");
    assert_eq!((resume.session_id.as_str(), resume.last_seq), ("s7", 1));
}

#[test]
fn a_refused_resume_ends_the_calls_with_network_error() {
    let mut m = connected_as("bob");
    m.handle_frame(event(1, incoming("call-1")));
    std::iter::from_fn(|| m.poll_event()).for_each(drop);
    m.handle_disconnect();
    let id = m.hello("app", "token", "dev", true);
    assert!(
        matches!(m.poll_transmit().map(|f| f.request), Some(Request::Hello(h)) if h.resume.is_some()),
        "the resuming hello goes out"
    );
    m.handle_frame(ok(
        id,
        json!({"userId": "bob", "serverTime": 9, "heartbeatIntervalMs": 20000, "sessionId": "s8", "resumed": false}),
    ));
    let ended = std::iter::from_fn(|| m.poll_event()).find_map(|e| match e {
        CallEvent::CallEnded(e) => Some(e.reason),
        _ => None,
    });
    assert_eq!(ended, Some(CallEndReason::NetworkError));
    assert!(m.current_session().is_none());
}

#[test]
fn closing_the_connection_for_good_ends_every_call_here() {
    let mut m = connected_as("bob");
    m.handle_frame(event(1, incoming("call-1")));
    m.handle_frame(event(2, incoming("call-2")));
    std::iter::from_fn(|| m.poll_event()).for_each(drop);
    m.handle_disconnect();
    m.end_all_calls(77);
    let ended: Vec<(String, CallEndReason)> = std::iter::from_fn(|| m.poll_event())
        .filter_map(|e| match e {
            CallEvent::CallEnded(e) => Some((e.session.call_id().to_string(), e.reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        ended,
        [
            ("call-1".to_string(), CallEndReason::NetworkError),
            ("call-2".to_string(), CallEndReason::NetworkError)
        ]
    );
    assert!(m.current_session().is_none());
}

#[test]
fn two_unanswered_heartbeats_mean_a_dead_connection() {
    let mut m = connected_as("bob");
    assert!(m.heartbeat().is_some());
    assert!(m.heartbeat().is_some());
    assert!(m.connection_is_silent());
    assert!(m.heartbeat().is_none());
    // Anything from the server proves it alive again.
    m.handle_frame(event(1, incoming("call-1")));
    assert!(!m.connection_is_silent());
}

/// Events that arrive out of order (a fault the suite injects) are
/// processed in `seq` order: the early ones wait for the gap to fill.
#[test]
fn events_arriving_out_of_order_are_processed_in_seq_order() {
    let mut m = connected_as("bob");
    let ended = |id: &str| ServerEvent::CallEnded {
        call_id: id.into(),
        reason: CallEndReason::RemoteCancel,
        end_time: 5,
    };
    m.handle_frame(event(3, incoming("call-2")));
    m.handle_frame(event(2, ended("call-1")));
    assert!(m.poll_event().is_none(), "nothing before seq 1");
    m.handle_frame(event(1, incoming("call-1")));
    let order: Vec<String> = std::iter::from_fn(|| m.poll_event())
        .filter_map(|e| match e {
            CallEvent::CallReceived(r) => Some(format!("received {}", r.session.call_id())),
            CallEvent::CallEnded(e) => Some(format!("ended {}", e.session.call_id())),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        ["received call-1", "ended call-1", "received call-2"]
    );
    // A duplicate of an event processed from the buffer is skipped too.
    m.handle_frame(event(3, incoming("call-2")));
    assert!(m.poll_event().is_none());
}

/// A gap that stays open for two heartbeats makes the connection count as
/// dead, so the shell reconnects and resumes from the last event in order.
#[test]
fn a_gap_left_open_for_two_heartbeats_asks_for_a_resume() {
    let mut m = connected_as("bob");
    m.handle_frame(event(2, incoming("call-2")));
    assert!(!m.connection_is_silent());
    m.heartbeat();
    m.handle_frame(ok(99, json!({"serverTime": 2}))); // the server is alive
    m.heartbeat();
    assert!(
        m.connection_is_silent(),
        "the gap before seq 2 never filled"
    );
    m.handle_disconnect();
    m.hello("app", "token", "dev", true);
    let Some(Request::Hello(h)) = m.poll_transmit().map(|f| f.request) else {
        panic!("no hello");
    };
    assert_eq!(h.resume.map(|r| r.last_seq), Some(0));
}
