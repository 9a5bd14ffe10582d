// The floor for call setup in a browser (docs/perf.md): two bare peer
// connections in this page, each sending a virtual camera (the same marker
// camera the engines use), signalled in-page (offer, answer, trickled
// candidates), H.264 only like the SFU's answer, from the cameras opening
// to the first decoded picture on both sides. No server, no SFU, no
// driver hop: the least a call's media setup can cost in this browser.

import { VirtualDevices } from "./virtual-devices.js";

const H264 = (c) => c.mimeType === "video/H264" && /profile-level-id=42e01f/.test(c.sdpFmtpLine ?? "") && /packetization-mode=1/.test(c.sdpFmtpLine ?? "");

function firstFrame(track) {
  const video = document.createElement("video");
  video.muted = true;
  video.srcObject = new MediaStream([track]);
  document.body.append(video);
  return new Promise((resolve) => {
    video.requestVideoFrameCallback(() => {
      video.srcObject = null;
      video.remove();
      resolve();
    });
    video.play().catch(() => {});
  });
}

/** One measured pair: milliseconds from the cameras opening to both sides decoding. */
export async function loopbackPair(fixture, audioContext) {
  const start = performance.now();
  const cameras = await Promise.all(
    ["alice", "bob"].map(async (user) => {
      const devices = new VirtualDevices(fixture, user, audioContext);
      const stream = await devices.getUserMedia({ video: { width: 640, height: 480, frameRate: 15 } });
      return stream.getVideoTracks()[0];
    }),
  );
  const [a, b] = [new RTCPeerConnection(), new RTCPeerConnection()];
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate).catch(() => {});
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate).catch(() => {});
  const arrived = [a, b].map((pc) => new Promise((resolve) => (pc.ontrack = (e) => resolve(e.track))));
  const h264 = RTCRtpReceiver.getCapabilities("video").codecs.filter(H264);
  const offered = a.addTransceiver(cameras[0], { direction: "sendrecv" });
  if (h264.length) offered.setCodecPreferences(h264);
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  // b's camera rides on the m-line a offered: one negotiation.
  const [answered] = b.getTransceivers();
  answered.direction = "sendrecv";
  await answered.sender.replaceTrack(cameras[1]);
  if (h264.length) answered.setCodecPreferences(h264);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  const tracks = await Promise.all(arrived);
  await Promise.all(tracks.map(firstFrame));
  const ms = performance.now() - start;
  for (const pc of [a, b]) pc.close();
  for (const c of cameras) c.stop();
  return ms;
}
