//! The engine's state machine alone: frames in, frames/events/results out.

use nccall_protocol::{
    CallEndReason, CallMediaType, CallState, CallType, CallUserState, ErrorCode, Participant,
    Request, Response, ServerEvent, ServerFrame, StartCallParams,
};
use serde_json::json;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use nccall_protocol::ClientFrame;

use super::{
    CallMachine, Completion, ConnectionStatus, MachineConfig, MediaIntent, MediaReport, Output,
    RequestId,
};
use crate::error::CallError;
use crate::events::CallEvent;

/// A machine with the shell's part played by hand: its outputs sorted into
/// queues, links opened at once, time moved only when a test says so.
struct Probe {
    m: CallMachine,
    now: Instant,
    generation: u64,
    frames: VecDeque<ClientFrame>,
    events: VecDeque<CallEvent>,
    completions: VecDeque<(RequestId, Result<Completion, CallError>)>,
    links: VecDeque<Output>,
    media: VecDeque<MediaIntent>,
}

impl std::ops::Deref for Probe {
    type Target = CallMachine;
    fn deref(&self) -> &CallMachine {
        &self.m
    }
}

impl std::ops::DerefMut for Probe {
    fn deref_mut(&mut self) -> &mut CallMachine {
        &mut self.m
    }
}

impl Probe {
    fn new() -> Self {
        Self::with(MachineConfig::default())
    }

    fn with(config: MachineConfig) -> Self {
        Probe {
            m: CallMachine::new(config),
            now: Instant::now(),
            generation: 0,
            frames: VecDeque::new(),
            events: VecDeque::new(),
            completions: VecDeque::new(),
            links: VecDeque::new(),
            media: VecDeque::new(),
        }
    }

    fn sort(&mut self) {
        while let Some(output) = self.m.poll_output(self.now) {
            match output {
                Output::Transmit(frame) => self.frames.push_back(frame),
                Output::Event(event) => self.events.push_back(event),
                Output::Completion(id, result) => self.completions.push_back((id, result)),
                Output::OpenLink { generation } => {
                    self.generation = generation;
                    self.links.push_back(output);
                }
                Output::Media(intent) => self.media.push_back(intent),
                other => self.links.push_back(other),
            }
        }
    }

    fn poll_transmit(&mut self) -> Option<ClientFrame> {
        self.sort();
        self.frames.pop_front()
    }

    fn poll_event(&mut self) -> Option<CallEvent> {
        self.sort();
        self.events.pop_front()
    }

    fn poll_completion(&mut self) -> Option<(RequestId, Result<Completion, CallError>)> {
        self.sort();
        self.completions.pop_front()
    }

    fn handle_frame(&mut self, frame: ServerFrame) {
        self.sort();
        self.m.handle_frame(self.now, frame);
    }

    fn advance(&mut self, by: Duration) {
        self.sort();
        self.now += by;
        self.m.handle_timeout(self.now);
        self.sort();
    }

    /// Connects and opens the link; the hello is the next frame out.
    fn connect(&mut self) -> RequestId {
        let id = self.m.connect(self.now, "app", "token", "dev");
        self.sort();
        self.m.handle_link_opened(self.now, self.generation);
        id
    }

    /// The link drops; the machine's retry opens a new one at once (the
    /// first retry waits 0 ms). Returns the id of the resuming hello.
    fn lose_link_and_reopen(&mut self) -> RequestId {
        self.sort();
        self.m.handle_link_closed(self.now, self.generation);
        self.frames.clear();
        self.advance(Duration::ZERO);
        self.sort();
        self.m.handle_link_opened(self.now, self.generation);
        let hello = self.poll_transmit().expect("a hello on the new link");
        self.frames.push_front(hello.clone());
        hello.id
    }
}

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

fn connected_as(user: &str) -> Probe {
    connected_with(user, MachineConfig::default())
}

fn connected_with(user: &str, config: MachineConfig) -> Probe {
    let mut m = Probe::with(config);
    let id = m.connect();
    let hello = m.poll_transmit().expect("a hello");
    assert!(matches!(hello.request, Request::Hello(ref h) if h.resume.is_none()));
    m.handle_frame(ok(
        hello.id,
        json!({"userId": user, "serverTime": 1, "heartbeatIntervalMs": 20000, "sessionId": "s7"}),
    ));
    assert!(matches!(m.poll_completion(), Some((i, Ok(Completion::Hello(_)))) if i == id));
    assert_eq!(m.status(), (ConnectionStatus::Connected, 0));
    m.sort();
    assert_eq!(
        m.links.drain(..).collect::<Vec<_>>(),
        [
            Output::OpenLink { generation: 1 },
            Output::Status {
                status: ConnectionStatus::Connected,
                reconnections: 0
            }
        ]
    );
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

fn drain_events(m: &mut Probe) -> Vec<CallEvent> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

#[test]
fn nothing_works_before_connect_and_nothing_is_sent() {
    let mut m = Probe::new();
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
    let _ = m.poll_transmit();
    let generation = m.generation;
    let now = m.now;
    m.m.handle_link_closed(now, generation);
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
    // Answering it ends c1 first (preemption); the answer goes out once
    // the hang-up succeeded, under the id the app was given.
    m.sort();
    m.frames.clear();
    m.completions.clear();
    let accept = m.accept_call("c2").unwrap();
    let hang_up = m.poll_transmit().expect("the hang-up of c1");
    assert!(
        matches!(&hang_up.request, Request::EndCall(p) if p.call_id == "c1"),
        "{hang_up:?}"
    );
    assert_ne!(hang_up.id, accept);
    assert!(m.poll_transmit().is_none(), "no answer before the hang-up");
    m.handle_frame(ok(hang_up.id, serde_json::Value::Null));
    let answer = m.poll_transmit().expect("the answer to c2");
    assert!(
        matches!(&answer.request, Request::AcceptCall(p) if p.call_id == "c2")
            && answer.id == accept,
        "{answer:?}"
    );
    assert!(
        m.poll_completion().is_none(),
        "the hang-up is the machine's own"
    );
    m.handle_frame(ok(accept, serde_json::Value::Null));
    assert!(matches!(m.poll_completion(), Some((id, Ok(Completion::Done))) if id == accept));
}

#[test]
fn a_refused_preempting_hang_up_leaves_the_new_call_unanswered() {
    let mut m = connected_as("bob");
    m.handle_frame(event(1, incoming("c1")));
    let id = m.accept_call("c1").unwrap();
    m.handle_frame(ok(id, serde_json::Value::Null));
    m.handle_frame(event(2, incoming("c2")));
    m.sort();
    m.frames.clear();
    m.completions.clear();
    let accept = m.accept_call("c2").unwrap();
    let hang_up = m.poll_transmit().expect("the hang-up of c1");
    m.handle_frame(ServerFrame::Response(Response {
        id: hang_up.id,
        code: ErrorCode::CallStateInvalid.code(),
        message: Some("no".into()),
        result: None,
    }));
    assert!(m.poll_transmit().is_none(), "the answer is not sent");
    let failed: Vec<_> = std::iter::from_fn(|| m.poll_completion()).collect();
    assert!(
        failed
            .iter()
            .any(|(i, r)| *i == accept
                && matches!(r, Err(e) if e.code() == ErrorCode::CallStateInvalid)),
        "{failed:?}"
    );
}

#[test]
fn a_video_call_needs_a_local_view_first() {
    let mut m = connected_as("alice");
    let video = StartCallParams {
        callee_ids: vec!["bob".into()],
        call_type: CallType::Single,
        media_type: CallMediaType::AudioVideo,
        extra: None,
        target_id: None,
        push_config: None,
    };
    let refused = m.start_call(video.clone()).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::LocalViewNotSet);
    assert!(m.poll_transmit().is_none());
    m.set_local_view(true);
    assert!(m.start_call(video).is_ok());
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
    m.lose_link_and_reopen();
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
    let id = m.lose_link_and_reopen();
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
    let now = m.now;
    m.disconnect(now);
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
    m.lose_link_and_reopen();
    let Some(Request::Hello(h)) = m.poll_transmit().map(|f| f.request) else {
        panic!("no hello");
    };
    assert_eq!(h.resume.map(|r| r.last_seq), Some(0));
}

/// The machine's clock, not the shell's, decides when a request has waited
/// too long: it fails with REQUEST_TIMEOUT a timeout after its frame left.
#[test]
fn a_request_unanswered_for_the_timeout_fails_with_request_timeout() {
    let mut m = connected_as("alice");
    let id = m.get_ongoing_call_logs().unwrap();
    assert!(m.poll_transmit().is_some());
    let deadline = m.poll_timeout().expect("a deadline");
    assert_eq!(deadline, m.now + MachineConfig::default().request_timeout);
    m.advance(MachineConfig::default().request_timeout - Duration::from_millis(1));
    assert!(m.poll_completion().is_none(), "not a millisecond early");
    m.advance(Duration::from_millis(1));
    let (done, result) = m.poll_completion().expect("a completion");
    assert_eq!(
        (done, result.unwrap_err().code()),
        (id, ErrorCode::RequestTimeout)
    );
    // The late answer is ignored.
    m.handle_frame(ok(id, json!({"callLogList": []})));
    assert!(m.poll_completion().is_none());
}

/// Heartbeats go out on the server's interval; two unanswered make the
/// connection count as lost, and the machine opens a new one and resumes.
#[test]
fn silent_heartbeats_lose_the_link_and_the_machine_reconnects_and_resumes() {
    let mut m = connected_as("bob");
    m.handle_frame(event(1, incoming("call-1")));
    drain_events(&mut m);
    let interval = Duration::from_millis(20_000);
    for _ in 0..2 {
        m.advance(interval);
        let beat = std::iter::from_fn(|| m.poll_transmit())
            .find(|f| matches!(f.request, Request::Heartbeat));
        assert!(beat.is_some(), "a heartbeat after an interval");
    }
    assert!(m.links.is_empty());
    m.advance(interval);
    m.sort();
    assert_eq!(m.links.pop_front(), Some(Output::CloseLink));
    assert_eq!(
        m.links.pop_front(),
        Some(Output::Status {
            status: ConnectionStatus::Reconnecting,
            reconnections: 0
        })
    );
    m.advance(Duration::ZERO); // the first retry waits 0 ms
    let open = m.links.pop_front();
    assert!(
        matches!(open, Some(Output::OpenLink { .. })),
        "{open:?} {:?}",
        m.links
    );
    let (now, generation) = (m.now, m.generation);
    m.m.handle_link_opened(now, generation);
    let hello = m.poll_transmit().expect("a hello");
    let Request::Hello(h) = &hello.request else {
        panic!("not a hello: {hello:?}");
    };
    assert_eq!(h.resume.as_ref().map(|r| r.last_seq), Some(1));
    m.handle_frame(ok(
        hello.id,
        json!({"userId": "bob", "serverTime": 5, "heartbeatIntervalMs": 20000, "sessionId": "s7", "resumed": true}),
    ));
    assert_eq!(m.status(), (ConnectionStatus::Connected, 1));
    assert!(
        !m.completions
            .iter()
            .any(|(_, r)| matches!(r, Ok(Completion::Hello(_)))),
        "a reconnect answers no connect"
    );
    assert!(m.current_session().is_some(), "a resumed call stays");
}

/// A first `connect` that is refused is answered with the server's code
/// and not tried again; one the network loses repeatedly backs off.
#[test]
fn a_refused_connect_is_answered_and_a_lost_one_backs_off() {
    let mut m = Probe::new();
    let id = m.connect();
    let hello = m.poll_transmit().expect("a hello");
    m.handle_frame(ServerFrame::Response(Response {
        id: hello.id,
        code: ErrorCode::TokenInvalid.code(),
        message: Some("bad token".into()),
        result: None,
    }));
    let (done, result) = m.poll_completion().expect("an answer");
    assert_eq!(
        (done, result.unwrap_err().code()),
        (id, ErrorCode::TokenInvalid)
    );
    assert_eq!(
        m.poll_timeout(),
        None,
        "no retry of a refused first connect"
    );
    assert_eq!(m.status().0, ConnectionStatus::Disconnected);

    let mut m = connected_as("bob");
    let mut retries = Vec::new();
    for _ in 0..4 {
        let (now, generation) = (m.now, m.generation);
        m.m.handle_link_closed(now, generation);
        let at = m.poll_timeout().expect("a retry");
        retries.push((at - m.now).as_millis());
        m.advance(at - m.now);
        m.sort();
    }
    assert_eq!(retries, [0, 50, 100, 200]);
    let now = m.now;
    m.disconnect(now);
    assert_eq!(m.poll_timeout(), None, "disconnect stops the retries");
}

/// The intents the machine gave since the last look.
fn intents(m: &mut Probe) -> Vec<MediaIntent> {
    m.sort();
    m.media.drain(..).collect()
}

#[test]
fn media_is_built_when_accepting_published_when_connected_released_at_the_end() {
    let mut m = connected_with(
        "bob",
        MachineConfig {
            media: true,
            ..MachineConfig::default()
        },
    );
    m.handle_frame(event(1, incoming("c1")));
    assert_eq!(intents(&mut m), [], "a call that only rings has no media");
    let id = m.accept_call("c1").unwrap();
    assert_eq!(
        intents(&mut m),
        [MediaIntent::Prepare {
            call_id: "c1".into(),
            receive_slots: 1
        }],
        "built while the answer travels"
    );
    m.handle_frame(ok(id, serde_json::Value::Null));
    assert_eq!(intents(&mut m), []);
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
    assert_eq!(
        intents(&mut m),
        [MediaIntent::Publish {
            call_id: "c1".into(),
            slots: vec!["alice".into()]
        }]
    );
    let now = m.now;
    m.handle_media_report(now, "c1", MediaReport::Lost);
    assert_eq!(
        intents(&mut m),
        [MediaIntent::Rebuild {
            call_id: "c1".into(),
            slots: vec!["alice".into()]
        }]
    );
    m.handle_media_report(now, "c1", MediaReport::RebuildFailed);
    assert_eq!(intents(&mut m), []);
    let due = m.poll_timeout().expect("a retry is due");
    assert_eq!(due - m.now, Duration::from_millis(100));
    m.advance(Duration::from_millis(100));
    assert_eq!(intents(&mut m).len(), 1, "the rebuild is asked for again");
    m.handle_frame(event(
        3,
        ServerEvent::CallEnded {
            call_id: "c1".into(),
            reason: CallEndReason::RemoteHangup,
            end_time: 99,
        },
    ));
    assert_eq!(
        intents(&mut m),
        [MediaIntent::Release {
            call_id: "c1".into()
        }]
    );
}

#[test]
fn a_refused_accept_releases_the_media_built_for_it() {
    let mut m = connected_with(
        "bob",
        MachineConfig {
            media: true,
            ..MachineConfig::default()
        },
    );
    m.handle_frame(event(1, incoming("c1")));
    let id = m.accept_call("c1").unwrap();
    assert_eq!(intents(&mut m).len(), 1);
    m.handle_frame(ServerFrame::Response(Response {
        id,
        code: ErrorCode::CallStateInvalid.code(),
        message: Some("no longer rings".into()),
        result: None,
    }));
    assert_eq!(
        intents(&mut m),
        [MediaIntent::Release {
            call_id: "c1".into()
        }]
    );
}
