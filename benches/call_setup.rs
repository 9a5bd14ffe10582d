//! Signaling-only call setup on loopback, read against its floor.
//!
//! - `websocket_round_trip`: one JSON text frame to a bare tokio-tungstenite
//!   echo server and back: the least any signaling round trip can cost here.
//! - `call_setup`: from alice's `start_call` until both alice and bob have
//!   seen `onCallConnected` (bob answers as soon as his `onCallReceived`
//!   arrives). The protocol needs about two round trips, so the target is
//!   within 4x the round trip's median.
//!
//! - `media_setup`: from alice's `start_call` (video) until both alice's and
//!   bob's views have shown a first *decoded* H.264 picture of the other,
//!   through the simulator's SFU (signaling, two peer connections, encode,
//!   forwarding, decode).
//! - `webrtc_pair_floor`: the floor for that: two bare `webrtc` peer
//!   connections on loopback with the engine's settings and codec, from
//!   creation to the first H.264 key frame decoded on the other side.
//!   Target: media setup within 1.5x the floor.
//!
//! All run on the same two-worker tokio runtime. `cargo bench --bench call_setup`.

mod common;

use std::time::{Duration, Instant};

use common::{ended, one_media_call};
use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::{SinkExt, StreamExt};
use nccall::{CallEvent, CallMediaType, EndCallParams, StartCallParams};
use nccall_conformance::rig::{DEFAULT_APP, Participant, Rig};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

/// About the size of a `startCall` frame.
const PAYLOAD: &str = r#"{"id":17,"type":"startCall","calleeIds":["bob"],"callType":"SINGLE","mediaType":"AUDIO_VIDEO"}"#;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

async fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_text() && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    format!("ws://{addr}")
}

async fn connected(p: &mut Participant) {
    p.expect("onCallConnected", |e| {
        matches!(e, CallEvent::CallConnected(_))
    })
    .await
    .expect("connected");
}

/// One measured setup; the hang-up afterwards is not measured.
async fn one_call(alice: &mut Participant, bob: &mut Participant) -> Duration {
    let start = Instant::now();
    alice
        .engine
        .start_call(StartCallParams::single("bob", CallMediaType::AudioVideo))
        .await
        .expect("start_call");
    let received = bob
        .expect("onCallReceived", |e| {
            matches!(e, CallEvent::CallReceived(_))
        })
        .await
        .expect("ring");
    let CallEvent::CallReceived(r) = received else {
        unreachable!()
    };
    bob.engine
        .accept_call(r.session.call_id())
        .await
        .expect("accept");
    connected(alice).await;
    connected(bob).await;
    let took = start.elapsed();
    alice
        .engine
        .end_call(EndCallParams::default())
        .await
        .expect("hang up");
    ended(alice).await;
    ended(bob).await;
    took
}

fn signaling(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("signaling_loopback");
    group
        .sample_size(60)
        .measurement_time(Duration::from_secs(5));

    let url = rt.block_on(echo_server());
    let (mut ws, _) = rt
        .block_on(tokio_tungstenite::connect_async_with_config(
            url.as_str(),
            None,
            true,
        ))
        .expect("connect to echo server");
    // Measured the same way as the call setup: inside one `block_on`, so
    // neither figure includes entering the runtime.
    group.bench_function("websocket_round_trip", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    ws.send(Message::text(PAYLOAD)).await.expect("send");
                    let echo = ws.next().await.expect("echo").expect("frame");
                    std::hint::black_box(echo);
                }
                start.elapsed()
            })
        })
    });

    // Signaling only: engines that build no peer connections, so media
    // setup of the previous call does not run during the next one.
    let rig = rt.block_on(Rig::for_benchmarks()).expect("simulator");
    let mut alice = rt
        .block_on(async {
            let p = rig.signaling_participant("alice").await?;
            rig.connect(p, DEFAULT_APP).await
        })
        .expect("alice");
    let mut bob = rt
        .block_on(async {
            let p = rig.signaling_participant("bob").await?;
            rig.connect(p, DEFAULT_APP).await
        })
        .expect("bob");
    group.bench_function("call_setup", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += one_call(&mut alice, &mut bob).await;
                }
                total
            })
        })
    });
    group.finish();
}

fn media(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("media_loopback");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(10));

    group.bench_function("webrtc_pair_floor", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += floor::pair_to_first_decoded_picture().await;
                }
                total
            })
        })
    });

    let rig = rt.block_on(Rig::for_benchmarks()).expect("simulator");
    let mut alice = rt
        .block_on(rig.online("alice", DEFAULT_APP))
        .expect("alice");
    let mut bob = rt.block_on(rig.online("bob", DEFAULT_APP)).expect("bob");
    rt.block_on(alice.watch("bob", false))
        .expect("alice watches");
    rt.block_on(bob.watch("alice", false)).expect("bob watches");
    group.bench_function("media_setup", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += one_media_call(&mut alice, &mut bob).await;
                }
                total
            })
        })
    });
    group.finish();
}

/// Two bare peer connections with the engine's settings (its ICE check
/// interval), offer/answer in memory, and the engine's codec: one 640×480
/// H.264 key frame encoded once the connection is up, sent, and decoded
/// on the other side (the engine's own `nccall::h264`).
mod floor {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use nccall::h264::{Decoded, H264_FMTP, VideoDecoder, VideoEncoder};
    use nccall::marker::{GRAIN, VideoMarker, add_grain, draw_i420};
    use rtc::media::Sample;
    use rtc::media_stream::MediaStreamTrack;
    use rtc::peer_connection::configuration::media_engine::MIME_TYPE_H264;
    use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
    use rtc::rtp_transceiver::rtp_sender::{
        RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
    };
    use tokio::sync::{mpsc, watch};
    use webrtc::media_stream::Track;
    use webrtc::media_stream::track_local::TrackLocal;
    use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
    use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
    use webrtc::peer_connection::{
        MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
        RTCIceGatheringState, RTCPeerConnectionState,
    };

    struct Handler {
        gathered: mpsc::Sender<()>,
        connected: watch::Sender<bool>,
        first_picture: mpsc::Sender<()>,
    }

    #[async_trait::async_trait]
    impl PeerConnectionEventHandler for Handler {
        async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
            if state == RTCIceGatheringState::Complete {
                let _ = self.gathered.try_send(());
            }
        }
        async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
            self.connected
                .send_replace(state == RTCPeerConnectionState::Connected);
        }
        async fn on_track(&self, track: Arc<dyn TrackRemote>) {
            let first = self.first_picture.clone();
            tokio::spawn(async move {
                let Ok(mut decoder) = VideoDecoder::new() else {
                    return;
                };
                while let Some(event) = track.poll().await {
                    if let TrackRemoteEvent::OnRtpPacket(packet) = event {
                        let decoded = decoder.push(
                            packet.header.sequence_number,
                            packet.header.timestamp,
                            packet.header.marker,
                            &packet.payload,
                        );
                        if matches!(decoded, Decoded::Picture { .. }) {
                            let _ = first.try_send(());
                        }
                    }
                }
            });
        }
    }

    async fn peer() -> (
        Arc<dyn PeerConnection>,
        mpsc::Receiver<()>,
        watch::Receiver<bool>,
        mpsc::Receiver<()>,
    ) {
        let mut media = MediaEngine::default();
        media.register_default_codecs().expect("codecs");
        let settings = SettingEngineBuilder::new()
            .with_ice_connection_attempts(
                Some(nccall::ICE_CHECK_INTERVAL),
                Some(nccall::ICE_MAX_BINDING_REQUESTS),
            )
            .build();
        let (gathered, gathered_rx) = mpsc::channel(1);
        let (connected, connected_rx) = watch::channel(false);
        let (first_picture, first_rx) = mpsc::channel(1);
        let pc = PeerConnectionBuilder::new()
            .with_media_engine(media)
            .with_setting_engine(settings)
            .with_handler(Arc::new(Handler {
                gathered,
                connected,
                first_picture,
            }))
            .with_udp_addrs(vec!["127.0.0.1:0".to_owned()])
            .build()
            .await
            .expect("peer connection");
        (Arc::new(pc), gathered_rx, connected_rx, first_rx)
    }

    pub async fn pair_to_first_decoded_picture() -> Duration {
        let start = Instant::now();
        let (offerer, mut off_gathered, mut off_up, _) = peer().await;
        let (answerer, mut ans_gathered, _, mut first) = peer().await;
        let track = Arc::new(
            TrackLocalStaticSample::new(
                Instant::now(),
                MediaStreamTrack::new(
                    "floor".into(),
                    "video".into(),
                    "floor".into(),
                    RtpCodecKind::Video,
                    vec![RTCRtpEncodingParameters {
                        rtp_coding_parameters: RTCRtpCodingParameters {
                            ssrc: Some(0x5eed),
                            ..Default::default()
                        },
                        codec: RTCRtpCodec {
                            mime_type: MIME_TYPE_H264.to_owned(),
                            clock_rate: 90_000,
                            channels: 0,
                            sdp_fmtp_line: H264_FMTP.to_owned(),
                            rtcp_feedback: vec![],
                        },
                        ..Default::default()
                    }],
                ),
            )
            .expect("track"),
        );
        let sender = offerer
            .add_track(track.clone() as Arc<dyn TrackLocal>)
            .await
            .expect("add track");
        let offer = offerer.create_offer(None).await.expect("offer");
        offerer.set_local_description(offer).await.expect("local");
        off_gathered.recv().await;
        let offer = offerer.local_description().await.expect("offer sdp");
        answerer
            .set_remote_description(offer)
            .await
            .expect("remote");
        let answer = answerer.create_answer(None).await.expect("answer");
        answerer.set_local_description(answer).await.expect("local");
        ans_gathered.recv().await;
        let answer = answerer.local_description().await.expect("answer sdp");
        offerer
            .set_remote_description(answer)
            .await
            .expect("remote");
        let _ = off_up.wait_for(|c| *c).await;
        let pt = sender
            .get_parameters()
            .await
            .expect("params")
            .rtp_parameters
            .codecs[0]
            .payload_type;
        let ssrc = track.ssrcs().await[0];
        // As the engine does: from the moment the connection is up, encode
        // the camera's picture as a key frame and send it (here again every
        // 5 ms) until the other side has decoded one.
        let mut encoder = VideoEncoder::new(640, 480, 15, 460_800).expect("encoder");
        let marker = VideoMarker {
            tag: 1,
            number: 1,
            capture_ms: 0,
        };
        let mut picture = draw_i420(&marker, 640, 480);
        add_grain(&mut picture, 640, 480, 1, GRAIN);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let unit = encoder.encode(picture.clone(), true).expect("encode");
            let sample = Sample {
                data: bytes::Bytes::from(unit),
                duration: Duration::from_millis(66),
                ..Sample::new(Instant::now())
            };
            track
                .sample_writer(ssrc, pt)
                .write_sample(&sample)
                .await
                .expect("write");
            let got = tokio::time::timeout(Duration::from_millis(5), first.recv()).await;
            if got.is_ok() || Instant::now() > deadline {
                break;
            }
        }
        let took = start.elapsed();
        let _ = offerer.close().await;
        let _ = answerer.close().await;
        took
    }
}

criterion_group!(benches, signaling, media);
criterion_main!(benches);
