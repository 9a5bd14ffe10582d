// NCCallConnectionQualityHandler's callbacks, from the browser's own
// WebRTC statistics every second of a call with media (docs/media.md,
// "Connection quality"): receive quality per remote member from the
// inbound audio of their slot (loss in the interval, interarrival
// jitter), send quality from the receiver reports the SFU sends back
// (remote-inbound-rtp: loss, round trip), volume 0-9 from audio levels.
// A callback fires when its value changed.

import { NCCallQuality as Q } from "./enums.js";

const INTERVAL_MS = 1000;

/** The levels of docs/media.md: loss and round trip, capped by jitter. */
export function qualityOf(loss, rttMs, jitterMs) {
  let q;
  if (loss < 0.01 && (rttMs ?? 0) < 100) q = Q.EXCELLENT;
  else if (loss < 0.03) q = Q.GOOD;
  else if (loss < 0.1) q = Q.POOR;
  else if (loss < 0.2) q = Q.BAD;
  else q = Q.VERY_BAD;
  const byJitter = jitterMs < 30 ? Q.EXCELLENT : jitterMs < 50 ? Q.GOOD : jitterMs < 100 ? Q.POOR : Q.BAD;
  return Math.max(q, byJitter);
}

/** An audio level (0..1, RMS-like) on the ancestor's 0-9 scale. */
export function volumeOf(level) {
  return Math.max(0, Math.min(9, Math.round((level ?? 0) * 15)));
}

export class QualityMonitor {
  constructor(engine) {
    this.engine = engine;
    this.handler = null;
    this.timer = null;
    this.media = null;
  }

  setHandler(handler) {
    this.handler = handler;
  }

  start(media) {
    this.stop();
    this.media = media;
    this.last = { send: null, receive: new Map(), volumes: null };
    this.counters = new Map();
    this.timer = setInterval(() => this.sample().catch(() => {}), INTERVAL_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.media = null;
  }

  emit(name, event) {
    try {
      this.handler?.[name]?.(event);
    } catch (e) {
      console.error(`${name} threw`, e);
    }
  }

  async sample() {
    const media = this.media;
    if (!media?.published || !this.handler) return;
    const me = this.engine.book.me;
    const volumes = [];
    // Send: what the SFU reports of this side's audio.
    const sender = await media.transceivers[0][0].sender.getStats();
    let send = null;
    let localLevel = 0;
    sender.forEach((s) => {
      if (s.type === "remote-inbound-rtp") {
        const rtt = s.roundTripTime === undefined ? null : Math.round(s.roundTripTime * 1000);
        send = { loss: s.fractionLost ?? 0, rtt };
      }
      if (s.type === "media-source" && s.kind === "audio") localLevel = s.audioLevel ?? 0;
    });
    volumes.push({ userId: me, level: media.audioTrack ? volumeOf(localLevel) : 0 });
    if (send) {
      const quality = qualityOf(send.loss, send.rtt, 0);
      const event = { quality, packetLossRate: send.loss, roundTripTimeMs: send.rtt };
      if (this.last.send?.quality !== quality) this.emit("onSendQualityChanged", event);
      this.last.send = event;
    }
    // Receive: each remote member's slot.
    for (const [k, userId] of media.slots.entries()) {
      if (!userId) continue;
      // Loss over every stream of the slot; jitter and level from its audio.
      const [inbound] = await media.inbound("audio", k);
      const [video] = await media.inbound("video", k);
      const before = this.counters.get(userId) ?? { received: 0, lost: 0 };
      const received = (inbound?.packetsReceived ?? 0) + (video?.packetsReceived ?? 0);
      const lost = (inbound?.packetsLost ?? 0) + (video?.packetsLost ?? 0);
      this.counters.set(userId, { received, lost });
      const dReceived = Math.max(0, received - before.received);
      const dLost = Math.max(0, lost - before.lost);
      const expected = dReceived + dLost;
      const jitterMs = Math.round((inbound?.jitter ?? 0) * 1000);
      const loss = expected > 0 ? dLost / expected : 0;
      const quality = dReceived === 0 ? Q.DOWN : qualityOf(loss, null, jitterMs);
      const event = { userId, quality, packetLossRate: loss, jitterMs };
      if (this.last.receive.get(userId)?.quality !== quality) this.emit("onReceiveQualityChanged", event);
      this.last.receive.set(userId, event);
      volumes.push({ userId, level: dReceived === 0 ? 0 : volumeOf(inbound?.audioLevel) });
    }
    const key = JSON.stringify(volumes);
    if (this.last.volumes !== key) this.emit("onAudioVolumeChanged", { volumes });
    this.last.volumes = key;
  }
}
