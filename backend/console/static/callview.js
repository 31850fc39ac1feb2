// The call view: media, the `visio` data channel and the agent's actions
// (chat, capture, push, print, mute). The hub side of the call (accept, answer,
// transfer, end) stays in console.js; this module talks only to the kiosk.

import { CallSession } from "./call.js";
import { Gallery } from "./gallery.js";
import {
  MAX_CHAT_CHARS, MAX_TRANSFER_BYTES, ProtocolError, newId, parseChannelMessage, safeFileName, toKiosk,
} from "./protocol.js";
import { StampMonitor, visioStats } from "./stamp.js";
import { ScreenShareView } from "./screen.js";
import { FileReceiver, sendFile } from "./transfer.js";
import { $, appendChat, fillContext, setBanner, showError } from "./ui.js";

const URL_PATTERN = /^https?:\/\/\S{1,2000}$/;
const FORM_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const PDF_MAGIC = "%PDF-";
const PUSH_URL_REFUSALS = {
  "push_url.refused": "The kiosk refused the link: it is not on this e-service's allow-list.",
  "push_url.not_sharing": "The kiosk refused the link: no e-service is on its screen.",
};
const QUALITY_TEXT = {
  reduced: "Reduced video quality",
  audio_only: "Audio only: the link is too weak for video",
  chat_only: "Chat only: the link is too weak for audio and video",
};

function isErrorMessage(text) {
  try {
    return JSON.parse(text)?.type === "error";
  } catch {
    return false;
  }
}

/** The kiosk side of one accepted call. */
export class CallView {
  constructor(call, iceServers, ringing = null) {
    this.callId = call.call_id;
    this.call = call;
    this.channel = null;
    this.receiver = new FileReceiver();
    this.gallery = new Gallery();
    this.prints = new Map(); // print transfer id -> file name, until print_done
    this.monitor = new StampMonitor($("remote-video"));
    this.screen = new ScreenShareView((x, y) => this.send(toKiosk.pointer(x, y)));
    globalThis.visioScreenView = this.screen;
    // The session that rang (camera opening, candidates gathering), or a new one.
    this.session = ringing ?? new CallSession(this.callId, iceServers);
    this.session.listen({
      onRemoteStream: (stream, pc, track) => this.showRemote(stream, pc, track),
      onScreenTrack: (track, pc) => this.screen.showTrack(track, pc),
      onChannel: (channel) => this.attachChannel(channel),
      onConnectionState: (state) => {
        if (state !== "connected") return;
        visioStats.connectedAtMs ??= Date.now();
        setBanner("reconnect-banner", "");
      },
    });
    this.media = this.session.openLocalMedia().then(
      (stream) => { $("local-video").srcObject = stream; },
      (err) => showError(`Camera or microphone unavailable: ${err.message || err.name}`, "media.unavailable"),
    );
    this.offers = Promise.resolve();
    fillContext($("call-context"), call, performance.now() / 1000 - call.waited_s);
    $("chat-log").replaceChildren();
    this.gallery.clear();
    this.monitor.start();
  }

  /** Answer an offer (the first or a renegotiation); offers are answered one at a time. */
  answer(sdp) {
    const run = async () => {
      if (this.session.answers > 0) setBanner("reconnect-banner", "The kiosk is reconnecting the call…");
      await this.media; // the camera, if any, goes in the first answer
      return this.session.answer(sdp);
    };
    const result = this.offers.then(run, run);
    this.offers = result.catch(() => undefined);
    return result;
  }

  showRemote(stream, pc, track) {
    const video = $("remote-video");
    if (video.srcObject !== stream) video.srcObject = stream;
    this.monitor.watch(pc, track?.kind === "video" ? track.id : null);
    video.play().catch(() => undefined); // autoplay may wait for a gesture outside tests
  }

  attachChannel(channel) {
    // A renegotiation brings a new channel: a transfer cut in the middle is lost.
    const lost = this.receiver.abort();
    if (lost) showError("A document transfer was cut by the reconnection.", "file.channel_closed");
    channel.binaryType = "arraybuffer";
    this.channel = channel;
    channel.addEventListener("message", (event) => {
      if (this.channel !== channel) return;
      this.receive(event.data).catch((err) => showError(`Kiosk message failed: ${err.message}`, err.code ?? ""));
    });
    channel.addEventListener("close", () => {
      if (this.channel === channel) this.channel = null;
    });
  }

  /** Send one message to the kiosk; false (and an error shown) if the channel is down. */
  send(message) {
    if (!this.channel || this.channel.readyState !== "open") {
      showError("The call is not connected: the kiosk cannot receive this now.", "channel.closed");
      return false;
    }
    this.channel.send(JSON.stringify(message));
    return true;
  }

  async receive(data) {
    if (typeof data !== "string") {
      try {
        this.receiver.chunk(data);
      } catch (err) {
        this.refuseTransfer(null, err);
      }
      return;
    }
    let message;
    try {
      message = parseChannelMessage(data);
    } catch (err) {
      showError(`The kiosk sent a message the console cannot read: ${err.message}`, err.code);
      // Answer a bad message with an error, but never answer an error (no ping-pong).
      if (!isErrorMessage(data)) this.send(toKiosk.error(err.code, err.message));
      return;
    }
    await this.handle(message);
  }

  async handle(message) {
    switch (message.type) {
      case "chat":
        appendChat("citizen", message.text);
        break;
      case "file_begin":
        if (message.purpose !== "capture" || !message.mime.startsWith("image/")) {
          this.refuseTransfer(message.id, new ProtocolError("file.unexpected", "only document captures are received"));
          return;
        }
        try {
          this.receiver.begin(message);
        } catch (err) {
          this.refuseTransfer(message.id, err);
        }
        break;
      case "file_end":
        await this.finishCapture(message);
        break;
      case "file_error":
        showError("The kiosk could not send or receive a document.", message.code);
        break;
      case "print_done":
        this.printDone(message);
        break;
      case "curtain":
        if (!message.on) {
          $("curtain").setAttribute("aria-pressed", "false");
          appendChat("system", "The citizen is back and lifted the curtain.");
        }
        break;
      case "quality":
        setBanner("quality-banner", message.level === "full" ? "" : `${QUALITY_TEXT[message.level]} (${message.reason})`);
        break;
      case "share":
        this.screen.setSharing(message.on, message.title, message.url);
        appendChat("system", message.on ? "The kiosk shares its screen: click on it to point." : "The kiosk stopped sharing its screen.");
        break;
      case "error":
        if (message.code in PUSH_URL_REFUSALS) {
          $("push-url-status").textContent = PUSH_URL_REFUSALS[message.code];
          showError(PUSH_URL_REFUSALS[message.code], message.code);
          break;
        }
        showError("The kiosk refused a message.", message.code);
        break;
      default:
        break;
    }
  }

  async finishCapture(message) {
    let done;
    try {
      done = await this.receiver.end(message);
    } catch (err) {
      this.refuseTransfer(message.id, err);
      return;
    }
    try {
      await this.gallery.add(done.begin.id, done.begin.name, done.blob);
      appendChat("system", `Document received: ${done.begin.name}`);
    } catch {
      showError("A captured document is not a readable image.", "file.bad_image");
    }
  }

  refuseTransfer(id, err) {
    const code = err.code ?? "file.invalid";
    showError(`A document transfer failed: ${err.message}`, code);
    if (id && this.channel?.readyState === "open") this.send(toKiosk.fileError(id, code));
  }

  // --- Actions -------------------------------------------------------------------

  sendChat(text) {
    const line = text.trim();
    if (!line) return false;
    if (line.length > MAX_CHAT_CHARS) {
      showError(`A chat line is at most ${MAX_CHAT_CHARS} characters.`, "chat.too_long");
      return false;
    }
    if (!this.send(toKiosk.chat(line))) return false;
    appendChat("agent", line);
    return true;
  }

  /** Cover the kiosk's screen: the citizen stepped away (they lift it with a touch). */
  coverScreen() {
    if (this.send(toKiosk.curtain(true))) {
      $("curtain").setAttribute("aria-pressed", "true");
      appendChat("system", "The kiosk's screen is covered until the citizen touches it.");
    }
  }

  requestCapture() {
    visioStats.captureRequestedAtMs = Date.now();
    if (this.send(toKiosk.captureRequest())) appendChat("system", "Capture requested at the kiosk.");
  }

  pushLink(kind, title, url) {
    if (!title.trim() || title.length > 200) return showError("Give a title of 1 to 200 characters.", "push.bad_title");
    if (!URL_PATTERN.test(url)) return showError("The address must start with http:// or https://.", "push.bad_url");
    if (this.send(toKiosk.pushLink(kind, title.trim(), url))) appendChat("system", `Sent ${kind === "qr" ? "QR code" : "link"}: ${title}`);
  }

  /** Open `url` in the e-service on the kiosk's screen (the kiosk checks its allow-list). */
  pushUrl(url) {
    if (!URL_PATTERN.test(url)) return showError("The address must start with http:// or https://.", "push.bad_url");
    if (this.send(toKiosk.pushUrl(url))) {
      $("push-url-status").textContent = `Sent: ${url}`;
      appendChat("system", `Link sent to the e-service: ${url}`);
    }
  }

  pushForm(title, formId) {
    if (!title.trim() || title.length > 200) return showError("Give a title of 1 to 200 characters.", "push.bad_title");
    if (!FORM_ID_PATTERN.test(formId)) return showError("A form id is lower-case letters, digits, - and _.", "push.bad_form");
    if (this.send(toKiosk.pushForm(title.trim(), formId))) appendChat("system", `Opened form ${formId} at the kiosk.`);
  }

  /** Send a PDF to print at the kiosk; errors are shown, never thrown. */
  async print(file) {
    const status = $("print-status");
    const progress = $("print-progress");
    if (!file) return showError("Choose a PDF document to print.", "print.no_file");
    if (file.size > MAX_TRANSFER_BYTES) {
      return showError(`The document is larger than ${MAX_TRANSFER_BYTES / 1024 / 1024} MB.`, "file.too_large");
    }
    const buffer = await file.arrayBuffer();
    const head = new TextDecoder().decode(buffer.slice(0, PDF_MAGIC.length));
    if (head !== PDF_MAGIC) return showError("The file is not a PDF document.", "print.not_pdf");
    if (!this.channel || this.channel.readyState !== "open") {
      return showError("The call is not connected: the kiosk cannot print now.", "channel.closed");
    }
    const id = newId("print");
    const name = safeFileName(file.name);
    this.prints.set(id, name);
    progress.hidden = false;
    status.textContent = `Sending ${name}…`;
    try {
      await sendFile(this.channel, {
        id, purpose: "print", name, mime: "application/pdf", buffer,
        onProgress: (fraction) => { progress.value = fraction; },
      });
      status.textContent = `${name} sent; waiting for the kiosk's printer…`;
    } catch (err) {
      this.prints.delete(id);
      status.textContent = "";
      showError(`The document could not be sent: ${err.message}`, err.code ?? "file.failed");
    } finally {
      progress.hidden = true;
    }
  }

  printDone(message) {
    const name = this.prints.get(message.id) ?? "The document";
    this.prints.delete(message.id);
    if (message.ok) {
      $("print-status").textContent = `${name} was printed at the kiosk.`;
    } else {
      $("print-status").textContent = "";
      showError(`${name} could not be printed at the kiosk.`, message.code ?? "print.failed");
    }
  }

  setMuted(kind, muted) {
    this.session.setTrackEnabled(kind, !muted);
  }

  /** Tell the kiosk how the call ended (if it can still hear us). */
  sendEnd(outcome, notes) {
    if (this.channel?.readyState === "open") this.channel.send(JSON.stringify(toKiosk.end(outcome, notes)));
  }

  close() {
    this.monitor.stop();
    this.screen.close();
    if (globalThis.visioScreenView === this.screen) globalThis.visioScreenView = null;
    this.session.close();
    this.receiver.abort();
    this.channel = null;
    $("remote-video").srcObject = null;
    $("local-video").srcObject = null;
    setBanner("reconnect-banner", "");
    setBanner("quality-banner", "");
  }
}
