//! The floors call setup is read against, measured in the same run: a
//! WebSocket round trip to a bare echo server (the least any signaling
//! round trip costs here), and two bare `webrtc` peer connections on
//! loopback with the engine's settings (its ICE check interval) and codec,
//! offer and answer in memory, one 640x480 H.264 key frame encoded once
//! the connection is up, sent (again every 5 ms until one is through, as a
//! camera keeps sending) and decoded on the other side.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// About the size of a `startCall` frame.
pub const PAYLOAD: &str = r#"{"id":17,"type":"startCall","calleeIds":["bob"],"callType":"SINGLE","mediaType":"AUDIO_VIDEO"}"#;

/// A WebSocket echo server on loopback; its URL.
pub async fn echo_server() -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| format!("addr: {e}"))?;
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
    Ok(format!("ws://{addr}"))
}

/// A client of [`echo_server`]: each [`EchoClient::round_trip`] is one
/// [`PAYLOAD`] frame there and back.
pub struct EchoClient(
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
);

impl EchoClient {
    pub async fn connect(url: &str) -> Result<Self, String> {
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
            .await
            .map_err(|e| format!("connect to the echo server: {e}"))?;
        Ok(EchoClient(ws))
    }

    pub async fn round_trip(&mut self) -> Result<Duration, String> {
        let start = Instant::now();
        self.0
            .send(Message::text(PAYLOAD))
            .await
            .map_err(|e| format!("send: {e}"))?;
        match self.0.next().await {
            Some(Ok(_)) => Ok(start.elapsed()),
            other => Err(format!("no echo: {other:?}")),
        }
    }
}

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

/// One side: the peer connection, and when it gathered, connected and
/// decoded a first picture.
type Peer = (
    Arc<dyn PeerConnection>,
    mpsc::Receiver<()>,
    watch::Receiver<bool>,
    mpsc::Receiver<()>,
);

async fn peer() -> Result<Peer, String> {
    let mut media = MediaEngine::default();
    media
        .register_default_codecs()
        .map_err(|e| format!("codecs: {e}"))?;
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
        .map_err(|e| format!("peer connection: {e}"))?;
    Ok((Arc::new(pc), gathered_rx, connected_rx, first_rx))
}

/// From creating two bare peer connections until one decoded the other's
/// first H.264 key frame.
pub async fn pair_to_first_decoded_picture() -> Result<Duration, String> {
    let start = Instant::now();
    let (offerer, mut off_gathered, mut off_up, _) = peer().await?;
    let (answerer, mut ans_gathered, _, mut first) = peer().await?;
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
        .map_err(|e| format!("track: {e}"))?,
    );
    let sender = offerer
        .add_track(track.clone() as Arc<dyn TrackLocal>)
        .await
        .map_err(|e| format!("add track: {e}"))?;
    let offer = offerer
        .create_offer(None)
        .await
        .map_err(|e| format!("offer: {e}"))?;
    offerer
        .set_local_description(offer)
        .await
        .map_err(|e| format!("local: {e}"))?;
    off_gathered.recv().await;
    let offer = offerer.local_description().await.ok_or("no local offer")?;
    answerer
        .set_remote_description(offer)
        .await
        .map_err(|e| format!("remote: {e}"))?;
    let answer = answerer
        .create_answer(None)
        .await
        .map_err(|e| format!("answer: {e}"))?;
    answerer
        .set_local_description(answer)
        .await
        .map_err(|e| format!("local: {e}"))?;
    ans_gathered.recv().await;
    let answer = answerer
        .local_description()
        .await
        .ok_or("no local answer")?;
    offerer
        .set_remote_description(answer)
        .await
        .map_err(|e| format!("remote: {e}"))?;
    let _ = off_up.wait_for(|c| *c).await;
    let pt = sender
        .get_parameters()
        .await
        .map_err(|e| format!("params: {e}"))?
        .rtp_parameters
        .codecs
        .first()
        .ok_or("no codec negotiated")?
        .payload_type;
    let ssrc = *track.ssrcs().await.first().ok_or("the track has no SSRC")?;
    // As the engine does: from the moment the connection is up, encode
    // the camera's picture as a key frame and send it (here again every
    // 5 ms) until the other side has decoded one.
    let mut encoder =
        VideoEncoder::new(640, 480, 15, 460_800).map_err(|e| format!("encoder: {e}"))?;
    let marker = VideoMarker {
        tag: 1,
        number: 1,
        capture_ms: 0,
    };
    let mut picture = draw_i420(&marker, 640, 480);
    add_grain(&mut picture, 640, 480, 1, GRAIN);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let unit = encoder
            .encode(picture.clone(), true)
            .map_err(|e| format!("encode: {e}"))?;
        let sample = Sample {
            data: bytes::Bytes::from(unit),
            duration: Duration::from_millis(66),
            ..Sample::new(Instant::now())
        };
        track
            .sample_writer(ssrc, pt)
            .write_sample(&sample)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let got = tokio::time::timeout(Duration::from_millis(5), first.recv()).await;
        if got.is_ok() || Instant::now() > deadline {
            break;
        }
    }
    let took = start.elapsed();
    let _ = offerer.close().await;
    let _ = answerer.close().await;
    Ok(took)
}
