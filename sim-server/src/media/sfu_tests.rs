//! The SFU core with str0m clients and no sockets: every datagram is
//! handed over in memory, time is a virtual clock stepped 1 ms at a time,
//! so routing, keyframe relay and bad input are checked exactly.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::SdpAnswer;
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, KeyframeRequestKind, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};

use super::super::answer::new_rtc;
use super::super::write_frame;
use super::Sfu;

const SFU: &str = "10.0.0.1:3478";

/// A participant: a str0m peer connection offering what every participant
/// offers (audio, video, low video), and what it got.
struct Client {
    user: String,
    /// The client's offer and the SFU's answer.
    offer: String,
    answer: String,
    addr: SocketAddr,
    rtc: Rtc,
    /// audio, video, low video
    mids: [Mid; 3],
    connected: bool,
    /// Frames received: (m-line position, payload).
    frames: Vec<(usize, Vec<u8>)>,
    /// Key frames asked of this client by the SFU, per m-line position.
    keyframes_asked: Vec<usize>,
    frames_sent: u64,
}

impl Client {
    fn mline(&self, mid: Mid) -> Option<usize> {
        self.mids.iter().position(|m| *m == mid)
    }

    fn frames_on(&self, mline: usize) -> usize {
        self.frames.iter().filter(|(k, _)| *k == mline).count()
    }
}

/// A client's str0m configuration: Opus and one video codec; `rtp_mode`:
/// the client writes RTP packets itself.
fn offering(video: Codec, rtp_mode: bool) -> RtcConfig {
    let builder = Rtc::builder()
        .set_rtp_mode(rtp_mode)
        .clear_codecs()
        .enable_opus(true, false);
    match video {
        Codec::H264 => builder.enable_h264(true),
        _ => builder.enable_vp8(true),
    }
}

struct Net {
    now: Instant,
    sfu: Sfu,
    sfu_addr: SocketAddr,
    clients: Vec<Client>,
}

impl Net {
    fn new() -> Net {
        str0m::crypto::from_feature_flags().install_process_default();
        let sfu_addr: SocketAddr = SFU.parse().unwrap();
        Net {
            now: Instant::now(),
            sfu: Sfu::new(sfu_addr, 7),
            sfu_addr,
            clients: Vec::new(),
        }
    }

    /// `user` joins `call`: offers, the SFU answers, ICE and DTLS follow
    /// as the net is stepped. `video` is the offer's video codec.
    fn join(&mut self, call: &str, user: &str, video: Codec) -> usize {
        self.join_with(call, user, offering(video, false))
    }

    /// As [`Net::join`], with the client's str0m configuration.
    fn join_with(&mut self, call: &str, user: &str, builder: RtcConfig) -> usize {
        let n = self.clients.len();
        let addr: SocketAddr = format!("10.0.1.{}:5000", n + 1).parse().unwrap();
        let mut rtc = builder.build(self.now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        let mut change = rtc.sdp_api();
        let audio = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let video = change.add_media(MediaKind::Video, Direction::SendRecv, None, None, None);
        let low = change.add_media(MediaKind::Video, Direction::SendRecv, None, None, None);
        let (offer, pending) = change.apply().unwrap();
        let server_rtc = new_rtc(self.sfu_addr, None, self.now).unwrap();
        let answer = self
            .sfu
            .publish(
                self.now,
                server_rtc,
                call,
                user,
                &offer.to_sdp_string(),
                Vec::new(),
                Vec::new(),
            )
            .unwrap();
        let answer_sdp = answer.clone();
        let offer_sdp = offer.to_sdp_string();
        let answer = SdpAnswer::from_sdp_string(&answer).unwrap();
        rtc.sdp_api().accept_answer(pending, answer).unwrap();
        self.clients.push(Client {
            offer: offer_sdp,
            answer: answer_sdp,
            user: user.into(),
            addr,
            rtc,
            mids: [audio, video, low],
            connected: false,
            frames: Vec::new(),
            keyframes_asked: Vec::new(),
            frames_sent: 0,
        });
        n
    }

    /// Delivers everything in flight, in memory, until nobody has anything
    /// to send; then time moves on by 1 ms.
    fn step(&mut self) {
        let now = self.now;
        for _ in 0..1_000 {
            let mut moved = false;
            for c in &mut self.clients {
                moved |= drain_client(c, now, &mut self.sfu);
            }
            while let Some(t) = self.sfu.poll_transmit(now) {
                moved = true;
                let Some(c) = self.clients.iter_mut().find(|c| c.addr == t.destination) else {
                    continue;
                };
                let input = Input::Receive(
                    now,
                    Receive {
                        proto: Protocol::Udp,
                        source: self.sfu_addr,
                        destination: c.addr,
                        contents: t.contents.as_slice().try_into().unwrap(),
                    },
                );
                c.rtc.handle_input(input).unwrap();
                drain_client(c, now, &mut self.sfu);
            }
            if !moved {
                break;
            }
        }
        self.now += Duration::from_millis(1);
        for c in &mut self.clients {
            c.rtc.handle_input(Input::Timeout(self.now)).unwrap();
        }
        self.sfu.handle_timeout(self.now);
    }

    fn run(&mut self, ms: u64) {
        for _ in 0..ms {
            self.step();
        }
    }

    /// Steps until `done`, at most `ms` virtual milliseconds.
    fn run_until(&mut self, ms: u64, done: impl Fn(&Net) -> bool) -> bool {
        for _ in 0..ms {
            if done(self) {
                return true;
            }
            self.step();
        }
        done(self)
    }

    fn all_connected(&self) -> bool {
        self.clients.iter().all(|c| c.connected)
    }

    /// Client `i` sends one video frame on m-line `mline` (an opaque
    /// H.264 slice: the SFU does not decode) and one audio packet.
    fn send(&mut self, i: usize, mline: usize) {
        let now = self.now;
        let c = &mut self.clients[i];
        c.frames_sent += 1;
        let n = c.frames_sent;
        let ts = MediaTime::new(n * 6_000, Frequency::NINETY_KHZ);
        let mut slice = vec![0, 0, 0, 1, 0x41];
        slice.extend(format!("{}:{n}:", c.user).bytes());
        slice.resize(400, 0xAA);
        write_frame(&mut c.rtc, c.mids[mline], Codec::H264, now, ts, slice);
        let ts = MediaTime::new(n * 960, Frequency::FORTY_EIGHT_KHZ);
        write_frame(&mut c.rtc, c.mids[0], Codec::Opus, now, ts, vec![0xF8; 60]);
    }
}

/// Polls a client to its timeout; its datagrams go to the SFU. True if it
/// sent anything.
fn drain_client(c: &mut Client, now: Instant, sfu: &mut Sfu) -> bool {
    let mut sent = false;
    loop {
        match c.rtc.poll_output().unwrap() {
            Output::Timeout(_) => return sent,
            Output::Transmit(t) => {
                sent = true;
                sfu.handle_receive(now, c.addr, &t.contents);
            }
            Output::Event(Event::Connected) => c.connected = true,
            Output::Event(Event::MediaData(data)) => {
                if let Some(k) = c.mline(data.mid) {
                    c.frames.push((k, data.data.to_vec()));
                }
            }
            Output::Event(Event::KeyframeRequest(req)) => {
                if let Some(k) = c.mline(req.mid) {
                    c.keyframes_asked.push(k);
                }
            }
            Output::Event(_) => {}
        }
    }
}

const AUDIO: usize = 0;
const VIDEO: usize = 1;
const LOW: usize = 2;

/// Two calls, both connected, every client having sent a first frame.
fn two_calls() -> Net {
    let mut net = Net::new();
    for (call, user) in [
        ("c1", "alice"),
        ("c1", "bob"),
        ("c2", "carol"),
        ("c2", "dave"),
    ] {
        net.join(call, user, Codec::H264);
    }
    assert!(
        net.run_until(2_000, Net::all_connected),
        "ICE and DTLS in memory"
    );
    net
}

#[test]
fn frames_go_to_the_other_member_of_the_call_on_the_same_mline() {
    let mut net = two_calls();
    for _ in 0..10 {
        net.send(0, VIDEO);
        net.send(0, LOW);
        net.run(66);
    }
    let (alice, bob, carol, dave) = (
        &net.clients[0],
        &net.clients[1],
        &net.clients[2],
        &net.clients[3],
    );
    // Bob gets alice's full layer (ten frames) and audio; never the low layer.
    assert_eq!(bob.frames_on(VIDEO), 10);
    assert!(
        bob.frames_on(AUDIO) >= 19,
        "bob's audio: {}",
        bob.frames_on(AUDIO)
    );
    assert_eq!(bob.frames_on(LOW), 0);
    assert!(
        bob.frames
            .iter()
            .all(|(_, f)| f.windows(6).any(|w| w == b"alice:") || f[0] == 0xF8)
    );
    // Nobody else gets anything, alice included.
    for other in [alice, carol, dave] {
        assert!(
            other.frames.is_empty(),
            "{} got {:?}",
            other.user,
            other.frames.len()
        );
    }
    assert_eq!(net.sfu.stats().unroutable_datagrams, 0);
}

#[test]
fn a_subscriber_on_the_low_layer_gets_it_and_the_sender_is_asked_for_a_key_frame() {
    let mut net = two_calls();
    net.send(0, VIDEO);
    net.send(0, LOW);
    net.run(300);
    let asked_before = net.clients[0].keyframes_asked.len();
    net.sfu.subscribe(net.now, "c1", "bob", "alice", true);
    net.run(50);
    // The low layer starts for bob: alice is asked for a key frame of it.
    assert_eq!(&net.clients[0].keyframes_asked[asked_before..], &[LOW]);
    let before = (
        net.clients[1].frames_on(VIDEO),
        net.clients[1].frames_on(LOW),
    );
    for _ in 0..5 {
        net.send(0, VIDEO);
        net.send(0, LOW);
        net.run(66);
    }
    // Bob's video m-line now carries alice's low layer, five frames of it.
    assert_eq!(net.clients[1].frames_on(VIDEO) - before.0, 5);
    assert_eq!(net.clients[1].frames_on(LOW), before.1);
}

#[test]
fn a_receiver_that_connects_late_gets_a_key_frame_asked_for() {
    let mut net = Net::new();
    net.join("c1", "alice", Codec::H264);
    assert!(net.run_until(2_000, Net::all_connected));
    // Alice is sending before bob is there: nobody to ask for.
    for _ in 0..5 {
        net.send(0, VIDEO);
        net.run(66);
    }
    assert!(net.clients[0].keyframes_asked.is_empty());
    net.join("c1", "bob", Codec::H264);
    assert!(net.run_until(2_000, Net::all_connected));
    net.run(50);
    // Bob's connection came up: alice's full layer (bob's choice) was asked.
    assert_eq!(net.clients[0].keyframes_asked, vec![VIDEO]);
}

#[test]
fn a_pli_flood_costs_the_sender_one_key_frame_per_interval_and_nobody_else_anything() {
    let mut net = two_calls();
    net.send(0, VIDEO);
    net.send(2, VIDEO);
    net.run(300);
    let asked_before = net.clients[0].keyframes_asked.len();
    let dave_before = net.clients[3].frames_on(VIDEO);
    // Bob asks for a key frame every millisecond for two seconds, while
    // carol keeps sending to dave at 15 frames a second.
    for ms in 0..2_000u64 {
        let bob = &mut net.clients[1];
        let mid = bob.mids[VIDEO];
        if let Some(mut writer) = bob.rtc.writer(mid) {
            let _ = writer.request_keyframe(None, KeyframeRequestKind::Pli);
        }
        if ms % 66 == 0 {
            net.send(2, VIDEO);
        }
        net.step();
    }
    let asked = net.clients[0].keyframes_asked.len() - asked_before;
    // 2 s / 200 ms: at most ten (one more at the edges), and the flood did
    // get through (str0m's own PLI pacing on bob's side lets some out).
    assert!((1..=11).contains(&asked), "alice was asked {asked} times");
    // Dave's call is untouched: every frame carol sent arrived.
    let dave_got = net.clients[3].frames_on(VIDEO) - dave_before;
    assert_eq!(dave_got, 31, "dave got {dave_got} of carol's 31 frames");
}

#[test]
fn garbage_datagrams_are_counted_and_dropped_and_calls_go_on() {
    let mut net = two_calls();
    let stranger: SocketAddr = "10.0.9.9:4000".parse().unwrap();
    let alice = net.clients[0].addr;
    let junk: [&[u8]; 5] = [
        b"",
        b"\\x00",
        b"hello, is this the SFU?",
        // Looks like RTP (version 2, PT 96) but is no SRTP of anyone's.
        &[
            0x80, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8,
        ],
        // Looks like RTCP (PT 200).
        &[
            0x80, 0xc8, 0x00, 0x06, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    ];
    for _ in 0..20 {
        for data in junk {
            net.sfu.handle_receive(net.now, stranger, data);
            // From alice's own address: str0m's SRTP check drops it.
            net.sfu.handle_receive(net.now, alice, data);
        }
        net.send(0, VIDEO);
        net.run(66);
    }
    let stats = net.sfu.stats();
    // Every stranger's datagram, and alice's three that are no STUN, DTLS,
    // RTP or RTCP at all; her RTP- and RTCP-shaped ones reach her peer
    // connection, which drops them (they fail SRTP authentication).
    assert_eq!(stats.unroutable_datagrams, 20 * 5 + 20 * 3, "{stats:?}");
    assert_eq!(stats.failed_peers, 0, "{stats:?}");
    assert_eq!(stats.peers, 4);
    assert_eq!(net.clients[1].frames_on(VIDEO), 20, "bob still sees alice");
}

#[test]
fn a_client_offering_only_vp8_gets_no_video_and_its_audio_still_flows() {
    let mut net = Net::new();
    net.join("c1", "alice", Codec::Vp8);
    net.join("c1", "bob", Codec::H264);
    assert!(net.run_until(2_000, Net::all_connected));
    for _ in 0..5 {
        let (now, c) = (net.now, &mut net.clients[0]);
        c.frames_sent += 1;
        let ts = MediaTime::new(c.frames_sent * 6_000, Frequency::NINETY_KHZ);
        // The answer refused VP8 (the SFU does not transcode): no writer takes it.
        assert!(!write_frame(
            &mut c.rtc,
            c.mids[VIDEO],
            Codec::Vp8,
            now,
            ts,
            vec![0x10; 300]
        ));
        let ts = MediaTime::new(c.frames_sent * 960, Frequency::FORTY_EIGHT_KHZ);
        assert!(write_frame(
            &mut c.rtc,
            c.mids[AUDIO],
            Codec::Opus,
            now,
            ts,
            vec![0xF8; 60]
        ));
        net.run(66);
    }
    assert_eq!(net.clients[1].frames_on(VIDEO), 0);
    assert_eq!(net.clients[1].frames_on(AUDIO), 5);
}

#[test]
fn rtp_with_a_payload_type_the_answer_did_not_accept_is_not_forwarded() {
    let mut net = Net::new();
    // Alice writes RTP herself (str0m's RTP mode): any payload type.
    let alice = net.join_with("c1", "alice", offering(Codec::H264, true));
    let bob = net.join("c1", "bob", Codec::H264);
    assert!(net.run_until(2_000, Net::all_connected));
    let mid = net.clients[alice].mids[VIDEO];
    let h264: u8 = net.clients[alice]
        .answer
        .lines()
        .find_map(|l| l.strip_prefix("a=rtpmap:")?.strip_suffix(" H264/90000"))
        .and_then(|pt| pt.parse().ok())
        .expect("H.264 in the answer");
    let h264 = str0m::media::Pt::from(h264);
    let mut seq = 0u64;
    let mut send = |net: &mut Net, pt: str0m::media::Pt| {
        for _ in 0..5 {
            let (now, c) = (net.now, &mut net.clients[alice]);
            // One whole frame per packet: a single NAL unit, a non-IDR slice.
            let mut slice = vec![0xAA; 300];
            slice[0] = 0x41;
            let time = u32::try_from(seq * 6_000).unwrap_or(0);
            let write = str0m::rtp::RtpWrite::new(pt, seq.into(), time, now, slice).marker(true);
            let mut direct = c.rtc.direct_api();
            direct
                .stream_tx_by_mid(mid, None)
                .expect("alice's video stream")
                .write_rtp(write);
            seq += 1;
            net.run(66);
        }
    };
    send(&mut net, h264);
    assert_eq!(
        net.clients[bob].frames_on(VIDEO),
        5,
        "the negotiated type is forwarded"
    );
    // Payload type 96: VP8 in Chromium's offers, not in the SFU's answer.
    send(&mut net, 96.into());
    assert_eq!(net.clients[bob].frames_on(VIDEO), 5, "PT 96 was forwarded");
    assert_eq!(net.sfu.stats().failed_peers, 0);
    // Alice's stream goes on. The SFU's str0m waits a while for the
    // missing sequence numbers, then hands the frames over, the first as
    // not contiguous; the SFU asks alice for a key frame (bob's decoder
    // cannot see the gap: the SFU numbers its packets to bob itself).
    let asked = net.clients[alice].keyframes_asked.len();
    for _ in 0..3 {
        send(&mut net, h264);
    }
    assert_eq!(
        net.clients[bob].frames_on(VIDEO),
        20,
        "alice's stream stalled"
    );
    assert_eq!(&net.clients[alice].keyframes_asked[asked..], &[VIDEO]);
}

#[test]
fn the_answer_is_ice_lite_bundled_muxed_dtls_active_one_host_candidate_two_codecs() {
    let mut net = Net::new();
    // A client offering everything str0m knows (VP8, VP9, H.264 profiles, ...).
    let alice = net.join_with("c1", "alice", Rtc::builder());
    assert!(
        net.clients[alice].offer.contains("VP8/90000"),
        "the offer lists VP8"
    );
    let answer = net.clients[alice].answer.clone();
    let lines: Vec<&str> = answer.lines().map(str::trim_end).collect();
    let count = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count("a=ice-lite"), 1);
    assert_eq!(count("a=group:BUNDLE"), 1);
    assert_eq!(count("a=rtcp-mux"), 3);
    assert_eq!(count("a=setup:active"), 3);
    let candidates: Vec<_> = lines
        .iter()
        .filter(|l| l.starts_with("a=candidate:"))
        .collect();
    assert_eq!(candidates.len(), 1, "{candidates:?}");
    assert!(
        candidates[0].contains("10.0.0.1 3478 typ host"),
        "{candidates:?}"
    );
    // Opus; H.264 constrained baseline, packetization mode 1, and its RTX.
    let mut codecs: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("a=rtpmap:")?.split_once(' ').map(|(_, c)| c))
        .collect();
    codecs.sort();
    codecs.dedup();
    assert_eq!(codecs, ["H264/90000", "opus/48000/2", "rtx/90000"]);
    let h264: Vec<_> = lines
        .iter()
        .filter(|l| l.starts_with("a=fmtp:") && l.contains("profile-level-id"))
        .collect();
    assert!(
        h264.iter()
            .all(|l| l.contains("packetization-mode=1") && l.contains("profile-level-id=42e01f")),
        "{h264:?}"
    );
}
