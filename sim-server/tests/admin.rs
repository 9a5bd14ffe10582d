//! The admin port: health and Prometheus metrics of a running simulator,
//! over real HTTP on loopback; a stopped simulator is unhealthy.

use std::time::Duration;

use nccall_sim::{Fixtures, SimConfig, Simulator, admin};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

    // One client connected: the gauge says so.
    let (_ws, _) = tokio_tungstenite::connect_async(sim.url())
        .await
        .expect("a client");
    let mut connections = String::new();
    for _ in 0..50 {
        let (status, body) = get(addr, "/metrics").await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(body.contains("# TYPE nccall_sim_calls_connected_total counter"));
        assert!(body.contains("nccall_sim_calls{state=\"ringing\"} 0"));
        connections = body
            .lines()
            .find(|l| l.starts_with("nccall_sim_connections "))
            .unwrap_or_default()
            .to_string();
        if connections == "nccall_sim_connections 1" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(connections, "nccall_sim_connections 1");

    assert_eq!(get(addr, "/nothing").await.0, "HTTP/1.1 404 Not Found");
    sim.stop().await;
    assert_eq!(
        get(addr, "/healthz").await.0,
        "HTTP/1.1 503 Service Unavailable"
    );
}
