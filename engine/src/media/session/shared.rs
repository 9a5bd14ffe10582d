//! What the engine and its media tasks share, outliving calls: the switches
//! (camera, microphone, sizes), the views and devices, the receive slots
//! and what arrived from each remote user.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::send::KeyframeWanted;
use crate::devices::{AudioCapture, AudioPlayback, FRAME_SAMPLES};
use crate::media::quality::ConnectionQualityHandler;
use crate::media::views::VideoView;
use crate::{ICE_CHECK_INTERVAL, ICE_MAX_BINDING_REQUESTS};

/// What the engine and the media tasks share; it outlives calls (views stay bound).
#[derive(Default)]
pub(crate) struct MediaShared {
    /// The camera captures: send video.
    pub video_on: AtomicBool,
    /// The microphone is on in a call: send audio.
    pub audio_on: AtomicBool,
    pub width: AtomicU32,
    pub height: AtomicU32,
    pub fps: AtomicU32,
    /// The video config's highest bit rate, in kbps (0: the engine's default).
    pub max_bitrate_kbps: AtomicU32,
    /// This user's marker tag (`marker::tag_of` of the user id).
    pub tag: AtomicU32,
    /// This user's id: the local entry of `onAudioVolumeChanged` names it.
    pub local_user: Mutex<String>,
    /// Key frames the SFU asked this engine's video streams for.
    pub(super) keyframes: KeyframeWanted,
    pub local_view: Mutex<Option<Arc<dyn VideoView>>>,
    pub remote_views: Mutex<HashMap<String, Arc<dyn VideoView>>>,
    /// Remote users whose low-resolution stream this engine wants.
    pub low_resolution: Mutex<std::collections::HashSet<String>>,
    pub audio_received: AtomicU64,
    pub video_received: AtomicU64,
    pub audio_arrived: Notify,
    pub quality_handler: Mutex<Option<Arc<dyn ConnectionQualityHandler>>>,
    /// The remote user each receive slot carries ("" = free), as the media
    /// server last confirmed.
    pub slots: Mutex<Vec<String>>,
    /// What arrived from each remote user in the current call.
    pub receptions: Mutex<HashMap<String, Reception>>,
    /// Level (0..=9) of the last audio packet sent.
    pub local_level: AtomicU32,
    /// The last round trip measured, in microseconds (0: none yet).
    pub rtt_us: AtomicU64,
    /// The current peer connection is connected.
    pub link_up: AtomicBool,
    pub link_changed: Notify,
    /// Peer connections rebuilt after a lost media path, in this call.
    pub media_reconnections: AtomicU64,
    /// `EngineConfig::media_loss_timeout` in milliseconds (0: the default).
    pub loss_timeout_ms: AtomicU64,
    /// `EngineConfig::ice_check_interval` in microseconds (0: the default).
    pub ice_check_interval_us: AtomicU64,
    /// The open real microphone; none: the virtual one (the marker tone).
    pub microphone: Mutex<Option<Box<dyn AudioCapture>>>,
    /// The open real speaker; none: received audio is not played.
    pub speaker: Mutex<Option<Arc<dyn AudioPlayback>>>,
}

/// How long a silent media path is tolerated before the peer connection is
/// rebuilt, unless the engine's config says otherwise.
pub const DEFAULT_MEDIA_LOSS_TIMEOUT: Duration = Duration::from_secs(5);

/// What arrived from one remote user: the figures an RTCP receiver report
/// is made of, and the audio level.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Reception {
    /// RTP packets received, and expected from the sequence numbers.
    pub received: u64,
    pub expected: u64,
    /// Interarrival jitter of the received audio, in microseconds.
    pub jitter_us: u64,
    /// Level (0..=9) of the last audio packet received.
    pub level: u32,
    pub audio_packets: u64,
    /// The marker tone heard in the last decoded audio packet.
    pub heard_hz: Option<u32>,
}

impl MediaShared {
    pub(super) fn remote_view(&self, user: &str) -> Option<Arc<dyn VideoView>> {
        self.remote_views
            .lock()
            .ok()
            .and_then(|v| v.get(user).cloned())
    }

    pub(super) fn speaker(&self) -> Option<Arc<dyn AudioPlayback>> {
        self.speaker.lock().ok().and_then(|s| s.clone())
    }

    /// The next 20 ms the open microphone captured, if one is open.
    pub(super) fn captured(&self, frame: &mut [i16; FRAME_SAMPLES]) -> bool {
        match self.microphone.lock() {
            Ok(mut mic) => mic.as_mut().map(|m| m.read_frame(frame)).is_some(),
            Err(_) => false,
        }
    }

    pub(super) fn local_view(&self) -> Option<Arc<dyn VideoView>> {
        self.local_view.lock().ok().and_then(|v| v.clone())
    }

    /// The user receive slot `slot` carries now, if any.
    pub(super) fn slot_user(&self, slot: usize) -> Option<String> {
        let slots = self.slots.lock().ok()?;
        slots.get(slot).filter(|u| !u.is_empty()).cloned()
    }

    /// The users the receive slots carry now.
    pub(super) fn slot_users(&self) -> Vec<String> {
        self.slots
            .lock()
            .map(|s| s.iter().filter(|u| !u.is_empty()).cloned().collect())
            .unwrap_or_default()
    }

    /// Per packet: no allocation once the user has an entry.
    pub(super) fn reception(&self, user: &str, update: impl FnOnce(&mut Reception)) {
        if let Ok(mut all) = self.receptions.lock() {
            match all.get_mut(user) {
                Some(r) => update(r),
                None => update(all.entry(user.to_string()).or_default()),
            }
        }
    }

    /// The ICE check interval and how many checks fit the ~1.4 s budget
    /// [`ICE_MAX_BINDING_REQUESTS`] gives at [`ICE_CHECK_INTERVAL`].
    pub(super) fn ice_checks(&self) -> (Duration, u16) {
        match self.ice_check_interval_us.load(Ordering::SeqCst) {
            0 => (ICE_CHECK_INTERVAL, ICE_MAX_BINDING_REQUESTS),
            us => {
                let interval = Duration::from_micros(us);
                let budget = ICE_CHECK_INTERVAL * u32::from(ICE_MAX_BINDING_REQUESTS);
                let fit = budget.as_micros() / u128::from(us);
                (interval, u16::try_from(fit).unwrap_or(u16::MAX).max(7))
            }
        }
    }

    pub(crate) fn loss_timeout(&self) -> Duration {
        match self.loss_timeout_ms.load(Ordering::SeqCst) {
            0 => DEFAULT_MEDIA_LOSS_TIMEOUT,
            ms => Duration::from_millis(ms),
        }
    }

    pub(crate) fn round_trip_time(&self) -> Option<Duration> {
        match self.rtt_us.load(Ordering::SeqCst) {
            0 => None,
            us => Some(Duration::from_micros(us)),
        }
    }

    /// The marker tone last heard from `user`, if any.
    pub(crate) fn heard_tone_from(&self, user: &str) -> Option<u32> {
        self.receptions
            .lock()
            .ok()
            .and_then(|r| r.get(user).and_then(|r| r.heard_hz))
    }

    pub(super) fn tag(&self) -> u16 {
        u16::try_from(self.tag.load(Ordering::SeqCst)).unwrap_or(0)
    }

    pub(crate) fn audio_packets_from(&self, user: &str) -> u64 {
        self.receptions
            .lock()
            .ok()
            .and_then(|r| r.get(user).map(|r| r.audio_packets))
            .unwrap_or(0)
    }

    /// Starts a call's media from nothing: no slots, nothing received.
    pub(crate) fn reset_reception(&self, slots: Vec<String>) {
        if let Ok(mut s) = self.slots.lock() {
            *s = slots;
        }
        if let Ok(mut r) = self.receptions.lock() {
            r.clear();
        }
        self.rtt_us.store(0, Ordering::SeqCst);
        self.media_reconnections.store(0, Ordering::SeqCst);
    }
}
