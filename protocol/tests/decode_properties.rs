//! Property tests of the decoders: valid frames mutated at random (bytes
//! flipped, inserted, cut) never panic the decoder, and whatever still
//! decodes survives a round trip unchanged. The number of cases is
//! `PROPTEST_CASES` (256 by default); CI runs more, bounded in time.

use nccall_protocol::{ClientFrame, ServerFrame};
use proptest::prelude::*;

/// Valid frames of many kinds, as a client or the server sends them.
const CLIENT: &[&str] = &[
    r#"{"id":1,"type":"hello","protocolVersion":1,"appKey":"app","token":"t","deviceId":"d","resume":{"sessionId":"s-1","lastSeq":7}}"#,
    r#"{"id":2,"type":"startCall","calleeIds":["bob","carol"],"callType":"GROUP","mediaType":"AUDIO_VIDEO","extra":"x","pushConfig":{"pushTitle":"t","android":{"notificationId":"1"}}}"#,
    r#"{"id":3,"type":"acceptCall","callId":"call-1","cameraEnabled":false}"#,
    r#"{"id":4,"type":"endCall","callId":"call-1"}"#,
    r#"{"id":5,"type":"inviteToCall","callId":"call-1","userIds":["dave"]}"#,
    r#"{"id":6,"type":"getHistoryCallLogs","startTime":-1,"count":50,"order":"DESC"}"#,
    r#"{"id":7,"type":"replyChangeMediaType","callId":"call-1","transactionId":"tx-1","isAgreed":true}"#,
    r#"{"id":8,"type":"updateMedia","callId":"call-1","sdp":"v=0","receiveUserIds":["bob",""]}"#,
    r#"{"id":9,"type":"ack","seq":12}"#,
    r#"{"id":10,"type":"heartbeat"}"#,
];

const SERVER: &[&str] = &[
    r#"{"type":"response","id":2,"code":0,"result":{"callId":"call-1","busyLineUserList":[]}}"#,
    r#"{"type":"response","id":3,"code":80004,"message":"no call"}"#,
    r#"{"type":"error","code":80023,"message":"bad"}"#,
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Cut(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), 0..8usize).prop_map(|(at, n)| Mutation::Cut(at, n)),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Flip(at, b) => {
                if let Some(x) = bytes.get_mut(at % len) {
                    *x ^= b;
                }
            }
            Mutation::Insert(at, b) => bytes.insert(at % (bytes.len() + 1), b),
            Mutation::Cut(at, n) => {
                let from = at % len;
                let to = (from + n).min(bytes.len());
                if from < to {
                    bytes.drain(from..to);
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// What decodes survives a round trip unchanged; what does not decode is
/// simply refused (the property is that nothing panics).
fn decodes_cleanly<T>(text: &str) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    if let Ok(frame) = serde_json::from_str::<T>(text) {
        let again = serde_json::to_string(&frame).expect("encodes");
        let back: T = serde_json::from_str(&again).expect("decodes its own encoding");
        prop_assert_eq!(back, frame);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_client_frames_decode_or_fail_cleanly(
        which in 0..CLIENT.len(),
        mutations in proptest::collection::vec(mutation(), 0..6),
    ) {
        decodes_cleanly::<ClientFrame>(&mutate(CLIENT[which], &mutations))?;
    }

    #[test]
    fn mutated_server_frames_decode_or_fail_cleanly(
        which in 0..SERVER.len(),
        mutations in proptest::collection::vec(mutation(), 0..6),
    ) {
        decodes_cleanly::<ServerFrame>(&mutate(SERVER[which], &mutations))?;
    }
}

#[test]
fn the_unmutated_frames_are_valid() {
    for text in CLIENT {
        assert!(serde_json::from_str::<ClientFrame>(text).is_ok(), "{text}");
    }
    for text in SERVER {
        assert!(serde_json::from_str::<ServerFrame>(text).is_ok(), "{text}");
    }
}
