// The media markers of docs/media.md ("Markers"), read in a browser: who
// sent a picture, which frame, when it was captured; and whose tone a
// stretch of audio carries. Written from that page, not from the Rust.

const GRID = 8;
const FIELD_20 = (1 << 20) - 1;

/** The sender tag of a user id: FNV-1a (32-bit) of its UTF-8, folded to 16 bits. */
export function tagOf(userId) {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(userId)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return ((hash >>> 16) ^ (hash & 0xffff)) & 0xffff;
}

/** The tone a tag's microphone plays, in Hz. */
export function toneHz(tag) {
  return 300 + 100 * (tag % 20);
}

/** The 20 candidate tone frequencies, lowest first. */
export const TONE_FREQUENCIES = Array.from({ length: 20 }, (_, k) => 300 + 100 * k);

/** CRC-8, polynomial 0x07, initial 0, over `bytes`. */
function crc8(bytes) {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) {
      crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
    }
  }
  return crc;
}

/**
 * Reads the marker from RGBA pixels (`ImageData`-like: width, height, data).
 * Returns `{tag, number, captureMs}`, or null when the CRC fails.
 */
export function readMarker(image) {
  const { width, height, data } = image;
  if (width < GRID * 2 || height < GRID * 2) return null;
  const cw = Math.floor(width / GRID);
  const ch = Math.floor(height / GRID);
  const bits = [];
  for (let row = 0; row < GRID; row++) {
    for (let col = 0; col < GRID; col++) {
      // The mean luma of the cell's central half.
      const x0 = col * cw + Math.floor(cw / 4);
      const x1 = (col + 1) * cw - Math.floor(cw / 4);
      const y0 = row * ch + Math.floor(ch / 4);
      const y1 = (row + 1) * ch - Math.floor(ch / 4);
      let sum = 0;
      let n = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = (y * width + x) * 4;
          sum += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
          n++;
        }
      }
      bits.push(n > 0 && sum / n >= 128 ? 1 : 0);
    }
  }
  const bytes = [];
  for (let b = 0; b < 8; b++) {
    let v = 0;
    for (let i = 0; i < 8; i++) v = (v << 1) | bits[b * 8 + i];
    bytes.push(v);
  }
  // An all-zero word passes its CRC, and is what a black picture reads as.
  if (bytes.every((b) => b === 0) || crc8(bytes.slice(0, 7)) !== bytes[7]) return null;
  // tag u16 | number u20 | capture_ms u20 | crc8, most significant first.
  const tag = (bytes[0] << 8) | bytes[1];
  const number = ((bytes[2] << 12) | (bytes[3] << 4) | (bytes[4] >> 4)) & FIELD_20;
  const captureMs = (((bytes[4] & 0x0f) << 16) | (bytes[5] << 8) | bytes[6]) & FIELD_20;
  return { tag, number, captureMs };
}

/** Goertzel power of `samples` (floats, any scale) at `hz`, normalised by length². */
function goertzel(samples, sampleRate, hz) {
  const w = (2 * Math.PI * hz) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (const s of samples) {
    const s0 = s + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (samples.length * samples.length);
}

/**
 * The marker tone heard in `samples` (floats in [-1, 1]), or null: the
 * strongest candidate, if it carries more than 30 % of the energy and the
 * audio is not silence (mean energy under about -50 dBFS).
 */
export function detectTone(samples, sampleRate) {
  if (samples.length < 160) return null;
  let energy = 0;
  for (const s of samples) energy += s * s;
  energy /= samples.length;
  // docs/media.md's floor of 1,000 on the i16 scale.
  if (energy < 1000 / (32768 * 32768)) return null;
  let best = null;
  let bestPower = -1;
  for (const hz of TONE_FREQUENCIES) {
    const p = goertzel(samples, sampleRate, hz);
    if (p > bestPower) {
      bestPower = p;
      best = hz;
    }
  }
  return bestPower / energy > 0.3 ? best : null;
}
