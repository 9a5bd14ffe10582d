//! The driver protocol's messages. Commands carry the spec's method names
//! and parameter names; events carry the spec's callback names and fields.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The protocol's version, in `hello`.
pub const DRIVER_PROTOCOL_VERSION: u32 = 1;

/// Suite → driver: one command for one engine (one participant), or for
/// the driver itself (`hello`, `reset`) when `engine` is absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Command {
    pub id: u64,
    pub command: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub params: Value,
}

/// Driver → suite: the answer to a command, or an event of an engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Message {
    Reply(Reply),
    Event(EventMessage),
    Frame(FrameMessage),
}

/// The answer to command `id`: `code` 0 with `result`, a spec error code
/// with `message`, or `unimplemented` (the SDK does not have the command:
/// reported as such, neither a pass nor a failure of the behaviour).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Reply {
    pub id: u64,
    #[serde(default)]
    pub code: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unimplemented: bool,
}

/// One callback of one engine: `callback` is the spec's name
/// (`onCallReceived`), `event` its fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventMessage {
    pub engine: String,
    pub callback: String,
    pub event: Value,
}

/// `hello`'s result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelloResult {
    pub implementation: String,
    pub version: String,
    pub protocol_version: u32,
    /// The commands this driver implements.
    pub capabilities: Vec<String>,
}

/// A frame shown in a view the suite bound (`setLocalVideoView`,
/// `setRemoteVideoView`): which engine, which view (the suite's `viewId`),
/// and the frame (`{number, width, height, delayMs}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FrameMessage {
    pub engine: String,
    pub view: String,
    #[schemars(with = "FrameSchema")]
    pub frame: nccall::RenderedFrame,
}

/// The shape of `nccall::RenderedFrame` on the wire, for the schema.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct FrameSchema {
    /// The marker's frame number; 0 when no marker could be read.
    number: u64,
    width: u32,
    height: u32,
    /// Camera to view: the receiver's clock minus the marker's capture
    /// time, in milliseconds modulo 2^20.
    delay_ms: u64,
    /// The sender's marker tag; absent when no marker could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sender_tag: Option<u16>,
}
