//! Where the SFU listens and what it advertises: bound on every interface
//! (`--media-ip 0.0.0.0`, as in a container) and advertising the address
//! peers reach it by (`--advertise-ip`), media still flows; the answer's
//! candidate is the advertised address, never `0.0.0.0`.

use std::net::IpAddr;
use std::time::Duration;

use nccall::{CallMediaType, Instrumentation, StartCallParams};
use nccall_sim::MediaServer;

mod common;

const EVERY_INTERFACE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

#[test]
fn the_answer_gives_the_advertised_address_on_the_bound_port() {
    // 192.0.2.7 is documentation space: nothing is sent, only answered.
    let advertised: IpAddr = "192.0.2.7".parse().unwrap();
    let media = MediaServer::start_with(EVERY_INTERFACE, advertised, 0).unwrap();
    assert_eq!(media.addr().ip(), advertised);
    assert_ne!(media.addr().port(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bound_on_every_interface_and_advertising_loopback_media_flows() {
    let config = common::config().with_media_addresses(Some(EVERY_INTERFACE), Some(LOOPBACK));
    let (_sim, alice, bob) = common::alice_and_bob(config).await;
    let mut bob_events = bob.events();
    let call = alice
        .start_call(StartCallParams::single("bob", CallMediaType::Audio))
        .await
        .unwrap();
    common::received(&mut bob_events, &call.call_id).await;
    bob.accept_call(&call.call_id).await.unwrap();
    let got = alice
        .wait_for_audio_packets(1, Duration::from_secs(10))
        .await;
    assert!(got > 0, "no audio through an SFU bound on 0.0.0.0");
}
