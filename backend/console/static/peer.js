// A browser benchmark peer: two of these pages make a Chromium-to-Chromium
// call, with SDP exchanged by the test through page.evaluate. The sender draws
// a moving picture and the frame stamp on a 1280x720 canvas and sends
// canvas.captureStream(), so browser->browser latency is read exactly like
// kiosk->browser latency (the fake camera's frames carry no stamp).
// With `sendCamera`, the receiver sends its fake camera back and the sender
// shows it, so the call is two-way like a kiosk's; with `relayOnly`, both use
// TURN relay candidates only, like the kiosk on loopback.

import { StampMonitor, nowMs, visioStats, writeStamp } from "./stamp.js";

const GATHERING_TIMEOUT_MS = 5_000;

const peer = {
  pc: null,
  timer: null,
  monitor: null,
  startedAt: null,
  setupMs: null, // from startReceiver() to the first presented remote frame
  offeredAtMs: null, // Date.now() when the sender started (its offer): a call's setup begins
  firstFrameAtMs: null, // Date.now() of this page's first presented remote frame
  framesDrawn: 0,
};

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, GATHERING_TIMEOUT_MS);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

function drawLoop(canvas, fps) {
  const ctx = canvas.getContext("2d");
  const draw = () => {
    // Something that moves, so the encoder sends real inter frames.
    const t = performance.now() / 1000;
    ctx.fillStyle = "#3a6ea5";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#f2c14e";
    const x = (Math.sin(t) * 0.4 + 0.5) * canvas.width;
    ctx.fillRect(x - 80, canvas.height / 2 - 80, 160, 160);
    writeStamp(ctx, canvas.width, nowMs());
    peer.framesDrawn += 1;
  };
  draw();
  // A timer, not requestAnimationFrame: rAF stops when the page is hidden.
  peer.timer = setInterval(draw, 1000 / fps);
}

function configuration(iceServers, relayOnly) {
  return { iceServers, bundlePolicy: "max-bundle", iceTransportPolicy: relayOnly ? "relay" : "all" };
}

function showRemote(pc, video) {
  pc.addEventListener("track", (event) => {
    if (event.track.kind !== "video") return;
    video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
    video.play().catch(() => undefined);
  });
  // "loadeddata": the first remote frame is decoded and can be shown. (A frame
  // callback asked for before the element has media is sometimes never run.)
  video.addEventListener(
    "loadeddata",
    () => {
      peer.firstFrameAtMs ??= Date.now();
      if (peer.startedAt !== null) peer.setupMs ??= performance.now() - peer.startedAt;
    },
    { once: true },
  );
}

/** Start the sending side; resolves to the complete offer SDP. */
async function startSender({
  width = 1280,
  height = 720,
  fps = 30,
  source = "canvas",
  iceServers = [],
  relayOnly = false,
} = {}) {
  peer.offeredAtMs = Date.now();
  let stream;
  if (source === "camera") {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width, height, frameRate: fps }, audio: false });
  } else {
    const canvas = document.getElementById("source");
    canvas.width = width;
    canvas.height = height;
    drawLoop(canvas, fps);
    stream = canvas.captureStream(fps);
  }
  const pc = new RTCPeerConnection(configuration(iceServers, relayOnly));
  peer.pc = pc;
  // A two-way call: whatever the receiver sends back is decoded and shown here.
  showRemote(pc, document.getElementById("remote"));
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  pc.createDataChannel("visio");
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  return pc.localDescription.sdp;
}

async function acceptAnswer(sdp) {
  await peer.pc.setRemoteDescription({ type: "answer", sdp });
}

/** Start the receiving side on `offer`; resolves to the complete answer SDP. */
async function startReceiver(offer, { iceServers = [], relayOnly = false, sendCamera = false } = {}) {
  peer.startedAt = performance.now();
  const pc = new RTCPeerConnection(configuration(iceServers, relayOnly));
  peer.pc = pc;
  const video = document.getElementById("remote");
  peer.monitor = new StampMonitor(video, visioStats);
  peer.monitor.watch(pc);
  showRemote(pc, video);
  peer.monitor.start();
  await pc.setRemoteDescription({ type: "offer", sdp: offer });
  if (sendCamera) {
    // Added after the offer, so it takes the offered video transceiver: sendrecv.
    const camera = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: false });
    for (const track of camera.getTracks()) pc.addTrack(track, camera);
  }
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  return pc.localDescription.sdp;
}

/** Figures for the benchmark: setup time, frames, stamp latencies (window.visioStats). */
function stats() {
  return {
    // First, so that this page's own timings below are not overwritten by the
    // monitor's (a sender has no monitor: its visioStats.firstFrameAtMs stays null).
    ...visioStats,
    latencies: [...visioStats.latencies],
    setupMs: peer.setupMs,
    offeredAtMs: peer.offeredAtMs,
    firstFrameAtMs: peer.firstFrameAtMs,
    framesDrawn: peer.framesDrawn,
    connectionState: peer.pc?.connectionState ?? null,
  };
}

function close() {
  clearInterval(peer.timer);
  peer.monitor?.stop();
  peer.pc?.close();
  peer.pc = null;
}

window.visioPeer = { startSender, acceptAnswer, startReceiver, stats, close };
