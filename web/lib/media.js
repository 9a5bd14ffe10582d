// Media to and from the simulator's SFU as docs/media.md ("Flow",
// "Codecs and payload types") describes it: one peer connection, m-lines
// audio, video, low video, an offer gathered before it is sent. The offer
// is Chromium's own (VP8 first): the SFU answers Opus and H.264
// constrained baseline only, so that is what flows.

import { detectTone, readMarker } from "./markers.js";

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") resolve();
    });
  });
}

/**
 * Publishes `stream` (one audio and one video track) in call `callId` over
 * `signaling`, and hands what arrives on receive slot 0 to `onRemote(track)`.
 * Resolves with the peer connection once the SFU's answer is applied.
 */
export async function publish(signaling, callId, stream, onRemote) {
  const pc = new RTCPeerConnection();
  const [audio] = stream.getAudioTracks();
  const [video] = stream.getVideoTracks();
  const audioT = pc.addTransceiver(audio ?? "audio", { direction: "sendrecv" });
  const videoT = pc.addTransceiver(video ?? "video", { direction: "sendrecv" });
  // The low layer: the same camera at half width and height.
  const lowT = pc.addTransceiver(video ? video.clone() : "video", {
    direction: "sendrecv",
    sendEncodings: [{ scaleResolutionDownBy: 2 }],
  });
  pc.ontrack = (event) => {
    // Slot 0 is m-lines 0 and 1; m-line 2 only sends.
    if (event.transceiver === audioT || event.transceiver === videoT) onRemote(event.track);
  };
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const { sdp } = await signaling.request("publishMedia", {
    callId,
    sdp: pc.localDescription.sdp,
  });
  await pc.setRemoteDescription({ type: "answer", sdp });
  return pc;
}

/**
 * Watches a remote video track: calls `onMarker(marker, width, height)`
 * for every decoded picture (marker null when none reads).
 */
export function watchVideo(track, onMarker) {
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  document.body.append(video);
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const onFrame = () => {
    const { videoWidth: width, videoHeight: height } = video;
    if (width > 0 && height > 0) {
      canvas.width = width;
      canvas.height = height;
      context.drawImage(video, 0, 0, width, height);
      onMarker(readMarker(context.getImageData(0, 0, width, height)), width, height);
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  video.play().catch(() => {});
  return video;
}

/** Watches a remote audio track: calls `onTone(hz or null)` ten times a second. */
export function watchAudio(track, onTone) {
  const stream = new MediaStream([track]);
  // Chromium routes a remote track to WebAudio only while a media element plays it.
  const element = new Audio();
  element.muted = true;
  element.srcObject = stream;
  element.play().catch(() => {});
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  return setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    onTone(detectTone(samples, context.sampleRate));
  }, 100);
}
