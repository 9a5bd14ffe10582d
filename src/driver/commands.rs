//! Every command of the driver protocol (`docs/driver-protocol.md`), as one
//! enum: the capability list `hello` sends, the reference driver's dispatch
//! and the suite's encoding all come from it, so a command added in one
//! place and forgotten in another does not compile (the dispatch matches
//! every variant), and [`Call`], the same commands with their params, one
//! type per command (`params.rs`), which the client encodes and the driver
//! decodes. On the wire a command is its name, a string, and its params an
//! object.

use nccall::{GetHistoryCallLogsParams, StartCallParams};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::params::{
    CallIdArgs, CallIdsArgs, ConnectArgs, CreateArgs, DeviceIdArgs, EnableArgs, EndCallArgs,
    KindArgs, MediaTypeArgs, RemoteViewsArgs, TransactionArgs, UserIdArgs, UserIdsArgs,
    VideoConfigArgs, ViewArgs, WaitArgs,
};

/// Declares the commands with their wire names and params, and the
/// lookups between them: [`DriverCommand`] names a command, [`Call`] is a
/// command with its params (serde-tagged: `{"command": name, "params": ...}`).
macro_rules! commands {
    ($($variant:ident = $name:literal $(($params:ty))?,)*) => {
        /// One command of the driver protocol, by name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum DriverCommand {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl DriverCommand {
            /// Every command, in the order `hello` lists them.
            pub const ALL: &'static [DriverCommand] = &[$(DriverCommand::$variant),*];

            /// Every command's wire name, in the same order.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// The name on the wire.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self {
                    $(DriverCommand::$variant => $name,)*
                }
            }

            /// The command a wire name names, if any.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(DriverCommand::$variant),)*
                    _ => None,
                }
            }

            /// Whether the command takes params (an object).
            #[must_use]
            pub const fn takes_params(self) -> bool {
                match self {
                    $(DriverCommand::$variant => false $(|| { let _ = stringify!($params); true })?,)*
                }
            }
        }

        /// A command with its params, as the client sends it and the driver
        /// takes it: the params' type is the command's own.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "command", content = "params")]
        pub enum Call {
            $(
                #[doc = concat!("`", $name, "`")]
                #[serde(rename = $name)]
                $variant $(($params))?,
            )*
        }

        impl Call {
            /// Which command this is.
            #[must_use]
            pub fn command(&self) -> DriverCommand {
                match self {
                    $(Call::$variant { .. } => DriverCommand::$variant,)*
                }
            }
        }
    };
}

commands! {
    Hello = "hello",
    Reset = "reset",
    CreateEngine = "createEngine" (CreateArgs),
    Connect = "connect" (ConnectArgs),
    Disconnect = "disconnect",
    Heartbeat = "heartbeat",
    GetVersion = "getVersion",
    SetCallEventHandler = "setCallEventHandler",
    SetConnectionQualityHandler = "setConnectionQualityHandler",
    SetLocalVideoView = "setLocalVideoView" (ViewArgs),
    SetRemoteVideoView = "setRemoteVideoView" (RemoteViewsArgs),
    RemoveVideoView = "removeVideoView" (UserIdArgs),
    SetVideoConfig = "setVideoConfig" (VideoConfigArgs),
    StartCall = "startCall" (StartCallParams),
    AcceptCall = "acceptCall" (CallIdArgs),
    EndCall = "endCall" (EndCallArgs),
    JoinCall = "joinCall" (CallIdArgs),
    InviteToCall = "inviteToCall" (UserIdsArgs),
    EnableCamera = "enableCamera" (EnableArgs),
    EnableMicrophone = "enableMicrophone" (EnableArgs),
    IsCameraEnabled = "isCameraEnabled",
    IsMicrophoneEnabled = "isMicrophoneEnabled",
    RequestChangeMediaType = "requestChangeMediaType" (MediaTypeArgs),
    CancelChangeMediaType = "cancelChangeMediaType" (TransactionArgs),
    ReplyChangeMediaType = "replyChangeMediaType" (TransactionArgs),
    GetCurrentCallSession = "getCurrentCallSession",
    GetHistoryCallLogs = "getHistoryCallLogs" (GetHistoryCallLogsParams),
    GetOngoingCallLogs = "getOngoingCallLogs",
    DeleteCallLogsForMe = "deleteCallLogsForMe" (CallIdsArgs),
    DeleteAllCallLogsForMe = "deleteAllCallLogsForMe",
    GetAudioInputDevices = "getAudioInputDevices",
    GetAudioOutputDevices = "getAudioOutputDevices",
    GetVideoInputDevices = "getVideoInputDevices",
    SelectAudioInputDevice = "selectAudioInputDevice" (DeviceIdArgs),
    SelectAudioOutputDevice = "selectAudioOutputDevice" (DeviceIdArgs),
    SelectVideoInputDevice = "selectVideoInputDevice" (DeviceIdArgs),
    // The suite's instrumentation: what a test app reads off its SDK and
    // its virtual devices.
    HandledCallbacks = "handledCallbacks",
    PlugDevice = "plugDevice" (DeviceIdArgs),
    UnplugDevice = "unplugDevice" (DeviceIdArgs),
    DeviceInUse = "deviceInUse" (KindArgs),
    VideoCapture = "videoCapture",
    MediaStats = "mediaStats",
    AudioPacketsFrom = "audioPacketsFrom" (UserIdArgs),
    HeardToneFrom = "heardToneFrom" (UserIdArgs),
    WaitForAudioPackets = "waitForAudioPackets" (WaitArgs),
    WaitForAudioFrom = "waitForAudioFrom" (WaitArgs),
    WaitMediaConnected = "waitMediaConnected" (WaitArgs),
    ConnectionStatus = "connectionStatus",
    Reconnections = "reconnections",
    WaitConnectionStatus = "waitConnectionStatus" (WaitArgs),
    WaitReconnected = "waitReconnected" (WaitArgs),
}

impl Call {
    /// The command named `name` with `params` as sent (absent params of a
    /// command that takes some are an empty object; a command that takes
    /// none ignores them). An unknown name is `Ok(None)`.
    pub fn decode(name: &str, params: &Value) -> Result<Option<Call>, String> {
        let Some(command) = DriverCommand::from_name(name) else {
            return Ok(None);
        };
        let mut tagged = serde_json::Map::new();
        tagged.insert("command".into(), Value::String(name.to_string()));
        if command.takes_params() {
            let params = if params.is_null() {
                Value::Object(serde_json::Map::new())
            } else {
                params.clone()
            };
            tagged.insert("params".into(), params);
        }
        serde_json::from_value(Value::Object(tagged))
            .map(Some)
            .map_err(|e| format!("{name}: {e}"))
    }

    /// The command and its params as they go on the wire (`null` for none).
    pub fn encode(&self) -> (DriverCommand, Value) {
        let params = serde_json::to_value(self)
            .ok()
            .and_then(|mut v| v.get_mut("params").map(Value::take))
            .unwrap_or(Value::Null);
        (self.command(), params)
    }
}

impl std::fmt::Display for DriverCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_variants_agree_both_ways() {
        assert_eq!(DriverCommand::ALL.len(), DriverCommand::NAMES.len());
        for (command, name) in DriverCommand::ALL.iter().zip(DriverCommand::NAMES) {
            assert_eq!(command.name(), *name);
            assert_eq!(DriverCommand::from_name(name), Some(*command));
        }
        assert_eq!(DriverCommand::from_name("noSuchCommand"), None);
    }

    #[test]
    fn a_call_goes_over_the_wire_and_comes_back_the_same() {
        let calls = [
            Call::Hello,
            Call::AcceptCall(CallIdArgs {
                call_id: Some("call#1".into()),
            }),
            Call::WaitReconnected(WaitArgs::count(0, std::time::Duration::from_secs(1))),
            Call::StartCall(StartCallParams::single(
                "bob",
                nccall::CallMediaType::AudioVideo,
            )),
        ];
        for call in calls {
            let (command, params) = call.encode();
            assert_eq!(command, call.command());
            assert_eq!(params.is_null(), !command.takes_params(), "{command}");
            let back = Call::decode(command.name(), &params);
            assert_eq!(back, Ok(Some(call)));
        }
    }

    #[test]
    fn params_are_checked_against_the_command() {
        let absent = Call::decode("endCall", &Value::Null);
        assert!(matches!(absent, Ok(Some(Call::EndCall(_)))), "{absent:?}");
        let ignored = Call::decode("disconnect", &serde_json::json!({"x": 1}));
        assert_eq!(ignored, Ok(Some(Call::Disconnect)));
        assert_eq!(Call::decode("noSuchCommand", &Value::Null), Ok(None));
        let wrong = Call::decode("enableCamera", &serde_json::json!({"enable": "yes"}));
        assert!(wrong.is_err_and(|e| e.starts_with("enableCamera")));
        let missing = Call::decode("waitReconnected", &serde_json::json!({"count": 1}));
        assert!(missing.is_err(), "timeoutMs is required");
    }

    #[test]
    fn names_are_unique() {
        let unique: std::collections::HashSet<_> = DriverCommand::NAMES.iter().collect();
        assert_eq!(unique.len(), DriverCommand::NAMES.len());
    }
}
