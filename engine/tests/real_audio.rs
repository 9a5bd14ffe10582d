//! Real audio devices (feature `cpal`): alice's engine captures the host's
//! microphone and plays to the host's speaker through cpal; bob's engine
//! has the virtual devices. The host's sound card is a PulseAudio daemon
//! this test starts with two null sinks: `nccall_mic`, whose monitor is the
//! default source (a tone played into the sink is what the microphone
//! hears), and `nccall_speaker`, the default sink (its monitor is recorded
//! to hear what came out). cpal reaches them through ALSA's `pulse` device
//! (Debian's `libasound2-plugins`).
//!
//! Needs `pulseaudio` and `pulseaudio-utils` (`pacat`, `pactl`): CI
//! installs them; elsewhere, without them, the test says so and passes.
#![cfg(feature = "cpal")]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nccall::marker::{detect_tone, tag_of, tone_frequencies, tone_hz};
use nccall::{
    AUDIO_SAMPLE_RATE, CpalDevices, DeviceKind, EngineConfig, Instrumentation, ToneSource,
};

mod common;

/// The ALSA device that goes to the PulseAudio server.
const PULSE_DEVICE: &str = "alsa:pulse";

/// A PulseAudio daemon of this test's own, killed when dropped.
struct Pulse {
    daemon: Child,
    dir: PathBuf,
}

impl Pulse {
    fn server(&self) -> String {
        format!("unix:{}", self.dir.join("native").display())
    }

    fn tool(&self, program: &str) -> Command {
        tool(&self.server(), program)
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
            eprintln!("pulseaudio's log:\n{log}");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A PulseAudio client program talking to `server`.
fn tool(server: &str, program: &str) -> Command {
    let mut command = Command::new(program);
    command.env("PULSE_SERVER", server);
    command
}

fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts the daemon, or says why not: a panic in CI (which installs
/// PulseAudio), `None` elsewhere.
fn start_pulse() -> Option<Pulse> {
    let missing: Vec<_> = ["pulseaudio", "pacat", "pactl"]
        .into_iter()
        .filter(|p| !installed(p))
        .collect();
    if !missing.is_empty() {
        let why = format!(
            "real audio devices NOT TESTED: {missing:?} not installed \
             (Debian: apt-get install pulseaudio pulseaudio-utils libasound2-plugins)"
        );
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("{why}");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("nccall-pulse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("pulse dir");
    let socket = dir.join("native");
    let daemon = Command::new("pulseaudio")
        .args([
            "--daemonize=no",
            "-n",
            "--exit-idle-time=-1",
            "--use-pid-file=no",
            "--log-target=stderr",
        ])
        .arg(format!(
            "--load=module-native-protocol-unix auth-anonymous=1 socket={}",
            socket.display()
        ))
        .arg("--load=module-null-sink sink_name=nccall_speaker")
        .arg("--load=module-null-sink sink_name=nccall_mic")
        .env("XDG_RUNTIME_DIR", &dir)
        .env("HOME", &dir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("log")).expect("pulse log"))
        .spawn()
        .expect("start pulseaudio");
    let pulse = Pulse { daemon, dir };
    // Ready once the server answers (a bounded wait for a condition).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answered = pulse
            .tool("pactl")
            .arg("info")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if answered && socket.exists() {
            break;
        }
        assert!(Instant::now() < deadline, "pulseaudio did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    for args in [
        ["set-default-sink", "nccall_speaker"],
        ["set-default-source", "nccall_mic.monitor"],
    ] {
        let ok = pulse.tool("pactl").args(args).status();
        assert!(ok.is_ok_and(|s| s.success()), "pactl {args:?}");
    }
    eprintln!("pulseaudio up at {}", pulse.server());
    Some(pulse)
}

const PCM_ARGS: [&str; 4] = ["--format=s16le", "--rate=48000", "--channels=1", "--raw"];

/// Plays `hz` into the `nccall_mic` sink until `stop` is set: what the
/// default source (its monitor) hears.
fn play_into_microphone(pulse: &Pulse, hz: u32, stop: Arc<AtomicBool>) -> Child {
    let mut player = pulse
        .tool("pacat")
        .args(["--playback", "--device=nccall_mic", "--latency-msec=40"])
        .args(PCM_ARGS)
        .stdin(Stdio::piped())
        .spawn()
        .expect("pacat --playback");
    let mut stdin = player.stdin.take().expect("pacat stdin");
    std::thread::spawn(move || {
        let tone = ToneSource::new(hz, AUDIO_SAMPLE_RATE);
        let mut position = 0u64;
        // pacat reads at the sink's pace: the writes block, no timer needed.
        while !stop.load(Ordering::SeqCst) {
            let samples = tone.samples(position, 960);
            position += 960;
            let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
            if stdin.write_all(&bytes).is_err() {
                return;
            }
        }
    });
    player
}

/// Records the `nccall_speaker` sink's monitor in 200 ms blocks until one
/// carries `hz` (true) or `limit` of audio went by without it (false).
fn speaker_plays(server: &str, hz: u32, limit: Duration) -> bool {
    let mut recorder = tool(server, "pacat")
        .args(["--record", "--device=nccall_speaker.monitor"])
        .args(PCM_ARGS)
        .stdout(Stdio::piped())
        .spawn()
        .expect("pacat --record");
    let mut stdout = recorder.stdout.take().expect("pacat stdout");
    let block = AUDIO_SAMPLE_RATE as usize / 5;
    let blocks = (limit.as_millis() / 200) as usize;
    let mut bytes = vec![0u8; block * 2];
    let mut heard = false;
    for _ in 0..blocks {
        if stdout.read_exact(&mut bytes).is_err() {
            break;
        }
        let samples: Vec<i16> = bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        if detect_tone(&samples, AUDIO_SAMPLE_RATE) == Some(hz) {
            heard = true;
            break;
        }
    }
    let _ = recorder.kill();
    let _ = recorder.wait();
    heard
}

#[test]
fn a_tone_into_the_microphone_is_heard_and_the_remote_tone_comes_out_of_the_speaker() {
    let Some(pulse) = start_pulse() else { return };
    // SAFETY: the only test of this binary, before any thread of its own
    // (runtime, engine, cpal) exists: nothing reads the environment
    // concurrently. cpal's ALSA `pulse` device finds the server through it.
    unsafe { std::env::set_var("PULSE_SERVER", pulse.server()) };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let devices = CpalDevices::new();
        let listed = |kind| {
            nccall::DeviceProvider::devices(&devices, kind)
                .into_iter()
                .map(|d| d.device_id)
                .collect::<Vec<_>>()
        };
        for kind in [DeviceKind::AudioInput, DeviceKind::AudioOutput] {
            assert!(
                listed(kind).iter().any(|id| id == PULSE_DEVICE),
                "{kind:?}: no {PULSE_DEVICE} in {:?} (is libasound2-plugins installed?)",
                listed(kind)
            );
        }
        let config = EngineConfig {
            devices: Arc::new(devices),
            ..EngineConfig::default()
        };
        let (_sim, alice, bob) = common::alice_and_bob_with(common::config(), config).await;
        alice
            .select_audio_input_device(PULSE_DEVICE)
            .expect("select the microphone");
        alice
            .select_audio_output_device(PULSE_DEVICE)
            .expect("select the speaker");

        // A tone neither engine's marker uses, so hearing it proves the
        // real microphone, not alice's virtual one.
        let markers = [tone_hz(tag_of("alice")), tone_hz(tag_of("bob"))];
        let fed = tone_frequencies()
            .filter(|hz| !markers.contains(hz))
            .nth(2)
            .expect("a free tone");
        let stop = Arc::new(AtomicBool::new(false));
        let mut player = play_into_microphone(&pulse, fed, stop.clone());

        common::audio_call(&alice, &bob, "bob").await;

        // Bob hears the tone played into alice's microphone: up to 10 s of
        // her audio, judged after each further half second.
        let mut heard = None;
        for _ in 0..20 {
            let target = bob.audio_packets_from("alice") + 25;
            let got = bob
                .wait_for_audio_from("alice", target, Duration::from_secs(5))
                .await;
            assert!(got >= target, "alice's audio stopped arriving");
            heard = bob.heard_tone_from("alice");
            if heard == Some(fed) {
                break;
            }
        }
        assert_eq!(heard, Some(fed), "bob hears alice's microphone");
        eprintln!("bob hears the {fed} Hz tone played into alice's microphone");

        // Bob's marker tone comes out of alice's speaker.
        let bobs = tone_hz(tag_of("bob"));
        let server = pulse.server();
        let played = tokio::task::spawn_blocking(move || {
            speaker_plays(&server, bobs, Duration::from_secs(10))
        })
        .await
        .expect("recorder");
        assert!(
            played,
            "bob's {bobs} Hz tone did not come out of alice's speaker"
        );
        eprintln!("bob's {bobs} Hz tone comes out of alice's speaker");

        stop.store(true, Ordering::SeqCst);
        let _ = player.kill();
        let _ = player.wait();
        // Hang up and wait until alice's engine has seen the end (and so
        // closed its devices) before the sound server goes.
        let mut alice_events = alice.events();
        alice
            .end_call(nccall::EndCallParams::default())
            .await
            .expect("hang up");
        common::ended(&mut alice_events).await;
    });
    drop(runtime);
    drop(pulse);
}
