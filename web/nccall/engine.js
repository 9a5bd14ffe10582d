// NCCallEngine for the browser: the spec's class (../../docs/api-mapping.md
// has the table), over the simulator's signaling protocol
// (docs/protocol.md) and media (docs/media.md), with the browser's own
// WebSocket, RTCPeerConnection, getUserMedia and enumerateDevices.
//
// Every method that returns a promise resolves with `{code, ...}`: code 0
// with the results, or the spec's result code and a `message`. It never
// rejects for a refusal.

import { CallBook, isIncomingRinging } from "./calls.js";
import { CallError, Connection, ConnectionStatus } from "./connection.js";
import { CallMedia } from "./media.js";
import {
  DEFAULT_VIDEO_CONFIG,
  NCAndroidPushConfigBuilder,
  NCVideoConfigBuilder,
  checkPushConfig,
} from "./builders.js";
import { NCCallCode, NCCallLogOrder, NCCallMediaType, NCCallState, NCCallType, NCCallUserState, nameOf } from "./enums.js";
import { logFromWire } from "./call-log.js";
import { QualityMonitor } from "./quality.js";

const VERSION = "0.1.0-web";
const MAX_HISTORY_PAGE = 100;
const MAX_DELETE_BATCH = 100;

const fail = (code, message) => ({ code, message });
const failed = (e) =>
  e instanceof CallError ? fail(e.code, e.message) : fail(NCCallCode.UNKNOWN_SERVER_CODE, String(e?.message ?? e));

/** The spec's device kinds, from the browser's MediaDeviceInfo.kind. */
const KINDS = { audioinput: "audioInput", audiooutput: "audioOutput", videoinput: "videoInput" };

export class NCCallEngine {
  /** The SDK version (the spec's static getVersion). */
  static getVersion() {
    return VERSION;
  }

  /**
   * @param {object} [options]
   * @param {MediaDevices} [options.mediaDevices] where cameras and microphones
   *   come from (default: the browser's `navigator.mediaDevices`)
   * @param {string} [options.deviceId] this device's name in the server's logs
   * @param {number} [options.reconnectMaxBackoffMs] the longest wait between reconnect attempts
   * @param {number} [options.mediaLossTimeoutMs] how long a media link may be down before it is rebuilt
   * @param {boolean} [options.mediaEnabled] false: signaling only, no peer connections
   * @param {AudioContext} [options.audioContext] where received audio is analysed (default: one of its own)
   */
  constructor(options = {}) {
    this.devices = options.mediaDevices ?? navigator.mediaDevices;
    this.deviceId = options.deviceId ?? "browser";
    this.reconnectMaxBackoffMs = options.reconnectMaxBackoffMs;
    this.mediaLossTimeoutMs = options.mediaLossTimeoutMs ?? 5_000;
    this.mediaEnabled = options.mediaEnabled !== false;
    this.book = new CallBook();
    this.connection = null;
    this.handler = null;
    this.quality = new QualityMonitor(this);
    this.cameraEnabled = true;
    this.microphoneEnabled = true;
    this.videoConfig = DEFAULT_VIDEO_CONFIG;
    this.localView = null;
    this.remoteViews = new Map();
    this.lowResolution = new Set();
    this.selected = { audioInput: null, audioOutput: null, videoInput: null };
    this.deviceList = [];
    this.media = null; // the current call's CallMedia
    this.serverOffsetMs = 0;
    this.context = options.audioContext ?? null;
    this.devices?.addEventListener?.("devicechange", () => this.devicesChanged());
  }

  // ---- connection (NCEngine.connect in the spec: the chat connection) ----

  /** Connects to the server as the owner of `token`; `{code, userId}`. */
  async connect({ url, appKey, token }) {
    if (!url || !appKey || !token) return fail(NCCallCode.PARAM_ERROR, "url, appKey and token are required");
    await this.refreshDevices();
    this.connection?.close();
    const connection = new Connection({
      url,
      appKey,
      token,
      deviceId: this.deviceId,
      maxBackoffMs: this.reconnectMaxBackoffMs,
      hooks: {
        onEvent: (event) => this.onServerEvent(event),
        // The server ended this device's calls while it was away; nobody
        // but this engine will say so.
        onSessionLost: (serverTime) => this.endAll(serverTime),
      },
    });
    this.connection = connection;
    try {
      const userId = await connection.open();
      this.book.me = userId;
      return { code: NCCallCode.SUCCESS, userId };
    } catch (e) {
      return failed(e);
    }
  }

  /** Closes the connection for good; this device's calls end here with NETWORK_ERROR. */
  disconnect() {
    this.connection?.close();
    this.endAll(this.serverNow());
    return { code: NCCallCode.SUCCESS };
  }

  /**
   * Every call ends here without a word from the server (the session is
   * gone): each gets its onCallEnded, and the media of the current one
   * stops with it, as for a call the server ended.
   */
  endAll(endTime) {
    this.fire(this.book.endAll(endTime));
    this.followMedia();
  }

  /** CONNECTED, RECONNECTING or DISCONNECTED (not in the spec: its "reconnects automatically"). */
  getConnectionStatus() {
    return this.connection?.status ?? ConnectionStatus.DISCONNECTED;
  }

  serverNow() {
    return Date.now() + this.serverOffsetMs;
  }

  /**
   * A round trip to the server (an extension, as the reference engine's):
   * when it resolves, every event the server sent before has been handed
   * to the handler. `{code, serverTime}`.
   */
  async heartbeat() {
    try {
      const { serverTime } = await this.requireConnection().request("heartbeat");
      this.serverOffsetMs = serverTime - Date.now();
      return { code: NCCallCode.SUCCESS, serverTime };
    } catch (e) {
      return failed(e);
    }
  }

  requireConnection() {
    if (!this.connection || this.connection.status !== ConnectionStatus.CONNECTED) {
      throw new CallError(NCCallCode.SIGNAL_DISCONNECTED, "not connected: call connect first");
    }
    return this.connection;
  }

  // ---- handlers ----

  setCallEventHandler(handler) {
    this.handler = handler;
  }

  setConnectionQualityHandler(handler) {
    this.quality.setHandler(handler);
  }

  /** Fires callbacks in order; a handler that throws does not stop the engine. */
  fire(callbacks) {
    for (const [name, event] of callbacks) {
      try {
        this.handler?.[name]?.(event);
      } catch (e) {
        console.error(`${name} threw`, e);
      }
    }
  }

  onServerEvent(event) {
    if (event.event === "startTimeReceived" || event.event === "callEnded") {
      const t = event.startTime ?? event.endTime;
      if (typeof t === "number") this.serverOffsetMs = t - Date.now();
    }
    const callbacks = this.book.handle(event);
    this.fire(callbacks);
    this.followMedia(event);
  }

  // ---- media, following the calls ----

  members(call) {
    return call.remoteParticipants.filter((p) => p.userState !== NCCallUserState.ENDED).map((p) => p.userId);
  }

  /** Media starts when the current call connects and stops when it ends. */
  followMedia(event) {
    const current = this.book.current();
    if (this.media && (!current || current.callId !== this.media.callId || !this.book.calls.has(this.media.callId))) {
      this.media.close();
      this.media = null;
      this.quality.stop();
    }
    if (!current || current.callState !== NCCallState.ONCALL || !this.mediaEnabled) return;
    if (!this.media) {
      this.media = new CallMedia({
        callId: current.callId,
        connection: this.connection,
        engine: this,
        members: this.members(current),
        video: current.mediaType === NCCallMediaType.AUDIO_VIDEO,
      });
      this.media.start();
      this.quality.start(this.media);
      return;
    }
    if (event?.event === "remoteUserStateChanged" || event?.event === "callConnected") {
      this.media.setMembers(this.members(current));
    }
    if (event?.event === "mediaTypeChangeResultReceived") {
      this.media.setVideo(current.mediaType === NCCallMediaType.AUDIO_VIDEO);
    }
  }

  audioContext() {
    this.context ??= new AudioContext();
    return this.context;
  }

  // ---- views ----

  /** `{videoElement}`: where the own camera is shown. */
  setLocalVideoView({ videoElement } = {}) {
    if (!videoElement) return fail(NCCallCode.PARAM_ERROR, "videoElement is required");
    this.localView = { videoElement };
    this.media?.bindLocal();
    return { code: NCCallCode.SUCCESS };
  }

  /** `[{userId, videoElement, enableLowResolutionStream}]`. */
  setRemoteVideoView(views = []) {
    const bad = views.find((v) => !v.userId);
    if (bad) return fail(NCCallCode.USER_ID_INVALID, "a view for an empty user id");
    for (const v of views) {
      const low = Boolean(v.enableLowResolutionStream);
      const changed = low !== this.lowResolution.has(v.userId);
      if (low) this.lowResolution.add(v.userId);
      else this.lowResolution.delete(v.userId);
      this.remoteViews.set(v.userId, { videoElement: v.videoElement, low });
      // In a call, the media server sends the chosen layer from now on.
      if (changed) this.media?.subscribe(v.userId, low);
    }
    this.media?.bindAll();
    return { code: NCCallCode.SUCCESS };
  }

  removeVideoView(userId) {
    const view = this.remoteViews.get(userId);
    if (!view) return fail(NCCallCode.USER_ID_INVALID, `no view is bound for ${userId}`);
    this.remoteViews.delete(userId);
    view.videoElement.srcObject = null;
    return { code: NCCallCode.SUCCESS };
  }

  // ---- configuration builders ----

  createVideoConfigBuilder() {
    return new NCVideoConfigBuilder();
  }

  /** Takes effect the next time capture starts (a new call, a camera switch, the camera back on). */
  setVideoConfig(config) {
    if (!config) return fail(NCCallCode.PARAM_ERROR, "no config");
    this.videoConfig = config;
    return { code: NCCallCode.SUCCESS };
  }

  createAndroidPushConfigBuilder() {
    return new NCAndroidPushConfigBuilder();
  }

  // ---- calls ----

  requireLocalView(mediaType) {
    if (mediaType === NCCallMediaType.AUDIO_VIDEO && !this.localView) {
      throw new CallError(NCCallCode.LOCAL_VIEW_NOT_SET, "set the local video view before placing or answering a video call");
    }
  }

  /** `{calleeIds, callType, mediaType, pushConfig?, extra?, targetId?}` → `{code, callId, busyLineUserList}`. */
  async startCall(params = {}) {
    try {
      const connection = this.requireConnection();
      const { calleeIds = [], callType, mediaType, pushConfig, extra, targetId } = params;
      this.requireLocalView(mediaType);
      checkCallees(calleeIds, callType, this.book.me);
      if (this.book.calls.size > 0 || this.starting) {
        throw new CallError(NCCallCode.SESSION_EXIST, "already in a call; end it before starting another");
      }
      const push = checkPushConfig(pushConfig);
      if (push) throw new CallError(NCCallCode.PARAM_ERROR, push);
      const request = {
        calleeIds,
        callType: nameOf(NCCallType, callType),
        mediaType: nameOf(NCCallMediaType, mediaType),
        cameraEnabled: this.cameraEnabled,
        microphoneEnabled: this.microphoneEnabled,
      };
      if (extra !== undefined && extra !== null) request.extra = extra;
      if (targetId !== undefined && targetId !== null) request.targetId = targetId;
      if (pushConfig) request.pushConfig = pushConfig;
      this.starting = true;
      let result;
      try {
        result = await connection.request("startCall", request);
      } finally {
        this.starting = false;
      }
      const busyLineUserList = (result.busyLineUserList ?? []).map((b) => ({
        userId: b.userId,
        userState: NCCallUserState[b.userState] ?? b.userState,
      }));
      this.book.started({ calleeIds, callType, mediaType, extra, targetId }, { ...result, busyLineUserList });
      return { code: NCCallCode.SUCCESS, callId: result.callId, busyLineUserList };
    } catch (e) {
      return failed(e);
    }
  }

  /** `{callId}`. Another call in progress is hung up first: one active call at a time. */
  async acceptCall({ callId } = {}) {
    try {
      const connection = this.requireConnection();
      const call = this.knownCall(callId);
      this.requireLocalView(call.mediaType);
      if (!isIncomingRinging(call.callState)) {
        throw new CallError(NCCallCode.CALL_STATE_INVALID, `call ${callId} is ${NCCallState[call.callState]}, not an incoming call that rings`);
      }
      const current = this.book.current();
      const busyWith =
        current && current.callId !== callId &&
        [NCCallState.ONCALL, NCCallState.CONNECTING, NCCallState.CALLING, NCCallState.BUSYLINE_WAIT].includes(current.callState);
      if (busyWith) await connection.request("endCall", { callId: current.callId });
      await connection.request("acceptCall", {
        callId,
        cameraEnabled: this.cameraEnabled,
        microphoneEnabled: this.microphoneEnabled,
      });
      this.book.accepted(callId);
      return { code: NCCallCode.SUCCESS };
    } catch (e) {
      return failed(e);
    }
  }

  /** `{callId?, pushConfig?}`: hangs up, cancels or rejects; without an id, the current call. */
  async endCall(params = {}) {
    try {
      const connection = this.requireConnection();
      const push = checkPushConfig(params.pushConfig);
      if (push) throw new CallError(NCCallCode.PARAM_ERROR, push);
      let callId = params.callId;
      if (callId === undefined || callId === null) {
        callId = this.book.currentId;
        if (!callId) throw new CallError(NCCallCode.NOT_IN_CALL, "there is no current call to end");
      } else {
        this.knownCall(callId);
      }
      const request = { callId };
      if (params.pushConfig) request.pushConfig = params.pushConfig;
      await connection.request("endCall", request);
      return { code: NCCallCode.SUCCESS };
    } catch (e) {
      return failed(e);
    }
  }

  /** `{callId}`: joins an ongoing group call. */
  async joinCall({ callId } = {}) {
    try {
      const connection = this.requireConnection();
      if (!callId) throw new CallError(NCCallCode.CALL_ID_INVALID, "call id is empty");
      const active = this.book.active();
      if (active) throw new CallError(NCCallCode.SESSION_EXIST, `already in call ${active.callId}; end it before joining another`);
      const info = await connection.request("joinCall", {
        callId,
        cameraEnabled: this.cameraEnabled,
        microphoneEnabled: this.microphoneEnabled,
      });
      this.book.joined(info);
      return { code: NCCallCode.SUCCESS };
    } catch (e) {
      return failed(e);
    }
  }

  /** `{userIds}` into the current call → `{code, busyLineUserList}`. */
  async inviteToCall({ userIds = [] } = {}) {
    try {
      const connection = this.requireConnection();
      const call = this.book.current();
      if (!call) throw new CallError(NCCallCode.NOT_IN_CALL, "there is no current call to invite into");
      if (isIncomingRinging(call.callState)) {
        throw new CallError(NCCallCode.CALL_STATE_INVALID, `answer call ${call.callId} before inviting others`);
      }
      if (userIds.length === 0 || userIds.some((u) => !u) || new Set(userIds).size !== userIds.length) {
        throw new CallError(NCCallCode.USER_LIST_INVALID, "userIds must be non-empty, without empty or repeated ids");
      }
      if (userIds.includes(this.book.me)) {
        throw new CallError(NCCallCode.USER_ALREADY_IN_CALL, `${this.book.me} is already in call ${call.callId}`);
      }
      const result = await connection.request("inviteToCall", { callId: call.callId, userIds });
      const busyLineUserList = (result.busyLineUserList ?? []).map((b) => ({
        userId: b.userId,
        userState: NCCallUserState[b.userState] ?? b.userState,
      }));
      return { code: NCCallCode.SUCCESS, busyLineUserList };
    } catch (e) {
      return failed(e);
    }
  }

  knownCall(callId) {
    if (!callId) throw new CallError(NCCallCode.CALL_ID_INVALID, "call id is empty");
    const call = this.book.calls.get(callId);
    if (!call) throw new CallError(NCCallCode.CALL_ID_INVALID, `no call ${callId}`);
    return call;
  }

  /** The connected current call, for what needs one. */
  activeCall() {
    const call = this.book.current();
    if (!call) throw new CallError(NCCallCode.NOT_IN_CALL, "there is no current call");
    if (call.callState !== NCCallState.ONCALL) {
      throw new CallError(NCCallCode.CALL_STATE_INVALID, `call ${call.callId} is ${NCCallState[call.callState]}, not connected`);
    }
    return call;
  }

  getCurrentCallSession() {
    return this.book.currentId ? this.book.session(this.book.currentId) : null;
  }

  // ---- camera and microphone ----

  async enableCamera(enable) {
    return this.switchMedia("cameraEnabled", Boolean(enable));
  }

  async enableMicrophone(enable) {
    return this.switchMedia("microphoneEnabled", Boolean(enable));
  }

  isMicrophoneEnabled() {
    return this.microphoneEnabled;
  }

  /** Not in the spec's table, beside isMicrophoneEnabled. */
  isCameraEnabled() {
    return this.cameraEnabled;
  }

  /** Records the switch; in a call, applies it to the media and tells the other side. */
  async switchMedia(field, on) {
    this[field] = on;
    const camera = field === "cameraEnabled";
    if (camera) this.media?.setCamera(on);
    else this.media?.setMicrophone(on);
    const call = this.book.current();
    if (!call || isIncomingRinging(call.callState) || this.connection?.status !== ConnectionStatus.CONNECTED) {
      return { code: NCCallCode.SUCCESS }; // recorded for the next call
    }
    try {
      const request = { callId: call.callId };
      request[camera ? "cameraEnabled" : "microphoneEnabled"] = on;
      await this.connection.request("setMediaState", request);
      return { code: NCCallCode.SUCCESS };
    } catch (e) {
      return failed(e);
    }
  }

  // ---- media type ----

  /** `{mediaType}` → `{code, transactionId}`. One-to-one calls only. */
  async requestChangeMediaType({ mediaType } = {}) {
    try {
      const connection = this.requireConnection();
      const call = this.activeCall();
      if (call.callType === NCCallType.GROUP) {
        throw new CallError(NCCallCode.GROUP_CALL_NOT_SUPPORTED, "media type can only be changed in a one-to-one call");
      }
      if (call.mediaType === mediaType) {
        throw new CallError(NCCallCode.MEDIATYPE_INVALID, `call ${call.callId} is already ${NCCallMediaType[mediaType]}`);
      }
      const { transactionId } = await connection.request("requestChangeMediaType", {
        callId: call.callId,
        mediaType: nameOf(NCCallMediaType, mediaType),
      });
      return { code: NCCallCode.SUCCESS, transactionId };
    } catch (e) {
      return failed(e);
    }
  }

  async cancelChangeMediaType({ transactionId } = {}) {
    return this.settleMediaChange("cancelChangeMediaType", { transactionId });
  }

  async replyChangeMediaType({ transactionId, isAgreed } = {}) {
    return this.settleMediaChange("replyChangeMediaType", { transactionId, isAgreed: Boolean(isAgreed) });
  }

  async settleMediaChange(type, fields) {
    try {
      const connection = this.requireConnection();
      if (!fields.transactionId) throw new CallError(NCCallCode.TRANSACTION_ID_INVALID, "transaction id is empty");
      const call = this.activeCall();
      await connection.request(type, { callId: call.callId, ...fields });
      return { code: NCCallCode.SUCCESS };
    } catch (e) {
      return failed(e);
    }
  }

  // ---- call logs ----

  /** `{startTime, count, order}` → `{code, callLogInfo: {hasMore, callLogList, syncTime}}`. */
  async getHistoryCallLogs({ startTime, count, order } = {}) {
    try {
      const connection = this.requireConnection();
      if (!(Number.isInteger(count) && count >= 1 && count <= MAX_HISTORY_PAGE)) {
        throw new CallError(NCCallCode.PARAM_ERROR, `count must be 1..=${MAX_HISTORY_PAGE}, not ${count}`);
      }
      if (!(Number.isInteger(startTime) && startTime >= -1)) {
        throw new CallError(NCCallCode.PARAM_ERROR, `startTime must be -1 or a sync time, not ${startTime}`);
      }
      const orderName = nameOf(NCCallLogOrder, order);
      if (!orderName) throw new CallError(NCCallCode.PARAM_ERROR, `order must be ASC or DESC, not ${order}`);
      const page = await connection.request("getHistoryCallLogs", { startTime, count, order: orderName });
      return {
        code: NCCallCode.SUCCESS,
        callLogInfo: {
          hasMore: page.hasMore,
          callLogList: (page.callLogList ?? []).map(logFromWire),
          syncTime: page.syncTime,
        },
      };
    } catch (e) {
      return failed(e);
    }
  }

  /** → `{code, callLogList}`: calls not ended that the user is or was in. */
  async getOngoingCallLogs() {
    try {
      const { callLogList } = await this.requireConnection().request("getOngoingCallLogs");
      return { code: NCCallCode.SUCCESS, callLogList: (callLogList ?? []).map(logFromWire) };
    } catch (e) {
      return failed(e);
    }
  }

  /** `callIds` → `{code, notFoundCallIds}`. */
  async deleteCallLogsForMe(callIds = []) {
    try {
      const connection = this.requireConnection();
      if (callIds.length === 0 || callIds.length > MAX_DELETE_BATCH) {
        throw new CallError(NCCallCode.PARAM_ERROR, `callIds must hold 1..=${MAX_DELETE_BATCH} ids, not ${callIds.length}`);
      }
      const { notFoundCallIds } = await connection.request("deleteCallLogsForMe", { callIds });
      return { code: NCCallCode.SUCCESS, notFoundCallIds: notFoundCallIds ?? [] };
    } catch (e) {
      return failed(e);
    }
  }

  /** → `{code, deletedCount}`. */
  async deleteAllCallLogsForMe() {
    try {
      const { deletedCount } = await this.requireConnection().request("deleteAllCallLogsForMe");
      return { code: NCCallCode.SUCCESS, deletedCount };
    } catch (e) {
      return failed(e);
    }
  }

  // ---- devices ----

  async refreshDevices() {
    const all = (await this.devices?.enumerateDevices?.()) ?? [];
    this.deviceList = all
      .filter((d) => KINDS[d.kind])
      .map((d) => ({ deviceId: d.deviceId, label: d.label, kind: KINDS[d.kind] }));
    for (const kind of Object.values(KINDS)) {
      const present = this.deviceList.filter((d) => d.kind === kind);
      if (!present.some((d) => d.deviceId === this.selected[kind])) {
        // The selected device went away (or none was chosen): the default, the first of its kind.
        this.selected[kind] = present[0]?.deviceId ?? null;
      }
    }
  }

  listOf(kind) {
    return this.deviceList.filter((d) => d.kind === kind).map((d) => ({ ...d }));
  }

  /** → `{code, devices: [{deviceId, label, kind}]}`. */
  async getAudioInputDevices() {
    await this.refreshDevices();
    return { code: NCCallCode.SUCCESS, devices: this.listOf("audioInput") };
  }

  async getAudioOutputDevices() {
    await this.refreshDevices();
    return { code: NCCallCode.SUCCESS, devices: this.listOf("audioOutput") };
  }

  async getVideoInputDevices() {
    await this.refreshDevices();
    return { code: NCCallCode.SUCCESS, devices: this.listOf("videoInput") };
  }

  async selectAudioInputDevice({ deviceId } = {}) {
    return this.select("audioInput", deviceId, () => this.media?.restartMicrophone());
  }

  async selectAudioOutputDevice({ deviceId } = {}) {
    return this.select("audioOutput", deviceId, () => this.media?.routeSpeaker());
  }

  async selectVideoInputDevice({ deviceId } = {}) {
    return this.select("videoInput", deviceId, () => this.media?.restartCamera());
  }

  async select(kind, deviceId, apply) {
    await this.refreshDevices();
    if (!this.deviceList.some((d) => d.kind === kind && d.deviceId === deviceId)) {
      return fail(NCCallCode.DEVICE_ID_INVALID, `no ${kind} device ${deviceId}`);
    }
    const changed = this.selected[kind] !== deviceId;
    this.selected[kind] = deviceId;
    if (changed) await apply();
    return { code: NCCallCode.SUCCESS };
  }

  /**
   * A device came or went. The one in use gone: the default takes over;
   * none of its kind left: the microphone (or camera) is switched off and
   * the other side is told. The call goes on.
   */
  async devicesChanged() {
    const before = { ...this.selected };
    await this.refreshDevices();
    if (before.audioInput !== this.selected.audioInput) {
      if (this.selected.audioInput === null) await this.enableMicrophone(false);
      else await this.media?.restartMicrophone();
    }
    if (before.videoInput !== this.selected.videoInput) {
      if (this.selected.videoInput === null) await this.enableCamera(false);
      else await this.media?.restartCamera();
    }
    if (before.audioOutput !== this.selected.audioOutput) this.media?.routeSpeaker();
  }

  /** The device id in use for a kind (`audioInput`, `audioOutput`, `videoInput`), or null. */
  deviceInUse(kind) {
    return this.selected[kind] ?? null;
  }

  /** The camera capture running now: `{deviceId, config}`, or null. */
  videoCapture() {
    return this.media?.capture ?? null;
  }
}

/** The structural checks the server makes, answered without a round trip. */
function checkCallees(calleeIds, callType, me) {
  if (!Array.isArray(calleeIds) || calleeIds.length === 0) {
    throw new CallError(NCCallCode.USER_LIST_INVALID, "calleeIds is empty");
  }
  if (calleeIds.some((id) => !id) || new Set(calleeIds).size !== calleeIds.length) {
    throw new CallError(NCCallCode.USER_LIST_INVALID, "calleeIds holds an empty or repeated id");
  }
  if (callType === NCCallType.SINGLE && calleeIds.length > 1) {
    throw new CallError(NCCallCode.SINGLE_CALL_NOT_SUPPORT_MULTI_PERSON, `a SINGLE call takes one callee, got ${calleeIds.length}`);
  }
  if (calleeIds.includes(me)) throw new CallError(NCCallCode.USER_ID_INVALID, `${me} cannot call themselves`);
}
