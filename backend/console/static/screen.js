// The kiosk's shared screen: the call's second video (its stream id starts with
// SCREEN_STREAM_PREFIX). Shown large while the kiosk says it shares; a click on
// it sends the citizen a pointer at that spot, in 0..1 of the shared frame.
// window.visioScreen holds the figures tests and the benchmark read (frames
// decoded from getStats, and colour changes seen at a watched pixel).

import { clearText } from "./i18n.js";
import { clampUnit } from "./protocol.js";
import { $ } from "./ui.js";

const STATS_PERIOD_MS = 500;
const MAX_CHANGES = 200;

function createScreenStats() {
  return {
    sharing: false,
    title: null,
    url: null,
    framesDecoded: 0, // inbound-rtp of the screen's track, from getStats()
    framesPerSecond: null,
    frameWidth: 0,
    frameHeight: 0,
    framesPresented: 0, // frames the <video> presented (requestVideoFrameCallback)
    pointers: [], // [x, y] sent to the kiosk
    watched: null, // {x, y} in frame pixels, or null
    changes: [], // {atMs, rgb} each time the watched pixel changed colour
  };
}

export const screenStats = createScreenStats();
globalThis.visioScreen = screenStats;

/** Where a click at (clientX, clientY) falls in the video's frame, 0..1, or null outside it. */
export function framePoint(video, clientX, clientY) {
  const box = video.getBoundingClientRect();
  const { videoWidth: width, videoHeight: height } = video;
  if (!width || !height || !box.width || !box.height) return null;
  // The default object-fit is "contain": the frame is letterboxed inside the element.
  const scale = Math.min(box.width / width, box.height / height);
  const shownW = width * scale;
  const shownH = height * scale;
  const x = (clientX - box.left - (box.width - shownW) / 2) / shownW;
  const y = (clientY - box.top - (box.height - shownH) / 2) / shownH;
  if (x < 0 || x > 1 || y < 0 || y > 1) return null;
  return [clampUnit(x), clampUnit(y)];
}

export class ScreenShareView {
  /** `sendPointer(x, y)` sends the pointer message; false if it could not go. */
  constructor(sendPointer) {
    this.video = $("screen-video");
    this.sendPointer = sendPointer;
    this.pc = null;
    this.trackId = null;
    this.timer = null;
    this.running = false;
    this.canvas = document.createElement("canvas");
    this.ctx = this.canvas.getContext("2d", { willReadFrequently: true });
    this.lastRgb = null;
    Object.assign(screenStats, createScreenStats());
    this.onClick = (event) => this.point(event);
    this.video.addEventListener("click", this.onClick);
  }

  /** The screen's track arrived (every renegotiation brings a new one). */
  showTrack(track, pc) {
    this.pc = pc;
    this.trackId = track.id;
    this.video.srcObject = new MediaStream([track]);
    this.video.play().catch(() => undefined);
    if (!this.running) {
      this.running = true;
      this.timer = setInterval(() => this.pollStats(), STATS_PERIOD_MS);
      this.scheduleFrame();
    }
  }

  /** The kiosk started (with its page as context) or stopped sharing. */
  setSharing(on, title, url) {
    screenStats.sharing = on;
    screenStats.title = on ? title ?? null : null;
    screenStats.url = on ? url ?? null : null;
    $("screen-share").hidden = !on;
    $("screen-context").textContent = on ? [title, url].filter(Boolean).join(" — ") : "";
    if (!on) clearText($("push-url-status"));
  }

  point(event) {
    if (!screenStats.sharing) return;
    const spot = framePoint(this.video, event.clientX, event.clientY);
    if (spot && this.sendPointer(spot[0], spot[1])) screenStats.pointers.push(spot);
  }

  /** Watch the frame pixel (x, y): each colour change is recorded with its time. */
  watch(x, y) {
    screenStats.watched = { x, y };
    screenStats.changes = [];
    this.lastRgb = null;
  }

  /** RGBA pixels of the current frame's rectangle (frame coordinates), for tests. */
  pixels(x, y, width, height) {
    const { videoWidth, videoHeight } = this.video;
    if (!videoWidth || !videoHeight) return null;
    this.canvas.width = width;
    this.canvas.height = height;
    this.ctx.drawImage(this.video, x, y, width, height, 0, 0, width, height);
    return Array.from(this.ctx.getImageData(0, 0, width, height).data);
  }

  scheduleFrame() {
    if (!this.running) return;
    this.video.requestVideoFrameCallback(() => {
      try {
        this.onFrame();
      } finally {
        this.scheduleFrame();
      }
    });
  }

  onFrame() {
    const at = Date.now();
    screenStats.framesPresented += 1;
    const spot = screenStats.watched;
    if (!spot) return;
    const rgb = this.pixels(spot.x, spot.y, 1, 1)?.slice(0, 3);
    if (!rgb) return;
    const key = rgb.join(",");
    if (key === this.lastRgb) return;
    this.lastRgb = key;
    screenStats.changes.push({ atMs: at, rgb });
    if (screenStats.changes.length > MAX_CHANGES) screenStats.changes.shift();
  }

  async pollStats() {
    if (!this.pc || this.pc.connectionState === "closed") return;
    try {
      const report = await this.pc.getStats();
      report.forEach((entry) => {
        if (entry.type === "inbound-rtp" && entry.kind === "video" && entry.trackIdentifier === this.trackId) {
          screenStats.framesDecoded = entry.framesDecoded ?? screenStats.framesDecoded;
          screenStats.framesPerSecond = entry.framesPerSecond ?? screenStats.framesPerSecond;
          screenStats.frameWidth = entry.frameWidth ?? screenStats.frameWidth;
          screenStats.frameHeight = entry.frameHeight ?? screenStats.frameHeight;
        }
      });
    } catch {
      // Closed between the check and the call: the next poll follows the new connection.
    }
  }

  close() {
    this.running = false;
    clearInterval(this.timer);
    this.video.removeEventListener("click", this.onClick);
    this.video.srcObject = null;
    this.setSharing(false);
  }
}

globalThis.visioScreenPixels = (x, y, width, height) => globalThis.visioScreenView?.pixels(x, y, width, height) ?? null;
globalThis.visioScreenWatch = (x, y) => globalThis.visioScreenView?.watch(x, y);
