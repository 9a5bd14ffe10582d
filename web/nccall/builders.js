// The spec's builders: createVideoConfigBuilder() and
// createAndroidPushConfigBuilder(), with the limits of docs/codes.md
// (PARAM_ERROR): bit rates 1..=10,000 kbps and min <= max; push title
// <= 128 bytes, content <= 1,024, Android values <= 256.

import { NCCallCode, NCCallVideoFrameRate, NCCallVideoResolution } from "./enums.js";

const MAX_BITRATE_KBPS = 10_000;
const bytes = (s) => new TextEncoder().encode(s).length;

/** The spec's defaults: 640x480 at 15 frames a second. */
export const DEFAULT_VIDEO_CONFIG = Object.freeze({
  resolution: NCCallVideoResolution.RESOLUTION_640X480,
  frameRate: NCCallVideoFrameRate.FPS_15,
  minBitrate: null,
  maxBitrate: null,
});

export class NCVideoConfigBuilder {
  constructor() {
    this.config = { ...DEFAULT_VIDEO_CONFIG };
  }
  setResolution(resolution) {
    this.config.resolution = resolution;
    return this;
  }
  setFrameRate(frameRate) {
    this.config.frameRate = frameRate;
    return this;
  }
  setMinBitrate(kbps) {
    this.config.minBitrate = kbps;
    return this;
  }
  setMaxBitrate(kbps) {
    this.config.maxBitrate = kbps;
    return this;
  }
  /** `{code, config}`: PARAM_ERROR for an unknown resolution or frame rate, or bad bit rates. */
  build() {
    const c = { ...this.config };
    const bad = (message) => ({ code: NCCallCode.PARAM_ERROR, message });
    if (typeof NCCallVideoResolution[c.resolution] !== "string") return bad(`unknown resolution ${c.resolution}`);
    if (typeof NCCallVideoFrameRate[c.frameRate] !== "string") return bad(`unknown frame rate ${c.frameRate}`);
    for (const kbps of [c.minBitrate, c.maxBitrate]) {
      if (kbps !== null && !(Number.isInteger(kbps) && kbps >= 1 && kbps <= MAX_BITRATE_KBPS)) {
        return bad(`a bit rate must be 1..=${MAX_BITRATE_KBPS} kbps, not ${kbps}`);
      }
    }
    if (c.minBitrate !== null && c.maxBitrate !== null && c.minBitrate > c.maxBitrate) {
      return bad(`minimum bit rate ${c.minBitrate} is above the maximum ${c.maxBitrate}`);
    }
    return { code: NCCallCode.SUCCESS, config: Object.freeze(c) };
  }
}

/** Width and height of a resolution: RESOLUTION_640X480 -> [640, 480]. */
export function dimensions(resolution) {
  const [w, h] = NCCallVideoResolution[resolution].slice("RESOLUTION_".length).split("X").map(Number);
  return [w, h];
}

const ANDROID_KEYS = [
  "notificationId",
  "channelIdMi",
  "channelIdHuawei",
  "channelIdOppo",
  "typeVivo",
  "importanceHuawei",
  "imageUrlHuawei",
  "fcmCollapseKey",
  "fcmImageUrl",
  "fcmChannelId",
];

export class NCAndroidPushConfigBuilder {
  constructor() {
    this.android = {};
    for (const key of ANDROID_KEYS) {
      const setter = `set${key[0].toUpperCase()}${key.slice(1)}`;
      this[setter] = (value) => {
        this.android[key] = String(value);
        return this;
      };
    }
  }
  /** `{code, config}` with the Android settings, checked. */
  build() {
    const problem = checkAndroid(this.android);
    if (problem) return { code: NCCallCode.PARAM_ERROR, message: problem };
    return { code: NCCallCode.SUCCESS, config: Object.freeze({ ...this.android }) };
  }
}

function checkAndroid(android) {
  for (const [key, value] of Object.entries(android ?? {})) {
    if (!ANDROID_KEYS.includes(key)) return `unknown Android push key ${key}`;
    if (bytes(String(value)) > 256) return `${key} is over 256 bytes`;
  }
  if (android?.typeVivo !== undefined && !["0", "1"].includes(android.typeVivo)) return "typeVivo is 0 or 1";
  if (android?.importanceHuawei !== undefined && !["NORMAL", "LOW"].includes(android.importanceHuawei)) {
    return "importanceHuawei is NORMAL or LOW";
  }
  return null;
}

/** The problem with an NCCallPushConfig `{pushTitle, pushContent, android}`, or null. */
export function checkPushConfig(push) {
  if (push === undefined || push === null) return null;
  if (push.pushTitle !== undefined && push.pushTitle !== null && bytes(push.pushTitle) > 128) {
    return "pushTitle is over 128 bytes";
  }
  if (push.pushContent !== undefined && push.pushContent !== null && bytes(push.pushContent) > 1024) {
    return "pushContent is over 1024 bytes";
  }
  return checkAndroid(push.android);
}
