//! `disconnect()` during a call: nobody will tell this device how its call
//! ends, so the engine ends it here (NETWORK_ERROR) and hands the app the
//! `onCallEnded` and the local call log like any other end; the log is the
//! caller's (OUTGOING, not missed, the caller first), built before the
//! engine forgets who it was.

use std::time::Duration;

use nccall::{CallDirection, CallEndReason, CallEvent, EventStream};

mod common;

/// The next event `pick` accepts, within 10 s.
async fn next<T>(events: &mut EventStream, mut pick: impl FnMut(CallEvent) -> Option<T>) -> T {
    let wait = async {
        loop {
            match events.recv().await {
                Some(event) => {
                    if let Some(found) = pick(event) {
                        return found;
                    }
                }
                None => panic!("the engine stopped"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("the event came")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnecting_during_a_call_ends_it_here_with_the_callers_local_log() {
    let (_sim, alice, bob) = common::alice_and_bob(common::config()).await;
    let mut alice_events = alice.events();
    let call_id = common::audio_call(&alice, &bob, "bob").await;
    next(&mut alice_events, |e| {
        matches!(e, CallEvent::CallConnected(_)).then_some(())
    })
    .await;

    alice.disconnect();

    let reason = next(&mut alice_events, |e| match e {
        CallEvent::CallEnded(ended) => Some(ended.reason),
        _ => None,
    })
    .await;
    assert_eq!(reason, CallEndReason::NetworkError);
    let log = next(&mut alice_events, |e| match e {
        CallEvent::LocalCallLogReceived(log) => Some(log.call_log),
        _ => None,
    })
    .await;
    assert_eq!(log.call_id, call_id);
    assert_eq!(log.direction, CallDirection::Outgoing, "{log:?}");
    assert!(!log.missed, "{log:?}");
    let who: Vec<&str> = log
        .participants
        .iter()
        .map(|p| p.user_id.as_str())
        .collect();
    assert_eq!(who, ["alice", "bob"], "{log:?}");
    assert_eq!(log.end_reason, Some(CallEndReason::NetworkError));
}
