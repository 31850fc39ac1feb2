// The WebRTC side of one call. The kiosk always offers; the console answers
// every offer for its current call with a fresh RTCPeerConnection (the kiosk
// renegotiates by rebuilding its own after a failure). SDP is not trickled, so
// the answer leaves only once ICE gathering is complete.

import { DATA_CHANNEL_LABEL } from "./protocol.js";

// Gathering with a TURN server that does not answer never completes: send what we have.
const GATHERING_TIMEOUT_MS = 5_000;
const LOCAL_VIDEO = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 30 } };

function gatheringComplete(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(finish, GATHERING_TIMEOUT_MS);
    function finish() {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    }
    function check() {
      if (pc.iceGatheringState === "complete") finish();
    }
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/**
 * One call with a kiosk. Callbacks: onRemoteStream(stream, pc), onChannel(channel),
 * onConnectionState(state). The local stream survives renegotiations.
 */
export class CallSession {
  constructor(callId, iceServers, { onRemoteStream, onChannel, onConnectionState }) {
    this.callId = callId;
    this.iceServers = iceServers;
    this.onRemoteStream = onRemoteStream;
    this.onChannel = onChannel;
    this.onConnectionState = onConnectionState;
    this.pc = null;
    this.localStream = null;
    this.answers = 0;
  }

  /** Open camera and microphone once; null (and the reason thrown) if refused. */
  async openLocalMedia() {
    if (this.localStream) return this.localStream;
    this.localStream = await navigator.mediaDevices.getUserMedia({ video: LOCAL_VIDEO, audio: true });
    return this.localStream;
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
    await gatheringComplete(pc);
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
    this.closePeer();
    for (const track of this.localStream?.getTracks() ?? []) track.stop();
    this.localStream = null;
  }
}
