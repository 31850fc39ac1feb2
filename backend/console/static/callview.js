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
import { clearText, setText, t, tCode } from "./i18n.js";
import { $, appendChat, fillContext, setBanner, showError } from "./ui.js";

const URL_PATTERN = /^https?:\/\/\S{1,2000}$/;
const FORM_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const PDF_MAGIC = "%PDF-";
const PUSH_URL_REFUSAL_KEYS = {
  "push_url.refused": "console.push_url_refused",
  "push_url.not_sharing": "console.push_url_not_sharing",
};
const QUALITY_KEYS = {
  reduced: "console.quality_reduced",
  audio_only: "console.quality_audio_only",
  chat_only: "console.quality_chat_only",
};
// Why the kiosk changed its level (video/adapt.py, video/call.py, video/supervisor.py).
const QUALITY_REASON_KEYS = {
  loss: "console.quality_loss",
  rtt: "console.quality_rtt",
  cpu: "console.quality_cpu",
  bandwidth: "console.quality_bandwidth",
  recovered: "console.quality_recovered",
  new_call: "console.quality_new_call",
  reconnected: "console.quality_reconnected",
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
        setBanner("reconnect-banner", null);
      },
    });
    this.media = this.session.openLocalMedia().then(
      (stream) => { $("local-video").srcObject = stream; },
      (err) => showError(t("console.err_media", { error: err.message || err.name }), "media.unavailable"),
    );
    this.offers = Promise.resolve();
    this.quality = null; // the kiosk's last quality message, redrawn after a language switch
    this.waitingSinceS = performance.now() / 1000 - call.waited_s;
    fillContext($("call-context"), call, this.waitingSinceS);
    $("chat-log").replaceChildren();
    this.gallery.clear();
    this.monitor.start();
  }

  /** Answer an offer (the first or a renegotiation); offers are answered one at a time. */
  answer(sdp) {
    const run = async () => {
      if (this.session.answers > 0) setBanner("reconnect-banner", "console.reconnecting");
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
    if (lost) showError(t("console.err_transfer_cut"), "file.channel_closed");
    channel.binaryType = "arraybuffer";
    this.channel = channel;
    channel.addEventListener("message", (event) => {
      if (this.channel !== channel) return;
      this.receive(event.data).catch((err) => showError(t("console.err_kiosk_message", { error: err.message }), err.code ?? ""));
    });
    channel.addEventListener("close", () => {
      if (this.channel === channel) this.channel = null;
    });
  }

  /** Send one message to the kiosk; false (and an error shown) if the channel is down. */
  send(message) {
    if (!this.channel || this.channel.readyState !== "open") {
      showError(t("console.err_not_connected_call"), "channel.closed");
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
      showError(t("console.err_kiosk_unreadable", { error: err.message }), err.code);
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
        showError(t("console.err_file_error"), message.code);
        break;
      case "print_done":
        this.printDone(message);
        break;
      case "curtain":
        if (!message.on) {
          $("curtain").setAttribute("aria-pressed", "false");
          appendChat("system", t("console.curtain_lifted"));
        }
        break;
      case "quality":
        this.quality = message;
        this.showQuality();
        break;
      case "share":
        this.screen.setSharing(message.on, message.title, message.url);
        appendChat("system", message.on ? t("console.share_on") : t("console.share_off"));
        break;
      case "error":
        if (message.code in PUSH_URL_REFUSAL_KEYS) {
          setText($("push-url-status"), PUSH_URL_REFUSAL_KEYS[message.code]);
          showError(t(PUSH_URL_REFUSAL_KEYS[message.code]), message.code);
          break;
        }
        showError(t("console.err_kiosk_refused"), message.code);
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
      appendChat("system", t("console.document_received", { name: done.begin.name }));
    } catch {
      showError(t("console.err_bad_image"), "file.bad_image");
    }
  }

  refuseTransfer(id, err) {
    const code = err.code ?? "file.invalid";
    showError(t("console.err_transfer_failed", { error: err.message }), code);
    if (id && this.channel?.readyState === "open") this.send(toKiosk.fileError(id, code));
  }

  // --- Actions -------------------------------------------------------------------

  sendChat(text) {
    const line = text.trim();
    if (!line) return false;
    if (line.length > MAX_CHAT_CHARS) {
      showError(t("console.err_chat_too_long", { max: MAX_CHAT_CHARS }), "chat.too_long");
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
      appendChat("system", t("console.curtain_on"));
    }
  }

  requestCapture() {
    visioStats.captureRequestedAtMs = Date.now();
    if (this.send(toKiosk.captureRequest())) appendChat("system", t("console.capture_requested"));
  }

  pushLink(kind, title, url) {
    if (!title.trim() || title.length > 200) return showError(t("console.err_bad_title"), "push.bad_title");
    if (!URL_PATTERN.test(url)) return showError(t("console.err_bad_url"), "push.bad_url");
    if (this.send(toKiosk.pushLink(kind, title.trim(), url))) {
      appendChat("system", kind === "qr" ? t("console.sent_qr", { title }) : t("console.sent_link", { title }));
    }
  }

  /** Open `url` in the e-service on the kiosk's screen (the kiosk checks its allow-list). */
  pushUrl(url) {
    if (!URL_PATTERN.test(url)) return showError(t("console.err_bad_url"), "push.bad_url");
    if (this.send(toKiosk.pushUrl(url))) {
      setText($("push-url-status"), "console.push_url_sent", { url });
      appendChat("system", t("console.push_url_chat", { url }));
    }
  }

  pushForm(title, formId) {
    if (!title.trim() || title.length > 200) return showError(t("console.err_bad_title"), "push.bad_title");
    if (!FORM_ID_PATTERN.test(formId)) return showError(t("console.err_bad_form"), "push.bad_form");
    if (this.send(toKiosk.pushForm(title.trim(), formId))) appendChat("system", t("console.form_opened", { form: formId }));
  }

  /** Send a PDF to print at the kiosk; errors are shown, never thrown. */
  async print(file) {
    const status = $("print-status");
    const progress = $("print-progress");
    if (!file) return showError(t("console.err_no_file"), "print.no_file");
    if (file.size > MAX_TRANSFER_BYTES) {
      return showError(t("console.err_too_large", { mb: MAX_TRANSFER_BYTES / 1024 / 1024 }), "file.too_large");
    }
    const buffer = await file.arrayBuffer();
    const head = new TextDecoder().decode(buffer.slice(0, PDF_MAGIC.length));
    if (head !== PDF_MAGIC) return showError(t("console.err_not_pdf"), "print.not_pdf");
    if (!this.channel || this.channel.readyState !== "open") {
      return showError(t("console.err_cannot_print"), "channel.closed");
    }
    const id = newId("print");
    const name = safeFileName(file.name);
    this.prints.set(id, name);
    progress.hidden = false;
    setText(status, "console.print_sending", { name });
    try {
      await sendFile(this.channel, {
        id, purpose: "print", name, mime: "application/pdf", buffer,
        onProgress: (fraction) => { progress.value = fraction; },
      });
      setText(status, "console.print_sent", { name });
    } catch (err) {
      this.prints.delete(id);
      clearText(status);
      showError(t("console.err_send_failed", { error: err.message }), err.code ?? "file.failed");
    } finally {
      progress.hidden = true;
    }
  }

  printDone(message) {
    const name = this.prints.get(message.id);
    this.prints.delete(message.id);
    if (message.ok) {
      if (name) setText($("print-status"), "console.print_done", { name });
      else setText($("print-status"), "console.print_done_unnamed");
    } else {
      clearText($("print-status"));
      showError(name ? t("console.err_print_failed", { name }) : t("console.err_print_failed_unnamed"),
        message.code ?? "print.failed");
    }
  }

  /** The quality banner: the level and the kiosk's reason, in the current language. */
  showQuality() {
    const { level, reason } = this.quality ?? {};
    const said = tCode(QUALITY_REASON_KEYS, reason);
    setBanner("quality-banner", QUALITY_KEYS[level] ?? null, { reason: said });
  }

  /** After a language switch: the call's context list (its waiting time still running), the banner. */
  relabel() {
    fillContext($("call-context"), this.call, this.waitingSinceS);
    if (this.quality) this.showQuality();
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
    setBanner("reconnect-banner", null);
    setBanner("quality-banner", null);
  }
}
