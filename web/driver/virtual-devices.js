// The suite's virtual devices (fixtures/devices.yaml, handed to the page
// by the suite) for one participant, behind the browser's MediaDevices
// interface: enumerateDevices(), getUserMedia() and `devicechange`. Each
// camera is a canvas drawing this user's marker (docs/media.md,
// "Markers": sender tag, frame number, capture time, live), each
// microphone an oscillator at this user's tone. The engine cannot tell
// them from real devices: they are what Chromium's fake devices would be
// if one browser could fake a different camera per user.

import { tagOf, toneHz } from "../lib/markers.js";

const KIND = { microphones: "audioinput", speakers: "audiooutput", cameras: "videoinput" };
const FIELD_20 = (1 << 20) - 1;

/** CRC-8, polynomial 0x07, initial 0. */
function crc8(bytes) {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** The 64 bits of a marker word, most significant first. */
function markerBits(tag, number, captureMs) {
  const n = number & FIELD_20;
  const t = captureMs & FIELD_20;
  const bytes = [tag >> 8, tag & 0xff, n >> 12, (n >> 4) & 0xff, ((n & 0x0f) << 4) | (t >> 16), (t >> 8) & 0xff, t & 0xff];
  bytes.push(crc8(bytes));
  return bytes.flatMap((b) => Array.from({ length: 8 }, (_, i) => (b >> (7 - i)) & 1));
}

/** Grain: ±8 luma (docs/media.md), drawn additively as 0..16 over cells 8 darker. */
const GRAIN = 8;
/** How far the grain pattern moves between frames, at most, in pixels. */
const GRAIN_SHIFT = 64;

/** A canvas of uniform noise, 0..2·GRAIN on every channel. */
function grain(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext("2d");
  const image = g.createImageData(width, height);
  for (let i = 0; i < image.data.length; i += 4) {
    const v = Math.floor(Math.random() * (2 * GRAIN + 1));
    image.data[i] = image.data[i + 1] = image.data[i + 2] = v;
    image.data[i + 3] = 255;
  }
  g.putImageData(image, 0, 0);
  return canvas;
}

/** A camera: a canvas of `width`x`height` redrawn `fps` times a second with the marker. */
function markerCamera(tag, width, height, fps) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext("2d");
  const cw = Math.floor(width / 8);
  const ch = Math.floor(height / 8);
  const noise = grain(width + GRAIN_SHIFT, height + GRAIN_SHIFT);
  let number = 0;
  const draw = () => {
    number += 1;
    const bits = markerBits(tag, number, Date.now());
    // Cells 8 below their luma; the grain adds 0..16 back, so each pixel
    // is within ±8 of it and the cell's mean is the marker's.
    g.globalCompositeOperation = "source-over";
    g.fillStyle = "rgb(120,120,120)";
    g.fillRect(0, 0, width, height);
    for (let i = 0; i < 64; i++) {
      const v = (bits[i] ? 235 : 16) - GRAIN;
      g.fillStyle = `rgb(${v},${v},${v})`;
      g.fillRect((i % 8) * cw, Math.floor(i / 8) * ch, cw, ch);
    }
    // New grain every frame (the same noise, shifted at random), so the
    // encoder spends a camera's bit rate, as the reference engine's does.
    g.globalCompositeOperation = "lighter";
    g.drawImage(noise, -Math.floor(Math.random() * GRAIN_SHIFT), -Math.floor(Math.random() * GRAIN_SHIFT));
  };
  draw();
  const timer = setInterval(draw, 1000 / fps);
  const [track] = canvas.captureStream(fps).getVideoTracks();
  const stop = track.stop.bind(track);
  track.stop = () => {
    clearInterval(timer);
    stop();
  };
  return track;
}

export class VirtualDevices extends EventTarget {
  /** @param {object} fixture `{microphones, speakers, cameras}` as fixtures/devices.yaml has them */
  constructor(fixture, userId, audioContext) {
    super();
    this.userId = userId;
    this.audioContext = audioContext;
    this.devices = [];
    for (const [group, kind] of Object.entries(KIND)) {
      for (const d of fixture[group] ?? []) {
        this.devices.push({ deviceId: d.id, label: d.label, kind, plugged: d.plugged !== false });
      }
    }
  }

  async enumerateDevices() {
    return this.devices
      .filter((d) => d.plugged)
      .map(({ deviceId, label, kind }) => ({ deviceId, label, kind, groupId: "" }));
  }

  /** The browser's audio sink for a speaker: the default one, for every virtual speaker. */
  sinkIdOf() {
    return "";
  }

  /** Plugs a device in or out; false if there is no such device. */
  setPlugged(deviceId, plugged) {
    const device = this.devices.find((d) => d.deviceId === deviceId);
    if (!device) return false;
    device.plugged = plugged;
    this.dispatchEvent(new Event("devicechange"));
    return true;
  }

  find(constraint, kind) {
    const wanted = constraint?.deviceId?.exact ?? constraint?.deviceId;
    const device = this.devices.find((d) => d.kind === kind && d.plugged && (!wanted || d.deviceId === wanted));
    if (!device) throw new DOMException(`no ${kind} ${wanted ?? ""}`, "NotFoundError");
    return device;
  }

  async getUserMedia(constraints) {
    const tracks = [];
    if (constraints.audio) {
      this.find(constraints.audio, "audioinput");
      const oscillator = this.audioContext.createOscillator();
      oscillator.frequency.value = toneHz(tagOf(this.userId));
      const gain = this.audioContext.createGain();
      gain.gain.value = 0.5;
      const out = this.audioContext.createMediaStreamDestination();
      oscillator.connect(gain).connect(out);
      oscillator.start();
      const [track] = out.stream.getAudioTracks();
      const stop = track.stop.bind(track);
      track.stop = () => {
        oscillator.stop();
        oscillator.disconnect();
        stop();
      };
      tracks.push(track);
    }
    if (constraints.video) {
      this.find(constraints.video, "videoinput");
      const v = constraints.video;
      const pick = (c, fallback) => c?.exact ?? c?.ideal ?? (typeof c === "number" ? c : fallback);
      tracks.push(markerCamera(tagOf(this.userId), pick(v.width, 640), pick(v.height, 480), pick(v.frameRate, 15)));
    }
    return new MediaStream(tracks);
  }
}
