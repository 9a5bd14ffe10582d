//! The core driven by inputs alone: authentication, ordering of answers and
//! events, and fan-out to several devices.

use nccall_protocol::{
    AcceptCallParams, CallMediaType, ClientFrame, ErrorCode, HelloParams, MediaState,
    PROTOCOL_VERSION, Request, ServerEvent, ServerFrame, StartCallParams, StartCallRequest,
};

use super::{ConnId, Input, Output, ServerCore};
use crate::fixtures::Fixtures;

const FIXTURES: &str = "apps:
  - app_key: app
    users:
      - { user_id: alice, token: ta }
      - { user_id: bob, token: tb }
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
    let call_id = c
        .calls
        .calls_of(&crate::calls::UserKey::new("app", "bob"))
        .next()
        .unwrap()
        .id
        .clone();
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
