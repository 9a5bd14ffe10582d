//! Every quality interval: reads the connection's RTP statistics and what
//! arrived from each remote user, and tells the quality handler what
//! changed (the arithmetic is in `quality.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rtc::statistics::StatsSelector;
use rtc::statistics::report::RTCStatsReportEntry;
use webrtc::peer_connection::PeerConnection;

use super::send::local_level;
use super::shared::Reception;
use crate::media::MediaShared;
use crate::media::quality::{
    AudioVolume, AudioVolumeEvent, CallQuality, QUALITY_INTERVAL, ReceiveQualityEvent,
    SendQualityEvent,
};

/// Every [`QUALITY_INTERVAL`]: reads the connection's RTP statistics and
/// what arrived from each remote user, and tells the quality handler what
/// changed: send quality, receive quality per remote user, audio volumes.
pub(super) async fn watch_quality(pc: Arc<dyn PeerConnection>, shared: Arc<MediaShared>) {
    #[derive(Default, Clone, Copy)]
    struct Sent {
        sent: u64,
        reported_lost: u64,
    }
    let mut last_sent = Sent::default();
    let mut last_received: HashMap<String, Reception> = HashMap::new();
    let mut reported_send: Option<CallQuality> = None;
    let mut reported_receive: HashMap<String, CallQuality> = HashMap::new();
    let mut reported_volumes: Option<Vec<(String, u8)>> = None;
    let mut ticks = tokio::time::interval(QUALITY_INTERVAL);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let report = pc.get_stats(Instant::now(), StatsSelector::None).await;
        let mut now = Sent::default();
        for s in report.outbound_rtp_streams() {
            now.sent += s.sent_rtp_stream_stats.packets_sent;
        }
        let mut rtt: Option<Duration> = None;
        // The crate leaves the receiver reports' round trip at 0 in this
        // version; the ICE consent checks (every 2 s) measure the same path.
        let mut ice_rtt: Option<Duration> = None;
        for entry in report.iter() {
            match entry {
                RTCStatsReportEntry::RemoteInboundRtp(s) => {
                    now.reported_lost +=
                        u64::try_from(s.received_rtp_stream_stats.packets_lost).unwrap_or(0);
                    if s.round_trip_time > 0.0 {
                        rtt = Some(Duration::from_secs_f64(s.round_trip_time));
                    }
                }
                RTCStatsReportEntry::IceCandidatePair(p) if p.current_round_trip_time > 0.0 => {
                    let pair = Duration::from_secs_f64(p.current_round_trip_time);
                    ice_rtt = Some(ice_rtt.map_or(pair, |r: Duration| r.max(pair)));
                }
                _ => {}
            }
        }
        let rtt = rtt.or(ice_rtt);
        if let Some(rtt) = rtt {
            let us = u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX).max(1);
            shared.rtt_us.store(us, Ordering::SeqCst);
        }
        let (sent, reported_lost) = (
            now.sent.saturating_sub(last_sent.sent),
            now.reported_lost.saturating_sub(last_sent.reported_lost),
        );
        last_sent = now;
        let send_loss = loss_rate(reported_lost, sent);
        let send = if sent == 0 {
            CallQuality::Unknown
        } else {
            CallQuality::from_loss(send_loss, rtt)
        };

        // Receive side, per remote user, from what the tracks counted (the
        // crate's own inbound `packets_lost` and `jitter` stay 0 in this version).
        let users = shared.slot_users();
        let receptions = shared
            .receptions
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default();
        let mut receive = Vec::new();
        let me = shared
            .local_user
            .lock()
            .map(|u| u.clone())
            .unwrap_or_default();
        let mut volumes = vec![(me, local_level(&shared))];
        for user in &users {
            let now = receptions.get(user).copied().unwrap_or_default();
            let before = last_received.get(user).copied().unwrap_or_default();
            let got = now.received.saturating_sub(before.received);
            let lost = now
                .expected
                .saturating_sub(now.received)
                .saturating_sub(before.expected.saturating_sub(before.received));
            let jitter = Duration::from_micros(now.jitter_us);
            let quality = if got + lost == 0 {
                CallQuality::Down
            } else {
                CallQuality::from_stats(loss_rate(lost, got + lost), None, jitter)
            };
            receive.push(ReceiveQualityEvent {
                user_id: user.clone(),
                quality,
                packet_loss_rate: loss_rate(lost, got + lost),
                jitter,
            });
            // The level of the last packet of this interval; silence when none came.
            let level = if got == 0 { 0 } else { now.level };
            volumes.push((user.clone(), u8::try_from(level).unwrap_or(9)));
        }
        last_received = receptions;

        let handler = shared.quality_handler.lock().ok().and_then(|h| h.clone());
        let Some(handler) = handler else { continue };
        if reported_send != Some(send) {
            reported_send = Some(send);
            handler.on_send_quality_changed(&SendQualityEvent {
                quality: send,
                packet_loss_rate: send_loss,
                round_trip_time: rtt,
            });
        }
        for event in receive {
            if reported_receive.get(&event.user_id) != Some(&event.quality) {
                reported_receive.insert(event.user_id.clone(), event.quality);
                handler.on_receive_quality_changed(&event);
            }
        }
        if reported_volumes.as_ref() != Some(&volumes) {
            handler.on_audio_volume_changed(&AudioVolumeEvent {
                volumes: volumes
                    .iter()
                    .map(|(user_id, level)| AudioVolume {
                        user_id: user_id.clone(),
                        level: *level,
                    })
                    .collect(),
            });
            reported_volumes = Some(volumes);
        }
    }
}

pub(super) fn loss_rate(lost: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        lost as f64 / total as f64
    }
}
