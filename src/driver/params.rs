//! The params of the driver protocol's commands (`docs/driver-protocol.md`),
//! one type per shape, each tied to its commands by [`super::commands::Call`]:
//! the suite's client encodes them (`Remote`) and the reference driver
//! decodes them (`serve.rs`), so the two cannot drift apart. On the wire they are JSON objects with camelCase keys; absent
//! optional keys take their defaults.

use nccall::{
    CallMediaType, ConnectionStatus, DeviceKind, PushConfig, VideoFrameRate, VideoResolution,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The params of a command as JSON (a command without params sends `null`).
pub fn encode<T: Serialize>(params: &T) -> Value {
    serde_json::to_value(params).unwrap_or(Value::Null)
}

/// `connect`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectArgs {
    pub url: String,
    pub app_key: String,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallIdArgs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndCallArgs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_config: Option<PushConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdsArgs {
    pub user_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdArgs {
    pub user_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnableArgs {
    pub enable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaTypeArgs {
    pub media_type: CallMediaType,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionArgs {
    pub transaction_id: String,
    #[serde(default)]
    pub is_agreed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallIdsArgs {
    pub call_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceIdArgs {
    pub device_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindArgs {
    pub kind: DeviceKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewArgs {
    pub view_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteViewArgs {
    pub user_id: String,
    pub view_id: String,
    #[serde(default)]
    pub enable_low_resolution_stream: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteViewsArgs {
    pub views: Vec<RemoteViewArgs>,
}

/// The builder's inputs: the driver builds the config with the SDK's own
/// builder, so a config the SDK refuses is refused with its code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoConfigArgs {
    pub resolution: VideoResolution,
    pub frame_rate: VideoFrameRate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_bitrate: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bitrate: Option<u32>,
}

/// A wait of the instrumentation: up to `timeoutMs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitArgs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub count: u64,
    #[serde(default)]
    pub connected: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConnectionStatus>,
    pub timeout_ms: u64,
}

impl WaitArgs {
    /// A wait for `count` of something, up to `timeout`.
    pub fn count(count: u64, timeout: std::time::Duration) -> Self {
        WaitArgs {
            user_id: None,
            count,
            connected: false,
            status: None,
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// `createEngine`'s params. The timings are hints for the suite's pace (it
/// waits for reconnects in real time); an SDK may ignore them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateArgs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect_max_backoff_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_loss_timeout_ms: Option<u64>,
    /// `false`: signaling only, no peer connections (load and benchmarks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_enabled: Option<bool>,
    /// The simulator serves `wss://` with this certificate (PEM): trust
    /// it (the suite's `--tls` runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_certificate_pem: Option<String>,
}
