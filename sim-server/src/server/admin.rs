//! The simulator's admin port (`nccall-sim --admin ADDR`): what an operator
//! or a scraper asks of a running simulator, over plain HTTP/1.1.
//!
//! - `GET /healthz` — `200 ok` while the hub answers (a stopped or wedged
//!   hub is `503`).
//! - `GET /metrics` — Prometheus text format: connections, online users,
//!   calls by state, calls placed and connected (counters: a rate of the
//!   latter is setups per second), and the SFU's peers, forwarded frames,
//!   datagrams and bytes sent, datagrams dropped by impairment.
//!
//! One request per connection, answered and closed: enough for probes and
//! scrapers, and no HTTP library to carry.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::SimObserver;
use crate::core::CoreStats;
use crate::media::MediaStats;

/// How long a client may take to send its request line.
const READ_WAIT: Duration = Duration::from_secs(5);

/// Answers admin requests on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, sim: SimObserver) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let sim = sim.clone();
        tokio::spawn(async move {
            let _ = answer(stream, &sim).await;
        });
    }
}

async fn answer(mut stream: TcpStream, sim: &SimObserver) -> std::io::Result<()> {
    let mut buf = vec![0u8; 2048];
    let mut read = 0;
    // Up to the end of the request line is all that is needed.
    while !buf[..read].contains(&b'\n') && read < buf.len() {
        match tokio::time::timeout(READ_WAIT, stream.read(&mut buf[read..])).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => read += n,
            Ok(Err(e)) => return Err(e),
        }
    }
    let request = String::from_utf8_lossy(&buf[..read]);
    let mut words = request.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (status, content_type, body) = match (method, path) {
        ("GET", "/healthz") => match sim.stats().await {
            Some(_) => ("200 OK", "text/plain", "ok\n".to_string()),
            None => (
                "503 Service Unavailable",
                "text/plain",
                "stopped\n".to_string(),
            ),
        },
        ("GET", "/metrics") => match sim.stats().await {
            Some(core) => (
                "200 OK",
                "text/plain; version=0.0.4",
                metrics(&core, &sim.media_stats().await),
            ),
            None => (
                "503 Service Unavailable",
                "text/plain",
                "stopped\n".to_string(),
            ),
        },
        ("GET", _) => ("404 Not Found", "text/plain", "not found\n".to_string()),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            "GET only\n".to_string(),
        ),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

/// The Prometheus exposition of the simulator's counters.
pub fn metrics(core: &CoreStats, media: &MediaStats) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in samples {
            out.push_str(&format!("{name}{labels} {value}\n"));
        }
    };
    let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
    metric(
        "nccall_sim_connections",
        "gauge",
        "Signaling connections open now.",
        &[("", n(core.connections))],
    );
    metric(
        "nccall_sim_online_users",
        "gauge",
        "Users with at least one device online.",
        &[("", n(core.online_users))],
    );
    metric(
        "nccall_sim_calls",
        "gauge",
        "Ongoing calls, by state.",
        &[
            (
                "{state=\"ringing\"}",
                n(core.active_calls.saturating_sub(core.connected_calls)),
            ),
            ("{state=\"connected\"}", n(core.connected_calls)),
        ],
    );
    metric(
        "nccall_sim_calls_placed_total",
        "counter",
        "Calls placed since the simulator started.",
        &[("", core.calls_placed_total)],
    );
    metric(
        "nccall_sim_calls_connected_total",
        "counter",
        "Calls that connected since the simulator started (rate: setups per second).",
        &[("", core.calls_connected_total)],
    );
    metric(
        "nccall_sim_sfu_peers",
        "gauge",
        "Peer connections in the media server.",
        &[("", n(media.peers))],
    );
    metric(
        "nccall_sim_sfu_forwarded_frames_total",
        "counter",
        "Media frames the SFU forwarded.",
        &[("", media.forwarded_frames)],
    );
    metric(
        "nccall_sim_sfu_sent_datagrams_total",
        "counter",
        "Datagrams the SFU sent (media, RTCP, ICE, DTLS).",
        &[("", media.sent_datagrams)],
    );
    metric(
        "nccall_sim_sfu_sent_bytes_total",
        "counter",
        "Bytes of those datagrams.",
        &[("", media.sent_bytes)],
    );
    metric(
        "nccall_sim_sfu_impaired_drops_total",
        "counter",
        "Datagrams dropped by a network impairment (loss, full queue).",
        &[("", media.impaired_drops)],
    );
    metric(
        "nccall_sim_sfu_unroutable_datagrams_total",
        "counter",
        "Datagrams no peer connection accepted.",
        &[("", media.unroutable_datagrams)],
    );
    out
}
