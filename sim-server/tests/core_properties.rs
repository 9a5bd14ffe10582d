//! Property tests of the server core: random sequences of requests from four
//! users (calls, answers, hang-ups, invitations, joins, media switches and
//! media-type changes, dropped connections, time passing, stray requests)
//! driven through `ServerCore::handle_input`, with invariants checked after
//! every step and at the end:
//!
//! - the core never panics, and answers every request exactly once;
//! - a user is connecting or on call in at most one call at a time;
//! - no call lingers with nobody present in it;
//! - every started call ends once everyone hangs up;
//! - each user's call logs list exactly the calls they were in, once each.
//!
//! The number of cases is `PROPTEST_CASES` (256 by default); CI bounds it.
//! A failure prints the shrunk sequence of steps that breaks the invariant.

use std::collections::{BTreeMap, BTreeSet};

use nccall_protocol::{
    AcceptCallParams, AckParams, CallLogOrder, CallLogPage, CallMediaType, CallType, CallUserState,
    ClientFrame, EndCallParams, GetHistoryCallLogsParams, HelloParams, InviteToCallParams,
    JoinCallParams, MAX_HISTORY_PAGE, MediaState, PROTOCOL_VERSION, ReplyChangeMediaTypeParams,
    Request, RequestChangeMediaTypeParams, ServerFrame, SetMediaStateParams, StartCallParams,
    StartCallRequest, TransactionParams,
};
use nccall_sim::{ConnId, Fixtures, Input, Millis, Output, ServerCore, UserKey};
use proptest::prelude::*;

const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];
const APP: &str = "app";

fn fixtures() -> Fixtures {
    let mut yaml = format!("apps:\n  - app_key: {APP}\n    max_participants: 3\n    users:\n");
    for u in USERS {
        yaml.push_str(&format!("      - {{ user_id: {u}, token: {u}-t }}\n"));
    }
    Fixtures::from_yaml(&yaml).expect("fixtures")
}

/// One step of a run. Calls and transactions are named by number (the core
/// numbers them `call-N` and `tx-N`), so a step may well name one that does
/// not exist or that the user is not part of: that is part of the test.
#[derive(Debug, Clone)]
enum Step {
    Start {
        from: usize,
        to: Vec<usize>,
        group: bool,
        video: bool,
    },
    Accept {
        who: usize,
        call: u8,
    },
    End {
        who: usize,
        call: u8,
    },
    Invite {
        who: usize,
        call: u8,
        to: usize,
    },
    Join {
        who: usize,
        call: u8,
    },
    Switch {
        who: usize,
        call: u8,
        camera: bool,
        microphone: bool,
    },
    RequestChange {
        who: usize,
        call: u8,
        video: bool,
    },
    Reply {
        who: usize,
        call: u8,
        tx: u8,
        agree: bool,
    },
    Cancel {
        who: usize,
        call: u8,
        tx: u8,
    },
    /// The user's connection drops; they come back on a new one.
    Reconnect {
        who: usize,
    },
    /// Requests that are wrong in their place: a second hello, an ack from
    /// the future, a log page with a nonsense count.
    Stray {
        who: usize,
        kind: u8,
    },
    Advance {
        ms: Millis,
    },
}

fn user() -> impl Strategy<Value = usize> {
    0..USERS.len()
}

fn call() -> impl Strategy<Value = u8> {
    1..12u8
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (user(), proptest::collection::vec(user(), 1..3), any::<bool>(), any::<bool>())
            .prop_map(|(from, to, group, video)| Step::Start { from, to, group, video }),
        4 => (user(), call()).prop_map(|(who, call)| Step::Accept { who, call }),
        3 => (user(), call()).prop_map(|(who, call)| Step::End { who, call }),
        1 => (user(), call(), user()).prop_map(|(who, call, to)| Step::Invite { who, call, to }),
        1 => (user(), call()).prop_map(|(who, call)| Step::Join { who, call }),
        1 => (user(), call(), any::<bool>(), any::<bool>())
            .prop_map(|(who, call, camera, microphone)| Step::Switch { who, call, camera, microphone }),
        1 => (user(), call(), any::<bool>())
            .prop_map(|(who, call, video)| Step::RequestChange { who, call, video }),
        1 => (user(), call(), 1..6u8, any::<bool>())
            .prop_map(|(who, call, tx, agree)| Step::Reply { who, call, tx, agree }),
        1 => (user(), call(), 1..6u8).prop_map(|(who, call, tx)| Step::Cancel { who, call, tx }),
        1 => user().prop_map(|who| Step::Reconnect { who }),
        1 => (user(), 0..3u8).prop_map(|(who, kind)| Step::Stray { who, kind }),
        2 => prop_oneof![Just(1_000), Just(30_000), Just(61_000)].prop_map(|ms| Step::Advance { ms }),
    ]
}

/// The core and the four users' connections.
struct Run {
    core: ServerCore,
    now: Millis,
    conns: [ConnId; 4],
    next_conn: ConnId,
    next_id: u64,
    /// Every call each user was a present member of, seen after any step.
    was_in: BTreeMap<usize, BTreeSet<String>>,
}

impl Run {
    fn new() -> Run {
        let mut run = Run {
            core: ServerCore::new(fixtures()).expect("core"),
            now: 1_000_000,
            conns: [0; 4],
            next_conn: 1,
            next_id: 1,
            was_in: BTreeMap::new(),
        };
        for who in 0..USERS.len() {
            run.connect(who);
        }
        run
    }

    fn connect(&mut self, who: usize) {
        let conn = self.next_conn;
        self.next_conn += 1;
        self.conns[who] = conn;
        self.core.handle_input(self.now, Input::Opened { conn });
        let hello = Request::Hello(HelloParams {
            protocol_version: PROTOCOL_VERSION,
            app_key: APP.into(),
            token: format!("{}-t", USERS[who]),
            device_id: "device".into(),
            resume: None,
        });
        let code = self.send(who, hello);
        assert_eq!(code, Some(0), "hello of {}", USERS[who]);
    }

    /// Sends a request; returns the code of its answer (None: the media
    /// server answers, which no request here asks for).
    fn send(&mut self, who: usize, request: Request) -> Option<u32> {
        let id = self.next_id;
        self.next_id += 1;
        let conn = self.conns[who];
        self.core.handle_input(
            self.now,
            Input::Frame {
                conn,
                frame: ClientFrame { id, request },
            },
        );
        let mut answers = Vec::new();
        while let Some(out) = self.core.poll_output() {
            if let Output::Send {
                conn: to,
                frame: ServerFrame::Response(r),
            } = out
                && to == conn
                && r.id == id
            {
                answers.push(r.code);
            }
        }
        assert!(answers.len() <= 1, "request {id} answered {answers:?}");
        answers.first().copied()
    }

    fn request_answered(&mut self, who: usize, request: Request) -> u32 {
        let kind = request.kind();
        match self.send(who, request) {
            Some(code) => code,
            None => panic!("{kind} from {} got no answer", USERS[who]),
        }
    }

    fn apply(&mut self, step: &Step) {
        let call_id = |n: u8| format!("call-{n}");
        let on = MediaState::default();
        match step.clone() {
            Step::Start {
                from,
                to,
                group,
                video,
            } => {
                let media_type = if video {
                    CallMediaType::AudioVideo
                } else {
                    CallMediaType::Audio
                };
                let params = StartCallParams {
                    callee_ids: to.iter().map(|&u| USERS[u].to_string()).collect(),
                    call_type: if group {
                        CallType::Group
                    } else {
                        CallType::Single
                    },
                    media_type,
                    extra: None,
                    target_id: None,
                    push_config: None,
                };
                let request = Request::StartCall(StartCallRequest { params, media: on });
                self.request_answered(from, request);
            }
            Step::Accept { who, call } => {
                let request = Request::AcceptCall(AcceptCallParams {
                    call_id: call_id(call),
                    media: on,
                });
                self.request_answered(who, request);
            }
            Step::End { who, call } => {
                let request = Request::EndCall(EndCallParams {
                    call_id: call_id(call),
                    push_config: None,
                });
                self.request_answered(who, request);
            }
            Step::Invite { who, call, to } => {
                let request = Request::InviteToCall(InviteToCallParams {
                    call_id: call_id(call),
                    user_ids: vec![USERS[to].to_string()],
                });
                self.request_answered(who, request);
            }
            Step::Join { who, call } => {
                let request = Request::JoinCall(JoinCallParams {
                    call_id: call_id(call),
                    media: on,
                });
                self.request_answered(who, request);
            }
            Step::Switch {
                who,
                call,
                camera,
                microphone,
            } => {
                let request = Request::SetMediaState(SetMediaStateParams {
                    call_id: call_id(call),
                    camera_enabled: Some(camera),
                    microphone_enabled: Some(microphone),
                });
                self.request_answered(who, request);
            }
            Step::RequestChange { who, call, video } => {
                let request = Request::RequestChangeMediaType(RequestChangeMediaTypeParams {
                    call_id: call_id(call),
                    media_type: if video {
                        CallMediaType::AudioVideo
                    } else {
                        CallMediaType::Audio
                    },
                });
                self.request_answered(who, request);
            }
            Step::Reply {
                who,
                call,
                tx,
                agree,
            } => {
                let request = Request::ReplyChangeMediaType(ReplyChangeMediaTypeParams {
                    call_id: call_id(call),
                    transaction_id: format!("tx-{tx}"),
                    is_agreed: agree,
                });
                self.request_answered(who, request);
            }
            Step::Cancel { who, call, tx } => {
                let request = Request::CancelChangeMediaType(TransactionParams {
                    call_id: call_id(call),
                    transaction_id: format!("tx-{tx}"),
                });
                self.request_answered(who, request);
            }
            Step::Reconnect { who } => {
                let conn = self.conns[who];
                self.core.handle_input(self.now, Input::Closed { conn });
                while self.core.poll_output().is_some() {}
                self.connect(who);
            }
            Step::Stray { who, kind } => {
                let request = match kind {
                    0 => Request::Hello(HelloParams {
                        protocol_version: PROTOCOL_VERSION,
                        app_key: APP.into(),
                        token: format!("{}-t", USERS[who]),
                        device_id: String::new(),
                        resume: None,
                    }),
                    1 => Request::Ack(AckParams { seq: u64::MAX }),
                    _ => Request::GetHistoryCallLogs(GetHistoryCallLogsParams {
                        start_time: -7,
                        count: -1,
                        order: CallLogOrder::Desc,
                    }),
                };
                self.send(who, request);
            }
            Step::Advance { ms } => {
                self.now += ms;
                self.core.handle_timeout(self.now);
                while self.core.poll_output().is_some() {}
            }
        }
    }

    /// Invariants that hold after every step.
    fn check(&mut self) {
        let mut present_calls: BTreeSet<String> = BTreeSet::new();
        for (who, name) in USERS.iter().enumerate() {
            let key = UserKey::new(APP, name);
            let mut busy_in = Vec::new();
            for call in self.core.calls().calls_of(&key) {
                self.was_in.entry(who).or_default().insert(call.id.clone());
                present_calls.insert(call.id.clone());
                let state = call.member(name).map(|m| m.state);
                if matches!(
                    state,
                    Some(CallUserState::OnCall | CallUserState::Connecting)
                ) {
                    busy_in.push(call.id.clone());
                }
            }
            assert!(
                busy_in.len() <= 1,
                "{name} is connecting or on call in {busy_in:?}"
            );
        }
        // Every call in the table has someone present in it.
        for (who, name) in USERS.iter().enumerate() {
            let key = UserKey::new(APP, name);
            for call in self.core.calls().ongoing_of(&key) {
                assert!(
                    present_calls.contains(&call.id),
                    "{} lingers with nobody in it (seen from {})",
                    call.id,
                    USERS[who]
                );
            }
        }
    }

    /// Everyone hangs up every call; then nothing is left and the logs agree.
    fn finish(&mut self) {
        for (who, name) in USERS.iter().enumerate() {
            let key = UserKey::new(APP, name);
            let ids: Vec<String> = self
                .core
                .calls()
                .calls_of(&key)
                .map(|c| c.id.clone())
                .collect();
            for id in ids {
                let request = Request::EndCall(EndCallParams {
                    call_id: id,
                    push_config: None,
                });
                let code = self.request_answered(who, request);
                assert_eq!(code, 0, "{name} could not hang up");
            }
        }
        assert!(
            self.core.calls().is_empty(),
            "calls left after everyone hung up: {}",
            self.core.calls().len()
        );
        for (who, name) in USERS.iter().enumerate() {
            let logged = self.history(who);
            let unique: BTreeSet<String> = logged.iter().cloned().collect();
            assert_eq!(unique.len(), logged.len(), "{name} has a call logged twice");
            let was_in = self.was_in.get(&who).cloned().unwrap_or_default();
            assert_eq!(
                unique, was_in,
                "{name}'s logs against the calls they were in"
            );
        }
    }

    /// The call ids of every log of the user, newest first.
    fn history(&mut self, who: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let mut start_time = -1;
        loop {
            let id = self.next_id;
            self.next_id += 1;
            let conn = self.conns[who];
            let request = Request::GetHistoryCallLogs(GetHistoryCallLogsParams {
                start_time,
                count: MAX_HISTORY_PAGE,
                order: CallLogOrder::Desc,
            });
            self.core.handle_input(
                self.now,
                Input::Frame {
                    conn,
                    frame: ClientFrame { id, request },
                },
            );
            let mut page: Option<CallLogPage> = None;
            while let Some(out) = self.core.poll_output() {
                if let Output::Send {
                    frame: ServerFrame::Response(r),
                    ..
                } = out
                    && r.id == id
                {
                    assert_eq!(r.code, 0, "history of {}", USERS[who]);
                    page = r.result.and_then(|v| serde_json::from_value(v).ok());
                }
            }
            let page = page.expect("a page of logs");
            ids.extend(page.call_log_list.iter().map(|l| l.call_id.clone()));
            match page.call_log_list.last().and_then(|l| l.sync_time) {
                Some(sync_time) if page.has_more => start_time = sync_time,
                _ => return ids,
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_sessions_keep_the_invariants(steps in proptest::collection::vec(step(), 1..40)) {
        let mut run = Run::new();
        for step in &steps {
            run.apply(step);
            run.check();
        }
        run.finish();
    }
}
