//! Every command of the driver protocol (`docs/driver-protocol.md`), as one
//! enum: the capability list `hello` sends, the reference driver's dispatch
//! and the suite's encoding all come from it, so a command added in one
//! place and forgotten in another does not compile (the dispatch matches
//! every variant). On the wire a command is its name, a string.

/// Declares the commands with their wire names, and the lookups between them.
macro_rules! commands {
    ($($variant:ident = $name:literal,)*) => {
        /// One command of the driver protocol.
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
        }
    };
}

commands! {
    Hello = "hello",
    Reset = "reset",
    CreateEngine = "createEngine",
    Connect = "connect",
    Disconnect = "disconnect",
    Heartbeat = "heartbeat",
    GetVersion = "getVersion",
    SetCallEventHandler = "setCallEventHandler",
    SetConnectionQualityHandler = "setConnectionQualityHandler",
    SetLocalVideoView = "setLocalVideoView",
    SetRemoteVideoView = "setRemoteVideoView",
    RemoveVideoView = "removeVideoView",
    SetVideoConfig = "setVideoConfig",
    StartCall = "startCall",
    AcceptCall = "acceptCall",
    EndCall = "endCall",
    JoinCall = "joinCall",
    InviteToCall = "inviteToCall",
    EnableCamera = "enableCamera",
    EnableMicrophone = "enableMicrophone",
    IsCameraEnabled = "isCameraEnabled",
    IsMicrophoneEnabled = "isMicrophoneEnabled",
    RequestChangeMediaType = "requestChangeMediaType",
    CancelChangeMediaType = "cancelChangeMediaType",
    ReplyChangeMediaType = "replyChangeMediaType",
    GetCurrentCallSession = "getCurrentCallSession",
    GetHistoryCallLogs = "getHistoryCallLogs",
    GetOngoingCallLogs = "getOngoingCallLogs",
    DeleteCallLogsForMe = "deleteCallLogsForMe",
    DeleteAllCallLogsForMe = "deleteAllCallLogsForMe",
    GetAudioInputDevices = "getAudioInputDevices",
    GetAudioOutputDevices = "getAudioOutputDevices",
    GetVideoInputDevices = "getVideoInputDevices",
    SelectAudioInputDevice = "selectAudioInputDevice",
    SelectAudioOutputDevice = "selectAudioOutputDevice",
    SelectVideoInputDevice = "selectVideoInputDevice",
    // The suite's instrumentation: what a test app reads off its SDK and
    // its virtual devices.
    HandledCallbacks = "handledCallbacks",
    PlugDevice = "plugDevice",
    UnplugDevice = "unplugDevice",
    DeviceInUse = "deviceInUse",
    VideoCapture = "videoCapture",
    MediaStats = "mediaStats",
    AudioPacketsFrom = "audioPacketsFrom",
    HeardToneFrom = "heardToneFrom",
    WaitForAudioPackets = "waitForAudioPackets",
    WaitForAudioFrom = "waitForAudioFrom",
    WaitMediaConnected = "waitMediaConnected",
    ConnectionStatus = "connectionStatus",
    Reconnections = "reconnections",
    WaitConnectionStatus = "waitConnectionStatus",
    WaitReconnected = "waitReconnected",
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
    fn names_are_unique() {
        let unique: std::collections::HashSet<_> = DriverCommand::NAMES.iter().collect();
        assert_eq!(unique.len(), DriverCommand::NAMES.len());
    }
}
