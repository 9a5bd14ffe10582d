//! The simulator over a real WebSocket, spoken to by hand as another SDK
//! would: what a client sees for good and bad frames.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nccall_protocol::ErrorCode;
use nccall_sim::{Fixtures, SimConfig, SimError, SimHandle, Simulator};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const FIXTURES: &str = "apps:\n  - app_key: app\n    users:\n      - { user_id: alice, token: ta }\n      - { user_id: bob, token: tb }\n";

async fn sim(virtual_clock: bool) -> SimHandle {
    let mut config = SimConfig::new(Fixtures::from_yaml(FIXTURES).unwrap());
    if virtual_clock {
        config = config.with_virtual_clock();
    }
    Simulator::start(config).await.unwrap()
}

async fn open(sim: &SimHandle) -> Ws {
    tokio_tungstenite::connect_async(sim.url()).await.unwrap().0
}

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text.to_string())).await.unwrap();
}

/// The next protocol frame, or `None` when the server closed the connection.
async fn next(ws: &mut Ws) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s");
        match msg {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(t.as_str()).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

async fn login(sim: &SimHandle, token: &str) -> Ws {
    let mut ws = open(sim).await;
    send(
        &mut ws,
        &json!({"id": 1, "type": "hello", "protocolVersion": 1, "appKey": "app", "token": token})
            .to_string(),
    )
    .await;
    let answer = next(&mut ws).await.unwrap();
    assert_eq!(answer["code"], 0, "{answer}");
    ws
}

#[tokio::test]
async fn bad_frames_get_bad_frame_and_the_connection_stays_usable() {
    let sim = sim(false).await;
    let mut ws = open(&sim).await;

    send(&mut ws, "this is not json").await;
    let f = next(&mut ws).await.unwrap();
    assert_eq!(
        (f["type"].as_str(), f["code"].as_u64()),
        (Some("error"), Some(ErrorCode::BadFrame.code().into()))
    );

    send(&mut ws, r#"{"id": 3, "type": "holdCall"}"#).await;
    let f = next(&mut ws).await.unwrap();
    assert_eq!(
        (f["type"].as_str(), f["id"].as_u64()),
        (Some("response"), Some(3))
    );
    assert_eq!(f["code"].as_u64(), Some(ErrorCode::BadFrame.code().into()));

    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap()["code"].as_u64(),
        Some(ErrorCode::BadFrame.code().into())
    );

    send(&mut ws, r#"{"id": 4, "type": "heartbeat"}"#).await;
    let f = next(&mut ws).await.unwrap();
    assert_eq!(
        f["code"].as_u64(),
        Some(ErrorCode::NotAuthenticated.code().into())
    );

    send(
        &mut ws,
        &json!({"id": 5, "type": "hello", "protocolVersion": 1, "appKey": "app", "token": "ta"})
            .to_string(),
    )
    .await;
    let f = next(&mut ws).await.unwrap();
    assert_eq!(
        (f["code"].as_u64(), f["result"]["userId"].as_str()),
        (Some(0), Some("alice"))
    );
}

#[tokio::test]
async fn a_refused_hello_is_answered_then_closed() {
    let sim = sim(false).await;
    let mut ws = open(&sim).await;
    send(
        &mut ws,
        &json!({"id": 1, "type": "hello", "protocolVersion": 1, "appKey": "app", "token": "nope"})
            .to_string(),
    )
    .await;
    let f = next(&mut ws).await.unwrap();
    assert_eq!(
        f["code"].as_u64(),
        Some(ErrorCode::TokenInvalid.code().into())
    );
    assert!(
        next(&mut ws).await.is_none(),
        "the server closes after a refused hello"
    );
}

#[tokio::test]
async fn oversized_frames_are_refused() {
    let sim = sim(false).await;
    let mut ws = login(&sim, "ta").await;
    let huge = format!(
        r#"{{"id": 2, "type": "heartbeat", "pad": "{}"}}"#,
        "x".repeat(nccall_protocol::MAX_FRAME_BYTES)
    );
    let _ = ws.send(Message::text(huge)).await;
    let f = next(&mut ws)
        .await
        .expect("an error frame before the close");
    assert_eq!(
        f["code"].as_u64(),
        Some(ErrorCode::BadFrame.code().into()),
        "{f}"
    );
    assert!(
        next(&mut ws).await.is_none(),
        "the offending connection is closed"
    );
    // Other users are unaffected.
    let mut other = login(&sim, "tb").await;
    send(&mut other, r#"{"id": 9, "type": "heartbeat"}"#).await;
    assert_eq!(next(&mut other).await.unwrap()["code"], 0);
}

/// A flood: the burst is served, the rest is answered RATE_LIMITED without
/// reaching the hub, and a client that keeps going is cut off. Another user
/// connected meanwhile is served as usual.
#[tokio::test]
async fn a_flood_is_rate_limited_then_closed_and_others_are_served() {
    use nccall_protocol::{RATE_LIMIT_BURST, RATE_LIMIT_CLOSE_AFTER};
    let sim = sim(false).await;
    let mut other = login(&sim, "tb").await;
    let mut ws = login(&sim, "ta").await;
    let flood = RATE_LIMIT_BURST + RATE_LIMIT_CLOSE_AFTER + 100;
    for id in 0..flood {
        let frame = format!(r#"{{"id": {}, "type": "heartbeat"}}"#, id + 10);
        if ws.send(Message::text(frame)).await.is_err() {
            break; // already closed
        }
    }
    let (mut served, mut limited, mut closing_error) = (0u32, 0u32, false);
    while let Some(f) = next(&mut ws).await {
        match (f["type"].as_str(), f["code"].as_u64()) {
            (Some("response"), Some(0)) => served += 1,
            (Some("response"), Some(c)) if c == u64::from(ErrorCode::RateLimited.code()) => {
                limited += 1
            }
            (Some("error"), Some(c)) if c == u64::from(ErrorCode::RateLimited.code()) => {
                closing_error = true
            }
            _ => panic!("unexpected frame {f}"),
        }
    }
    assert!(
        served >= RATE_LIMIT_BURST && served < flood / 2,
        "served {served} of {flood}"
    );
    assert!(limited >= RATE_LIMIT_CLOSE_AFTER / 2, "limited {limited}");
    assert!(closing_error, "a RATE_LIMITED error frame before the close");
    send(&mut other, r#"{"id": 9, "type": "heartbeat"}"#).await;
    assert_eq!(next(&mut other).await.unwrap()["code"], 0);
}

#[tokio::test]
async fn a_call_by_hand_and_a_virtual_ring_timeout() {
    let sim = sim(true).await;
    let mut alice = login(&sim, "ta").await;
    let mut bob = login(&sim, "tb").await;
    send(&mut alice, r#"{"id": 2, "type": "startCall", "calleeIds": ["bob"], "callType": "SINGLE", "mediaType": 1}"#).await;
    let answer = next(&mut alice).await.unwrap();
    assert_eq!(answer["code"], 0);
    let call_id = answer["result"]["callId"].as_str().unwrap().to_string();
    let ring = next(&mut bob).await.unwrap();
    assert_eq!(
        (
            ring["event"].as_str(),
            ring["seq"].as_u64(),
            ring["mediaType"].as_str()
        ),
        (Some("callReceived"), Some(1), Some("AUDIO_VIDEO"))
    );
    assert_eq!(ring["callId"].as_str(), Some(call_id.as_str()));

    let before = sim.now();
    let now = sim.advance(Duration::from_secs(60)).await.unwrap();
    assert_eq!(now - before, 60_000);
    let ended = next(&mut bob).await.unwrap();
    assert_eq!(
        (ended["event"].as_str(), ended["reason"].as_str()),
        (Some("callEnded"), Some("NO_RESPONSE"))
    );
    assert_eq!(sim.stats().await.unwrap().active_calls, 0);
}

#[tokio::test]
async fn the_system_clock_cannot_be_advanced() {
    let sim = sim(false).await;
    assert!(matches!(
        sim.advance(Duration::from_secs(1)).await,
        Err(SimError::NotVirtual)
    ));
}
