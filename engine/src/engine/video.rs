//! Video config, the camera capture it starts, and the spec's views
//! (local and remote; which remote streams are wanted in low resolution).

use std::sync::Arc;

use nccall_protocol::{CallMediaType, CallState, ErrorCode};

use super::shell::lock;
use super::{CallEngine, Inner, State};
use crate::devices::DeviceKind;
use crate::error::{CallError, CallResult};
use crate::media::{RemoteVideoView, VideoView};
use crate::video::{VideoCapture, VideoConfig, VideoConfigBuilder};

impl CallEngine {
    /// `createVideoConfigBuilder`.
    pub fn create_video_config_builder(&self) -> VideoConfigBuilder {
        VideoConfigBuilder::new()
    }

    /// `setVideoConfig`: takes effect the next time capture starts.
    pub fn set_video_config(&self, config: VideoConfig) {
        self.inner.lock_state().video_config = config;
    }

    /// The video config capture will use next.
    pub fn video_config(&self) -> VideoConfig {
        self.inner.lock_state().video_config
    }

    /// What the camera captures now: the device and the config it started
    /// with. Not in the spec; shows when a new config took effect.
    pub fn video_capture(&self) -> Option<VideoCapture> {
        self.inner.lock_state().capture.clone()
    }

    /// `setLocalVideoView`: where this device's camera is shown. Required
    /// before placing or answering a video call. The spec returns a result
    /// (`NCCallSetLocalVideoViewResult`); here it cannot fail (the view is
    /// typed), so it is always `Ok`, kept for the spec's shape.
    pub fn set_local_video_view(&self, view: Arc<dyn VideoView>) -> CallResult<()> {
        *lock(&self.inner.media.local_view) = Some(view);
        self.inner.lock_state().machine.set_local_view(true);
        Ok(())
    }

    /// `setRemoteVideoView`: where each remote user's video is shown; may be
    /// set before the call or once the user is ON_CALL.
    pub fn set_remote_video_view(&self, views: Vec<RemoteVideoView>) -> CallResult<()> {
        if let Some(bad) = views.iter().find(|v| v.user_id.is_empty()) {
            return Err(CallError::new(
                ErrorCode::UserIdInvalid,
                format!("a view for an empty user id: {:?}", bad.user_id),
            ));
        }
        let mut changes = Vec::new();
        if let (Ok(mut remote), Ok(mut low)) = (
            self.inner.media.remote_views.lock(),
            self.inner.media.low_resolution.lock(),
        ) {
            for v in views {
                let changed = if v.enable_low_resolution_stream {
                    low.insert(v.user_id.clone())
                } else {
                    low.remove(&v.user_id)
                };
                if changed {
                    changes.push((v.user_id.clone(), v.enable_low_resolution_stream));
                }
                remote.insert(v.user_id, v.view);
            }
        }
        // In a call, tell the media server which stream to send from now on.
        let mut st = self.inner.lock_state();
        for (user, low) in changes {
            st.machine.subscribe_video(&user, low);
        }
        let events = self.inner.pump(&mut st);
        drop(st);
        self.inner.deliver(events);
        Ok(())
    }

    /// `removeVideoView`: stops showing `user_id`'s video.
    pub fn remove_video_view(&self, user_id: &str) -> CallResult<()> {
        let removed = self
            .inner
            .media
            .remote_views
            .lock()
            .map(|mut r| r.remove(user_id).is_some())
            .unwrap_or(false);
        if removed {
            Ok(())
        } else {
            Err(CallError::new(
                ErrorCode::UserIdInvalid,
                format!("no view is bound for {user_id}"),
            ))
        }
    }
}

impl Inner {
    /// Starts, restarts or stops the camera capture to match the call: it
    /// runs while the current call is connected, has video and the camera
    /// is on; it (re)starts with the video config set at that moment.
    pub(super) fn update_capture(&self, st: &mut State) {
        let cameras = self.config.devices.devices(DeviceKind::VideoInput);
        let camera = st.selection.in_use(DeviceKind::VideoInput, &cameras);
        let capturing = st.machine.current_session().is_some_and(|s| {
            s.call_state() == CallState::OnCall && s.media_type() == CallMediaType::AudioVideo
        }) && st.machine.is_camera_enabled();
        st.capture = match (capturing, camera) {
            (true, Some(device_id)) => match st.capture.take() {
                Some(running) if running.device_id == device_id => Some(running),
                _ => Some(VideoCapture {
                    device_id,
                    config: st.video_config,
                }),
            },
            _ => None,
        };
    }
}
