//! How many concurrent one-to-one video calls the SFU forwards without loss.
//!
//! Each call is two light publishers on str0m (not the engine: the `webrtc`
//! crate costs far more per peer than the SFU does, and would measure
//! itself). Each offers the engine's three m-lines (audio, video, low video),
//! publishes to a fresh [`MediaServer`] exactly as a participant does, and
//! sends at the engine's rates: a 640x480 frame of 3,840 bytes at 15 fps
//! (0.1 bit per pixel, ~460 kbit/s), a 320x240 low layer of 960 bytes, and
//! 20 ms audio packets. Video frames are opaque H.264 slices (the SFU does
//! not decode what it forwards), so the tool measures the SFU, not encoders. The SFU forwards
//! audio and the full video to the other side. Frames carry a measurement
//! generation, a number and a send time, so the receivers count exactly the
//! frames sent during the measured window and their end-to-end delay.
//!
//! The publishers share the machine with the SFU; the report gives the SFU
//! thread's own CPU time so the two can be told apart.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use str0m::change::SdpAnswer;
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;

use crate::media::{MediaServer, write_frame};

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub struct CapacityConfig {
    /// Concurrent one-to-one video calls.
    pub calls: usize,
    /// Length of the measured window, after every call is connected.
    pub measure: Duration,
    /// Frames a second each sender sends.
    pub fps: u32,
    /// Frame width in pixels.
    pub width: u16,
    /// Frame height in pixels.
    pub height: u16,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct CapacityReport {
    /// Calls asked for.
    pub calls: usize,
    /// Calls whose peer connections connected.
    pub connected: usize,
    /// Setup of all calls: offer to every publisher connected.
    pub setup: Duration,
    /// Video frames sent in the window.
    pub video_sent: u64,
    /// Video frames received in the window.
    pub video_received: u64,
    /// Audio packets sent in the window.
    pub audio_sent: u64,
    /// Audio packets received in the window.
    pub audio_received: u64,
    /// Median delay from send to receipt.
    pub delay_p50: Duration,
    /// 99th percentile of that delay.
    pub delay_p99: Duration,
    /// CPU time of the SFU thread during the window, as a share of one core.
    pub sfu_cpu: Option<f64>,
    /// Bytes per second the SFU forwarded (media payload, both directions of every call).
    pub forwarded_bytes_per_sec: f64,
}

impl CapacityReport {
    /// Share of what was sent that did not arrive (0..=1; 1 if nothing was sent).
    pub fn loss(&self) -> f64 {
        let sent = self.video_sent + self.audio_sent;
        if sent == 0 {
            return 1.0;
        }
        let got = self.video_received + self.audio_received;
        1.0 - got.min(sent) as f64 / sent as f64
    }
}

/// Counters a publisher shares with the run.
#[derive(Default)]
struct Counters {
    video_sent: AtomicU64,
    video_received: AtomicU64,
    audio_sent: AtomicU64,
    audio_received: AtomicU64,
    bytes_received: AtomicU64,
    delays_us: std::sync::Mutex<Vec<u64>>,
}

/// The phase every publisher follows: 0 warm-up, 1 measured, 2 stopped.
struct Phase {
    generation: AtomicU32,
    stop: AtomicBool,
}

/// A load frame's header: magic, then generation, number and send time in
/// hex digits (8, 16, 16). Digits, not binary: a binary number holds
/// `00 00 01`, which an H.264 packetizer reads as the start of a new NAL
/// unit.
const HEADER: usize = 4 + 8 + 16 + 16;
const MAGIC: &[u8; 4] = b"NCLD";
/// What a video frame starts with: an Annex B start code and the header
/// byte of a non-IDR slice (`nal_ref_idc` 2, type 1). The SFU forwards
/// H.264 without decoding it, so an opaque slice costs it what a real one
/// of that size does, and the publishers spend nothing on encoding.
const H264_SLICE: [u8; 5] = [0, 0, 0, 1, 0x41];
/// Filler after the header: no zero bytes, so no start code either.
const PADDING: u8 = 0xAA;

/// One frame of `size` bytes (at least the header), an H.264 NAL unit if
/// `video`, else an opaque audio packet.
fn frame(video: bool, generation: u32, number: u64, sent_at_us: u64, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size.max(HEADER + H264_SLICE.len()));
    if video {
        out.extend_from_slice(&H264_SLICE);
    }
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(format!("{generation:08x}{number:016x}{sent_at_us:016x}").as_bytes());
    out.resize(size.max(out.len()), PADDING);
    out
}

/// A frame's generation and send time, wherever in its first bytes the
/// header starts (after a start code, or a depacketizer's prefix).
fn parse(data: &[u8]) -> Option<(u32, u64)> {
    let at = data.windows(4).take(8).position(|w| w == MAGIC)?;
    let digits = std::str::from_utf8(data.get(at + 4..at + HEADER)?).ok()?;
    let generation = u32::from_str_radix(digits.get(0..8)?, 16).ok()?;
    let sent_at = u64::from_str_radix(digits.get(24..40)?, 16).ok()?;
    Some((generation, sent_at))
}

/// Runs one measurement; the SFU is started fresh and stopped after.
pub async fn run(config: &CapacityConfig) -> Result<CapacityReport, String> {
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    let media = MediaServer::start(ip).map_err(|e| format!("cannot start the SFU: {e}"))?;
    let epoch = Instant::now();
    let phase = Arc::new(Phase {
        generation: AtomicU32::new(0),
        stop: AtomicBool::new(false),
    });
    let counters = Arc::new(Counters::default());
    let connected = Arc::new(AtomicU64::new(0));
    let all_connected = Arc::new(tokio::sync::Notify::new());
    let wanted = config.calls as u64 * 2;

    let started = Instant::now();
    let mut tasks = Vec::new();
    for call in 0..config.calls {
        for side in ["a", "b"] {
            let publisher = Publisher::publish(&media, &format!("load-{call}"), side).await?;
            let task = tokio::spawn(publisher.run(
                config.clone(),
                phase.clone(),
                counters.clone(),
                connected.clone(),
                all_connected.clone(),
                wanted,
                epoch,
            ));
            tasks.push(task);
        }
    }
    let everyone = all_connected.notified();
    let done = connected.load(Ordering::SeqCst) >= wanted
        || tokio::time::timeout(Duration::from_secs(30), everyone)
            .await
            .is_ok();
    let setup = started.elapsed();
    let connected_now = connected.load(Ordering::SeqCst);
    if !done {
        phase.stop.store(true, Ordering::SeqCst);
        return Err(format!(
            "only {connected_now} of {wanted} publishers connected within 30 s"
        ));
    }

    // Warm up (first frames, RTCP), then measure a window.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu_before = sfu_cpu_time();
    phase.generation.store(1, Ordering::SeqCst);
    let window = Instant::now();
    tokio::time::sleep(config.measure).await;
    phase.generation.store(2, Ordering::SeqCst);
    let elapsed = window.elapsed();
    let cpu_after = sfu_cpu_time();
    // Let the last frames of the window arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    phase.stop.store(true, Ordering::SeqCst);
    for task in tasks {
        let _ = task.await;
    }

    let mut delays = counters
        .delays_us
        .lock()
        .map(|d| d.clone())
        .unwrap_or_default();
    delays.sort_unstable();
    let pick = |q: f64| -> Duration {
        if delays.is_empty() {
            return Duration::ZERO;
        }
        let i = ((delays.len() - 1) as f64 * q).round() as usize;
        Duration::from_micros(delays[i.min(delays.len() - 1)])
    };
    let sfu_cpu = match (cpu_before, cpu_after) {
        (Some(a), Some(b)) => Some((b - a).as_secs_f64() / elapsed.as_secs_f64()),
        _ => None,
    };
    Ok(CapacityReport {
        calls: config.calls,
        connected: usize::try_from(connected_now / 2).unwrap_or(0),
        setup,
        video_sent: counters.video_sent.load(Ordering::SeqCst),
        video_received: counters.video_received.load(Ordering::SeqCst),
        audio_sent: counters.audio_sent.load(Ordering::SeqCst),
        audio_received: counters.audio_received.load(Ordering::SeqCst),
        delay_p50: pick(0.5),
        delay_p99: pick(0.99),
        sfu_cpu,
        forwarded_bytes_per_sec: counters.bytes_received.load(Ordering::SeqCst) as f64
            / elapsed.as_secs_f64(),
    })
}

/// CPU time (user + system) of the SFU thread so far, from `/proc` (Linux).
fn sfu_cpu_time() -> Option<Duration> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    // Clock ticks per second: 100 on every Linux this runs on.
    const TICKS: u64 = 100;
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() != "nccall-sfu" {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
        // Fields after the command name (which ends with ')'): utime is the 12th, stime the 13th.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        return Some(Duration::from_millis((utime + stime) * 1000 / TICKS));
    }
    None
}

/// One side of a call: a str0m peer connection to the SFU.
struct Publisher {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    mids: [Mid; 3],
}

impl Publisher {
    async fn publish(media: &MediaServer, call_id: &str, user: &str) -> Result<Self, String> {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot bind a publisher socket: {e}"))?;
        let local = socket.local_addr().map_err(|e| e.to_string())?;
        let mut rtc = Rtc::builder().build(Instant::now());
        let candidate = Candidate::host(local, "udp").map_err(|e| e.to_string())?;
        let _ = rtc.add_local_candidate(candidate);
        let mut change = rtc.sdp_api();
        let audio = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let video = change.add_media(MediaKind::Video, Direction::SendRecv, None, None, None);
        let low = change.add_media(MediaKind::Video, Direction::SendRecv, None, None, None);
        let (offer, pending) = change.apply().ok_or("no offer")?;
        let answer = media
            .publish(call_id, user, offer.to_sdp_string(), Vec::new(), Vec::new())
            .await?;
        let answer = SdpAnswer::from_sdp_string(&answer).map_err(|e| e.to_string())?;
        rtc.sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| e.to_string())?;
        Ok(Publisher {
            rtc,
            socket,
            local,
            mids: [audio, video, low],
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn run(
        mut self,
        config: CapacityConfig,
        phase: Arc<Phase>,
        counters: Arc<Counters>,
        connected: Arc<AtomicU64>,
        all_connected: Arc<tokio::sync::Notify>,
        wanted: u64,
        epoch: Instant,
    ) {
        let video_interval = Duration::from_micros(1_000_000 / u64::from(config.fps.max(1)));
        let audio_interval = Duration::from_millis(20);
        let video_bytes = usize::from(config.width) * usize::from(config.height) / 80;
        let low_bytes = video_bytes / 4;
        let audio_bytes = 12 + 320;
        let mut next_video: Option<Instant> = None;
        let mut next_audio: Option<Instant> = None;
        let (mut video_number, mut audio_number) = (0u64, 0u64);
        let mut buf = vec![0u8; 2000];
        loop {
            if phase.stop.load(Ordering::SeqCst) {
                return;
            }
            // Everything str0m wants to send, and when it next wants time.
            let mut deadline = Instant::now() + Duration::from_millis(50);
            loop {
                match self.rtc.poll_output() {
                    Ok(Output::Transmit(t)) => {
                        let _ = self.socket.send_to(&t.contents, t.destination).await;
                    }
                    Ok(Output::Timeout(t)) => {
                        deadline = deadline.min(t);
                        break;
                    }
                    Ok(Output::Event(Event::Connected)) => {
                        let now = Instant::now();
                        next_video = Some(now);
                        next_audio = Some(now);
                        if connected.fetch_add(1, Ordering::SeqCst) + 1 >= wanted {
                            all_connected.notify_waiters();
                        }
                    }
                    Ok(Output::Event(Event::MediaData(data))) => {
                        // Only the measured window counts, like the frame counters.
                        if let Some((1, sent_at)) = parse(&data.data) {
                            counters
                                .bytes_received
                                .fetch_add(data.data.len() as u64, Ordering::SeqCst);
                            if data.mid == self.mids[0] {
                                counters.audio_received.fetch_add(1, Ordering::SeqCst);
                            } else {
                                counters.video_received.fetch_add(1, Ordering::SeqCst);
                                let now = u64::try_from(epoch.elapsed().as_micros()).unwrap_or(0);
                                if let Ok(mut d) = counters.delays_us.lock() {
                                    d.push(now.saturating_sub(sent_at));
                                }
                            }
                        }
                    }
                    Ok(Output::Event(_)) => {}
                    Err(_) => return,
                }
            }
            let generation = phase.generation.load(Ordering::SeqCst);
            let now = Instant::now();
            let stamp = u64::try_from(epoch.elapsed().as_micros()).unwrap_or(0);
            if generation < 2 {
                if let Some(at) = next_video.filter(|at| *at <= now) {
                    video_number += 1;
                    let ts = MediaTime::new(video_number * 90_000 / 15, Frequency::NINETY_KHZ);
                    let full = frame(true, generation, video_number, stamp, video_bytes);
                    let low = frame(true, generation, video_number, stamp, low_bytes);
                    let sent = self.write(1, Codec::H264, now, ts, full)
                        & self.write(2, Codec::H264, now, ts, low);
                    if sent && generation == 1 {
                        counters.video_sent.fetch_add(1, Ordering::SeqCst);
                    }
                    next_video = Some(at + video_interval);
                }
                if let Some(at) = next_audio.filter(|at| *at <= now) {
                    audio_number += 1;
                    let ts = MediaTime::new(audio_number * 960, Frequency::FORTY_EIGHT_KHZ);
                    let packet = frame(false, generation, audio_number, stamp, audio_bytes);
                    if self.write(0, Codec::Opus, now, ts, packet) && generation == 1 {
                        counters.audio_sent.fetch_add(1, Ordering::SeqCst);
                    }
                    next_audio = Some(at + audio_interval);
                }
                for next in [next_video, next_audio].into_iter().flatten() {
                    deadline = deadline.min(next);
                }
            }
            let wait = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_micros(200));
            match tokio::time::timeout(wait, self.socket.recv_from(&mut buf)).await {
                Ok(Ok((n, source))) => {
                    if let Ok(contents) = (&buf[..n]).try_into() {
                        let input = Input::Receive(
                            Instant::now(),
                            Receive {
                                proto: Protocol::Udp,
                                source,
                                destination: self.local,
                                contents,
                            },
                        );
                        if self.rtc.handle_input(input).is_err() {
                            return;
                        }
                    }
                }
                Ok(Err(_)) => return,
                Err(_) => {}
            }
            if self
                .rtc
                .handle_input(Input::Timeout(Instant::now()))
                .is_err()
            {
                return;
            }
        }
    }

    /// Writes one frame on m-line `index`; false if the line cannot send yet.
    fn write(
        &mut self,
        index: usize,
        codec: Codec,
        now: Instant,
        time: MediaTime,
        data: Vec<u8>,
    ) -> bool {
        write_frame(&mut self.rtc, self.mids[index], codec, now, time, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_their_generation_and_send_time() {
        let f = frame(true, 1, 7, 1234, 3840);
        assert_eq!(f.len(), 3840);
        assert_eq!(parse(&f), Some((1, 1234)));
        let audio = frame(false, 2, 1, 9, 332);
        assert_eq!(audio.len(), 332);
        assert_eq!(parse(&audio), Some((2, 9)));
        assert_eq!(parse(b"nothing here"), None);
        // One NAL unit: after the start code, no byte sequence reads as another.
        let big = frame(true, 1, 0x0100_0001, 0x0000_0100, 3840);
        assert!(!big[4..].windows(3).any(|w| w == [0, 0, 1]));
    }

    /// Two calls through a real SFU: everything sent in the window arrives.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_run_forwards_every_frame() {
        let report = run(&CapacityConfig {
            calls: 2,
            measure: Duration::from_millis(600),
            fps: 15,
            width: 640,
            height: 480,
        })
        .await
        .unwrap();
        assert_eq!(report.connected, 2);
        assert!(report.video_sent >= 4 * 8, "{report:?}");
        assert!(report.audio_sent >= 4 * 25, "{report:?}");
        assert!(report.loss() < 0.01, "{report:?}");
    }
}
