// The captured documents: thumbnails in the call view, and a full-resolution
// viewer with zoom (wheel, buttons, +/-) and pan (drag, arrow keys), so the
// agent can read a small print without asking for another capture.

import { clearText, t } from "./i18n.js";
import { visioStats } from "./stamp.js";

const ZOOM_STEP = 1.25;
const PAN_STEP_PX = 60;
const MAX_ZOOM = 8;

export class Gallery {
  constructor() {
    this.list = document.getElementById("gallery-list");
    this.empty = document.getElementById("gallery-empty");
    this.viewer = new Viewer();
    this.urls = [];
  }

  /** Add a checked capture (a Blob of a JPEG); resolves once its size is known. */
  async add(id, name, blob) {
    const url = URL.createObjectURL(blob);
    this.urls.push(url);
    const image = new Image();
    image.src = url;
    await image.decode(); // throws on a corrupt image: the caller reports it
    const entry = { id, width: image.naturalWidth, height: image.naturalHeight, bytes: blob.size };
    visioStats.captures.push(entry);

    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "thumb";
    button.dataset.captureId = id;
    button.setAttribute("aria-label", t("console.open_capture", { name, size: `${entry.width}×${entry.height}` }));
    const thumb = document.createElement("img");
    thumb.src = url;
    thumb.alt = "";
    const caption = document.createElement("span");
    caption.textContent = `${entry.width}×${entry.height}`;
    button.append(thumb, caption);
    button.addEventListener("click", () => this.viewer.open(url, name, entry));
    item.append(button);
    this.list.append(item);
    this.empty.hidden = true;
    entry.shownAtMs = Date.now();
    return entry;
  }

  clear() {
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
    this.list.replaceChildren();
    this.empty.hidden = false;
    this.viewer.close();
  }
}

class Viewer {
  constructor() {
    this.dialog = document.getElementById("viewer");
    this.frame = document.getElementById("viewer-frame");
    this.image = document.getElementById("viewer-image");
    this.zoom = 1;
    this.x = 0;
    this.y = 0;
    this.drag = null;
    document.getElementById("viewer-close").addEventListener("click", () => this.close());
    document.getElementById("zoom-in").addEventListener("click", () => this.setZoom(this.zoom * ZOOM_STEP));
    document.getElementById("zoom-out").addEventListener("click", () => this.setZoom(this.zoom / ZOOM_STEP));
    document.getElementById("zoom-reset").addEventListener("click", () => this.reset());
    this.frame.addEventListener("wheel", (event) => {
      event.preventDefault();
      this.setZoom(event.deltaY < 0 ? this.zoom * ZOOM_STEP : this.zoom / ZOOM_STEP);
    }, { passive: false });
    this.frame.addEventListener("keydown", (event) => this.onKey(event));
    this.frame.addEventListener("pointerdown", (event) => {
      this.drag = { x: event.clientX - this.x, y: event.clientY - this.y };
      this.frame.setPointerCapture(event.pointerId);
    });
    this.frame.addEventListener("pointermove", (event) => {
      if (!this.drag) return;
      this.x = event.clientX - this.drag.x;
      this.y = event.clientY - this.drag.y;
      this.apply();
    });
    this.frame.addEventListener("pointerup", () => { this.drag = null; });
  }

  open(url, name, entry) {
    this.image.src = url;
    const title = document.getElementById("viewer-title");
    clearText(title); // the document's own name, not the "Document" placeholder
    title.textContent = name;
    document.getElementById("viewer-size").textContent = `${entry.width}×${entry.height} px`;
    this.reset();
    if (!this.dialog.open) this.dialog.showModal();
    this.frame.focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  reset() {
    // "Fit": the image is laid out at full resolution, scaled down to the frame.
    const fit = Math.min(
      1,
      (this.frame.clientWidth || 800) / (this.image.naturalWidth || 1),
      (this.frame.clientHeight || 600) / (this.image.naturalHeight || 1),
    );
    this.zoom = fit;
    this.x = 0;
    this.y = 0;
    this.apply();
  }

  setZoom(value) {
    this.zoom = Math.min(MAX_ZOOM, Math.max(0.05, value));
    this.apply();
  }

  onKey(event) {
    const moves = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    if (moves[event.key]) {
      this.x += moves[event.key][0] * PAN_STEP_PX;
      this.y += moves[event.key][1] * PAN_STEP_PX;
      this.apply();
    } else if (event.key === "+" || event.key === "=") {
      this.setZoom(this.zoom * ZOOM_STEP);
    } else if (event.key === "-") {
      this.setZoom(this.zoom / ZOOM_STEP);
    } else if (event.key === "0") {
      this.reset();
    } else {
      return;
    }
    event.preventDefault();
  }

  apply() {
    this.image.style.transform = `translate(${this.x}px, ${this.y}px) scale(${this.zoom})`;
  }
}
