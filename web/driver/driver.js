// The driver protocol (docs/driver-protocol.md) in a browser page, for the
// Web NCCallEngine (../nccall/). A page cannot listen, so it connects out
// to the suite (`--driver listen:ADDR`, or `--driver chromium`, which
// opens this page): one WebSocket per scenario, one text frame per
// message; the page keeps `connections` of them open, so that scenarios
// running at once each find one. Each connection hosts the engines of one
// scenario and drops them when it closes.
//
//   driver.html?driver=ws://127.0.0.1:PORT&connections=4&devices=<JSON of fixtures/devices.yaml>

import {
  NCCallEngine,
  NCCallEndReason,
  NCCallLogOrder,
  NCCallMediaType,
  NCCallMediaTypeChangeResult,
  NCCallQuality,
  NCCallState,
  NCCallType,
  NCCallUserState,
  NCCallVideoFrameRate,
  NCCallVideoResolution,
  nameOf,
  valueOf,
} from "../nccall/index.js";
import { logToWire } from "../nccall/call-log.js";
import { VirtualDevices } from "./virtual-devices.js";
import { watchFrames } from "./frames.js";
import { loopbackPair } from "./loopback.js";

// The messages' types (protocol.d.ts, generated from the suite's schema).
/** @typedef {import("./protocol").Command} Command */
/** @typedef {import("./protocol").Message} Message */
/** @typedef {import("./protocol").HelloResult} HelloResult */

const params = new URLSearchParams(location.search);
const SUITE = params.get("driver");
const CONNECTIONS = Number(params.get("connections") ?? 2);
const DEVICES = JSON.parse(params.get("devices") ?? '{"microphones":[],"speakers":[],"cameras":[]}');
const PROTOCOL_VERSION = 1;

/** Every command this driver implements; the rest are answered `unimplemented`. */
const COMMANDS = {};

const audioContext = new AudioContext();

// ---- from the engine's values to the protocol's names ----

function sessionToWire(s) {
  if (!s) return null;
  return {
    callId: s.getCallId(),
    callState: nameOf(NCCallState, s.getCallState()),
    callType: nameOf(NCCallType, s.getCallType()),
    mediaType: nameOf(NCCallMediaType, s.getMediaType()),
    remoteParticipants: s.getRemoteParticipants().map((p) => ({
      userId: p.userId,
      userState: nameOf(NCCallUserState, p.userState),
      isCameraEnabled: p.isCameraEnabled,
      isMicrophoneEnabled: p.isMicrophoneEnabled,
    })),
    callerUserId: s.getCallerUserId(),
    inviterUserId: s.getInviterUserId(),
    startTime: s.getStartTime(),
  };
}

const EVENT_ENUMS = {
  userState: NCCallUserState,
  reason: NCCallEndReason,
  mediaType: NCCallMediaType,
  callType: NCCallType,
  result: NCCallMediaTypeChangeResult,
  quality: NCCallQuality,
};

function eventToWire(event) {
  const out = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === "session") out.session = sessionToWire(value);
    else if (key === "callLog") out.callLog = logToWire(value);
    else if (EVENT_ENUMS[key] && typeof value === "number") out[key] = nameOf(EVENT_ENUMS[key], value);
    else out[key] = value;
  }
  return out;
}

const CALLBACKS = [
  "onCallReceived",
  "onCallEnded",
  "onCallConnected",
  "onLocalCallLogReceived",
  "onServerCallLogReceived",
  "onMediaTypeChangeRequestReceived",
  "onMediaTypeChangeResultReceived",
  "onRemoteCameraStateChanged",
  "onRemoteMicrophoneStateChanged",
  "onRemoteUserInvited",
  "onRemoteUserStateChanged",
  "onStartTimeReceived",
  "onCallTypeChanged",
];

/** A spec result `{code, ...}` as a reply: code 0 with `pick(result)`, else the code. */
class Refused extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
function settle(result, pick = () => null) {
  if (result.code !== 0) throw new Refused(result.code, result.message ?? "");
  return pick(result);
}

function enumParam(e, wire, field) {
  const value = valueOf(e, wire);
  if (value === undefined) throw new Refused(80001, `bad params: ${field} ${JSON.stringify(wire)}`);
  return value;
}

// ---- the hosted engines of one connection ----

class Hosted {
  constructor(session, name, args) {
    this.session = session;
    this.name = name;
    this.devices = new VirtualDevices(DEVICES, name, audioContext);
    this.engine = new NCCallEngine({
      mediaDevices: this.devices,
      deviceId: args.deviceId ?? `${name}-device`,
      reconnectMaxBackoffMs: args.reconnectMaxBackoffMs,
      mediaLossTimeoutMs: args.mediaLossTimeoutMs,
      mediaEnabled: args.mediaEnabled,
      // One AudioContext for the page: each one runs an audio thread of its own.
      audioContext,
    });
    this.handled = [];
    this.views = new Map(); // viewId -> {element, stop}
    // Every callback goes out as an event, whether or not the suite asked
    // for a handler: a driver's events are its handler's callbacks.
    this.handler = {};
    for (const callback of CALLBACKS) {
      this.handler[callback] = (event) => {
        if (this.recording) this.handled.push(callback);
        this.session.send({ engine: name, callback, event: eventToWire(event) });
      };
    }
    this.engine.setCallEventHandler(this.handler);
  }

  view(viewId) {
    let view = this.views.get(viewId);
    if (!view) {
      const element = document.createElement("video");
      element.muted = true;
      element.autoplay = true;
      element.playsInline = true;
      element.width = 160;
      element.title = `${this.name}: ${viewId}`;
      document.body.append(element);
      const stop = watchFrames(element, (frame) => this.session.send({ engine: this.name, view: viewId, frame }));
      view = { element, stop };
      this.views.set(viewId, view);
    }
    return view;
  }

  drop() {
    this.engine.disconnect();
    for (const { element, stop } of this.views.values()) {
      stop();
      element.srcObject = null;
      element.remove();
    }
    this.views.clear();
  }
}

/** Waits up to `timeoutMs` for `test()` (a promise of a value) to pass `ok`; returns the last value. */
async function waitUntil(test, ok, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await test();
    if (ok(value) || Date.now() >= deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stats = (h) => h.engine.media?.stats() ?? Promise.resolve({
  connected: false,
  audioPacketsReceived: 0,
  videoFramesReceived: 0,
  roundTripTimeMs: null,
  mediaReconnections: 0,
});
const packetsFrom = (h, userId) => h.engine.media?.audioPacketsFrom(userId) ?? Promise.resolve(0);
const kindName = { AudioInputDevice: "audioInput", AudioOutputDevice: "audioOutput", VideoInputDevice: "videoInput" };

Object.assign(COMMANDS, {
  connect: async (h, p) => settle(await h.engine.connect(p), (r) => {
    h.devices.userId = r.userId;
    return r.userId;
  }),
  disconnect: async (h) => settle(h.engine.disconnect()),
  heartbeat: async (h) => settle(await h.engine.heartbeat(), (r) => r.serverTime),
  getVersion: async () => NCCallEngine.getVersion(),
  setCallEventHandler: async (h) => {
    h.recording = true;
    h.engine.setCallEventHandler(h.handler);
    return null;
  },
  handledCallbacks: async (h) => h.handled,
  setConnectionQualityHandler: async (h) => {
    const forward = (callback) => (event) => h.session.send({ engine: h.name, callback, event: eventToWire(event) });
    h.engine.setConnectionQualityHandler({
      onSendQualityChanged: forward("onSendQualityChanged"),
      onReceiveQualityChanged: forward("onReceiveQualityChanged"),
      onAudioVolumeChanged: forward("onAudioVolumeChanged"),
    });
    return null;
  },
  setLocalVideoView: async (h, p) => settle(h.engine.setLocalVideoView({ videoElement: h.view(p.viewId).element })),
  setRemoteVideoView: async (h, p) =>
    settle(
      h.engine.setRemoteVideoView(
        (p.views ?? []).map((v) => ({
          userId: v.userId,
          videoElement: h.view(v.viewId).element,
          enableLowResolutionStream: Boolean(v.enableLowResolutionStream),
        })),
      ),
    ),
  removeVideoView: async (h, p) => settle(h.engine.removeVideoView(p.userId)),
  setVideoConfig: async (h, p) => {
    const builder = h.engine
      .createVideoConfigBuilder()
      .setResolution(enumParam(NCCallVideoResolution, p.resolution, "resolution"))
      .setFrameRate(enumParam(NCCallVideoFrameRate, p.frameRate, "frameRate"));
    if (p.minBitrate !== undefined && p.minBitrate !== null) builder.setMinBitrate(p.minBitrate);
    if (p.maxBitrate !== undefined && p.maxBitrate !== null) builder.setMaxBitrate(p.maxBitrate);
    const built = builder.build();
    settle(built);
    return settle(h.engine.setVideoConfig(built.config));
  },
  startCall: async (h, p) =>
    settle(
      await h.engine.startCall({
        calleeIds: p.calleeIds,
        callType: enumParam(NCCallType, p.callType, "callType"),
        mediaType: enumParam(NCCallMediaType, p.mediaType, "mediaType"),
        extra: p.extra ?? undefined,
        targetId: p.targetId ?? undefined,
        pushConfig: p.pushConfig ?? undefined,
      }),
      (r) => ({
        callId: r.callId,
        busyLineUserList: r.busyLineUserList.map((b) => ({ userId: b.userId, userState: nameOf(NCCallUserState, b.userState) })),
      }),
    ),
  acceptCall: async (h, p) => settle(await h.engine.acceptCall({ callId: p.callId })),
  endCall: async (h, p) =>
    settle(await h.engine.endCall({ callId: p.callId ?? undefined, pushConfig: p.pushConfig ?? undefined })),
  joinCall: async (h, p) => settle(await h.engine.joinCall({ callId: p.callId })),
  inviteToCall: async (h, p) =>
    settle(await h.engine.inviteToCall({ userIds: p.userIds }), (r) => ({
      busyLineUserList: r.busyLineUserList.map((b) => ({ userId: b.userId, userState: nameOf(NCCallUserState, b.userState) })),
    })),
  enableCamera: async (h, p) => settle(await h.engine.enableCamera(p.enable)),
  enableMicrophone: async (h, p) => settle(await h.engine.enableMicrophone(p.enable)),
  isCameraEnabled: async (h) => h.engine.isCameraEnabled(),
  isMicrophoneEnabled: async (h) => h.engine.isMicrophoneEnabled(),
  requestChangeMediaType: async (h, p) =>
    settle(await h.engine.requestChangeMediaType({ mediaType: enumParam(NCCallMediaType, p.mediaType, "mediaType") }), (r) => ({
      transactionId: r.transactionId,
    })),
  cancelChangeMediaType: async (h, p) => settle(await h.engine.cancelChangeMediaType({ transactionId: p.transactionId })),
  replyChangeMediaType: async (h, p) =>
    settle(await h.engine.replyChangeMediaType({ transactionId: p.transactionId, isAgreed: p.isAgreed })),
  getCurrentCallSession: async (h) => sessionToWire(h.engine.getCurrentCallSession()),
  getHistoryCallLogs: async (h, p) =>
    settle(
      await h.engine.getHistoryCallLogs({
        startTime: p.startTime,
        count: p.count,
        order: enumParam(NCCallLogOrder, p.order, "order"),
      }),
      (r) => ({
        hasMore: r.callLogInfo.hasMore,
        callLogList: r.callLogInfo.callLogList.map(logToWire),
        syncTime: r.callLogInfo.syncTime,
      }),
    ),
  getOngoingCallLogs: async (h) => settle(await h.engine.getOngoingCallLogs(), (r) => r.callLogList.map(logToWire)),
  deleteCallLogsForMe: async (h, p) =>
    settle(await h.engine.deleteCallLogsForMe(p.callIds), (r) => ({ notFoundCallIds: r.notFoundCallIds })),
  deleteAllCallLogsForMe: async (h) => settle(await h.engine.deleteAllCallLogsForMe(), (r) => ({ deletedCount: r.deletedCount })),
  getAudioInputDevices: async (h) => settle(await h.engine.getAudioInputDevices(), (r) => r.devices),
  getAudioOutputDevices: async (h) => settle(await h.engine.getAudioOutputDevices(), (r) => r.devices),
  getVideoInputDevices: async (h) => settle(await h.engine.getVideoInputDevices(), (r) => r.devices),
  selectAudioInputDevice: async (h, p) => settle(await h.engine.selectAudioInputDevice({ deviceId: p.deviceId })),
  selectAudioOutputDevice: async (h, p) => settle(await h.engine.selectAudioOutputDevice({ deviceId: p.deviceId })),
  selectVideoInputDevice: async (h, p) => settle(await h.engine.selectVideoInputDevice({ deviceId: p.deviceId })),
  // ---- instrumentation ----
  plugDevice: async (h, p) => plug(h, p.deviceId, true),
  unplugDevice: async (h, p) => plug(h, p.deviceId, false),
  deviceInUse: async (h, p) => h.engine.deviceInUse(kindName[p.kind] ?? p.kind),
  videoCapture: async (h) => {
    const capture = h.engine.videoCapture();
    if (!capture) return null;
    const c = capture.config;
    return {
      deviceId: capture.deviceId,
      config: {
        resolution: nameOf(NCCallVideoResolution, c.resolution),
        frameRate: nameOf(NCCallVideoFrameRate, c.frameRate),
        minBitrateKbps: c.minBitrate,
        maxBitrateKbps: c.maxBitrate,
      },
    };
  },
  mediaStats: async (h) => stats(h),
  audioPacketsFrom: async (h, p) => packetsFrom(h, p.userId),
  heardToneFrom: async (h, p) => h.engine.media?.heardToneFrom(p.userId) ?? null,
  waitForAudioPackets: async (h, p) =>
    waitUntil(async () => (await stats(h)).audioPacketsReceived, (n) => n >= p.count, p.timeoutMs),
  waitForAudioFrom: async (h, p) => waitUntil(() => packetsFrom(h, p.userId), (n) => n >= p.count, p.timeoutMs),
  waitMediaConnected: async (h, p) =>
    waitUntil(async () => (await stats(h)).connected, (c) => c === p.connected, p.timeoutMs).then((c) => c === p.connected),
  connectionStatus: async (h) => h.engine.getConnectionStatus(),
  reconnections: async (h) => h.engine.connection?.reconnections ?? 0,
  waitConnectionStatus: async (h, p) =>
    waitUntil(async () => h.engine.getConnectionStatus(), (s) => s === p.status, p.timeoutMs).then((s) => s === p.status),
  waitReconnected: async (h, p) =>
    waitUntil(async () => h.engine.connection?.reconnections ?? 0, (n) => n > p.count, p.timeoutMs).then((n) => n > p.count),
});

async function plug(h, deviceId, plugged) {
  if (!h.devices.setPlugged(deviceId, plugged)) throw new Refused(80019, `no device ${deviceId}`);
  // The reply says the SDK has noticed: it handles devicechange itself.
  await h.engine.devicesChanged();
  return null;
}

// ---- one connection to the suite: one scenario ----

class Session {
  constructor(ws) {
    this.ws = ws;
    this.engines = new Map();
    this.queue = Promise.resolve();
  }

  /** @param {Message} message */
  send(message) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** Commands run one after the other, as the protocol allows. */
  receive(text) {
    this.queue = this.queue.then(() => this.handle(text));
  }

  async handle(text) {
    /** @type {Command} */
    let command;
    try {
      command = JSON.parse(text);
    } catch (e) {
      this.send({ id: 0, code: 80023, message: `not a command: ${e}` });
      return;
    }
    const { id, engine: name, command: what } = command;
    const p = command.params ?? {};
    try {
      let result;
      if (what === "hello") {
        /** @type {HelloResult} */
        result = {
          implementation: "nccall-web (Web NCCallEngine in the browser)",
          version: NCCallEngine.getVersion(),
          protocolVersion: PROTOCOL_VERSION,
          capabilities: ["hello", "reset", "createEngine", "benchLoopbackPair", ...Object.keys(COMMANDS)],
        };
      } else if (what === "reset") {
        this.dropAll();
        result = null;
      } else if (what === "getVersion") {
        result = NCCallEngine.getVersion();
      } else if (what === "benchLoopbackPair") {
        // Not an SDK command: the benchmark's floor, measured in this browser.
        result = { ms: await loopbackPair(DEVICES, audioContext) };
      } else if (what === "createEngine") {
        if (!name) throw new Refused(80001, "bad params: this command needs an engine");
        this.engines.get(name)?.drop();
        this.engines.set(name, new Hosted(this, name, p));
        result = null;
      } else if (!COMMANDS[what]) {
        this.send({ id, unimplemented: true });
        return;
      } else {
        const hosted = this.engines.get(name);
        if (!hosted) throw new Refused(80001, `bad params: no engine ${name}: send createEngine first`);
        result = await COMMANDS[what](hosted, p);
      }
      const reply = { id, code: 0 };
      if (result !== null && result !== undefined) reply.result = result;
      this.send(reply);
    } catch (e) {
      const code = e instanceof Refused ? e.code : 80099;
      this.send({ id, code, message: String(e?.message ?? e) });
    }
  }

  dropAll() {
    for (const hosted of this.engines.values()) hosted.drop();
    this.engines.clear();
  }
}

/** Keeps one connection to the suite open; when a scenario's closes, opens the next. */
function keepConnected(slot, backoffMs = 100) {
  const ws = new WebSocket(SUITE);
  let session = null;
  ws.onopen = () => {
    session = new Session(ws);
    backoffMs = 100;
  };
  ws.onmessage = (m) => session?.receive(m.data);
  ws.onclose = () => {
    session?.dropAll();
    const wait = session ? 0 : Math.min(backoffMs * 2, 2000);
    setTimeout(() => keepConnected(slot, wait || 100), wait);
  };
}

document.title = `nccall driver: ${SUITE}`;
for (let slot = 0; slot < CONNECTIONS; slot++) keepConnected(slot);
