//! The core driven by inputs alone: authentication, ordering of answers and
//! events, and fan-out to several devices.

use nccall_protocol::{
    AcceptCallParams, CallMediaType, ClientFrame, ErrorCode, HelloParams, MediaState,
    PROTOCOL_VERSION, Request, ServerEvent, ServerFrame, StartCallParams, StartCallRequest,
};

use super::{ConnId, Input, Output, ServerCore};
use crate::calls::UserKey;
use crate::fixtures::Fixtures;

const FIXTURES: &str = "apps:
  - app_key: app
    users:
      - { user_id: alice, token: ta }
      - { user_id: bob, token: tb }
      - { user_id: dave, token: td }
  - app_key: off
    calling_enabled: false
    users:
      - { user_id: carol, token: tc }
";

fn core() -> ServerCore {
    ServerCore::new(Fixtures::from_yaml(FIXTURES).unwrap()).unwrap()
}

fn hello(app: &str, token: &str, version: u32) -> Request {
    Request::Hello(HelloParams {
        protocol_version: version,
        app_key: app.into(),
        token: token.into(),
        device_id: String::new(),
        resume: None,
    })
}

fn send(core: &mut ServerCore, conn: ConnId, id: u64, request: Request) -> Vec<Output> {
    core.handle_input(
        0,
        Input::Frame {
            conn,
            frame: ClientFrame { id, request },
        },
    );
    std::iter::from_fn(|| core.poll_output()).collect()
}

fn code_of(out: &[Output]) -> u32 {
    out.iter()
        .find_map(|o| match o {
            Output::Send {
                frame: ServerFrame::Response(r),
                ..
            } => Some(r.code),
            _ => None,
        })
        .expect("a response")
}

fn login(core: &mut ServerCore, conn: ConnId, token: &str) {
    core.handle_input(0, Input::Opened { conn });
    assert_eq!(
        code_of(&send(core, conn, 1, hello("app", token, PROTOCOL_VERSION))),
        0
    );
}

#[test]
fn refused_hellos_answer_a_code_and_close() {
    let cases = [
        (
            hello("nope", "ta", PROTOCOL_VERSION),
            ErrorCode::AppKeyInvalid,
        ),
        (
            hello("off", "tc", PROTOCOL_VERSION),
            ErrorCode::RtcServiceUnavailable,
        ),
        (
            hello("app", "wrong", PROTOCOL_VERSION),
            ErrorCode::TokenInvalid,
        ),
        (
            hello("app", "ta", 99),
            ErrorCode::ProtocolVersionUnsupported,
        ),
    ];
    for (request, code) in cases {
        let mut c = core();
        c.handle_input(0, Input::Opened { conn: 1 });
        let out = send(&mut c, 1, 5, request);
        assert_eq!(code_of(&out), code.code());
        assert_eq!(out.last(), Some(&Output::Close { conn: 1 }));
        assert_eq!(c.stats().online_users, 0);
    }
}

#[test]
fn requests_before_hello_are_refused_and_a_second_hello_too() {
    let mut c = core();
    c.handle_input(0, Input::Opened { conn: 1 });
    let out = send(&mut c, 1, 1, Request::Heartbeat);
    assert_eq!(code_of(&out), ErrorCode::NotAuthenticated.code());
    assert!(!out.contains(&Output::Close { conn: 1 }));
    login(&mut c, 1, "ta");
    assert_eq!(
        code_of(&send(&mut c, 1, 2, hello("app", "ta", 1))),
        ErrorCode::BadFrame.code()
    );
}

#[test]
fn answer_precedes_events_and_every_device_gets_them() {
    let mut c = core();
    login(&mut c, 1, "ta");
    login(&mut c, 2, "tb");
    login(&mut c, 3, "tb"); // bob's second device
    let out = send(
        &mut c,
        1,
        9,
        Request::StartCall(StartCallRequest {
            params: StartCallParams::single("bob", CallMediaType::Audio),
            media: MediaState::default(),
        }),
    );
    assert!(
        matches!(&out[0], Output::Send { conn: 1, frame: ServerFrame::Response(r) } if r.id == 9 && r.code == 0)
    );
    let received: Vec<ConnId> = out
        .iter()
        .filter_map(|o| match o {
            Output::Send {
                conn,
                frame:
                    ServerFrame::Event {
                        seq: 1,
                        event: ServerEvent::CallReceived { .. },
                    },
            } => Some(*conn),
            _ => None,
        })
        .collect();
    assert_eq!(received, vec![2, 3]);

    // A closed device no longer receives anything; the other one still does.
    c.handle_input(0, Input::Closed { conn: 3 });
    let call_id = call_of(&c, "bob");
    let out = send(
        &mut c,
        2,
        3,
        Request::AcceptCall(AcceptCallParams {
            call_id,
            media: MediaState::default(),
        }),
    );
    assert!(
        out.iter()
            .all(|o| !matches!(o, Output::Send { conn: 3, .. }))
    );
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Send {
            conn: 2,
            frame: ServerFrame::Event {
                event: ServerEvent::CallConnected { .. },
                ..
            }
        }
    )));
}

/// The id of `user`'s (first) call.
fn call_of(c: &ServerCore, user: &str) -> String {
    let key = crate::calls::UserKey::new("app", user);
    match c.calls.calls_of(&key).next() {
        Some(call) => call.id.clone(),
        None => panic!("{user} has no call"),
    }
}

fn resume_hello(token: &str, session_id: &str, last_seq: u64) -> Request {
    Request::Hello(HelloParams {
        protocol_version: PROTOCOL_VERSION,
        app_key: "app".into(),
        token: token.into(),
        device_id: String::new(),
        resume: Some(nccall_protocol::ResumeParams {
            session_id: session_id.into(),
            last_seq,
        }),
    })
}

/// The result of the response to request `id` among `out`, decoded.
fn result_of<T: serde::de::DeserializeOwned>(out: &[Output], id: u64) -> T {
    out.iter()
        .find_map(|o| match o {
            Output::Send {
                frame: ServerFrame::Response(r),
                ..
            } if r.id == id => r.result.clone(),
            _ => None,
        })
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_else(|| panic!("no result for request {id} in {out:?}"))
}

/// The tests send `hello` as request 1.
fn hello_result(out: &[Output]) -> nccall_protocol::HelloResult {
    result_of(out, 1)
}

fn event_seqs(out: &[Output], conn: ConnId) -> Vec<u64> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send {
                conn: c,
                frame: ServerFrame::Event { seq, .. },
            } if *c == conn => Some(*seq),
            _ => None,
        })
        .collect()
}

fn start_call(c: &mut ServerCore, conn: ConnId, callee: &str) -> Vec<Output> {
    send(
        c,
        conn,
        9,
        Request::StartCall(StartCallRequest {
            params: StartCallParams::single(callee, CallMediaType::Audio),
            media: MediaState::default(),
        }),
    )
}

#[test]
fn a_resume_replays_what_the_device_missed_exactly_after_last_seq() {
    let mut c = core();
    login(&mut c, 1, "ta");
    c.handle_input(0, Input::Opened { conn: 2 });
    let first = hello_result(&send(&mut c, 2, 1, hello("app", "tb", PROTOCOL_VERSION)));
    assert!(!first.resumed);
    // Bob sees event 1 (the call rings), then his connection drops.
    assert_eq!(event_seqs(&start_call(&mut c, 1, "bob"), 2), vec![1]);
    c.handle_input(10, Input::Closed { conn: 2 });
    // Alice hangs up while bob is away: numbered for bob, not sent.
    let call_id = call_of(&c, "alice");
    let out = send(
        &mut c,
        1,
        4,
        Request::EndCall(nccall_protocol::EndCallParams {
            call_id,
            push_config: None,
        }),
    );
    assert!(event_seqs(&out, 2).is_empty());
    // Bob comes back on conn 3 having processed event 1: he gets 2 (callEnded) only.
    c.handle_input(20, Input::Opened { conn: 3 });
    let out = send(&mut c, 3, 1, resume_hello("tb", &first.session_id, 1));
    let resumed = hello_result(&out);
    assert!(resumed.resumed);
    assert_eq!(resumed.session_id, first.session_id);
    // 2 is callEnded; the server call log follows. Nothing before 2, no gap.
    let replayed = event_seqs(&out, 3);
    let expected: Vec<u64> = (2..2 + replayed.len() as u64).collect();
    assert!(replayed.len() >= 2 && replayed == expected, "{replayed:?}");
    // A later event continues the numbering on the new connection.
    let next = expected.last().copied().unwrap_or(0) + 1;
    assert_eq!(event_seqs(&start_call(&mut c, 1, "bob"), 3), vec![next]);
}

#[test]
fn a_session_not_resumed_in_time_ends_its_calls_with_network_error() {
    let mut c = core();
    login(&mut c, 1, "ta");
    c.handle_input(0, Input::Opened { conn: 2 });
    let first = hello_result(&send(&mut c, 2, 1, hello("app", "tb", PROTOCOL_VERSION)));
    start_call(&mut c, 1, "bob");
    let call_id = call_of(&c, "bob");
    send(
        &mut c,
        2,
        2,
        Request::AcceptCall(AcceptCallParams {
            call_id,
            media: MediaState::default(),
        }),
    );
    std::iter::from_fn(|| c.poll_output()).for_each(drop);
    c.handle_input(1_000, Input::Closed { conn: 2 });
    assert_eq!(c.poll_timeout(), Some(1_000 + super::RESUME_WINDOW_MS));
    c.handle_timeout(1_000 + super::RESUME_WINDOW_MS);
    let out: Vec<Output> = std::iter::from_fn(|| c.poll_output()).collect();
    let alice_heard = out.iter().any(|o| matches!(o,
        Output::Send { conn: 1, frame: ServerFrame::Event { event: ServerEvent::CallEnded { reason, .. }, .. } }
            if *reason == nccall_protocol::CallEndReason::RemoteNetworkError));
    assert!(alice_heard, "{out:?}");
    assert_eq!(c.stats().active_calls, 0);
    // Too late: the resume is refused and a fresh session starts.
    c.handle_input(40_000, Input::Opened { conn: 3 });
    let again = hello_result(&send(
        &mut c,
        3,
        1,
        resume_hello("tb", &first.session_id, 2),
    ));
    assert!(!again.resumed);
    assert_ne!(again.session_id, first.session_id);
}

#[test]
fn a_user_cannot_resume_another_users_session() {
    let mut c = core();
    c.handle_input(0, Input::Opened { conn: 1 });
    let alice = hello_result(&send(&mut c, 1, 1, hello("app", "ta", PROTOCOL_VERSION)));
    c.handle_input(0, Input::Closed { conn: 1 });
    c.handle_input(0, Input::Opened { conn: 2 });
    let bob = hello_result(&send(
        &mut c,
        2,
        1,
        resume_hello("tb", &alice.session_id, 0),
    ));
    assert!(!bob.resumed);
    assert_eq!(bob.user_id, "bob");
}

/// Media requests reach the media server only for a member connected in
/// the call: a stranger, and a callee still ringing, get a code instead.
#[test]
fn only_connected_members_publish_or_update_media() {
    use nccall_protocol::{PublishMediaParams, StartCallResult, UpdateMediaParams};
    let mut c = core();
    login(&mut c, 1, "ta");
    login(&mut c, 2, "tb");
    login(&mut c, 3, "td");
    let started = start_call(&mut c, 1, "bob");
    let call_id = result_of::<StartCallResult>(&started, 9).call_id;
    let publish = || {
        Request::PublishMedia(PublishMediaParams {
            call_id: call_id.clone(),
            sdp: "v=0".into(),
            low_resolution_user_ids: Vec::new(),
            receive_user_ids: Vec::new(),
        })
    };
    let update = || {
        Request::UpdateMedia(UpdateMediaParams {
            call_id: call_id.clone(),
            sdp: None,
            receive_user_ids: vec!["alice".into()],
        })
    };
    let reaches_media = |out: &[Output]| {
        out.iter()
            .any(|o| matches!(o, Output::PublishMedia { .. } | Output::UpdateMedia { .. }))
    };
    for (conn, request, code) in [
        (3, publish(), ErrorCode::CallIdInvalid),
        (3, update(), ErrorCode::CallIdInvalid),
        (2, publish(), ErrorCode::CallStateInvalid),
        (2, update(), ErrorCode::CallStateInvalid),
    ] {
        let out = send(&mut c, conn, 20, request);
        assert_eq!(code_of(&out), code.code(), "conn {conn}");
        assert!(!reaches_media(&out));
    }
    let accepted = send(
        &mut c,
        2,
        21,
        Request::AcceptCall(AcceptCallParams {
            call_id: call_id.clone(),
            media: MediaState::default(),
        }),
    );
    assert_eq!(code_of(&accepted), 0);
    assert!(reaches_media(&send(&mut c, 2, 22, update())));
}

/// Delayed events leave when the core's time reaches them, in order; the
/// core asks to be woken then.
#[test]
fn delayed_events_leave_at_their_time_in_order() {
    let mut c = core();
    login(&mut c, 1, "ta");
    login(&mut c, 2, "tb");
    c.delay_events(UserKey::new("app", "bob"), 2_000);
    let placed = start_call(&mut c, 1, "bob");
    assert!(event_seqs(&placed, 2).is_empty(), "nothing for bob yet");
    assert_eq!(c.poll_timeout(), Some(2_000));
    c.handle_timeout(1_999);
    assert!(std::iter::from_fn(|| c.poll_output()).next().is_none());
    c.handle_timeout(2_000);
    let out: Vec<Output> = std::iter::from_fn(|| c.poll_output()).collect();
    assert_eq!(event_seqs(&out, 2), vec![1]);
}

/// The next N events are gathered and sent last first; later ones pass.
#[test]
fn reversed_events_go_out_last_first() {
    use nccall_protocol::{EndCallParams, SetMediaStateParams};
    let mut c = core();
    login(&mut c, 1, "ta");
    login(&mut c, 2, "tb");
    c.reverse_events(UserKey::new("app", "bob"), 2);
    let placed = start_call(&mut c, 1, "bob");
    assert!(event_seqs(&placed, 2).is_empty(), "the first is gathered");
    let switched = send(
        &mut c,
        1,
        10,
        Request::SetMediaState(SetMediaStateParams {
            call_id: "call-1".into(),
            camera_enabled: None,
            microphone_enabled: Some(false),
        }),
    );
    assert_eq!(event_seqs(&switched, 2), vec![2, 1]);
    let ended = send(
        &mut c,
        1,
        11,
        Request::EndCall(EndCallParams {
            call_id: "call-1".into(),
            push_config: None,
        }),
    );
    let seqs = event_seqs(&ended, 2);
    assert!(
        !seqs.is_empty() && seqs.windows(2).all(|w| w[0] < w[1]),
        "{seqs:?}"
    );
}

/// A partitioned user's requests go unanswered and events to them are
/// lost on the wire, but kept for a resume; new connections are closed.
#[test]
fn a_partition_is_silent_both_ways_and_a_resume_recovers() {
    let mut c = core();
    login(&mut c, 1, "ta");
    let bob = UserKey::new("app", "bob");
    c.handle_input(0, Input::Opened { conn: 2 });
    let hello = hello_result(&send(&mut c, 2, 1, hello("app", "tb", PROTOCOL_VERSION)));
    c.partition(bob.clone());
    let placed = start_call(&mut c, 1, "bob");
    assert!(event_seqs(&placed, 2).is_empty(), "lost on the way");
    let unanswered = send(&mut c, 2, 5, Request::Heartbeat);
    assert!(unanswered.is_empty(), "{unanswered:?}");
    // A new connection gets nowhere while the partition lasts.
    c.handle_input(0, Input::Opened { conn: 3 });
    let refused = send(&mut c, 3, 1, resume_hello("tb", &hello.session_id, 0));
    assert!(
        matches!(refused.as_slice(), [Output::Close { conn: 3 }]),
        "{refused:?}"
    );
    // Healed: the engine gave up on conn 2 and resumes on conn 4.
    c.release(&bob);
    c.handle_input(0, Input::Closed { conn: 2 });
    c.handle_input(0, Input::Opened { conn: 4 });
    let resumed = send(&mut c, 4, 1, resume_hello("tb", &hello.session_id, 0));
    assert_eq!(event_seqs(&resumed, 4), vec![1], "the lost event, replayed");
}

/// Access control, request by request: dave is in no call, so every request
/// naming alice and bob's call (or its media-type change) is refused with a
/// code, reaches neither of them, and changes nothing; his log requests see
/// and delete only his own logs.
#[test]
fn a_user_acts_only_on_calls_they_belong_to() {
    use nccall_protocol::{
        CallLogOrder, CallLogPage, DeleteCallLogsParams, DeleteCallLogsResult, EndCallParams,
        GetHistoryCallLogsParams, InviteToCallParams, ReplyChangeMediaTypeParams,
        RequestChangeMediaTypeParams, RequestChangeMediaTypeResult, SetMediaStateParams,
        SubscribeVideoParams, TransactionParams,
    };
    let mut c = core();
    login(&mut c, 1, "ta");
    login(&mut c, 2, "tb");
    login(&mut c, 3, "td");
    start_call(&mut c, 1, "bob");
    let accept = |call: &str| {
        Request::AcceptCall(AcceptCallParams {
            call_id: call.into(),
            media: MediaState::default(),
        })
    };
    assert_eq!(code_of(&send(&mut c, 2, 20, accept("call-1"))), 0);
    let asked = send(
        &mut c,
        1,
        21,
        Request::RequestChangeMediaType(RequestChangeMediaTypeParams {
            call_id: "call-1".into(),
            media_type: CallMediaType::AudioVideo,
        }),
    );
    let tx = result_of::<RequestChangeMediaTypeResult>(&asked, 21).transaction_id;
    let call = || "call-1".to_string();
    let refused: Vec<(&str, Request)> = vec![
        ("accept", accept("call-1")),
        (
            "end",
            Request::EndCall(EndCallParams {
                call_id: call(),
                push_config: None,
            }),
        ),
        (
            "invite",
            Request::InviteToCall(InviteToCallParams {
                call_id: call(),
                user_ids: vec!["dave".into()],
            }),
        ),
        (
            "switch",
            Request::SetMediaState(SetMediaStateParams {
                call_id: call(),
                camera_enabled: Some(false),
                microphone_enabled: Some(false),
            }),
        ),
        (
            "ask a media change",
            Request::RequestChangeMediaType(RequestChangeMediaTypeParams {
                call_id: call(),
                media_type: CallMediaType::Audio,
            }),
        ),
        (
            "answer alice's media change",
            Request::ReplyChangeMediaType(ReplyChangeMediaTypeParams {
                call_id: call(),
                transaction_id: tx.clone(),
                is_agreed: true,
            }),
        ),
        (
            "cancel alice's media change",
            Request::CancelChangeMediaType(TransactionParams {
                call_id: call(),
                transaction_id: tx.clone(),
            }),
        ),
        (
            "choose a video layer",
            Request::SubscribeVideo(SubscribeVideoParams {
                call_id: call(),
                user_id: "alice".into(),
                low_resolution: true,
            }),
        ),
    ];
    for (what, request) in refused {
        let out = send(&mut c, 3, 30, request);
        assert_ne!(code_of(&out), 0, "dave could {what}");
        assert!(
            event_seqs(&out, 1).is_empty() && event_seqs(&out, 2).is_empty(),
            "dave's {what} reached alice or bob: {out:?}"
        );
        let call = c.calls().get("call-1").expect("the call goes on");
        assert!(call.member("dave").is_none(), "after {what}");
        assert!(call.pending_change.is_some(), "after {what}");
    }
    // Bob may answer; the call ends; dave sees and deletes only his own logs.
    let end = Request::EndCall(EndCallParams {
        call_id: call(),
        push_config: None,
    });
    assert_eq!(code_of(&send(&mut c, 1, 40, end)), 0);
    let history = |c: &mut ServerCore, conn: ConnId| -> CallLogPage {
        let out = send(
            c,
            conn,
            41,
            Request::GetHistoryCallLogs(GetHistoryCallLogsParams {
                start_time: -1,
                count: 10,
                order: CallLogOrder::Desc,
            }),
        );
        result_of(&out, 41)
    };
    assert!(history(&mut c, 3).call_log_list.is_empty());
    let deleted = send(
        &mut c,
        3,
        42,
        Request::DeleteCallLogsForMe(DeleteCallLogsParams {
            call_ids: vec![call()],
        }),
    );
    let result = result_of::<DeleteCallLogsResult>(&deleted, 42);
    assert_eq!(result.not_found_call_ids, vec![call()]);
    for conn in [1, 2] {
        let ids: Vec<String> = history(&mut c, conn)
            .call_log_list
            .into_iter()
            .map(|l| l.call_id)
            .collect();
        assert_eq!(ids, vec![call()], "conn {conn} keeps its log");
    }
}

#[test]
fn a_restarted_core_never_reuses_the_id_of_a_call_that_was_in_progress() {
    let dir = std::env::temp_dir().join(format!("nccall-core-ids-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let boot = || {
        let store = crate::store::SqliteStore::open_dir(&dir).expect("a store");
        let mut c = ServerCore::with_store(Fixtures::from_yaml(FIXTURES).unwrap(), Box::new(store))
            .unwrap();
        login(&mut c, 1, "ta");
        login(&mut c, 2, "tb");
        assert_eq!(code_of(&start_call(&mut c, 1, "bob")), 0);
        call_of(&c, "alice")
    };
    // The first call is in progress when the core goes: it leaves no log.
    let before = boot();
    let after = boot();
    let _ = std::fs::remove_dir_all(&dir);
    assert_ne!(before, after);
}
