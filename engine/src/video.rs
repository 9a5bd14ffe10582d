//! `createVideoConfigBuilder` / `setVideoConfig`: how the camera captures.
//!
//! The spec's defaults: 640×480 at 15 fps; bitrates are left to the engine
//! unless set. A config set with `set_video_config` takes effect the next
//! time capture starts — a new call, the camera being switched or turned
//! back on — never in the middle of a capture.

use nccall_protocol::{ErrorCode, VideoFrameRate, VideoResolution};

use crate::error::{CallError, CallResult};

/// Highest bitrate a config may ask for, in kbps.
pub const MAX_BITRATE_KBPS: u32 = 10_000;

/// `NCCallVideoConfig`: what the camera captures and the encoder sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoConfig {
    /// Capture size.
    pub resolution: VideoResolution,
    /// Frames a second.
    pub frame_rate: VideoFrameRate,
    /// kbps; `None` lets the engine choose.
    pub min_bitrate_kbps: Option<u32>,
    /// kbps; `None` lets the engine choose.
    pub max_bitrate_kbps: Option<u32>,
}

impl Default for VideoConfig {
    fn default() -> Self {
        VideoConfig {
            resolution: VideoResolution::R640x480,
            frame_rate: VideoFrameRate::Fps15,
            min_bitrate_kbps: None,
            max_bitrate_kbps: None,
        }
    }
}

/// `createVideoConfigBuilder`.
#[derive(Debug, Clone, Default)]
pub struct VideoConfigBuilder {
    config: VideoConfig,
}

impl VideoConfigBuilder {
    /// The default configuration (640×480, 15 fps, bitrates the engine's).
    pub fn new() -> Self {
        Self::default()
    }

    /// Capture size.
    pub fn set_resolution(mut self, resolution: VideoResolution) -> Self {
        self.config.resolution = resolution;
        self
    }

    /// Frames a second.
    pub fn set_frame_rate(mut self, frame_rate: VideoFrameRate) -> Self {
        self.config.frame_rate = frame_rate;
        self
    }

    /// Lower bound in kbps.
    pub fn set_min_bitrate(mut self, kbps: u32) -> Self {
        self.config.min_bitrate_kbps = Some(kbps);
        self
    }

    /// Upper bound in kbps.
    pub fn set_max_bitrate(mut self, kbps: u32) -> Self {
        self.config.max_bitrate_kbps = Some(kbps);
        self
    }

    /// Checks the bitrates: each in 1..=10,000 kbps, min ≤ max (PARAM_ERROR).
    pub fn build(self) -> CallResult<VideoConfig> {
        let c = self.config;
        for (name, value) in [("min", c.min_bitrate_kbps), ("max", c.max_bitrate_kbps)] {
            if let Some(v) = value
                && !(1..=MAX_BITRATE_KBPS).contains(&v)
            {
                return Err(CallError::new(
                    ErrorCode::ParamError,
                    format!("{name} bitrate {v} kbps is outside 1..={MAX_BITRATE_KBPS}"),
                ));
            }
        }
        if let (Some(min), Some(max)) = (c.min_bitrate_kbps, c.max_bitrate_kbps)
            && min > max
        {
            return Err(CallError::new(
                ErrorCode::ParamError,
                format!("min bitrate {min} kbps is above max bitrate {max} kbps"),
            ));
        }
        Ok(c)
    }
}

/// What the camera is capturing now, if anything.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoCapture {
    /// The camera capturing.
    pub device_id: String,
    /// What it captures.
    pub config: VideoConfig,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_spec_s() {
        let c = VideoConfigBuilder::new().build().unwrap();
        assert_eq!((c.resolution.size(), c.frame_rate.code()), ((640, 480), 15));
    }

    #[test]
    fn bad_bitrates_are_refused() {
        for builder in [
            VideoConfigBuilder::new().set_min_bitrate(0),
            VideoConfigBuilder::new().set_max_bitrate(MAX_BITRATE_KBPS + 1),
            VideoConfigBuilder::new()
                .set_min_bitrate(1200)
                .set_max_bitrate(300),
        ] {
            assert_eq!(builder.build().unwrap_err().code(), ErrorCode::ParamError);
        }
        let ok = VideoConfigBuilder::new()
            .set_resolution(VideoResolution::R640x360)
            .set_frame_rate(VideoFrameRate::Fps24)
            .set_min_bitrate(300)
            .set_max_bitrate(1200)
            .build()
            .unwrap();
        assert_eq!(ok.resolution.size(), (640, 360));
    }
}
