//! Opus for the nccall engine: libopus 1.3 built from the bundled source
//! (see `build.rs`), wrapped in the two types the engine needs.
//!
//! Only what a WebRTC audio track uses: 48 kHz, interleaved 16-bit PCM,
//! one packet per 20 ms frame, the decoder's packet-loss concealment.

use std::ffi::{c_int, c_void};
use std::fmt;
use std::ptr::NonNull;

/// The sample rate of every Opus stream in WebRTC (RFC 7587).
pub const SAMPLE_RATE: u32 = 48_000;

/// The largest packet the encoder is allowed to write (RFC 6716 §3.4: a
/// 20 ms frame at the highest rate stays far below this).
const MAX_PACKET: usize = 1500;
/// The longest frame libopus decodes in one call: 120 ms at 48 kHz.
const MAX_FRAME_SAMPLES: usize = 5760;

const OPUS_OK: c_int = 0;
const OPUS_APPLICATION_VOIP: c_int = 2048;
const OPUS_SET_BITRATE_REQUEST: c_int = 4002;
const OPUS_SET_INBAND_FEC_REQUEST: c_int = 4012;

unsafe extern "C" {
    fn opus_encoder_create(
        fs: i32,
        channels: c_int,
        application: c_int,
        error: *mut c_int,
    ) -> *mut c_void;
    fn opus_encode(
        st: *mut c_void,
        pcm: *const i16,
        frame_size: c_int,
        data: *mut u8,
        max_data_bytes: i32,
    ) -> i32;
    fn opus_encoder_ctl(st: *mut c_void, request: c_int, ...) -> c_int;
    fn opus_encoder_destroy(st: *mut c_void);
    fn opus_decoder_create(fs: i32, channels: c_int, error: *mut c_int) -> *mut c_void;
    fn opus_decode(
        st: *mut c_void,
        data: *const u8,
        len: i32,
        pcm: *mut i16,
        frame_size: c_int,
        decode_fec: c_int,
    ) -> c_int;
    fn opus_decoder_destroy(st: *mut c_void);
}

/// A libopus error code (negative), with its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error(pub i32);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.0 {
            -1 => "bad argument",
            -2 => "buffer too small",
            -3 => "internal error",
            -4 => "corrupted packet",
            -5 => "unimplemented request",
            -6 => "invalid state",
            -7 => "memory allocation failed",
            _ => "unknown error",
        };
        write!(f, "opus: {what} ({})", self.0)
    }
}

impl std::error::Error for Error {}

fn check(code: c_int) -> Result<c_int, Error> {
    if code < OPUS_OK {
        Err(Error(code))
    } else {
        Ok(code)
    }
}

/// An Opus encoder for speech (`OPUS_APPLICATION_VOIP`), 48 kHz.
pub struct Encoder {
    state: NonNull<c_void>,
    channels: usize,
}

// SAFETY: the encoder state is plain memory owned by this value; libopus
// keeps no thread-local or global state, and `&mut self` serialises use.
unsafe impl Send for Encoder {}

impl Encoder {
    /// A 48 kHz encoder of `channels` (1 or 2) interleaved channels.
    pub fn new(channels: u8) -> Result<Encoder, Error> {
        let mut error: c_int = 0;
        // SAFETY: valid arguments; libopus writes `error` and returns a
        // pointer it owns, or null.
        let state = unsafe {
            opus_encoder_create(
                SAMPLE_RATE as i32,
                c_int::from(channels),
                OPUS_APPLICATION_VOIP,
                &mut error,
            )
        };
        check(error)?;
        let state = NonNull::new(state).ok_or(Error(-7))?;
        Ok(Encoder {
            state,
            channels: usize::from(channels),
        })
    }

    /// The target bit rate in bits per second.
    pub fn set_bitrate(&mut self, bits_per_second: i32) -> Result<(), Error> {
        // SAFETY: a valid state; the request takes one `opus_int32`.
        check(unsafe {
            opus_encoder_ctl(
                self.state.as_ptr(),
                OPUS_SET_BITRATE_REQUEST,
                bits_per_second,
            )
        })
        .map(drop)
    }

    /// In-band forward error correction (the `useinbandfec=1` of the SDP).
    pub fn set_inband_fec(&mut self, on: bool) -> Result<(), Error> {
        // SAFETY: a valid state; the request takes one `opus_int32`.
        check(unsafe {
            opus_encoder_ctl(
                self.state.as_ptr(),
                OPUS_SET_INBAND_FEC_REQUEST,
                i32::from(on),
            )
        })
        .map(drop)
    }

    /// Encodes one frame (2.5, 5, 10, 20, 40 or 60 ms of interleaved
    /// samples) into one packet.
    pub fn encode(&mut self, pcm: &[i16]) -> Result<Vec<u8>, Error> {
        let frame = pcm.len() / self.channels.max(1);
        let mut out = vec![0u8; MAX_PACKET];
        // SAFETY: `pcm` holds `frame * channels` samples, `out` has
        // `MAX_PACKET` bytes; libopus writes at most that many.
        let n = unsafe {
            opus_encode(
                self.state.as_ptr(),
                pcm.as_ptr(),
                c_int::try_from(frame).map_err(|_| Error(-1))?,
                out.as_mut_ptr(),
                MAX_PACKET as i32,
            )
        };
        let n = usize::try_from(check(n)?).map_err(|_| Error(-3))?;
        out.truncate(n);
        Ok(out)
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: created by `opus_encoder_create`, destroyed once.
        unsafe { opus_encoder_destroy(self.state.as_ptr()) }
    }
}

/// An Opus decoder, 48 kHz.
pub struct Decoder {
    state: NonNull<c_void>,
    channels: usize,
}

// SAFETY: as for `Encoder`.
unsafe impl Send for Decoder {}

impl Decoder {
    /// A 48 kHz decoder that outputs `channels` (1 or 2) interleaved channels.
    pub fn new(channels: u8) -> Result<Decoder, Error> {
        let mut error: c_int = 0;
        // SAFETY: as for `Encoder::new`.
        let state =
            unsafe { opus_decoder_create(SAMPLE_RATE as i32, c_int::from(channels), &mut error) };
        check(error)?;
        let state = NonNull::new(state).ok_or(Error(-7))?;
        Ok(Decoder {
            state,
            channels: usize::from(channels),
        })
    }

    /// Decodes one packet into interleaved samples. A packet that is not
    /// Opus is an error and leaves the decoder usable.
    pub fn decode(&mut self, packet: &[u8]) -> Result<Vec<i16>, Error> {
        if packet.is_empty() {
            return Err(Error(-4));
        }
        let len = i32::try_from(packet.len()).map_err(|_| Error(-4))?;
        self.run(packet.as_ptr(), len, MAX_FRAME_SAMPLES)
    }

    /// Conceals a lost packet: `samples` per channel of what the decoder
    /// predicts (its packet-loss concealment).
    pub fn conceal(&mut self, samples: usize) -> Result<Vec<i16>, Error> {
        // libopus conceals exactly the frame size it is given.
        self.run(std::ptr::null(), 0, samples.min(MAX_FRAME_SAMPLES))
    }

    fn run(&mut self, data: *const u8, len: i32, frame: usize) -> Result<Vec<i16>, Error> {
        let mut pcm = vec![0i16; frame * self.channels];
        // SAFETY: `data` is null (concealment) or `len` readable bytes;
        // `pcm` holds `frame` samples per channel.
        let n = unsafe {
            opus_decode(
                self.state.as_ptr(),
                data,
                len,
                pcm.as_mut_ptr(),
                c_int::try_from(frame).map_err(|_| Error(-1))?,
                0,
            )
        };
        let n = usize::try_from(check(n)?).map_err(|_| Error(-3))?;
        pcm.truncate(n * self.channels);
        Ok(pcm)
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: created by `opus_decoder_create`, destroyed once.
        unsafe { opus_decoder_destroy(self.state.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 20 ms of a sine at `hz`, mono 48 kHz.
    fn tone(hz: f64, frame: usize) -> Vec<i16> {
        (0..960)
            .map(|i| {
                let t = (frame * 960 + i) as f64 / f64::from(SAMPLE_RATE);
                (8000.0 * (2.0 * std::f64::consts::PI * hz * t).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn a_tone_survives_encoding() {
        let mut enc = Encoder::new(1).expect("encoder");
        enc.set_bitrate(32_000).expect("bitrate");
        let mut dec = Decoder::new(1).expect("decoder");
        let mut out = Vec::new();
        for frame in 0..50 {
            let packet = enc.encode(&tone(440.0, frame)).expect("encode");
            assert!(
                packet.len() < 200,
                "a 20 ms packet at 32 kbit/s: {}",
                packet.len()
            );
            out.extend(dec.decode(&packet).expect("decode"));
        }
        assert_eq!(out.len(), 50 * 960);
        // Past the codec's look-ahead, the energy is the tone's.
        let tail = &out[960 * 10..];
        let rms =
            (tail.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
        assert!((4000.0..7000.0).contains(&rms), "rms {rms}");
    }

    #[test]
    fn garbage_is_an_error_not_a_crash() {
        let mut dec = Decoder::new(1).expect("decoder");
        assert!(dec.decode(&[]).is_err());
        for bytes in [&[0xffu8; 3][..], &[0x0b, 0xff, 0xff, 0xff, 0xff][..]] {
            let _ = dec.decode(bytes);
        }
        assert_eq!(dec.conceal(960).expect("plc").len(), 960);
    }
}
