//! The buffers between a device's clock and the media path's 20 ms cadence.
//! A device callback runs on its own clock and in its own buffer sizes; the
//! sender reads a frame every 20 ms and the receiver hands over a packet
//! whenever one arrives. These absorb the difference, with bounded latency.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::audio_io::FRAME_SAMPLES;

/// Captured audio waiting for the sender (48 kHz mono).
#[derive(Debug, Default)]
pub(crate) struct CaptureQueue {
    samples: Mutex<VecDeque<i16>>,
}

/// More than this waiting means the device runs ahead of the sender (or
/// the sender stalled): the oldest audio goes, down to `CAPTURE_KEEP`, so
/// the microphone never lags by more than ~100 ms.
const CAPTURE_MAX: usize = 5 * FRAME_SAMPLES;
const CAPTURE_KEEP: usize = 2 * FRAME_SAMPLES;

impl CaptureQueue {
    /// From the device callback.
    pub(crate) fn extend(&self, samples: impl IntoIterator<Item = i16>) {
        if let Ok(mut q) = self.samples.lock() {
            q.extend(samples);
            if q.len() > CAPTURE_MAX {
                let excess = q.len() - CAPTURE_KEEP;
                q.drain(..excess);
            }
        }
    }

    /// For the sender: the oldest frame, silence where nothing arrived.
    pub(crate) fn read_frame(&self, frame: &mut [i16; FRAME_SAMPLES]) {
        frame.fill(0);
        if let Ok(mut q) = self.samples.lock() {
            let n = q.len().min(FRAME_SAMPLES);
            for (slot, sample) in frame.iter_mut().zip(q.drain(..n)) {
                *slot = sample;
            }
        }
    }
}

/// A source starts playing once this much is queued (40 ms: two packets
/// of network jitter), and again after it ran dry.
const PLAYOUT_START: usize = 2 * FRAME_SAMPLES;
/// A source more than 200 ms ahead of the speaker loses its oldest audio.
const PLAYOUT_MAX: usize = 10 * FRAME_SAMPLES;

#[derive(Debug, Default)]
struct Playout {
    samples: VecDeque<i16>,
    playing: bool,
}

/// Decoded audio per remote user, mixed into one stream for a speaker.
#[derive(Debug, Default)]
pub(crate) struct PlayoutMixer {
    sources: Mutex<HashMap<String, Playout>>,
}

impl PlayoutMixer {
    /// From the receiver: one decoded packet of `source`.
    pub(crate) fn queue(&self, source: &str, samples: &[i16]) {
        let Ok(mut sources) = self.sources.lock() else {
            return;
        };
        let playout = match sources.get_mut(source) {
            Some(p) => p,
            None => sources.entry(source.to_string()).or_default(),
        };
        playout.samples.extend(samples.iter().copied());
        if playout.samples.len() > PLAYOUT_MAX {
            let excess = playout.samples.len() - PLAYOUT_START;
            playout.samples.drain(..excess);
        }
        if playout.samples.len() >= PLAYOUT_START {
            playout.playing = true;
        }
    }

    /// From the device callback: locks once, then yields mixed samples
    /// (48 kHz, -1.0..=1.0) for as long as the callback asks.
    pub(crate) fn with_output<R>(&self, fill: impl FnOnce(&mut dyn FnMut() -> f32) -> R) -> R {
        let mut guard = self.sources.lock().ok();
        let mut next = || {
            let Some(sources) = guard.as_mut() else {
                return 0.0;
            };
            let mut sum = 0i32;
            for playout in sources.values_mut().filter(|p| p.playing) {
                match playout.samples.pop_front() {
                    Some(s) => sum += i32::from(s),
                    // Ran dry: wait for a new cushion instead of crackling.
                    None => playout.playing = false,
                }
            }
            sum.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as f32 / 32768.0
        };
        fill(&mut next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_pads_with_silence_and_bounds_its_latency() {
        let q = CaptureQueue::default();
        let mut frame = [1i16; FRAME_SAMPLES];
        q.read_frame(&mut frame);
        assert!(frame.iter().all(|&s| s == 0), "nothing captured: silence");

        q.extend((0..100).map(|i| i as i16 + 1));
        q.read_frame(&mut frame);
        assert_eq!(frame[0], 1);
        assert_eq!(frame[99], 100);
        assert_eq!(frame[100], 0, "the rest of a short frame is silence");

        // A second of audio arrives at once: only the newest ~40 ms stay.
        q.extend((0..48_000).map(|i| (i % 30_000) as i16));
        let mut frames = 0;
        loop {
            q.read_frame(&mut frame);
            if frame.iter().all(|&s| s == 0) {
                break;
            }
            frames += 1;
        }
        assert_eq!(frames, CAPTURE_KEEP / FRAME_SAMPLES);
    }

    fn drain(mixer: &PlayoutMixer, n: usize) -> Vec<f32> {
        mixer.with_output(|next| (0..n).map(|_| next()).collect())
    }

    #[test]
    fn a_source_waits_for_its_cushion_then_plays_in_order() {
        let m = PlayoutMixer::default();
        m.queue("bob", &[1000; FRAME_SAMPLES]);
        assert!(
            drain(&m, 10).iter().all(|&s| s == 0.0),
            "one packet is not enough"
        );
        m.queue("bob", &[2000; FRAME_SAMPLES]);
        let out = drain(&m, 2 * FRAME_SAMPLES + 5);
        assert_eq!(out[0], 1000.0 / 32768.0);
        assert_eq!(out[FRAME_SAMPLES], 2000.0 / 32768.0);
        assert_eq!(out[2 * FRAME_SAMPLES], 0.0, "ran dry: silence");
        m.queue("bob", &[3000; FRAME_SAMPLES]);
        assert_eq!(drain(&m, 1)[0], 0.0, "after running dry it waits again");
    }

    #[test]
    fn sources_are_mixed_and_clipped() {
        let m = PlayoutMixer::default();
        for _ in 0..2 {
            m.queue("bob", &[20_000; FRAME_SAMPLES]);
            m.queue("carol", &[-5_000; FRAME_SAMPLES]);
            m.queue("dave", &[20_000; FRAME_SAMPLES]);
        }
        assert_eq!(drain(&m, 1)[0], 32767.0 / 32768.0);
        let m = PlayoutMixer::default();
        for _ in 0..2 {
            m.queue("bob", &[300; FRAME_SAMPLES]);
            m.queue("carol", &[-100; FRAME_SAMPLES]);
        }
        assert_eq!(drain(&m, 1)[0], 200.0 / 32768.0);
    }

    #[test]
    fn a_source_far_ahead_loses_its_oldest_audio() {
        let m = PlayoutMixer::default();
        for i in 0..20 {
            m.queue("bob", &[i; FRAME_SAMPLES]);
        }
        let out = drain(&m, PLAYOUT_MAX);
        let played = out.iter().filter(|&&s| s != 0.0).count();
        assert!(played <= PLAYOUT_MAX, "at most 200 ms queued");
        assert_eq!(out[0], 18.0 / 32768.0, "the newest audio is what plays");
    }
}
