// The WebRTC side of one call. The kiosk always offers; the console answers
// every offer for its current call with a fresh RTCPeerConnection (the kiosk
// renegotiates by rebuilding its own after a failure). SDP is not trickled, so
// the answer leaves only once ICE gathering is complete.

import { DATA_CHANNEL_LABEL, SCREEN_STREAM_PREFIX } from "./protocol.js";

// Gathering with a TURN server that does not answer never completes: send what we have.
const GATHERING_TIMEOUT_MS = 5_000;
const LOCAL_VIDEO = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 30 } };

/**
 * Resolves when the answer holds enough candidates to send (there is no trickle):
 * gathering is complete, or a relay candidate is in. With a relay candidate the
 * kiosk reaches us whatever its network (host candidates come before it); waiting
 * for the end of gathering would cost Chromium another ~60 ms for nothing.
 */
function candidatesReady(pc) {
  const enough = () => pc.iceGatheringState === "complete" || / typ relay /.test(pc.localDescription?.sdp ?? "");
  if (enough()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(finish, GATHERING_TIMEOUT_MS);
    function finish() {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      pc.removeEventListener("icecandidate", check);
      resolve();
    }
    function check() {
      if (enough()) finish();
    }
    pc.addEventListener("icegatheringstatechange", check);
    pc.addEventListener("icecandidate", check);
  });
}

const ignore = () => undefined;

/**
 * One call with a kiosk. Callbacks (see listen()): onRemoteStream(stream, pc, track),
 * onScreenTrack(track, pc) (the kiosk's shared screen), onChannel(channel),
 * onConnectionState(state). The local stream survives
 * renegotiations.
 */
export class CallSession {
  constructor(callId, iceServers, callbacks = {}) {
    this.callId = callId;
    this.iceServers = iceServers;
    this.listen(callbacks);
    this.pc = null;
    this.localStream = null;
    this.opening = null; // the getUserMedia in flight, shared by every caller
    this.closed = false;
    this.answers = 0;
  }

  /** Who hears of the call's media, channel and connection (set when the call view opens). */
  listen({ onRemoteStream = ignore, onScreenTrack = ignore, onChannel = ignore, onConnectionState = ignore }) {
    this.onRemoteStream = onRemoteStream;
    this.onScreenTrack = onScreenTrack;
    this.onChannel = onChannel;
    this.onConnectionState = onConnectionState;
  }

  /** Open camera and microphone once (the reason is thrown if refused). */
  openLocalMedia() {
    this.opening ??= navigator.mediaDevices
      .getUserMedia({ video: LOCAL_VIDEO, audio: true })
      .then((stream) => {
        if (this.closed) {
          for (const track of stream.getTracks()) track.stop();
          throw new Error("the call ended before the camera opened");
        }
        this.localStream = stream;
        return stream;
      });
    return this.opening;
  }

  /** Answer `sdp`, replacing any previous peer connection; resolves to the answer SDP. */
  async answer(sdp) {
    this.closePeer();
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    this.pc = pc;
    // The kiosk sends its voice and its picture as two streams, so that Chromium
    // does not hold the picture back to lip-sync it with the audio (that cost up
    // to 100 ms of video latency); one local MediaStream plays both.
    const remote = new MediaStream();
    pc.addEventListener("track", (event) => {
      if (this.pc !== pc) return;
      // The screen share is a stream of its own, shown apart from the citizen's camera.
      if (event.streams.some((stream) => stream.id.startsWith(SCREEN_STREAM_PREFIX))) {
        this.onScreenTrack(event.track, pc);
        return;
      }
      remote.addTrack(event.track);
      this.onRemoteStream(remote, pc, event.track);
    });
    pc.addEventListener("datachannel", (event) => {
      if (this.pc === pc && event.channel.label === DATA_CHANNEL_LABEL) this.onChannel(event.channel);
    });
    pc.addEventListener("connectionstatechange", () => {
      if (this.pc === pc) this.onConnectionState(pc.connectionState);
    });
    await pc.setRemoteDescription({ type: "offer", sdp });
    // After setRemoteDescription, addTrack reuses the kiosk's transceiver of the same
    // kind, so the answer keeps the offer's m-lines and sends our camera on them.
    for (const track of this.localStream?.getTracks() ?? []) pc.addTrack(track, this.localStream);
    await pc.setLocalDescription(await pc.createAnswer());
    await candidatesReady(pc);
    this.answers += 1;
    return pc.localDescription.sdp;
  }

  setTrackEnabled(kind, enabled) {
    for (const track of this.localStream?.getTracks() ?? []) {
      if (track.kind === kind) track.enabled = enabled;
    }
  }

  closePeer() {
    if (this.pc) {
      const old = this.pc;
      this.pc = null;
      old.close();
    }
  }

  /** End the call: peer connection and local devices. */
  close() {
    this.closed = true;
    this.closePeer();
    for (const track of this.localStream?.getTracks() ?? []) track.stop();
    this.localStream = null;
  }
}
