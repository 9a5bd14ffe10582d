//! `NCCallConnectionQualityHandler`: send and receive quality from the peer
//! connection's RTP statistics (packets received and lost on each inbound
//! stream; RTCP receiver reports for what this side sends, with round-trip
//! time), and audio volume from the audio actually sent and received.
//! Computed every [`QUALITY_INTERVAL`]; a callback fires when its value changed.

use std::time::Duration;

/// How often quality and volume are computed.
pub const QUALITY_INTERVAL: Duration = Duration::from_secs(1);

/// Link quality, with the values of the ancestor's `RCCallQuality`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallQuality {
    /// Not enough traffic in the interval to tell.
    Unknown = 0,
    Excellent = 1,
    Good = 2,
    Poor = 3,
    Bad = 4,
    VeryBad = 5,
    /// Nothing got through.
    Down = 6,
}

impl CallQuality {
    /// From the loss rate (0..=1) and round-trip time of an interval:
    /// under 1% and 100 ms is excellent, under 3% good, under 10% poor,
    /// under 20% bad, anything worse very bad.
    pub fn from_loss(loss: f64, rtt: Option<Duration>) -> CallQuality {
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

#[derive(Debug, Clone, PartialEq)]
pub struct SendQualityEvent {
    pub quality: CallQuality,
    /// Share of this side's packets the other end reported lost (0..=1).
    pub packet_loss_rate: f64,
    pub round_trip_time: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReceiveQualityEvent {
    pub user_id: String,
    pub quality: CallQuality,
    pub packet_loss_rate: f64,
    pub jitter: Duration,
}

/// One user's audio level, 0 (silence) to 9 (the ancestor's scale).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioVolume {
    pub user_id: String,
    pub level: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioVolumeEvent {
    pub volumes: Vec<AudioVolume>,
}

/// `NCCallConnectionQualityHandler`. Callbacks run on a media task.
pub trait ConnectionQualityHandler: Send + Sync + 'static {
    fn on_send_quality_changed(&self, _event: &SendQualityEvent) {}
    fn on_receive_quality_changed(&self, _event: &ReceiveQualityEvent) {}
    fn on_audio_volume_changed(&self, _event: &AudioVolumeEvent) {}
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
    fn quality_levels() {
        assert_eq!(
            CallQuality::from_loss(0.0, Some(Duration::from_millis(5))),
            CallQuality::Excellent
        );
        assert_eq!(CallQuality::from_loss(0.02, None), CallQuality::Good);
        assert_eq!(CallQuality::from_loss(0.05, None), CallQuality::Poor);
        assert_eq!(CallQuality::from_loss(0.15, None), CallQuality::Bad);
        assert_eq!(CallQuality::from_loss(0.5, None), CallQuality::VeryBad);
        assert_eq!(level_of(&[]), 0);
        assert_eq!(level_of(&[0; 160]), 0);
        assert!(level_of(&[i16::MAX / 2; 160]) >= 5);
    }
}
