//! The admin port: health and Prometheus metrics of a running simulator,
//! over real HTTP on loopback; a stopped simulator is unhealthy.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nccall_protocol::{ClientFrame, HelloParams, PROTOCOL_VERSION, Request, ServerFrame};
use nccall_sim::{Fixtures, SimConfig, Simulator, admin};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let request = format!("GET {path} HTTP/1.1\r\nhost: sim\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
        .await
        .expect("answers in time")
        .expect("reads");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.lines().next().unwrap_or_default().to_string();
    (status, body.to_string())
}

#[tokio::test]
async fn health_and_metrics_while_running_and_unhealthy_once_stopped() {
    let fixtures = Fixtures::from_yaml(
        "apps:\n  - app_key: a\n    users:\n      - { user_id: u, token: t }\n",
    )
    .expect("fixtures");
    let mut sim = Simulator::start(SimConfig::new(fixtures))
        .await
        .expect("starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(admin::serve(listener, sim.observer()));

    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("HTTP/1.1 200 OK", "ok\n")
    );

    // One client connected and answered: the hub holds its connection, so
    // the gauge must say so now.
    let (mut ws, _) = tokio_tungstenite::connect_async(sim.url())
        .await
        .expect("a client");
    let hello = ClientFrame {
        id: 1,
        request: Request::Hello(HelloParams {
            protocol_version: PROTOCOL_VERSION,
            app_key: "a".into(),
            token: "t".into(),
            device_id: "d".into(),
            resume: None,
        }),
    };
    let text = serde_json::to_string(&hello).expect("a frame");
    ws.send(Message::text(text)).await.expect("sends hello");
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("an answer in time");
        let Some(Ok(Message::Text(text))) = frame else {
            panic!("the connection ended: {frame:?}");
        };
        if let Ok(ServerFrame::Response(r)) = serde_json::from_str::<ServerFrame>(text.as_str()) {
            assert_eq!(r.code, 0, "hello accepted");
            break;
        }
    }
    let (status, body) = get(addr, "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("# TYPE nccall_sim_calls_connected_total counter"));
    assert!(body.contains("nccall_sim_calls{state=\"ringing\"} 0"));
    assert!(
        body.lines().any(|l| l == "nccall_sim_connections 1"),
        "{body}"
    );
    assert!(
        body.lines().any(|l| l == "nccall_sim_online_users 1"),
        "{body}"
    );

    assert_eq!(get(addr, "/nothing").await.0, "HTTP/1.1 404 Not Found");
    sim.stop().await;
    assert_eq!(
        get(addr, "/healthz").await.0,
        "HTTP/1.1 503 Service Unavailable"
    );
}
