//! The engine's core and the server's core together, on the socket-free
//! net (`src/net/`): a few calls by hand, then a property test that drives
//! three engines and the server through random calls, answers, hang-ups,
//! app disconnects and reconnects, while the network delays frames
//! (so that frames on different links overtake each other), breaks links
//! and cuts users off. Whatever happened, once everything settled:
//!
//! - every device's timeline obeys the exactly-once rules (`net/rules.rs`):
//!   one `onCallEnded` for every call it knew, nothing about a call after
//!   it, received and connected at most once;
//! - the two sides of a one-to-one call neither lost are connected on both
//!   sides or neither, and their server logs agree;
//! - every request an app made is answered exactly once;
//! - no call is left, on any device or on the server.
//!
//! `PROPTEST_CASES` sets the number of cases (256 by default). A failure
//! prints the shrunk list of steps and the network's seed.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use nccall::{CallEndReason, CallEvent, CallMediaType, CallState, Completion, StartCallParams};
use nccall_conformance::net::{Faults, Net, rules};
use proptest::prelude::*;

const USERS: [&str; 3] = ["alice", "bob", "carol"];
const HEARTBEAT_MS: u64 = 1_000;

fn connected_net(faults: Faults, seed: u64) -> Net {
    let mut net = Net::new(&USERS, HEARTBEAT_MS, faults, seed);
    for i in 0..USERS.len() {
        // Every app shows its own camera (a video call needs a local view).
        net.peers[i].machine.set_local_view(true);
        net.connect(i);
    }
    net.run_for(Duration::from_secs(2)).expect("connects");
    for p in &net.peers {
        assert!(p.machine.is_connected(), "{} connected", p.user);
    }
    net
}

type Act = Box<dyn FnOnce(&mut nccall::CallMachine, Instant) -> nccall::CallResult<u64>>;

/// `startCall` of a one-to-one call to `to`.
fn call(to: &str, video: bool) -> Act {
    let media = if video {
        CallMediaType::AudioVideo
    } else {
        CallMediaType::Audio
    };
    let params = StartCallParams::single(to, media);
    Box::new(move |m, _| m.start_call(params))
}

fn names(timeline: &[CallEvent]) -> Vec<&'static str> {
    timeline.iter().map(|e| e.callback_name()).collect()
}

#[test]
fn a_call_placed_answered_and_ended_on_a_perfect_net() {
    let mut net = connected_net(Faults::NONE, 1);
    let (a, b) = (net.peer("alice"), net.peer("bob"));
    net.act(a, call("bob", false)).expect("starts");
    net.run_for(Duration::from_millis(10)).unwrap();
    let ringing = net.peers[b].machine.current_session().expect("bob rings");
    assert_eq!(ringing.call_state(), CallState::Ringing);
    let id = ringing.call_id().to_string();
    net.act(b, |m, _| m.accept_call(&id)).expect("accepts");
    net.run_for(Duration::from_millis(10)).unwrap();
    assert_eq!(
        net.peers[a]
            .machine
            .current_session()
            .map(|s| s.call_state()),
        Some(CallState::OnCall)
    );
    net.act(a, |m, _| m.end_call(None, None)).expect("hangs up");
    net.run_for(Duration::from_millis(10)).unwrap();
    assert_eq!(
        names(&net.peers[a].timeline),
        [
            "onRemoteUserStateChanged", // bob rings
            "onRemoteUserStateChanged", // bob answered
            "onCallConnected",
            "onStartTimeReceived",
            "onCallEnded",
            "onLocalCallLogReceived",
            "onServerCallLogReceived"
        ],
        "{:#?}",
        net.peers[a].timeline
    );
    let ended: Vec<_> = net.peers[b]
        .timeline
        .iter()
        .filter_map(|e| match e {
            CallEvent::CallEnded(e) => Some(e.reason),
            _ => None,
        })
        .collect();
    assert_eq!(ended, [CallEndReason::RemoteHangup]);
    assert_eq!(net.server.stats().active_calls, 0);
}

/// A user cut off mid-call for a few seconds: the engine notices the
/// silence, reconnects when the network heals and resumes its session; the
/// call is still on for both, and ends normally afterwards.
#[test]
fn a_partition_shorter_than_the_resume_window_keeps_the_call() {
    let mut net = connected_net(Faults::NONE, 2);
    let (a, b) = (net.peer("alice"), net.peer("bob"));
    net.act(a, call("bob", true)).unwrap();
    net.run_for(Duration::from_millis(10)).unwrap();
    let id = net.peers[b]
        .machine
        .current_session()
        .unwrap()
        .call_id()
        .to_string();
    net.act(b, |m, _| m.accept_call(&id)).unwrap();
    net.run_for(Duration::from_millis(10)).unwrap();
    net.partition(b, Duration::from_secs(6));
    net.run_for(Duration::from_secs(10)).unwrap();
    assert_eq!(net.peers[b].machine.status().1, 1, "bob reconnected once");
    for p in [a, b] {
        assert_eq!(
            net.peers[p]
                .machine
                .current_session()
                .map(|s| s.call_state()),
            Some(CallState::OnCall),
            "{} still on call",
            net.peers[p].user
        );
    }
    net.act(b, |m, _| m.end_call(None, None)).unwrap();
    net.run_for(Duration::from_secs(1)).unwrap();
    for p in &net.peers {
        let broken = rules::check_device(&p.user, &p.timeline, &BTreeSet::new(), true);
        assert!(broken.is_empty(), "{broken:#?}");
    }
}

#[derive(Debug, Clone)]
enum Step {
    Start { from: usize, to: usize, video: bool },
    Accept { who: usize },
    End { who: usize },
    Disconnect { who: usize },
    Connect { who: usize },
    Break { who: usize },
    Partition { who: usize, secs: u64 },
    Wait { ms: u64 },
}

fn step() -> impl Strategy<Value = Step> {
    let who = 0..USERS.len();
    prop_oneof![
        4 => (who.clone(), who.clone(), any::<bool>())
            .prop_map(|(from, to, video)| Step::Start { from, to, video }),
        4 => who.clone().prop_map(|who| Step::Accept { who }),
        3 => who.clone().prop_map(|who| Step::End { who }),
        1 => who.clone().prop_map(|who| Step::Disconnect { who }),
        1 => who.clone().prop_map(|who| Step::Connect { who }),
        1 => who.clone().prop_map(|who| Step::Break { who }),
        1 => (who, 1..8u64).prop_map(|(who, secs)| Step::Partition { who, secs }),
        6 => (0..3_000u64).prop_map(|ms| Step::Wait { ms }),
    ]
}

fn faults() -> impl Strategy<Value = Faults> {
    (0..200u64, 0..300u32).prop_map(|(ms, per_10k)| Faults {
        max_delay: Duration::from_millis(ms),
        break_per_10k: per_10k,
    })
}

fn apply(net: &mut Net, step: &Step) {
    match *step {
        Step::Start { from, to, video } => {
            let _ = net.act(from, call(USERS[to], video));
        }
        Step::Accept { who } => {
            let ringing = net.peers[who]
                .machine
                .current_session()
                .map(|s| s.call_id().to_string());
            if let Some(id) = ringing {
                let _ = net.act(who, |m, _| m.accept_call(&id));
            }
        }
        Step::End { who } => {
            let _ = net.act(who, |m, _| m.end_call(None, None));
        }
        Step::Disconnect { who } => net.disconnect(who),
        Step::Connect { who } => {
            net.connect(who);
        }
        Step::Break { who } => net.break_link(who),
        Step::Partition { who, secs } => net.partition(who, Duration::from_secs(secs)),
        Step::Wait { ms } => net
            .run_for(Duration::from_millis(ms))
            .expect("within the step limit"),
    }
}

/// Everyone back online, every call hung up, every timer run out.
fn settle(net: &mut Net) {
    net.run_for(Duration::from_secs(10)).expect("heals");
    for i in 0..net.peers.len() {
        if net.peers[i].machine.status().0 == nccall::ConnectionStatus::Disconnected {
            net.connect(i);
        }
    }
    net.run_for(Duration::from_secs(10)).expect("reconnects");
    for _ in 0..3 {
        for i in 0..net.peers.len() {
            if net.peers[i].machine.current_session().is_some() {
                let _ = net.act(i, |m, _| m.end_call(None, None));
            }
        }
        net.run_for(Duration::from_secs(5)).expect("hangs up");
    }
    net.run_for(Duration::from_secs(120)).expect("runs out");
}

proptest! {
    #[test]
    fn engines_and_server_agree_whatever_the_network_does(
        faults in faults(),
        seed in any::<u64>(),
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let mut net = connected_net(Faults::NONE, seed);
        net.set_faults(faults);
        for s in &steps {
            apply(&mut net, s);
        }
        net.set_faults(Faults::NONE);
        settle(&mut net);

        let mut broken = Vec::new();
        let mut summaries = Vec::new();
        for p in &net.peers {
            let started: BTreeSet<String> = p
                .answers
                .values()
                .filter_map(|r| match r {
                    Ok(Completion::StartCall(s)) => Some(s.call_id.clone()),
                    _ => None,
                })
                .collect();
            broken.extend(rules::check_device(&p.user, &p.timeline, &started, true));
            for id in &p.asked {
                if !p.answers.contains_key(id) {
                    broken.push(format!("{}: request {id} never answered", p.user));
                }
            }
            for id in &p.answered_twice {
                broken.push(format!("{}: request {id} answered twice", p.user));
            }
            if let Some(s) = p.machine.current_session() {
                broken.push(format!("{}: still in {} ({:?})", p.user, s.call_id(), s.call_state()));
            }
            summaries.push((p.user.as_str(), rules::summarise(&p.timeline)));
        }
        for (n, a) in summaries.iter().enumerate() {
            for b in &summaries[n + 1..] {
                broken.extend(rules::check_pair((a.0, &a.1), (b.0, &b.1)));
            }
        }
        let calls = net.server.stats().active_calls;
        if calls != 0 {
            broken.push(format!("the server still holds {calls} calls"));
        }
        prop_assert!(broken.is_empty(), "{:#?}", broken);
    }
}
