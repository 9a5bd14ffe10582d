//! `wss://` from the command line, as an operator sets it up: `nccall-sim
//! self-signed-cert` writes a certificate and a private key (readable by
//! its owner only), `nccall-sim --tls-cert --tls-key` serves with them, and
//! a client that trusts the certificate says `hello` over TLS. A key that
//! does not read is a usage error (exit 2) naming the problem.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::Message;

const SIM: &str = env!("CARGO_BIN_EXE_nccall-sim");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/conformance.yaml");

fn work_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nccall-tls-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("work dir");
    dir
}

/// `nccall-sim self-signed-cert` into a fresh directory: it, the
/// certificate's path and the key's.
fn written_pair(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = work_dir(name);
    let (cert, key) = (dir.join("sim.crt"), dir.join("sim.key"));
    let made = Command::new(SIM)
        .args(["self-signed-cert", "--cert"])
        .arg(&cert)
        .arg("--key")
        .arg(&key)
        .output()
        .expect("self-signed-cert runs");
    assert!(made.status.success(), "{made:?}");
    (dir, cert, key)
}

/// The simulator serving `wss://` with `cert` and `key`, not yet started.
fn serving(cert: &Path, key: &Path) -> Command {
    let mut command = Command::new(SIM);
    command
        .args([
            "--listen",
            "127.0.0.1:0",
            "--fixtures",
            FIXTURES,
            "--tls-cert",
        ])
        .arg(cert)
        .arg("--tls-key")
        .arg(key);
    command
}

/// Kills the simulator when the test ends, passed or not.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_written_certificate_serves_wss_to_a_client_that_trusts_it() {
    let (dir, cert, key) = written_pair("serve");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key is its owner's alone");
    }

    let mut child = serving(&cert, &key)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .spawn()
        .expect("simulator starts");
    let stdout = child.stdout.take().expect("stdout");
    let sim = Child(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("a first line");
    let url = line
        .trim()
        .strip_prefix("nccall-sim: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(url.starts_with("wss://127.0.0.1:"), "{url}");

    let mut roots = rustls::RootCertStore::empty();
    for der in CertificateDer::pem_file_iter(&cert).expect("pem") {
        roots.add(der.expect("a certificate")).expect("a root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let (mut ws, _) = tokio_tungstenite::connect_async_tls_with_config(
        url.as_str(),
        None,
        true,
        Some(Connector::Rustls(Arc::new(client))),
    )
    .await
    .expect("a TLS WebSocket");
    let hello = json!({"id": 1, "type": "hello", "protocolVersion": 1,
        "appKey": "conformance", "token": "alice-token"});
    ws.send(Message::text(hello.to_string()))
        .await
        .expect("sent");
    let answer = loop {
        let next = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("an answer within 5 s");
        if let Some(Ok(Message::Text(text))) = next {
            break serde_json::from_str::<Value>(text.as_str()).expect("json");
        }
    };
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(answer["result"]["userId"], "alice", "{answer}");
    drop(sim);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_key_that_does_not_read_is_a_usage_error() {
    let (dir, cert, key) = written_pair("bad-key");
    std::fs::write(&key, "not a key").expect("overwritten");
    let out = serving(&cert, &key).output().expect("simulator runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("private key"), "{stderr}");
    // --tls-cert alone is refused by the argument parser.
    let alone = Command::new(SIM)
        .args(["--tls-cert"])
        .arg(&cert)
        .output()
        .expect("runs");
    assert_eq!(alone.status.code(), Some(2), "{alone:?}");
    let _ = std::fs::remove_dir_all(dir);
}
