// A view's frames as the driver protocol's `frame` messages
// (docs/driver-protocol.md, "Frames"): every picture the <video> element
// presents (requestVideoFrameCallback), its size, and the marker read off
// it: sender tag, frame number, camera-to-view delay.

import { readMarker } from "../lib/markers.js";

const FIELD_20 = 1 << 20;

/** Reports each frame `video` shows to `report(frame)`; returns a stop function. */
export function watchFrames(video, report) {
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let stopped = false;
  let handle = null;
  const onFrame = () => {
    if (stopped) return;
    const { videoWidth: width, videoHeight: height } = video;
    if (width > 0 && height > 0 && video.srcObject) {
      canvas.width = width;
      canvas.height = height;
      context.drawImage(video, 0, 0, width, height);
      const marker = readMarker(context.getImageData(0, 0, width, height));
      const frame = { number: 0, width, height, delayMs: 0 };
      if (marker) {
        frame.number = marker.number;
        frame.senderTag = marker.tag;
        frame.delayMs = (((Date.now() % FIELD_20) - marker.captureMs) % FIELD_20 + FIELD_20) % FIELD_20;
      }
      report(frame);
    }
    handle = video.requestVideoFrameCallback(onFrame);
  };
  handle = video.requestVideoFrameCallback(onFrame);
  return () => {
    stopped = true;
    if (handle !== null) video.cancelVideoFrameCallback(handle);
  };
}
