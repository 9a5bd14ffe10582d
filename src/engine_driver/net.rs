//! The reference engine's core on the socket-free [`Net`], behind the seam:
//! each participant is a [`CallMachine`] in the scenario's net, its API
//! calls are the machine's, and the answer to each comes while the net
//! runs. Deterministic and fast: no sockets, no threads, no real time.
//!
//! Time: the server's clock moves only when a step says time passes (as
//! a simulator on a virtual clock), while the engines' clock (heartbeats,
//! reconnect backoff, request deadlines) moves whenever a step waits, as
//! real time does in a socket run: waiting for an answer, an event, a
//! reconnect or a state is running the net until it comes or the wait's
//! bound (in the net's time) has passed.
//!
//! The net has no media path: commands about media, devices and video
//! views answer `unimplemented` (their scenarios are reported not run),
//! except the ones every participant makes (a local view, a quality
//! handler), which are what an app without a camera would do.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nccall::{
    AndroidPushConfigBuilder, CallError, CallLog, CallLogPage, CallMachine, CallMediaType,
    CallSession, Completion, ConnectParams, ConnectionStatus, DeleteCallLogsResult, DeviceInfo,
    DeviceKind, EndCallParams, ErrorCode, GetHistoryCallLogsParams, InviteToCallResult, MediaStats,
    RecordingView, RequestId, StartCallParams, StartCallResult, VideoCapture, VideoFrameRate,
    VideoResolution,
};

use super::remote::device_command;
use super::{DriverError, DriverResult, EngineDriver, note_exercised};
use crate::driver::commands::DriverCommand;
use crate::net::{Net, NetError};
use crate::recorders::{HandlerRecorder, QualityRecorder};

/// One scenario's net, shared by its participants and the rig.
#[derive(Clone)]
pub struct SharedNet(Arc<Mutex<NetState>>);

struct NetState {
    net: Net,
    /// Commands the net answered `unimplemented` (media, devices).
    unimplemented: BTreeSet<String>,
}

impl SharedNet {
    pub fn new(net: Net) -> Self {
        SharedNet(Arc::new(Mutex::new(NetState {
            net,
            unimplemented: BTreeSet::new(),
        })))
    }

    /// The net, for as long as the guard lives (never across an await).
    pub fn lock(&self) -> NetGuard<'_> {
        NetGuard(self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The commands answered `unimplemented` so far.
    pub fn unimplemented(&self) -> Vec<String> {
        self.lock().0.unimplemented.iter().cloned().collect()
    }

    /// Notes that the scenario needed something the net does not have.
    pub fn note_unimplemented(&self, what: &str) {
        self.lock().0.unimplemented.insert(what.to_string());
    }

    fn refuse<T>(&self, command: DriverCommand) -> DriverResult<T> {
        self.note_unimplemented(command.name());
        Err(DriverError::Unimplemented(command.name().to_string()))
    }
}

/// The locked net.
pub struct NetGuard<'a>(MutexGuard<'a, NetState>);

impl std::ops::Deref for NetGuard<'_> {
    type Target = Net;
    fn deref(&self) -> &Net {
        &self.0.net
    }
}

impl std::ops::DerefMut for NetGuard<'_> {
    fn deref_mut(&mut self) -> &mut Net {
        &mut self.0.net
    }
}

/// A net that stopped making progress is a broken driver, not an SDK's answer.
pub fn broken(e: NetError) -> DriverError {
    DriverError::Broken(format!("the net stopped: {e:?}"))
}

/// One participant: peer `peer` of the net.
pub struct NetSdk {
    pub net: SharedNet,
    pub peer: usize,
    /// The device id it connects with.
    device_id: String,
    /// The event handler, once set, and how much of the timeline it heard
    /// (it hears what came after it was set, in order).
    handler: Mutex<Option<(Arc<HandlerRecorder>, usize)>>,
}

impl NetSdk {
    pub fn new(net: SharedNet, peer: usize, device_id: String) -> Self {
        NetSdk {
            net,
            peer,
            device_id,
            handler: Mutex::new(None),
        }
    }

    /// Makes a request on the machine and runs the net until it is
    /// answered. The machine answers every request by its own deadline, so
    /// the bound (a second past it) is only a guard.
    fn request(
        &self,
        op: impl FnOnce(&mut CallMachine, Instant) -> Result<RequestId, CallError>,
    ) -> DriverResult<Completion> {
        let mut net = self.net.lock();
        let id = net.act(self.peer, op)?;
        self.answer(&mut net, id)
    }

    fn answer(&self, net: &mut Net, id: RequestId) -> DriverResult<Completion> {
        let peer = self.peer;
        let bound =
            net.now() + nccall::MachineConfig::default().request_timeout + Duration::from_secs(1);
        net.run_until(bound, |n| n.peers[peer].answers.contains_key(&id))
            .map_err(broken)?;
        match net.peers[peer].answers.get(&id) {
            Some(result) => Ok(result.clone()?),
            None => Err(DriverError::Broken(format!(
                "request {id} was never answered"
            ))),
        }
    }

    /// Switches the camera or microphone; in a call, waits until the
    /// server took it (not in a call, it is recorded for the next one).
    fn switch(&self, camera: Option<bool>, microphone: Option<bool>) -> DriverResult<()> {
        let mut net = self.net.lock();
        let Some(id) = net.peers[self.peer]
            .machine
            .set_local_media(camera, microphone)
        else {
            return Ok(());
        };
        self.answer(&mut net, id).map(drop)
    }

    /// Reads the machine.
    fn read<T>(&self, f: impl FnOnce(&CallMachine) -> T) -> T {
        f(&self.net.lock().peers[self.peer].machine)
    }

    /// Runs the net until `done` holds for the machine or `timeout` (net
    /// time) passed; returns whether it held.
    fn wait(&self, timeout: Duration, done: impl Fn(&CallMachine) -> bool) -> DriverResult<bool> {
        let mut net = self.net.lock();
        let peer = self.peer;
        let until = net.now() + timeout;
        net.run_until(until, |n| done(&n.peers[peer].machine))
            .map_err(broken)
    }
}

fn not_connected() -> DriverError {
    CallError::new(
        ErrorCode::SignalDisconnected,
        "not connected: call connect first",
    )
    .into()
}

#[async_trait::async_trait]
impl EngineDriver for NetSdk {
    async fn devices(&self, kind: DeviceKind) -> DriverResult<Vec<DeviceInfo>> {
        self.net.refuse(device_command(kind, false))
    }

    async fn select_device(&self, kind: DeviceKind, _device_id: &str) -> DriverResult<()> {
        self.net.refuse(device_command(kind, true))
    }

    async fn set_video_config(
        &self,
        _resolution: VideoResolution,
        _frame_rate: VideoFrameRate,
        _min_bitrate_kbps: Option<u32>,
        _max_bitrate_kbps: Option<u32>,
    ) -> DriverResult<()> {
        self.net.refuse(DriverCommand::SetVideoConfig)
    }

    fn create_android_push_config_builder(&self) -> AndroidPushConfigBuilder {
        note_exercised("createAndroidPushConfigBuilder");
        AndroidPushConfigBuilder::new()
    }

    async fn plug_device(&self, _device_id: &str, _plugged: bool) -> DriverResult<()> {
        self.net.refuse(DriverCommand::PlugDevice)
    }

    async fn connect(&self, params: ConnectParams) -> DriverResult<String> {
        let device = self.device_id.clone();
        let completion =
            self.request(|m, now| Ok(m.connect(now, &params.app_key, &params.token, &device)))?;
        Ok(completion.user_id()?)
    }

    async fn disconnect(&self) -> DriverResult<()> {
        let mut net = self.net.lock();
        net.disconnect(self.peer);
        net.settle().map_err(broken)
    }

    async fn heartbeat(&self) -> DriverResult<i64> {
        let mut net = self.net.lock();
        let Some(id) = net.peers[self.peer].machine.heartbeat() else {
            return Err(not_connected());
        };
        Ok(self.answer(&mut net, id)?.server_time()?)
    }

    async fn start_call(&self, params: StartCallParams) -> DriverResult<StartCallResult> {
        Ok(self.request(|m, _| m.start_call(params))?.started_call()?)
    }

    async fn accept_call(&self, call_id: &str) -> DriverResult<()> {
        self.request(|m, _| m.accept_call(call_id)).map(drop)
    }

    async fn end_call(&self, params: EndCallParams) -> DriverResult<()> {
        self.request(|m, _| m.end_call(params.call_id.as_deref(), params.push_config))
            .map(drop)
    }

    async fn join_call(&self, call_id: &str) -> DriverResult<()> {
        self.request(|m, _| m.join_call(call_id)).map(drop)
    }

    async fn invite_to_call(&self, user_ids: Vec<String>) -> DriverResult<InviteToCallResult> {
        Ok(self.request(|m, _| m.invite_to_call(user_ids))?.invited()?)
    }

    async fn enable_camera(&self, enable: bool) -> DriverResult<()> {
        self.switch(Some(enable), None)
    }

    async fn enable_microphone(&self, enable: bool) -> DriverResult<()> {
        self.switch(None, Some(enable))
    }

    async fn is_camera_enabled(&self) -> DriverResult<bool> {
        Ok(self.read(CallMachine::is_camera_enabled))
    }

    async fn is_microphone_enabled(&self) -> DriverResult<bool> {
        Ok(self.read(CallMachine::is_microphone_enabled))
    }

    async fn request_change_media_type(&self, media_type: CallMediaType) -> DriverResult<String> {
        Ok(self
            .request(|m, _| m.request_change_media_type(media_type))?
            .transaction_id()?)
    }

    async fn cancel_change_media_type(&self, transaction_id: &str) -> DriverResult<()> {
        self.request(|m, _| m.cancel_change_media_type(transaction_id))
            .map(drop)
    }

    async fn reply_change_media_type(
        &self,
        transaction_id: &str,
        is_agreed: bool,
    ) -> DriverResult<()> {
        self.request(|m, _| m.reply_change_media_type(transaction_id, is_agreed))
            .map(drop)
    }

    async fn get_current_call_session(&self) -> DriverResult<Option<CallSession>> {
        Ok(self.read(CallMachine::current_session))
    }

    async fn get_history_call_logs(
        &self,
        params: GetHistoryCallLogsParams,
    ) -> DriverResult<CallLogPage> {
        Ok(self
            .request(|m, _| m.get_history_call_logs(params))?
            .call_log_page()?)
    }

    async fn get_ongoing_call_logs(&self) -> DriverResult<Vec<CallLog>> {
        Ok(self
            .request(|m, _| m.get_ongoing_call_logs())?
            .call_logs()?)
    }

    async fn delete_call_logs_for_me(
        &self,
        call_ids: Vec<String>,
    ) -> DriverResult<DeleteCallLogsResult> {
        Ok(self
            .request(|m, _| m.delete_call_logs_for_me(call_ids))?
            .deleted()?)
    }

    async fn delete_all_call_logs_for_me(&self) -> DriverResult<u64> {
        Ok(self
            .request(|m, _| m.delete_all_call_logs_for_me())?
            .deleted_all()?)
    }

    /// The view shows nothing (there is no camera in a net); the machine
    /// knows one is set, which is what a video call needs.
    async fn set_local_video_view(&self, _view: Arc<RecordingView>) -> DriverResult<()> {
        self.net.lock().peers[self.peer]
            .machine
            .set_local_view(true);
        Ok(())
    }

    async fn set_remote_video_view(
        &self,
        _user_id: &str,
        _low_resolution: bool,
        _view: Arc<RecordingView>,
    ) -> DriverResult<()> {
        self.net.refuse(DriverCommand::SetRemoteVideoView)
    }

    async fn remove_video_view(&self, _user_id: &str) -> DriverResult<()> {
        self.net.refuse(DriverCommand::RemoveVideoView)
    }

    /// Registered; with no media path, nothing is ever measured to report.
    async fn set_connection_quality_handler(
        &self,
        _recorder: Arc<QualityRecorder>,
    ) -> DriverResult<()> {
        Ok(())
    }

    async fn set_call_event_handler(&self) -> DriverResult<()> {
        let from = self.net.lock().peers[self.peer].timeline.len();
        if let Ok(mut handler) = self.handler.lock() {
            *handler = Some((Arc::new(HandlerRecorder::default()), from));
        }
        Ok(())
    }

    /// The handler hears each event the machine emitted after it was set,
    /// in order, through the spec's callbacks.
    async fn handled_callbacks(&self) -> DriverResult<Vec<String>> {
        let net = self.net.lock();
        let timeline = &net.peers[self.peer].timeline;
        let Ok(mut handler) = self.handler.lock() else {
            return Ok(Vec::new());
        };
        let Some((recorder, heard)) = handler.as_mut() else {
            return Ok(Vec::new());
        };
        for event in &timeline[*heard..] {
            event.dispatch(recorder.as_ref());
        }
        *heard = timeline.len();
        Ok(recorder.callbacks())
    }

    async fn device_in_use(&self, _kind: DeviceKind) -> DriverResult<Option<String>> {
        self.net.refuse(DriverCommand::DeviceInUse)
    }

    async fn video_capture(&self) -> DriverResult<Option<VideoCapture>> {
        self.net.refuse(DriverCommand::VideoCapture)
    }

    async fn media_stats(&self) -> DriverResult<MediaStats> {
        self.net.refuse(DriverCommand::MediaStats)
    }

    async fn audio_packets_from(&self, _user_id: &str) -> DriverResult<u64> {
        self.net.refuse(DriverCommand::AudioPacketsFrom)
    }

    async fn heard_tone_from(&self, _user_id: &str) -> DriverResult<Option<u32>> {
        self.net.refuse(DriverCommand::HeardToneFrom)
    }

    async fn wait_for_audio_packets(&self, _count: u64, _timeout: Duration) -> DriverResult<u64> {
        self.net.refuse(DriverCommand::WaitForAudioPackets)
    }

    async fn wait_for_audio_from(
        &self,
        _user_id: &str,
        _count: u64,
        _timeout: Duration,
    ) -> DriverResult<u64> {
        self.net.refuse(DriverCommand::WaitForAudioFrom)
    }

    async fn wait_media_connected(
        &self,
        _connected: bool,
        _timeout: Duration,
    ) -> DriverResult<bool> {
        self.net.refuse(DriverCommand::WaitMediaConnected)
    }

    async fn connection_status(&self) -> DriverResult<ConnectionStatus> {
        Ok(self.read(|m| m.status().0))
    }

    async fn reconnections(&self) -> DriverResult<u64> {
        Ok(self.read(|m| m.status().1))
    }

    async fn wait_connection_status(
        &self,
        status: ConnectionStatus,
        timeout: Duration,
    ) -> DriverResult<bool> {
        self.wait(timeout, |m| m.status().0 == status)
    }

    async fn wait_reconnected(&self, count: u64, timeout: Duration) -> DriverResult<bool> {
        self.wait(timeout, |m| m.status().1 > count)
    }
}
