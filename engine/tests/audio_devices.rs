//! The engine's audio device seam, through a provider of the kind an app
//! writes (audio from its own source, played into its own sink): what the
//! opened microphone captures is what the other side hears, what arrives is
//! handed to the opened speaker per remote user, and a microphone that
//! cannot be opened during a call leaves the one in use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nccall::marker::{detect_tone, tag_of, tone_frequencies, tone_hz};
use nccall::{
    AUDIO_FRAME_SAMPLES, AUDIO_SAMPLE_RATE, AudioCapture, AudioPlayback, CallEngine, CallError,
    CallResult, DeviceInfo, DeviceKind, DeviceProvider, EngineConfig, ErrorCode, Instrumentation,
    ToneSource,
};

mod common;

/// Microphones that each play a tone of their own; `mic-busy` is listed
/// but cannot be opened. One speaker that keeps what it is given.
#[derive(Debug, Default)]
struct AppAudio {
    tones: HashMap<String, u32>,
    played: Arc<Mutex<HashMap<String, Vec<i16>>>>,
}

impl DeviceProvider for AppAudio {
    fn devices(&self, kind: DeviceKind) -> Vec<DeviceInfo> {
        let ids: Vec<String> = match kind {
            DeviceKind::AudioInput => {
                let mut ids: Vec<_> = self.tones.keys().cloned().collect();
                ids.sort();
                ids.push("mic-busy".into());
                ids
            }
            DeviceKind::AudioOutput => vec!["speaker".into()],
            DeviceKind::VideoInput => vec![],
        };
        ids.into_iter()
            .map(|id| DeviceInfo {
                label: id.clone(),
                device_id: id,
                kind,
            })
            .collect()
    }

    fn open_microphone(&self, device_id: &str) -> CallResult<Option<Box<dyn AudioCapture>>> {
        match self.tones.get(device_id) {
            Some(&hz) => Ok(Some(Box::new(ToneMic {
                tone: ToneSource::new(hz, AUDIO_SAMPLE_RATE),
                position: 0,
            }))),
            None => Err(CallError::new(
                ErrorCode::DeviceUnavailable,
                format!("{device_id} is in use by another app"),
            )),
        }
    }

    fn open_speaker(&self, _device_id: &str) -> CallResult<Option<Arc<dyn AudioPlayback>>> {
        Ok(Some(Arc::new(KeepingSpeaker(self.played.clone()))))
    }
}

#[derive(Debug)]
struct ToneMic {
    tone: ToneSource,
    position: u64,
}

impl AudioCapture for ToneMic {
    fn read_frame(&mut self, frame: &mut [i16; AUDIO_FRAME_SAMPLES]) {
        self.tone.fill(self.position, frame);
        self.position += AUDIO_FRAME_SAMPLES as u64;
    }
}

struct KeepingSpeaker(Arc<Mutex<HashMap<String, Vec<i16>>>>);

impl AudioPlayback for KeepingSpeaker {
    fn play(&self, source: &str, samples: &[i16]) {
        let mut played = self.0.lock().expect("speaker");
        let kept = played.entry(source.to_string()).or_default();
        kept.extend_from_slice(samples);
        // The last second is enough to tell a tone.
        let excess = kept.len().saturating_sub(AUDIO_SAMPLE_RATE as usize);
        kept.drain(..excess);
    }
}

/// Two tones no marker of alice or bob uses.
fn foreign_tones() -> (u32, u32) {
    let taken = [tone_hz(tag_of("alice")), tone_hz(tag_of("bob"))];
    let mut free = tone_frequencies().filter(|hz| !taken.contains(hz));
    (
        free.next().expect("a free tone"),
        free.nth(3).expect("another"),
    )
}

/// What bob hears from alice after half a second more of her audio.
async fn bob_hears(bob: &CallEngine) -> Option<u32> {
    let target = bob.audio_packets_from("alice") + 25;
    let got = bob
        .wait_for_audio_from("alice", target, Duration::from_secs(10))
        .await;
    assert!(got >= target, "alice's audio stopped arriving");
    bob.heard_tone_from("alice")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_opened_devices_carry_the_call_audio_both_ways() {
    let (first, second) = foreign_tones();
    let played = Arc::new(Mutex::new(HashMap::new()));
    let provider = AppAudio {
        tones: HashMap::from([("mic-a".into(), first), ("mic-b".into(), second)]),
        played: played.clone(),
    };
    let config = EngineConfig {
        devices: Arc::new(provider),
        ..EngineConfig::default()
    };
    let (_sim, alice, bob) = common::alice_and_bob_with(common::config(), config).await;
    alice
        .select_audio_input_device("mic-a")
        .expect("mic-a before the call");

    common::audio_call(&alice, &bob, "bob").await;

    // Bob hears what alice's opened microphone captured, not her marker.
    assert_eq!(bob_hears(&bob).await, Some(first));

    // A microphone that cannot be opened: the error, and mic-a stays.
    let busy = alice.select_audio_input_device("mic-busy");
    assert_eq!(
        busy.map_err(|e| e.code()),
        Err(ErrorCode::DeviceUnavailable)
    );
    assert_eq!(
        alice.device_in_use(DeviceKind::AudioInput).as_deref(),
        Some("mic-a")
    );
    assert_eq!(bob_hears(&bob).await, Some(first));

    // Switching during the call: bob hears the new one.
    alice
        .select_audio_input_device("mic-b")
        .expect("mic-b during the call");
    assert_eq!(bob_hears(&bob).await, Some(second));

    // Bob's decoded tone went to alice's speaker, under bob's name.
    let target = alice.audio_packets_from("bob") + 25;
    alice
        .wait_for_audio_from("bob", target, Duration::from_secs(10))
        .await;
    let bobs = played
        .lock()
        .expect("speaker")
        .get("bob")
        .cloned()
        .unwrap_or_default();
    assert!(
        bobs.len() >= AUDIO_SAMPLE_RATE as usize / 2,
        "{} samples played",
        bobs.len()
    );
    let tail = &bobs[bobs.len() - AUDIO_FRAME_SAMPLES * 10..];
    assert_eq!(
        detect_tone(tail, AUDIO_SAMPLE_RATE),
        Some(tone_hz(tag_of("bob")))
    );
}
