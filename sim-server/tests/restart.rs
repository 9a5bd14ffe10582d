//! Call logs survive a restart of the simulator with a data directory.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nccall_sim::{Fixtures, SeedSpec, SimConfig, SimHandle, Simulator};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const FIXTURES: &str = "apps:\n  - app_key: app\n    users:\n      - { user_id: alice, token: ta }\n      - { user_id: bob, token: tb }\n";

async fn start(dir: &std::path::Path) -> SimHandle {
    let config = SimConfig::new(Fixtures::from_yaml(FIXTURES).unwrap()).with_data_dir(dir);
    Simulator::start(config).await.unwrap()
}

/// Logs in as alice and asks for her newest `count` logs.
async fn history(sim: &SimHandle, count: u32) -> Value {
    let (mut ws, _) = tokio_tungstenite::connect_async(sim.url()).await.unwrap();
    let hello =
        json!({"id": 1, "type": "hello", "protocolVersion": 1, "appKey": "app", "token": "ta"});
    ws.send(Message::text(hello.to_string())).await.unwrap();
    let ask = json!({"id": 2, "type": "getHistoryCallLogs", "startTime": -1, "count": count, "order": "DESC"});
    ws.send(Message::text(ask.to_string())).await.unwrap();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap();
        let Some(Ok(Message::Text(text))) = msg else {
            panic!("connection ended: {msg:?}")
        };
        let frame: Value = serde_json::from_str(text.as_str()).unwrap();
        if frame["type"] == "response" && frame["id"] == 2 {
            assert_eq!(frame["code"], 0, "{frame}");
            return frame["result"].clone();
        }
    }
}

#[tokio::test]
async fn logs_survive_a_restart_with_a_data_dir() {
    let dir = std::env::temp_dir().join(format!("nccall-sim-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let mut sim = start(&dir).await;
    let spec = SeedSpec {
        owner: "alice".into(),
        peer: "bob".into(),
        count: 12,
        first_end_time: 1_700_000_000_000,
        interval_ms: 1000,
    };
    sim.seed_logs("app", spec, "before-restart").await.unwrap();
    let before = history(&sim, 50).await;
    sim.shutdown();
    drop(sim);

    let sim = start(&dir).await;
    let after = history(&sim, 50).await;
    assert_eq!(after["callLogList"].as_array().map(Vec::len), Some(12));
    assert_eq!(before, after, "the same logs, with the same sync times");

    // New logs after the restart still come after the old ones.
    let more = SeedSpec {
        owner: "alice".into(),
        peer: "bob".into(),
        count: 1,
        first_end_time: 1_600_000_000_000,
        interval_ms: 0,
    };
    sim.seed_logs("app", more, "after-restart").await.unwrap();
    let newest = history(&sim, 1).await;
    assert_eq!(newest["callLogList"][0]["callId"], "after-restart-0");
    let _ = std::fs::remove_dir_all(&dir);
}
