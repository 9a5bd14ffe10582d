//! Audio to and from an open device, in the one format the media path
//! speaks: 48 kHz mono 16-bit PCM in 20 ms frames (what Opus encodes and
//! decodes in WebRTC, RFC 7587). A provider converts from and to whatever
//! its hardware runs at.

/// Samples in one 20 ms frame at 48 kHz.
pub const FRAME_SAMPLES: usize = 960;

/// The sample rate of every frame crossing this seam.
pub const SAMPLE_RATE: u32 = 48_000;

/// An open microphone. Dropping it closes the device.
pub trait AudioCapture: Send {
    /// Fills `frame` with the oldest 20 ms captured and not yet read. What
    /// the device has not delivered yet (it started late, or its clock runs
    /// slow) is silence: the sender keeps its own 20 ms cadence.
    fn read_frame(&mut self, frame: &mut [i16; FRAME_SAMPLES]);
}

/// An open speaker. Dropping the last handle closes the device.
pub trait AudioPlayback: Send + Sync {
    /// Queues decoded audio from `source` (a remote user) for playing.
    /// Sources are mixed; each is delayed by a small jitter buffer.
    fn play(&self, source: &str, samples: &[i16]);
}
