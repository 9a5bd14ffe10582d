//! A streaming linear resampler between a device's rate and 48 kHz. Linear
//! interpolation is enough for what crosses it here (speech, the marker
//! tones well below 4 kHz); it keeps state across callbacks so a stream
//! cut into buffers of any size comes out continuous.

/// Resamples one mono stream from `from` Hz to `to` Hz.
#[derive(Debug, Clone)]
pub(crate) struct Resampler {
    /// Input samples per output sample.
    step: f64,
    /// Where the next output sample lies between `last` and `next`, in
    /// input samples (0..1 once primed).
    position: f64,
    last: f32,
    next: f32,
}

impl Resampler {
    pub(crate) fn new(from: u32, to: u32) -> Self {
        Resampler {
            step: f64::from(from.max(1)) / f64::from(to.max(1)),
            position: 1.0,
            last: 0.0,
            next: 0.0,
        }
    }

    /// Push style (capture): feeds input samples, hands out every output
    /// sample they complete.
    pub(crate) fn push(&mut self, input: f32, mut out: impl FnMut(f32)) {
        self.last = self.next;
        self.next = input;
        self.position -= 1.0;
        while self.position < 1.0 {
            out(self.interpolate());
            self.position += self.step;
        }
    }

    /// Pull style (playback): fills `out`, taking input samples as needed.
    pub(crate) fn pull(&mut self, out: &mut [f32], mut input: impl FnMut() -> f32) {
        for sample in out {
            while self.position >= 1.0 {
                self.last = self.next;
                self.next = input();
                self.position -= 1.0;
            }
            *sample = self.interpolate();
            self.position += self.step;
        }
    }

    fn interpolate(&self) -> f32 {
        let t = self.position.clamp(0.0, 1.0) as f32;
        self.last + (self.next - self.last) * t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    /// Zero crossings per second: the tone's frequency, rate-independent.
    fn frequency(samples: &[f32], rate: u32) -> f32 {
        let crossings = samples
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        crossings as f32 / 2.0 / (samples.len() as f32 / rate as f32)
    }

    #[test]
    fn push_keeps_the_tone_and_the_length() {
        for (from, to) in [
            (44_100, 48_000),
            (48_000, 48_000),
            (96_000, 48_000),
            (16_000, 48_000),
        ] {
            let input = tone(from, 440.0, from as usize);
            let mut r = Resampler::new(from, to);
            let mut out = Vec::new();
            // Odd-sized chunks: state must carry over between them.
            for chunk in input.chunks(333) {
                for &x in chunk {
                    r.push(x, |y| out.push(y));
                }
            }
            let expected = to as f64;
            assert!(
                (out.len() as f64 - expected).abs() <= 2.0,
                "{from}->{to}: {} samples",
                out.len()
            );
            let hz = frequency(&out, to);
            assert!((hz - 440.0).abs() < 2.0, "{from}->{to}: {hz} Hz");
        }
    }

    #[test]
    fn pull_keeps_the_tone_and_consumes_at_the_input_rate() {
        for (from, to) in [(48_000, 44_100), (48_000, 48_000), (48_000, 8_000)] {
            let input = tone(from, 300.0, from as usize * 2);
            let mut taken = 0;
            let mut r = Resampler::new(from, to);
            let mut out = vec![0.0; to as usize];
            for chunk in out.chunks_mut(441) {
                r.pull(chunk, || {
                    taken += 1;
                    input.get(taken - 1).copied().unwrap_or(0.0)
                });
            }
            // Within one output sample's worth of input.
            let slack = i64::from(from / to) + 1;
            assert!(
                (taken as i64 - i64::from(from)).abs() <= slack,
                "{from}->{to}: took {taken}"
            );
            let hz = frequency(&out, to);
            assert!((hz - 300.0).abs() < 2.0, "{from}->{to}: {hz} Hz");
        }
    }
}
