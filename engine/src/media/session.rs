//! One peer connection per call, to the simulator's media server.
//!
//! The engine offers audio, video and low-resolution video (the first two
//! send and receive, so the server forwards one remote user's media on the
//! same mids: receive slot 0), plus a recvonly audio and video pair for
//! every further receive slot a group call needs. It publishes the offer
//! over signaling (`publishMedia`, naming the user of each slot), applies
//! the answer, then sends real media: an H.264 picture per frame interval
//! while the camera captures (the marker drawn in it, see `marker.rs`), an
//! Opus packet of the sender's tone every 20 ms while the microphone is on.
//! What arrives is decoded: views get decoded pictures, the audio's tone
//! and level are measured from decoded samples. When a group call needs more slots, the same
//! connection is renegotiated (`updateMedia`). What arrives on a slot goes
//! to the view of the user the slot carries.
//!
//! This file is the peer connection itself (build, offer, answer, grow,
//! close); `session/` holds the rest, a concern a file: `shared.rs` (what
//! the engine and the media tasks share), `sdp.rs` (codecs, payload types,
//! slots of m-lines and SSRCs), `send.rs`, `receive.rs`, `sequence.rs` (RTP
//! sequence numbers extended, pure) and `quality_watch.rs`.

mod quality_watch;
mod receive;
mod sdp;
mod send;
mod sequence;
mod shared;

pub use shared::DEFAULT_MEDIA_LOSS_TIMEOUT;
pub(crate) use shared::MediaShared;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rtc::interceptor::{Registry, Slot};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCIceGatheringState,
    RTCPeerConnectionState, RTCSessionDescription,
};
use webrtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit, RtpSender};

use super::keyframe_requests::KeyframeRequests;
use quality_watch::watch_quality;
use receive::receive;
use sdp::{h264_codec, media_engine, opus_codec, payload_type, ssrc_slots};
use send::{local_track, next_ssrc, send_audio, send_video};

pub(crate) static LIVE_PEER_CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

/// The ICE check interval. The `webrtc` crate's default (200 ms) adds a
/// whole interval to every connect (nomination waits for the next tick);
/// 1 ms keeps a loopback connect to a few milliseconds, with the attempts
/// scaled to keep its ~1.4 s budget. It applies while checking only: a
/// connected agent wakes at the keepalive interval.
pub const ICE_CHECK_INTERVAL: Duration = Duration::from_millis(1);

/// How many connectivity checks ICE sends before it gives up: with
/// [`ICE_CHECK_INTERVAL`] at 1 ms, the same ~1.4 s budget as the `webrtc`
/// crate's default (7 checks at 200 ms).
pub const ICE_MAX_BINDING_REQUESTS: u16 = 1400;

/// A live peer connection and its tasks; dropping it closes both.
pub(crate) struct MediaSession {
    pc: Arc<dyn PeerConnection>,
    tasks: Vec<JoinHandle<()>>,
    slots: SlotControl,
    /// Set once the answer is applied.
    state: Option<watch::Receiver<LinkState>>,
}

/// Adds receive slots to a running connection (renegotiation). It shares
/// the connection but does not own it: the [`MediaSession`] closes it.
#[derive(Clone)]
pub(crate) struct SlotControl {
    pc: Arc<dyn PeerConnection>,
    ssrc_slots: Arc<Mutex<HashMap<u32, usize>>>,
    /// Receive slots the connection has m-lines for.
    offered: Arc<AtomicUsize>,
}

impl SlotControl {
    pub(crate) fn offered(&self) -> usize {
        self.offered.load(Ordering::SeqCst)
    }

    /// Adds recvonly pairs up to `slots` receive slots and returns the new
    /// offer; [`SlotControl::apply_answer`] completes the exchange.
    pub(crate) async fn grow(&self, slots: usize) -> Result<String, String> {
        for _ in self.offered()..slots {
            add_receive_slot(&self.pc).await?;
        }
        let offer = self
            .pc
            .create_offer(None)
            .await
            .map_err(|e| format!("renegotiation offer: {e}"))?;
        self.pc
            .set_local_description(offer)
            .await
            .map_err(|e| format!("local description: {e}"))?;
        let local = self
            .pc
            .local_description()
            .await
            .ok_or("no local description")?;
        self.offered
            .store(slots.max(self.offered()), Ordering::SeqCst);
        Ok(local.sdp)
    }

    pub(crate) async fn apply_answer(&self, sdp: String) -> Result<(), String> {
        if let Ok(mut map) = self.ssrc_slots.lock() {
            map.extend(ssrc_slots(&sdp));
        }
        let answer = RTCSessionDescription::answer(sdp).map_err(|e| format!("answer: {e}"))?;
        self.pc
            .set_remote_description(answer)
            .await
            .map_err(|e| format!("remote description: {e}"))
    }
}

/// A recvonly audio and video m-line pair: one more receive slot.
async fn add_receive_slot(pc: &Arc<dyn PeerConnection>) -> Result<(), String> {
    for kind in [RtpCodecKind::Audio, RtpCodecKind::Video] {
        let init = RTCRtpTransceiverInit {
            direction: RTCRtpTransceiverDirection::Recvonly,
            streams: Vec::new(),
            send_encodings: Vec::new(),
        };
        pc.add_transceiver_from_kind(kind, Some(init))
            .await
            .map_err(|e| format!("receive slot: {e}"))?;
    }
    Ok(())
}

impl Drop for MediaSession {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        let pc = self.pc.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = pc.close().await;
            });
        }
        LIVE_PEER_CONNECTIONS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How the peer connection is doing, as the media task needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkState {
    Connecting,
    Connected,
    /// Disconnected (no consent answers for the loss timeout) or failed.
    Lost,
}

struct Events {
    gathered: mpsc::Sender<()>,
    state: watch::Sender<LinkState>,
    /// Receive slot of each SSRC the media server sends on.
    ssrc_slots: Arc<Mutex<HashMap<u32, usize>>>,
    shared: Arc<MediaShared>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Events {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.try_send(());
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let link = match state {
            RTCPeerConnectionState::Connected => LinkState::Connected,
            RTCPeerConnectionState::Disconnected | RTCPeerConnectionState::Failed => {
                LinkState::Lost
            }
            _ => LinkState::Connecting,
        };
        self.shared
            .link_up
            .store(link == LinkState::Connected, Ordering::SeqCst);
        self.shared.link_changed.notify_waiters();
        self.state.send_replace(link);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let shared = self.shared.clone();
        let ssrc_slots = self.ssrc_slots.clone();
        tokio::spawn(async move {
            let video = track.kind().await == RtpCodecKind::Video;
            if let Err(e) = receive(track, video, shared, ssrc_slots).await {
                tracing::debug!("receiving stopped: {e}");
            }
        });
    }
}

impl MediaSession {
    /// Builds the peer connection with `slots` receive slots (at least one)
    /// and its offer (ICE gathered); the caller publishes the offer and gives
    /// the answer to [`PendingSession::answer`].
    pub(crate) async fn offer(
        slots: usize,
        shared: Arc<MediaShared>,
    ) -> Result<(PendingSession, String), String> {
        let media = media_engine()?;
        // Keyframe requests from the SFU must reach the encoder (the
        // crate's chain ends inbound RTCP otherwise); application-most.
        let interceptors = Registry::new().with(Slot::from(14_000), KeyframeRequests::default());
        // A path silent for the loss timeout is Disconnected (the media task
        // then builds a new connection); consent checks run four times
        // within it so one lost answer does not count.
        let loss = shared.loss_timeout();
        let (interval, attempts) = shared.ice_checks();
        let settings = SettingEngineBuilder::new()
            .with_ice_connection_attempts(Some(interval), Some(attempts))
            .with_ice_timeouts(Some(loss), Some(loss * 2), Some(loss / 4))
            // No mDNS: the SFU's candidates are plain addresses. The
            // crate's default (query-only) opens a multicast socket for
            // every connection, and on a host where only loopback is up
            // that fails and takes the whole connection with it (no media
            // at all in a network namespace with `lo` alone).
            .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
            .build();
        let (gathered, mut gathering) = mpsc::channel(1);
        let (state, state_rx) = watch::channel(LinkState::Connecting);
        let ssrc_slots = Arc::new(Mutex::new(HashMap::new()));
        let pc = PeerConnectionBuilder::new()
            .with_media_engine(media)
            .with_interceptor_registry(interceptors)
            .with_setting_engine(settings)
            .with_handler(Arc::new(Events {
                gathered,
                state,
                ssrc_slots: ssrc_slots.clone(),
                shared: shared.clone(),
            }))
            // Loopback only: binding 0.0.0.0 makes the crate skip loopback candidates.
            .with_udp_addrs(vec!["127.0.0.1:0".to_owned()])
            .build()
            .await
            .map_err(|e| format!("peer connection: {e}"))?;
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        LIVE_PEER_CONNECTIONS.fetch_add(1, Ordering::SeqCst);
        let pending = PendingSession {
            state: state_rx,
            senders: Default::default(),
            session: MediaSession {
                pc: pc.clone(),
                tasks: Vec::new(),
                slots: SlotControl {
                    pc: pc.clone(),
                    ssrc_slots,
                    offered: Arc::new(AtomicUsize::new(slots.max(1))),
                },
                state: None,
            },
            audio: local_track("audio", opus_codec(), next_ssrc())?,
            video: local_track("video", h264_codec(), next_ssrc())?,
            video_low: local_track("video-low", h264_codec(), next_ssrc())?,
            shared,
        };
        let audio_sender = Some(
            pc.add_track(pending.audio.clone() as Arc<dyn TrackLocal>)
                .await
                .map_err(|e| format!("audio track: {e}"))?,
        );
        let video_sender = Some(
            pc.add_track(pending.video.clone() as Arc<dyn TrackLocal>)
                .await
                .map_err(|e| format!("video track: {e}"))?,
        );
        // The low-resolution layer: a second video track (m-line 2) with a
        // quarter of the pixels; the SFU sends each receiver the one it chose.
        let low_sender = Some(
            pc.add_track(pending.video_low.clone() as Arc<dyn TrackLocal>)
                .await
                .map_err(|e| format!("low-resolution video track: {e}"))?,
        );
        for _ in 1..slots {
            add_receive_slot(&pc).await?;
        }
        let offer = pc
            .create_offer(None)
            .await
            .map_err(|e| format!("offer: {e}"))?;
        pc.set_local_description(offer)
            .await
            .map_err(|e| format!("local description: {e}"))?;
        tokio::time::timeout(Duration::from_secs(5), gathering.recv())
            .await
            .map_err(|_| "ICE gathering did not complete".to_string())?;
        let local = pc.local_description().await.ok_or("no local description")?;
        let pending = PendingSession {
            senders: [audio_sender, video_sender, low_sender],
            ..pending
        };
        Ok((pending, local.sdp))
    }

    /// A handle that renegotiates this connection for more receive slots.
    pub(crate) fn slot_control(&self) -> SlotControl {
        self.slots.clone()
    }

    /// How the connection is doing.
    pub(crate) fn link_state(&self) -> Option<watch::Receiver<LinkState>> {
        self.state.clone()
    }
}

/// A session whose offer is out, waiting for the answer.
pub(crate) struct PendingSession {
    /// Connected once ICE and DTLS are up: the senders start then, so the
    /// first frame is not lost or late.
    state: watch::Receiver<LinkState>,
    /// Audio, video: their parameters give the negotiated payload types.
    senders: [Option<Arc<dyn RtpSender>>; 3],
    session: MediaSession,
    audio: Arc<TrackLocalStaticSample>,
    video: Arc<TrackLocalStaticSample>,
    video_low: Arc<TrackLocalStaticSample>,
    shared: Arc<MediaShared>,
}

impl PendingSession {
    /// Applies the media server's answer and starts sending.
    pub(crate) async fn answer(mut self, sdp: String) -> Result<MediaSession, String> {
        let pc = self.session.pc.clone();
        self.session.slots.apply_answer(sdp).await?;
        let [audio_sender, video_sender, low_sender] = std::mem::take(&mut self.senders);
        let low_pt = payload_type(low_sender)
            .await
            .ok_or("no low-resolution payload type negotiated".to_string())?;
        let audio_pt = payload_type(audio_sender)
            .await
            .ok_or("no audio payload type negotiated".to_string())?;
        let video_pt = payload_type(video_sender)
            .await
            .ok_or("no video payload type negotiated".to_string())?;
        let (video, audio, shared) = (self.video.clone(), self.audio.clone(), self.shared.clone());
        let low = self.video_low.clone();
        let mut up = self.state.clone();
        self.session.tasks.push(tokio::spawn(async move {
            if up.wait_for(|s| *s == LinkState::Connected).await.is_ok() {
                send_video(video, video_pt, low, low_pt, shared).await;
            }
        }));
        let (q_pc, q_shared) = (pc.clone(), self.shared.clone());
        self.session
            .tasks
            .push(tokio::spawn(watch_quality(q_pc, q_shared)));
        let (shared, mut up) = (self.shared.clone(), self.state.clone());
        self.session.tasks.push(tokio::spawn(async move {
            if up.wait_for(|s| *s == LinkState::Connected).await.is_ok() {
                send_audio(audio, audio_pt, shared).await;
            }
        }));
        self.session.state = Some(self.state);
        Ok(self.session)
    }
}

/// Aborts the tasks when dropped: helpers that live as long as a sender.
struct AbortOnDrop<const N: usize>([JoinHandle<()>; N]);

impl<const N: usize> Drop for AbortOnDrop<N> {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}
