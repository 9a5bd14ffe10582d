//! `NCCallConnectionQualityHandler`: send and receive quality from the peer
//! connection's RTP statistics (packets received and lost on each inbound
//! stream; RTCP receiver reports for what this side sends, with round-trip
//! time), and audio volume from the audio actually sent and received.
//! Computed every [`QUALITY_INTERVAL`]; a callback fires when its value changed.

use std::time::Duration;

/// How often quality and volume are computed.
pub const QUALITY_INTERVAL: Duration = Duration::from_secs(1);

/// Link quality, with the values of the ancestor's `RCCallQuality`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallQuality {
    /// Not enough traffic in the interval to tell.
    Unknown = 0,
    /// Under 1% loss and 100 ms round trip.
    Excellent = 1,
    /// Under 3% loss.
    Good = 2,
    /// Under 10% loss.
    Poor = 3,
    /// Under 20% loss.
    Bad = 4,
    /// 20% loss or more.
    VeryBad = 5,
    /// Nothing got through.
    Down = 6,
}

impl CallQuality {
    /// From the loss rate (0..=1) and round-trip time of an interval:
    /// under 1% and 100 ms is excellent, under 3% good, under 10% poor,
    /// under 20% bad, anything worse very bad.
    pub fn from_loss(loss: f64, rtt: Option<Duration>) -> CallQuality {
        CallQuality::from_stats(loss, rtt, Duration::ZERO)
    }

    /// As [`CallQuality::from_loss`], and no better than jitter allows:
    /// from 30 ms of interarrival jitter good at best, from 50 ms poor at
    /// best, from 100 ms bad at best (a jitter buffer must then hold more
    /// than a few packets of 20 ms).
    pub fn from_stats(loss: f64, rtt: Option<Duration>, jitter: Duration) -> CallQuality {
        let by_jitter = match jitter.as_millis() {
            0..30 => CallQuality::Excellent,
            30..50 => CallQuality::Good,
            50..100 => CallQuality::Poor,
            _ => CallQuality::Bad,
        };
        CallQuality::by_loss(loss, rtt).max(by_jitter)
    }

    fn by_loss(loss: f64, rtt: Option<Duration>) -> CallQuality {
        let rtt_ms = rtt.map(|r| r.as_millis()).unwrap_or(0);
        if loss < 0.01 && rtt_ms < 100 {
            CallQuality::Excellent
        } else if loss < 0.03 {
            CallQuality::Good
        } else if loss < 0.10 {
            CallQuality::Poor
        } else if loss < 0.20 {
            CallQuality::Bad
        } else {
            CallQuality::VeryBad
        }
    }
}

/// `onSendQualityChanged`: how this side's media reaches the media server.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendQualityEvent {
    /// The interval's rating.
    pub quality: CallQuality,
    /// Share of this side's packets the other end reported lost (0..=1).
    pub packet_loss_rate: f64,
    /// Round trip to the media server, when measured.
    #[serde(rename = "roundTripTimeMs", with = "crate::millis::option")]
    pub round_trip_time: Option<Duration>,
}

/// `onReceiveQualityChanged`: how one remote user's media arrives.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiveQualityEvent {
    /// The user this is about.
    pub user_id: String,
    /// The interval's rating.
    pub quality: CallQuality,
    /// Share of that user's packets lost on the way here (0..=1).
    pub packet_loss_rate: f64,
    /// RFC 3550 interarrival jitter of that user's audio.
    #[serde(rename = "jitterMs", with = "crate::millis")]
    pub jitter: Duration,
}

/// One user's audio level, 0 (silence) to 9 (the ancestor's scale).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioVolume {
    /// The user this is about.
    pub user_id: String,
    /// 0 (silence) to 9.
    pub level: u8,
}

/// `onAudioVolumeChanged`: audio levels, this user's and the others'.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AudioVolumeEvent {
    /// One level per user heard.
    pub volumes: Vec<AudioVolume>,
}

/// `NCCallConnectionQualityHandler`. Callbacks run on a media task.
pub trait ConnectionQualityHandler: Send + Sync + 'static {
    /// `onSendQualityChanged`, once per quality interval.
    fn on_send_quality_changed(&self, _event: &SendQualityEvent) {}
    /// `onReceiveQualityChanged`, once per interval and remote user.
    fn on_receive_quality_changed(&self, _event: &ReceiveQualityEvent) {}
    /// `onAudioVolumeChanged`.
    fn on_audio_volume_changed(&self, _event: &AudioVolumeEvent) {}
}

/// RFC 3550 interarrival jitter of one RTP stream: the smoothed difference
/// between how far apart packets were sent (RTP timestamps) and how far
/// apart they arrived. What an RTCP receiver report carries.
#[derive(Debug, Default)]
pub(crate) struct JitterEstimator {
    last: Option<(u32, Duration)>,
    /// In seconds.
    jitter: f64,
}

impl JitterEstimator {
    /// A packet with RTP timestamp `rtp_ts` (at `clock_rate` Hz) arrived at
    /// `arrival` (any monotonic origin).
    pub fn on_packet(&mut self, rtp_ts: u32, clock_rate: u32, arrival: Duration) {
        if let Some((last_ts, last_arrival)) = self.last {
            let sent = f64::from(rtp_ts.wrapping_sub(last_ts) as i32) / f64::from(clock_rate);
            let arrived = arrival.as_secs_f64() - last_arrival.as_secs_f64();
            let d = (arrived - sent).abs();
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last = Some((rtp_ts, arrival));
    }

    pub fn jitter(&self) -> Duration {
        Duration::from_secs_f64(self.jitter.max(0.0))
    }
}

/// A level 0..=9 from 16-bit samples (RMS against full scale).
pub(crate) fn level_of(samples: &[i16]) -> u8 {
    if samples.is_empty() {
        return 0;
    }
    let mean_square: f64 =
        samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len() as f64;
    let rms = mean_square.sqrt() / f64::from(i16::MAX);
    (rms * 10.0 * 1.5).round().clamp(0.0, 9.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_zero_on_a_steady_stream_and_grows_with_variation() {
        let mut steady = JitterEstimator::default();
        for i in 0..50u32 {
            steady.on_packet(i * 960, 48_000, Duration::from_millis(u64::from(i) * 20));
        }
        assert!(steady.jitter() < Duration::from_micros(1));
        let mut shaky = JitterEstimator::default();
        for i in 0..200u32 {
            // Every other packet 40 ms late: |D| is 40 ms each time.
            let late = if i % 2 == 0 { 0 } else { 40 };
            shaky.on_packet(
                i * 960,
                48_000,
                Duration::from_millis(u64::from(i) * 20 + late),
            );
        }
        let j = shaky.jitter().as_millis();
        assert!((35..=40).contains(&j), "jitter {j} ms");
    }

    #[test]
    fn quality_levels() {
        assert_eq!(
            CallQuality::from_loss(0.0, Some(Duration::from_millis(5))),
            CallQuality::Excellent
        );
        assert_eq!(CallQuality::from_loss(0.02, None), CallQuality::Good);
        assert_eq!(CallQuality::from_loss(0.05, None), CallQuality::Poor);
        assert_eq!(CallQuality::from_loss(0.15, None), CallQuality::Bad);
        assert_eq!(CallQuality::from_loss(0.5, None), CallQuality::VeryBad);
        assert_eq!(
            CallQuality::from_stats(0.0, None, Duration::from_millis(35)),
            CallQuality::Good
        );
        assert_eq!(
            CallQuality::from_stats(0.05, None, Duration::from_millis(35)),
            CallQuality::Poor
        );
        assert_eq!(
            CallQuality::from_stats(0.0, None, Duration::from_millis(70)),
            CallQuality::Poor
        );
        assert_eq!(level_of(&[]), 0);
        assert_eq!(level_of(&[0; 160]), 0);
        assert!(level_of(&[i16::MAX / 2; 160]) >= 5);
    }
}
