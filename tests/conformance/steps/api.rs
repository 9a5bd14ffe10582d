//! Spec methods the other steps do not need on their way: the event
//! handler (the rig records events through the stream), the version, and
//! removing a video view.

use std::sync::{Arc, Mutex};

use cucumber::{given, then, when};
use nccall::{
    CallConnectedEvent, CallEndedEvent, CallEngine, CallEventHandler, CallLogEvent,
    CallReceivedEvent, CallTypeChangedEvent, MediaTypeChangeRequestEvent,
    MediaTypeChangeResultEvent, RemoteDeviceStateEvent, RemoteUserInvitedEvent,
    RemoteUserStateChangedEvent, StartTimeReceivedEvent,
};

use crate::world::CallWorld;

/// An `NCCallEventHandler` that writes down the name of every callback.
#[derive(Default)]
pub struct HandlerRecorder {
    pub callbacks: Mutex<Vec<&'static str>>,
}

impl HandlerRecorder {
    fn saw(&self, name: &'static str) {
        if let Ok(mut c) = self.callbacks.lock() {
            c.push(name);
        }
    }
}

impl CallEventHandler for HandlerRecorder {
    fn on_call_received(&self, _: &CallReceivedEvent) {
        self.saw("onCallReceived");
    }
    fn on_call_ended(&self, _: &CallEndedEvent) {
        self.saw("onCallEnded");
    }
    fn on_call_connected(&self, _: &CallConnectedEvent) {
        self.saw("onCallConnected");
    }
    fn on_local_call_log_received(&self, _: &CallLogEvent) {
        self.saw("onLocalCallLogReceived");
    }
    fn on_server_call_log_received(&self, _: &CallLogEvent) {
        self.saw("onServerCallLogReceived");
    }
    fn on_media_type_change_request_received(&self, _: &MediaTypeChangeRequestEvent) {
        self.saw("onMediaTypeChangeRequestReceived");
    }
    fn on_media_type_change_result_received(&self, _: &MediaTypeChangeResultEvent) {
        self.saw("onMediaTypeChangeResultReceived");
    }
    fn on_remote_camera_state_changed(&self, _: &RemoteDeviceStateEvent) {
        self.saw("onRemoteCameraStateChanged");
    }
    fn on_remote_microphone_state_changed(&self, _: &RemoteDeviceStateEvent) {
        self.saw("onRemoteMicrophoneStateChanged");
    }
    fn on_remote_user_invited(&self, _: &RemoteUserInvitedEvent) {
        self.saw("onRemoteUserInvited");
    }
    fn on_remote_user_state_changed(&self, _: &RemoteUserStateChangedEvent) {
        self.saw("onRemoteUserStateChanged");
    }
    fn on_start_time_received(&self, _: &StartTimeReceivedEvent) {
        self.saw("onStartTimeReceived");
    }
    fn on_call_type_changed(&self, _: &CallTypeChangedEvent) {
        self.saw("onCallTypeChanged");
    }
}

#[given(regex = r"^(\w+) also listens with an event handler$")]
#[when(regex = r"^(\w+) also listens with an event handler$")]
async fn listens(world: &mut CallWorld, who: String) {
    let recorder = Arc::new(HandlerRecorder::default());
    world
        .person(&who)
        .engine
        .set_call_event_handler(recorder.clone());
    world.handlers.insert(who, recorder);
}

#[then(regex = r"^(\w+)'s event handler heard what (?:her|his|their) event stream did$")]
async fn handler_matches_stream(world: &mut CallWorld, who: String) {
    let Some(recorder) = world.handlers.get(&who).cloned() else {
        panic!("{who} has no event handler");
    };
    let person = world.person(&who);
    person.settle().await;
    let streamed: Vec<&str> = person.events.iter().map(|e| e.callback_name()).collect();
    let handled = recorder
        .callbacks
        .lock()
        .map(|c| c.clone())
        .unwrap_or_default();
    assert!(!streamed.is_empty(), "{who} heard nothing at all");
    assert_eq!(handled, streamed, "handler against stream");
}

#[then(regex = r"^the engine reports a version of the form major.minor.patch$")]
async fn version(_world: &mut CallWorld) {
    let version = CallEngine::get_version();
    let parts: Vec<&str> = version.split('.').collect();
    assert!(
        parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok()),
        "version {version:?}"
    );
}

#[when(regex = r"^(\w+) stops watching (\w+)$")]
async fn stops_watching(world: &mut CallWorld, who: String, other: String) {
    if let Err(e) = world.person(&who).engine.remove_video_view(&other) {
        panic!("{who} could not remove the view of {other}: {e}");
    }
}
