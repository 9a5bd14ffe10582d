//! `wss://`: the engine connects over TLS to a simulator serving its own
//! certificate when it is told to trust that certificate, makes a call
//! through it, and refuses a server it does not trust at once with
//! TLS_FAILED (not after the request timeout, and not as a plain
//! SIGNAL_DISCONNECTED an app would retry).

use std::time::{Duration, Instant};

use nccall::{CallEngine, ConnectParams, EngineConfig, ErrorCode, TlsRoots};
use nccall_sim::tls::self_signed;
use nccall_sim::{SimHandle, Simulator, TlsIdentity};

mod common;

/// A simulator serving `wss://` with a fresh self-signed certificate for
/// `names`; returns it and the certificate's PEM.
async fn tls_simulator(names: &[&str]) -> (SimHandle, String) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let pair = self_signed(&names).expect("certificate");
    let identity = TlsIdentity::from_self_signed(&pair).expect("identity");
    let sim = Simulator::start(common::config().with_tls(identity))
        .await
        .expect("simulator");
    (sim, pair.cert_pem)
}

fn trusting(roots: TlsRoots) -> EngineConfig {
    EngineConfig {
        tls_roots: roots,
        media_enabled: false,
        ..EngineConfig::default()
    }
}

fn params(sim: &SimHandle, token: &str) -> ConnectParams {
    ConnectParams {
        url: sim.url(),
        app_key: "app".into(),
        token: token.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_certificate_connects_and_calls_go_through() {
    let (sim, cert) = tls_simulator(&[]).await;
    assert!(sim.url().starts_with("wss://"), "{}", sim.url());
    let roots = TlsRoots::only_pem(cert.as_bytes()).expect("roots");
    let alice = CallEngine::new(trusting(roots.clone()));
    let bob = CallEngine::new(trusting(roots));
    assert_eq!(alice.connect(params(&sim, "ta")).await.unwrap(), "alice");
    assert_eq!(bob.connect(params(&sim, "tb")).await.unwrap(), "bob");
    common::audio_call(&alice, &bob, "bob").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_fails_connect_with_tls_failed_at_once() {
    let (sim, _) = tls_simulator(&[]).await;
    let (_, other_cert) = tls_simulator(&[]).await;
    let cases = [
        ("the system's store", TlsRoots::system()),
        (
            "another self-signed certificate",
            TlsRoots::only_pem(other_cert.as_bytes()).expect("roots"),
        ),
    ];
    for (what, roots) in cases {
        let engine = CallEngine::new(trusting(roots));
        let started = Instant::now();
        let error = engine.connect(params(&sim, "ta")).await.unwrap_err();
        assert_eq!(error.code(), ErrorCode::TlsFailed, "{what}: {error:?}");
        // Far below the 10 s request timeout: nothing waited for it.
        assert!(started.elapsed() < Duration::from_secs(5), "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_name_fails_with_tls_failed() {
    // Trusted, but for example.test: the simulator is reached as 127.0.0.1.
    let (sim, cert) = tls_simulator(&["example.test"]).await;
    let engine = CallEngine::new(trusting(
        TlsRoots::only_pem(cert.as_bytes()).expect("roots"),
    ));
    let error = engine.connect(params(&sim, "ta")).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::TlsFailed, "{error:?}");
    assert!(error.message().contains("certificate"), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_ws_to_a_tls_port_is_not_a_tls_failure() {
    let (sim, _) = tls_simulator(&[]).await;
    let engine = CallEngine::new(trusting(TlsRoots::system()));
    let url = sim.url().replacen("wss://", "ws://", 1);
    let error = engine
        .connect(ConnectParams {
            url,
            app_key: "app".into(),
            token: "ta".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::SignalDisconnected, "{error:?}");
}
