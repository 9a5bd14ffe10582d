// One side of a one-to-one video call, driven by its URL, reporting what it
// sees and hears (for tests/browser_media.rs):
//
//   media-call.html?ws=ws://...&app=conformance&token=alice-token
//     &call=bob        place a call to bob (or &answer=1: answer the first incoming call)
//     &publishDelayMs=2000   wait this long after the call connects before publishing
//     &report=/report  where to POST the report (JSON), four times a second
//
// The camera and microphone are the browser's fake devices, playing the
// files `nccall-conformance capture-files` writes for this page's user.

import { Signaling } from "../lib/signaling.js";
import { publish, watchAudio, watchVideo } from "../lib/media.js";

const params = new URLSearchParams(location.search);
const report = {
  userId: null,
  state: "starting",
  error: null,
  callId: null,
  connectedAt: null,
  publishedAt: null,
  mediaConnectedAt: null,
  framesDecoded: 0,
  // Pictures whose marker read, by sender tag: count, first and last frame
  // number, when the first arrived (ms of the Unix epoch), last size.
  markers: {},
  heardHz: null,
  heardAt: null,
  // The main video m-line's RTP statistics (W3C webrtc-stats names): what
  // the sender was asked for and encoded, what the receiver asked for.
  videoSent: null,
  videoReceived: null,
};

let peer = null;

async function sampleStats() {
  const video = peer?.getTransceivers()[1];
  if (!video) return;
  const pick = async (side, type, fields) => {
    for (const stat of (await side.getStats()).values()) {
      if (stat.type === type) return Object.fromEntries(fields.map((f) => [f, stat[f] ?? 0]));
    }
    return null;
  };
  report.videoSent = await pick(video.sender, "outbound-rtp", [
    "pliCount",
    "firCount",
    "keyFramesEncoded",
    "framesEncoded",
  ]);
  report.videoReceived = await pick(video.receiver, "inbound-rtp", [
    "pliCount",
    "firCount",
    "keyFramesDecoded",
    "framesDecoded",
  ]);
}

async function post() {
  await sampleStats().catch(() => {});
  fetch(params.get("report") ?? "/report", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(report),
  }).catch(() => {});
}
setInterval(post, 250);

function fail(error) {
  report.state = "failed";
  report.error = String(error?.message ?? error);
  post();
}

function onRemote(track) {
  if (track.kind === "video") {
    watchVideo(track, (marker, width, height) => {
      report.framesDecoded += 1;
      if (!marker) return;
      const seen = (report.markers[marker.tag] ??= {
        count: 0,
        firstNumber: marker.number,
        lastNumber: marker.number,
        firstAt: Date.now(),
        width,
        height,
      });
      seen.count += 1;
      seen.lastNumber = marker.number;
      seen.width = width;
      seen.height = height;
    });
  } else {
    watchAudio(track, (hz) => {
      if (hz !== null && report.heardHz !== hz) {
        report.heardHz = hz;
        report.heardAt = Date.now();
      }
    });
  }
}

async function onConnected(signaling, callId) {
  report.state = "connected";
  report.connectedAt = Date.now();
  const stream = await navigator.mediaDevices.getUserMedia({
    // The tone must arrive as it was played: no processing.
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    video: true,
  });
  const delay = Number(params.get("publishDelayMs") ?? 0);
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  report.publishedAt = Date.now();
  const pc = await publish(signaling, callId, stream, onRemote);
  peer = pc;
  report.state = "published";
  pc.addEventListener("connectionstatechange", () => {
    if (pc.connectionState === "connected") report.mediaConnectedAt = Date.now();
  });
}

async function main() {
  let signaling;
  const onEvent = (event) => {
    if (event.event === "callReceived" && params.get("answer")) {
      report.callId = event.callId;
      signaling.request("acceptCall", { callId: event.callId }).catch(fail);
    } else if (event.event === "callConnected" && event.callId === report.callId) {
      onConnected(signaling, event.callId).catch(fail);
    } else if (event.event === "callEnded" && event.callId === report.callId) {
      report.state = `ended: ${event.reason}`;
    }
  };
  signaling = await Signaling.open(params.get("ws"), onEvent);
  const hello = await signaling.hello(params.get("app"), params.get("token"), "browser");
  report.userId = hello.userId;
  report.state = "online";
  const callee = params.get("call");
  if (callee) {
    const result = await signaling.request("startCall", {
      calleeIds: [callee],
      callType: "SINGLE",
      mediaType: "AUDIO_VIDEO",
    });
    report.callId = result.callId;
    report.state = "calling";
  }
}

main().catch(fail);
