// The frame stamp of docs/VIDEO.md, twin of video/stamp.py: the capture time
// (ms since the epoch mod 2^40) and a checksum byte, 48 black/white blocks of
// side width/80 in the top rows. The reader here measures glass-to-glass
// latency in the browser; the writer lets a browser peer stamp a canvas so
// browser->browser calls are measured exactly like kiosk->browser ones.

export const STAMP_BITS = 48;
export const BLOCKS_PER_WIDTH = 80;
const TIME_MODULUS = 2 ** 40; // below 2^53: plain numbers are exact
const LATENCY_WINDOW = 300; // about 10 s of frames at 30 fps
const STATS_PERIOD_MS = 500;

export const blockSide = (width) => Math.floor(width / BLOCKS_PER_WIDTH);
export const nowMs = () => Date.now() % TIME_MODULUS;

/** The 48 bits (0/1), most significant first, for `timeMs`. */
export function stampBits(timeMs) {
  const value = ((timeMs % TIME_MODULUS) + TIME_MODULUS) % TIME_MODULUS;
  const bytes = [];
  let rest = value;
  for (let i = 0; i < 5; i += 1) {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  }
  const checksum = bytes.reduce((a, b) => a + b, 0) % 256;
  const bits = [];
  for (const byte of [...bytes, checksum]) {
    for (let bit = 7; bit >= 0; bit -= 1) bits.push((byte >> bit) & 1);
  }
  return bits;
}

/** Draw the stamp for `timeMs` on a 2D context whose canvas is `width` wide. */
export function writeStamp(ctx, width, timeMs) {
  const side = blockSide(width);
  stampBits(timeMs).forEach((bit, i) => {
    ctx.fillStyle = bit ? "#ffffff" : "#000000";
    ctx.fillRect(i * side, 0, side, side);
  });
}

/**
 * Read a stamp from RGBA pixels covering the top `height` rows of a frame
 * `width` wide; the time in ms (mod 2^40) or null when there is no valid stamp.
 */
export function readStamp(rgba, width, height) {
  const side = blockSide(width);
  if (side < 2 || height < side) return null;
  const quarter = Math.floor(side / 4);
  const inner = Math.max(Math.floor(side / 2), 1);
  let value = 0;
  let checksum = 0;
  let any = false;
  for (let i = 0; i < STAMP_BITS; i += 1) {
    let sum = 0;
    for (let y = quarter; y < quarter + inner; y += 1) {
      let p = (y * width + i * side + quarter) * 4;
      for (let x = 0; x < inner; x += 1, p += 4) {
        // BT.601 luma, as the Python reader weighs RGB.
        sum += 0.299 * rgba[p] + 0.587 * rgba[p + 1] + 0.114 * rgba[p + 2];
      }
    }
    const bit = sum / (inner * inner) >= 128 ? 1 : 0;
    any ||= bit === 1;
    if (i < 40) value = value * 2 + bit;
    else checksum = checksum * 2 + bit;
  }
  // An all-black band passes the checksum as time 0: a dark picture, not a stamp.
  if (!any) return null;
  let sum = 0;
  let rest = value;
  for (let i = 0; i < 5; i += 1) {
    sum += rest % 256;
    rest = Math.floor(rest / 256);
  }
  return sum % 256 === checksum ? value : null;
}

/** Milliseconds from `stampMs` to `atMs`, across the 2^40 wrap. */
export function stampAgeMs(stampMs, atMs = nowMs()) {
  const age = (((atMs - stampMs) % TIME_MODULUS) + TIME_MODULUS) % TIME_MODULUS;
  // A stamp slightly in the future (clock steps) shows as a huge age: fold it back.
  return age > TIME_MODULUS / 2 ? age - TIME_MODULUS : age;
}

export function percentile(values, fraction) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

/** The page-wide figures that tests and benchmarks read with page.evaluate. */
export function createStats() {
  return {
    framesDecoded: 0, // inbound-rtp video, from getStats()
    framesPerSecond: null,
    frameWidth: 0,
    frameHeight: 0,
    framesRead: 0, // frames presented and inspected for a stamp
    stampedFrames: 0,
    lastStamp: null,
    lastStampLatencyMs: null,
    latencies: [], // the most recent LATENCY_WINDOW stamp latencies, ms
    samples: [], // [presented at (nowMs), latency ms] of the same frames: recovery over time
    latencyP50Ms: null,
    latencyP95Ms: null,
    jitterBufferMs: null, // mean jitter-buffer delay of the last poll's frames
    // Loss and repair of the video received, cumulative (inbound-rtp): NACKs sent,
    // key frames asked for (PLI), packets never received, retransmissions (RTX)
    // received, key frames decoded.
    repair: {
      nackCount: 0,
      pliCount: 0,
      packetsLost: 0,
      retransmittedPacketsReceived: 0,
      keyFramesDecoded: 0,
    },
    captures: [], // {id, width, height, bytes, shownAtMs} of each document capture received
    // Epoch milliseconds (Date.now()) of the moments a benchmark times the call by:
    acceptedAtMs: null, // the agent accepted the call
    offerAtMs: null, // the kiosk's first offer of the call arrived
    answerAtMs: null, // its answer left (after gathering)
    connectedAtMs: null, // the peer connection first reached "connected"
    firstFrameAtMs: null, // the first remote frame was presented
    captureRequestedAtMs: null, // the agent last asked the kiosk for a capture
    errors: [], // codes of errors shown to the agent
  };
}

export const visioStats = createStats();
globalThis.visioStats = visioStats;

/**
 * Watches a <video> fed by a remote stream: reads the stamp of every presented
 * frame and polls getStats() for decoding figures. stop() ends both.
 */
export class StampMonitor {
  constructor(video, stats = visioStats) {
    this.video = video;
    this.stats = stats;
    this.pc = null;
    this.trackId = null; // the camera's track: the kiosk's screen share is another video
    this.canvas = document.createElement("canvas");
    // willReadFrequently keeps the canvas on the CPU: getImageData every frame.
    this.ctx = this.canvas.getContext("2d", { willReadFrequently: true });
    this.running = false;
    this.statsTimer = null;
    this.lastTime = -1;
    this.lastJitter = null;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.scheduleFrame();
    this.statsTimer = setInterval(() => this.pollStats(), STATS_PERIOD_MS);
  }

  /** Follow a new RTCPeerConnection (after a renegotiation), and only `trackId` if given. */
  watch(pc, trackId = null) {
    this.pc = pc;
    if (trackId) this.trackId = trackId;
  }

  stop() {
    this.running = false;
    clearInterval(this.statsTimer);
    this.statsTimer = null;
  }

  scheduleFrame() {
    if (!this.running) return;
    if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) {
      this.video.requestVideoFrameCallback(() => this.onFrame());
    } else {
      // Older Firefox: poll at display rate and act when the frame time moves.
      requestAnimationFrame(() => {
        if (this.video.currentTime !== this.lastTime) {
          this.lastTime = this.video.currentTime;
          this.onFrame();
        } else {
          this.scheduleFrame();
        }
      });
    }
  }

  onFrame() {
    const at = nowMs();
    try {
      this.readFrame(at);
    } finally {
      this.scheduleFrame();
    }
  }

  readFrame(at) {
    if (this.stats.firstFrameAtMs === null) this.stats.firstFrameAtMs = Date.now();
    const width = this.video.videoWidth;
    const side = blockSide(width);
    if (side < 2) return;
    if (this.canvas.width !== width || this.canvas.height !== side) {
      this.canvas.width = width;
      this.canvas.height = side;
    }
    // Only the stamp band is copied: a 1280x16 read costs far less than a frame.
    this.ctx.drawImage(this.video, 0, 0, width, side, 0, 0, width, side);
    const pixels = this.ctx.getImageData(0, 0, width, side).data;
    this.stats.framesRead += 1;
    const stamp = readStamp(pixels, width, side);
    if (stamp === null) return;
    const latency = stampAgeMs(stamp, at);
    const s = this.stats;
    s.stampedFrames += 1;
    s.lastStamp = stamp;
    s.lastStampLatencyMs = latency;
    s.latencies.push(latency);
    s.samples.push([at, latency]);
    if (s.latencies.length > LATENCY_WINDOW) s.latencies.splice(0, s.latencies.length - LATENCY_WINDOW);
    if (s.samples.length > LATENCY_WINDOW) s.samples.splice(0, s.samples.length - LATENCY_WINDOW);
  }

  async pollStats() {
    const s = this.stats;
    s.latencyP50Ms = percentile(s.latencies, 0.5);
    s.latencyP95Ms = percentile(s.latencies, 0.95);
    if (!this.pc || this.pc.connectionState === "closed") return;
    try {
      const report = await this.pc.getStats();
      report.forEach((entry) => {
        const mine = !this.trackId || entry.trackIdentifier === this.trackId;
        if (entry.type === "inbound-rtp" && entry.kind === "video" && mine) {
          s.framesDecoded = entry.framesDecoded ?? s.framesDecoded;
          s.frameWidth = entry.frameWidth ?? s.frameWidth;
          s.frameHeight = entry.frameHeight ?? s.frameHeight;
          s.framesPerSecond = entry.framesPerSecond ?? s.framesPerSecond;
          this.jitterBuffer(entry);
          for (const key of Object.keys(s.repair)) s.repair[key] = entry[key] ?? s.repair[key];
        }
      });
    } catch {
      // A peer connection closed between the check and the call: next poll follows the new one.
    }
  }

  /** The mean time frames spent in the jitter buffer since the last poll (what Chromium adds). */
  jitterBuffer(entry) {
    const delay = entry.jitterBufferDelay;
    const emitted = entry.jitterBufferEmittedCount;
    if (delay === undefined || emitted === undefined) return;
    const last = this.lastJitter;
    if (last && emitted > last.emitted) {
      this.stats.jitterBufferMs = Math.round(((delay - last.delay) / (emitted - last.emitted)) * 1000);
    }
    this.lastJitter = { delay, emitted };
  }
}
