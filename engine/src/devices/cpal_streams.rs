//! Opening a cpal device as a microphone or a speaker (feature `cpal`).
//!
//! Each open device is a cpal stream owned by a thread of its own (a cpal
//! `Stream` is not `Send` on every platform); dropping the handle stops the
//! thread, which drops the stream. The stream runs at a rate and channel
//! count the device supports, 48 kHz mono when it can; the callbacks
//! convert to and from the media path's 48 kHz mono (`audio_io.rs`).

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample, StreamConfig};
use nccall_protocol::ErrorCode;

use super::audio_buffers::{CaptureQueue, PlayoutMixer};
use super::audio_io::{AudioCapture, AudioPlayback, FRAME_SAMPLES, SAMPLE_RATE};
use crate::error::{CallError, CallResult};

/// How long a backend may take to start a stream before opening fails.
const OPEN_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Input,
    Output,
}

/// The thread that owns one running stream; dropping this tells it to
/// stop. It is not joined: with its sound server gone, a backend's stream
/// can take forever to close, and a call must not hang on that.
struct StreamThread {
    _stop: mpsc::Sender<()>,
}

/// An open cpal input device.
pub(crate) struct CpalMicrophone {
    queue: Arc<CaptureQueue>,
    _stream: StreamThread,
}

impl AudioCapture for CpalMicrophone {
    fn read_frame(&mut self, frame: &mut [i16; FRAME_SAMPLES]) {
        self.queue.read_frame(frame);
    }
}

/// An open cpal output device.
pub(crate) struct CpalSpeaker {
    mixer: Arc<PlayoutMixer>,
    _stream: StreamThread,
}

impl AudioPlayback for CpalSpeaker {
    fn play(&self, source: &str, samples: &[i16]) {
        self.mixer.queue(source, samples);
    }
}

pub(crate) fn open_microphone(device_id: &str) -> CallResult<CpalMicrophone> {
    let queue = Arc::new(CaptureQueue::default());
    let sink = queue.clone();
    let stream = spawn_stream(
        device_id,
        Direction::Input,
        move |device, config, format| build_input(device, config, format, sink),
    )?;
    Ok(CpalMicrophone {
        queue,
        _stream: stream,
    })
}

pub(crate) fn open_speaker(device_id: &str) -> CallResult<CpalSpeaker> {
    let mixer = Arc::new(PlayoutMixer::default());
    let source = mixer.clone();
    let stream = spawn_stream(
        device_id,
        Direction::Output,
        move |device, config, format| build_output(device, config, format, source),
    )?;
    Ok(CpalSpeaker {
        mixer,
        _stream: stream,
    })
}

fn device_error(what: impl std::fmt::Display) -> CallError {
    CallError::new(ErrorCode::DeviceUnavailable, what.to_string())
}

/// Finds the device, builds and starts its stream on a new thread, and
/// returns once it plays (or failed to).
fn spawn_stream<B>(device_id: &str, direction: Direction, build: B) -> CallResult<StreamThread>
where
    B: FnOnce(&cpal::Device, StreamConfig, SampleFormat) -> Result<cpal::Stream, cpal::Error>
        + Send
        + 'static,
{
    let id: cpal::DeviceId = device_id
        .parse()
        .map_err(|e| device_error(format!("no such audio device {device_id:?}: {e}")))?;
    let (started_tx, started_rx) = mpsc::channel::<CallResult<()>>();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let name = device_id.to_string();
    std::thread::Builder::new()
        .name(format!("nccall-audio-{direction:?}").to_lowercase())
        .spawn(move || {
            let stream = (|| {
                let host = cpal::default_host();
                let device = host
                    .device_by_id(&id)
                    .ok_or_else(|| device_error(format!("audio device {name:?} is gone")))?;
                let (config, format) = choose_config(&device, direction)?;
                tracing::info!(
                    "audio {direction:?} {name}: {} Hz, {} channel(s), {format:?}",
                    config.sample_rate,
                    config.channels
                );
                let stream = build(&device, config, format).map_err(device_error)?;
                stream.play().map_err(device_error)?;
                Ok(stream)
            })();
            match stream {
                Ok(stream) => {
                    let _ = started_tx.send(Ok(()));
                    // Runs until the handle is dropped (the sender goes).
                    let _ = stop_rx.recv();
                    drop(stream);
                }
                Err(e) => {
                    let _ = started_tx.send(Err(e));
                }
            }
        })
        .map_err(device_error)?;
    let handle = StreamThread { _stop: stop_tx };
    match started_rx.recv_timeout(OPEN_TIMEOUT + Duration::from_secs(1)) {
        Ok(Ok(())) => Ok(handle),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(device_error(format!(
            "audio device {device_id:?} did not start"
        ))),
    }
}

/// 48 kHz (mono if offered) when the device supports it, so nothing needs
/// resampling; otherwise the device's default configuration.
fn choose_config(
    device: &cpal::Device,
    direction: Direction,
) -> CallResult<(StreamConfig, SampleFormat)> {
    let ranges: Vec<_> = match direction {
        Direction::Input => device.supported_input_configs().map(|r| r.collect()),
        Direction::Output => device.supported_output_configs().map(|r| r.collect()),
    }
    .unwrap_or_default();
    let usable = |f: SampleFormat| {
        matches!(
            f,
            SampleFormat::I16 | SampleFormat::I32 | SampleFormat::F32 | SampleFormat::U16
        )
    };
    let at_48k = ranges
        .into_iter()
        .filter(|r| usable(r.sample_format()))
        .filter_map(|r| r.try_with_sample_rate(SAMPLE_RATE))
        .min_by_key(|c| (c.channels(), c.sample_format() != SampleFormat::I16));
    let chosen = match at_48k {
        Some(c) => c,
        None => match direction {
            Direction::Input => device.default_input_config(),
            Direction::Output => device.default_output_config(),
        }
        .map_err(device_error)?,
    };
    if !usable(chosen.sample_format()) {
        return Err(device_error(format!(
            "audio device speaks {:?} only",
            chosen.sample_format()
        )));
    }
    let mut config = chosen.config();
    config.buffer_size = cpal::BufferSize::Default;
    Ok((config, chosen.sample_format()))
}

fn build_input(
    device: &cpal::Device,
    config: StreamConfig,
    format: SampleFormat,
    queue: Arc<CaptureQueue>,
) -> Result<cpal::Stream, cpal::Error> {
    match format {
        SampleFormat::I16 => input_stream::<i16>(device, config, queue),
        SampleFormat::I32 => input_stream::<i32>(device, config, queue),
        SampleFormat::U16 => input_stream::<u16>(device, config, queue),
        _ => input_stream::<f32>(device, config, queue),
    }
}

fn build_output(
    device: &cpal::Device,
    config: StreamConfig,
    format: SampleFormat,
    mixer: Arc<PlayoutMixer>,
) -> Result<cpal::Stream, cpal::Error> {
    match format {
        SampleFormat::I16 => output_stream::<i16>(device, config, mixer),
        SampleFormat::I32 => output_stream::<i32>(device, config, mixer),
        SampleFormat::U16 => output_stream::<u16>(device, config, mixer),
        _ => output_stream::<f32>(device, config, mixer),
    }
}

fn input_stream<T>(
    device: &cpal::Device,
    config: StreamConfig,
    queue: Arc<CaptureQueue>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let channels = usize::from(config.channels.max(1));
    let mut resampler = super::resample::Resampler::new(config.sample_rate, SAMPLE_RATE);
    let mut converted = Vec::with_capacity(FRAME_SAMPLES * 4);
    device.build_input_stream(
        config,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            converted.clear();
            for frame in data.chunks(channels) {
                // Mono: the channels' mean.
                let mono =
                    frame.iter().map(|&s| s.to_sample::<f32>()).sum::<f32>() / frame.len() as f32;
                resampler.push(mono, |s| converted.push(to_i16(s)));
            }
            queue.extend(converted.iter().copied());
        },
        |e| tracing::warn!("microphone stream: {e}"),
        Some(OPEN_TIMEOUT),
    )
}

fn output_stream<T>(
    device: &cpal::Device,
    config: StreamConfig,
    mixer: Arc<PlayoutMixer>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32>,
{
    let channels = usize::from(config.channels.max(1));
    let mut resampler = super::resample::Resampler::new(SAMPLE_RATE, config.sample_rate);
    let mut mono = Vec::with_capacity(FRAME_SAMPLES * 4);
    device.build_output_stream(
        config,
        move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
            mono.resize(data.len() / channels, 0.0);
            mixer.with_output(|next| resampler.pull(&mut mono, next));
            // The same mono signal on every channel.
            for (frame, &s) in data.chunks_mut(channels).zip(&mono) {
                frame.fill(T::from_sample(s));
            }
        },
        |e| tracing::warn!("speaker stream: {e}"),
        Some(OPEN_TIMEOUT),
    )
}

fn to_i16(sample: f32) -> i16 {
    (sample.clamp(-1.0, 1.0) * 32767.0) as i16
}
