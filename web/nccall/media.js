// One call's media (docs/media.md, "Flow"): a peer connection to the
// simulator's SFU with m-lines audio, video, low video, then a recvonly
// audio+video pair per further receive slot; the offer gathered before it
// is sent (`publishMedia`); slots re-assigned (`updateMedia`, with a new
// offer when the call grew); what arrives on a slot shown in the view of
// the member it carries, its audio played by an internal Audio element.

import { assignSlots } from "./slots.js";
import { dimensions } from "./builders.js";
import { detectTone } from "../lib/markers.js";

/** How long a rebuilt peer connection may take to connect before the next try. */
const CONNECT_WAIT_MS = 5_000;
/** A watchdog tick this much later than due means the page itself stalled. */
const STALL_MS = 400;
/** How long a tone heard counts as "heard in the last decoded audio". */
const TONE_HOLD_MS = 250;

/**
 * How long an offer waits for candidates: the offer carries every candidate
 * (docs/media.md, no trickle), but an interface that never answers must not
 * hold the call's media; what was gathered by then goes out.
 */
const GATHER_WAIT_MS = 3_000;

/** Resolves once `pc` gathered its candidates, or after GATHER_WAIT_MS. */
function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      pc.removeEventListener("icegatheringstatechange", check);
      clearTimeout(timer);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, GATHER_WAIT_MS);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/** What the engine tells a call's media: its settings, read when they apply. */
export class CallMedia {
  /**
   * @param {object} o
   * @param {string} o.callId
   * @param {object} o.connection the signaling Connection
   * @param {object} o.engine the engine's media state: devices, selection,
   *   views, video config, local switches (read at each use)
   * @param {string[]} o.members remote members not ENDED
   * @param {boolean} o.video whether the call is AUDIO_VIDEO
   */
  constructor({ callId, connection, engine, members, video }) {
    Object.assign(this, { callId, connection, engine, video });
    this.members = members;
    this.slots = [];
    this.pc = null;
    this.transceivers = [];
    this.audioTrack = null;
    this.videoTrack = null;
    this.lowTrack = null;
    this.capture = null; // {deviceId, config} of the running camera capture
    this.players = new Map(); // slot -> Audio element
    this.analysers = new Map(); // slot -> AnalyserNode
    this.tones = new Map(); // slot -> {hz, at}: the tone last heard there
    this.closed = false;
    this.published = false;
    this.connectedWaiters = new Set();
    this.reconnections = 0;
    this.queue = Promise.resolve();
  }

  /** Runs `job` after the previous media job: offers and answers never interleave. */
  serial(job) {
    const run = this.queue.then(() => (this.closed ? undefined : job()));
    this.queue = run.catch((e) => this.warn("a media job failed", e));
    return run;
  }

  /** A warning on the page's console, naming whose media and what failed. */
  warn(what, e) {
    const why = e instanceof Error || e instanceof DOMException ? `${e.name}: ${e.message}` : String(e);
    console.warn(`media of ${this.connection.userId} in ${this.callId}: ${what}: ${why}${e?.stack ? `\n${e.stack}` : ""}`);
  }

  start() {
    return this.serial(() => this.publish());
  }

  async openMicrophone() {
    const deviceId = this.engine.selected.audioInput;
    if (!this.engine.microphoneEnabled || !deviceId) return null;
    const stream = await this.engine.devices.getUserMedia({
      // The marker tone must arrive as it was played: no processing.
      audio: { deviceId: { exact: deviceId }, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    return stream.getAudioTracks()[0] ?? null;
  }

  async openCamera() {
    const deviceId = this.engine.selected.videoInput;
    if (!this.video || !this.engine.cameraEnabled || !deviceId) return null;
    const config = this.engine.videoConfig;
    const [width, height] = dimensions(config.resolution);
    const stream = await this.engine.devices.getUserMedia({
      video: { deviceId: { exact: deviceId }, width: { exact: width }, height: { exact: height }, frameRate: { exact: config.frameRate } },
    });
    const track = stream.getVideoTracks()[0] ?? null;
    // The configured resolution is what is sent: under a bit-rate cap or a
    // busy CPU the browser would otherwise scale the picture down.
    if (track) track.contentHint = "detail";
    this.capture = track ? { deviceId, config } : null;
    return track;
  }

  async publish() {
    this.audioTrack = await this.openMicrophone();
    this.videoTrack = await this.openCamera();
    this.lowTrack = this.videoTrack ? this.videoTrack.clone() : null;
    await this.connect();
  }

  /** A new peer connection, offered with the current slots; the SFU's answer applied. */
  async connect() {
    const pc = new RTCPeerConnection();
    this.pc = pc;
    this.slots = assignSlots([], this.members);
    const audio = pc.addTransceiver(this.audioTrack ?? "audio", { direction: "sendrecv" });
    const [full, quarter] = this.bitrates();
    const video = pc.addTransceiver(this.videoTrack ?? "video", {
      direction: "sendrecv",
      sendEncodings: [{ maxBitrate: full }],
    });
    const low = pc.addTransceiver(this.lowTrack ?? "video", {
      direction: "sendrecv",
      sendEncodings: [{ scaleResolutionDownBy: 2, maxBitrate: quarter }],
    });
    this.transceivers = [[audio, video]];
    this.lowTransceiver = low;
    for (let k = 1; k < this.slots.length; k++) this.addSlot(pc);
    pc.addEventListener("connectionstatechange", () => this.linkChanged(pc));
    const began = performance.now();
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const offered = performance.now();
    const { sdp } = await this.connection.request("publishMedia", {
      callId: this.callId,
      sdp: pc.localDescription.sdp,
      lowResolutionUserIds: [...this.engine.lowResolution],
      receiveUserIds: this.slots,
    });
    if (this.closed || this.pc !== pc) return;
    await pc.setRemoteDescription({ type: "answer", sdp });
    await this.applyBitrate();
    // A slow set-up is worth a line in the browser log: it is the first
    // thing to look at when a scenario waits in vain for media.
    const took = performance.now() - began;
    if (took > 1_000) {
      const ms = (t) => Math.round(t);
      console.info(`media of ${this.connection.userId} in ${this.callId}: published in ${ms(took)} ms (offer and candidates ${ms(offered - began)} ms, gathering ${pc.iceGatheringState})`);
    }
    this.published = true;
    this.lost = false;
    // A rebuilt connection has new receivers: new players and analysers.
    for (const player of this.players.values()) player.srcObject = null;
    for (const analyser of this.analysers.values()) analyser.disconnect();
    this.players.clear();
    this.analysers.clear();
    this.tones.clear();
    this.bindAll();
    if (!this.watchdog) this.watch();
  }

  addSlot(pc) {
    const a = pc.addTransceiver("audio", { direction: "recvonly" });
    const v = pc.addTransceiver("video", { direction: "recvonly" });
    this.transceivers.push([a, v]);
  }

  /**
   * The full layer at the video config's maximum bit rate, or 0.1 bit per
   * pixel when it sets none (640x480 at 15 fps: ~460 kbit/s); the low layer
   * at a quarter of that (docs/media.md, "Codecs and payload types").
   */
  bitrates() {
    const config = this.engine.videoConfig;
    const [width, height] = dimensions(config.resolution);
    const full = config.maxBitrate ? config.maxBitrate * 1000 : Math.round(0.1 * width * height * config.frameRate);
    return [full, Math.round(full / 4)];
  }

  /** The bit rates again once a camera starts (the config may have changed). */
  async applyBitrate() {
    const [full, quarter] = this.bitrates();
    for (const [sender, bps] of [
      [this.transceivers[0][1].sender, full],
      [this.lowTransceiver.sender, quarter],
    ]) {
      const params = sender.getParameters();
      if (!params.encodings?.length) continue;
      params.encodings[0].maxBitrate = bps;
      params.degradationPreference = "maintain-resolution";
      await sender.setParameters(params).catch(() => {});
    }
  }

  linkChanged(pc) {
    if (pc !== this.pc) return;
    for (const waiter of [...this.connectedWaiters]) waiter();
  }

  /**
   * A media path silent for the engine's loss timeout is lost
   * (docs/reliability.md, "Media reconnect"): the peer connection is
   * closed and a new one built and published, again with backoff
   * (100 ms doubling to 2 s) while that fails, for as long as the call lasts.
   */
  watch() {
    let heard = -1;
    let lastHeardAt = Date.now();
    let lastTick = Date.now();
    this.watchdog = setInterval(async () => {
      // A page that ran late (a busy machine starving the browser) cannot
      // tell a silent path from its own stall: the senders of a test page
      // run in it too. That time does not count as silence.
      const now = Date.now();
      if (now - lastTick > STALL_MS) lastHeardAt = now;
      lastTick = now;
      if (this.closed || !this.published || this.rebuilding) return;
      // Silence counts once the path has carried media: a connection still
      // setting up (slow on a busy machine) is not a lost one.
      if (this.pc.connectionState !== "connected" && !this.wasConnected) {
        lastHeardAt = Date.now();
        return;
      }
      this.wasConnected = true;
      let bytes = 0;
      (await this.pc.getStats()).forEach((s) => {
        if (s.type === "transport") bytes += s.bytesReceived ?? 0;
      });
      if (bytes !== heard) {
        heard = bytes;
        lastHeardAt = Date.now();
      } else if (Date.now() - lastHeardAt > this.engine.mediaLossTimeoutMs) {
        console.info(`media of ${this.connection.userId} in ${this.callId}: nothing received for ${Date.now() - lastHeardAt} ms: rebuilding`);
        heard = -1;
        lastHeardAt = Date.now();
        this.rebuild();
      }
    }, 100);
  }

  /**
   * Closes the lost connection and publishes a new one; while that one does
   * not connect within CONNECT_WAIT_MS (or the loss timeout, if longer),
   * again, with backoff. Only the close-and-publish holds the media queue:
   * a camera switch or a slot change made while the new connection sets up
   * goes to the new connection's senders, instead of waiting seconds behind
   * a connection that may never come.
   */
  rebuild() {
    if (this.rebuilding) return;
    this.rebuilding = true;
    this.lost = true;
    for (const waiter of [...this.connectedWaiters]) waiter();
    const wait = Math.max(this.engine.mediaLossTimeoutMs, CONNECT_WAIT_MS);
    (async () => {
      let backoff = 100;
      while (!this.closed) {
        try {
          await this.serial(async () => {
            this.pc?.close();
            this.published = false;
            this.reconnections += 1;
            this.wasConnected = false;
            await this.connect();
          });
          if (await this.waitConnected(true, wait)) break;
        } catch {
          // The media queue logged it; try again after the backoff.
        }
        this.lost = true;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 2000);
      }
      this.lost = false;
      this.rebuilding = false;
    })();
  }

  isConnected() {
    return !this.lost && this.pc?.connectionState === "connected";
  }

  waitConnected(want, timeoutMs) {
    if (this.isConnected() === want) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        if (this.isConnected() !== want) return;
        this.connectedWaiters.delete(waiter);
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.connectedWaiters.delete(waiter);
        resolve(this.isConnected() === want);
      }, timeoutMs);
      this.connectedWaiters.add(waiter);
    });
  }

  /** The members changed: new slots, sent to the SFU; a re-offer if the call grew. */
  setMembers(members) {
    this.members = members;
    return this.serial(async () => {
      if (!this.published) return;
      const next = assignSlots(this.slots, members);
      if (next.length === this.slots.length && next.every((u, k) => u === this.slots[k])) return;
      const grew = next.length > this.transceivers.length;
      this.slots = next;
      const params = { callId: this.callId, receiveUserIds: next };
      if (grew) {
        while (this.transceivers.length < next.length) this.addSlot(this.pc);
        await this.pc.setLocalDescription(await this.pc.createOffer());
        await gathered(this.pc);
        params.sdp = this.pc.localDescription.sdp;
      }
      const answer = await this.connection.request("updateMedia", params);
      if (grew && answer.sdp) await this.pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
      this.bindAll();
    });
  }

  slotOf(userId) {
    const k = this.slots.indexOf(userId);
    return k === -1 ? null : k;
  }

  /** Each slot's video to its member's view, each slot's audio to a player. */
  bindAll() {
    if (!this.published) return;
    for (let k = 0; k < this.slots.length; k++) {
      const userId = this.slots[k];
      const [audio, video] = this.transceivers[k];
      const view = userId ? this.engine.remoteViews.get(userId) : undefined;
      if (view) {
        const track = video.receiver.track;
        if (view.videoElement.srcObject?.getVideoTracks()[0] !== track) {
          view.videoElement.srcObject = new MediaStream([track]);
          view.videoElement.play?.().catch(() => {});
        }
      }
      if (!this.players.has(k)) {
        const player = new Audio();
        player.srcObject = new MediaStream([audio.receiver.track]);
        player.play().catch(() => {});
        this.players.set(k, player);
        this.listen(k);
      }
    }
    this.routeSpeaker();
    this.bindLocal();
  }

  bindLocal() {
    const view = this.engine.localView;
    if (!view) return;
    const track = this.videoTrack;
    const shown = view.videoElement.srcObject?.getVideoTracks()[0] ?? null;
    if (shown === track) return;
    view.videoElement.srcObject = track ? new MediaStream([track]) : null;
    view.videoElement.play?.().catch(() => {});
  }

  /** Received audio on the selected speaker, where the browser lets a page choose. */
  routeSpeaker() {
    const selected = this.engine.selected.audioOutput;
    // A device source may name its own sinks (virtual speakers have none of the browser's).
    const sink = this.engine.devices.sinkIdOf ? this.engine.devices.sinkIdOf(selected) : selected;
    for (const player of this.players.values()) {
      if (sink !== null && sink !== undefined && player.setSinkId && player.sinkId !== sink) {
        player.setSinkId(sink).catch(() => {});
      }
    }
  }

  /** The camera on or off: a camera that is off sends nothing and is not capturing. */
  setCamera(on) {
    if (!on) {
      // Off at once: the capture stops now, the senders follow in order.
      for (const t of [this.videoTrack, this.lowTrack]) t?.stop();
      this.capture = null;
    }
    return this.serial(async () => {
      if (!this.published) return;
      if (!on) {
        await this.stopCamera();
      } else if (!this.videoTrack) {
        await this.startCamera();
      }
    });
  }

  async stopCamera() {
    await this.transceivers[0][1].sender.replaceTrack(null);
    await this.lowTransceiver.sender.replaceTrack(null);
    this.videoTrack?.stop();
    this.lowTrack?.stop();
    this.videoTrack = this.lowTrack = null;
    this.capture = null;
    this.bindLocal();
  }

  async startCamera() {
    this.videoTrack = await this.openCamera();
    this.lowTrack = this.videoTrack ? this.videoTrack.clone() : null;
    await this.transceivers[0][1].sender.replaceTrack(this.videoTrack);
    await this.lowTransceiver.sender.replaceTrack(this.lowTrack);
    await this.applyBitrate();
    this.bindLocal();
  }

  /** A camera switch (or the camera going away): capture starts again, with the config now. */
  restartCamera() {
    return this.serial(async () => {
      if (!this.published || !this.videoTrack) return;
      await this.stopCamera();
      await this.startCamera();
    });
  }

  setMicrophone(on) {
    return this.serial(async () => {
      if (!this.published) return;
      if (!on) {
        await this.transceivers[0][0].sender.replaceTrack(null);
        this.audioTrack?.stop();
        this.audioTrack = null;
      } else if (!this.audioTrack) {
        this.audioTrack = await this.openMicrophone();
        await this.transceivers[0][0].sender.replaceTrack(this.audioTrack);
      }
    });
  }

  restartMicrophone() {
    return this.serial(async () => {
      if (!this.published || !this.audioTrack) return;
      this.audioTrack.stop();
      this.audioTrack = await this.openMicrophone();
      await this.transceivers[0][0].sender.replaceTrack(this.audioTrack);
    });
  }

  /** The media type changed: video starts or stops. */
  setVideo(video) {
    this.video = video;
    return this.serial(async () => {
      if (!this.published) return;
      if (video && !this.videoTrack) await this.startCamera();
      if (!video && this.videoTrack) await this.stopCamera();
    });
  }

  /** Subscribes the full or low layer of `userId` (a view bound during the call). */
  subscribe(userId, lowResolution) {
    if (!this.published) return;
    this.connection.request("subscribeVideo", { callId: this.callId, userId, lowResolution }).catch(() => {});
  }

  // ---- what a test app reads (the driver protocol's instrumentation) ----

  async inbound(kind, k) {
    const pair = k === undefined ? null : this.transceivers[k];
    const stats = pair ? await pair[kind === "audio" ? 0 : 1].receiver.getStats() : await this.pc?.getStats();
    const out = [];
    stats?.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === kind) out.push(s);
    });
    return out;
  }

  async stats() {
    const audio = await this.inbound("audio");
    const video = await this.inbound("video");
    let rtt = null;
    (await this.pc?.getStats())?.forEach((s) => {
      if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime !== undefined) {
        rtt = Math.round(s.currentRoundTripTime * 1000);
      }
    });
    return {
      connected: this.isConnected(),
      audioPacketsReceived: audio.reduce((n, s) => n + (s.packetsReceived ?? 0), 0),
      videoFramesReceived: video.reduce((n, s) => n + (s.framesDecoded ?? 0), 0),
      roundTripTimeMs: rtt,
      mediaReconnections: this.reconnections,
    };
  }

  async audioPacketsFrom(userId) {
    const k = this.slotOf(userId);
    if (k === null || !this.published) return 0;
    return (await this.inbound("audio", k)).reduce((n, s) => n + (s.packetsReceived ?? 0), 0);
  }

  /**
   * The marker tone last heard from `userId`, or null: what the analyser
   * read in the last TONE_HOLD_MS (the browser plays audio out some tens of
   * milliseconds after it arrives, so one reading can fall in a gap).
   */
  heardToneFrom(userId) {
    const k = this.slotOf(userId);
    const heard = k === null ? undefined : this.tones.get(k);
    if (!heard || performance.now() - heard.at > TONE_HOLD_MS) return null;
    return heard.hz;
  }

  /** Slot `k`'s audio into an analyser, read every 20 ms for the marker tone. */
  listen(k) {
    const context = this.engine.audioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 2048;
    context.createMediaStreamSource(new MediaStream([this.transceivers[k][0].receiver.track])).connect(analyser);
    this.analysers.set(k, analyser);
    const samples = new Float32Array(analyser.fftSize);
    this.toneTimer ??= setInterval(() => {
      for (const [slot, a] of this.analysers) {
        a.getFloatTimeDomainData(samples);
        const hz = detectTone(samples, a.context.sampleRate);
        if (hz !== null) this.tones.set(slot, { hz, at: performance.now() });
      }
    }, 20);
  }

  close() {
    this.closed = true;
    clearInterval(this.watchdog);
    clearInterval(this.toneTimer);
    this.pc?.close();
    for (const t of [this.audioTrack, this.videoTrack, this.lowTrack]) t?.stop();
    for (const player of this.players.values()) player.srcObject = null;
    for (const analyser of this.analysers.values()) analyser.disconnect();
    this.capture = null;
    const local = this.engine.localView?.videoElement;
    if (local) local.srcObject = null;
    for (const waiter of [...this.connectedWaiters]) waiter();
  }
}
