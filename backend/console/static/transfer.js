// File transfers on the data channel, twin of video/transfer.py: file_begin,
// binary chunks of 16 KiB, file_end; the receiver checks size and SHA-256.

import { CHUNK_BYTES, MAX_TRANSFER_BYTES, ProtocolError, toKiosk } from "./protocol.js";

// Above this many queued bytes the sender waits for "bufferedamountlow", so a
// large PDF does not pile megabytes in front of the chat lines queued behind it.
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;
const DRAIN_TIMEOUT_MS = 10_000;

/** The SHA-256 of `buffer` as lower-case hex (crypto.subtle: secure origins only). */
export async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function waitForDrain(channel) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.removeEventListener("bufferedamountlow", done);
      reject(new ProtocolError("file.stalled", "the channel stopped draining"));
    }, DRAIN_TIMEOUT_MS);
    function done() {
      clearTimeout(timer);
      channel.removeEventListener("bufferedamountlow", done);
      resolve();
    }
    channel.addEventListener("bufferedamountlow", done);
  });
}

function send(channel, payload) {
  if (channel.readyState !== "open") throw new ProtocolError("file.channel_closed", "the data channel is not open");
  channel.send(payload);
}

/** Send `buffer` (an ArrayBuffer) as one transfer; throws ProtocolError. */
export async function sendFile(channel, { id, purpose, name, mime, buffer, onProgress }) {
  if (buffer.byteLength > MAX_TRANSFER_BYTES) {
    throw new ProtocolError("file.too_large", `the file is larger than ${MAX_TRANSFER_BYTES / 1024 / 1024} MB`);
  }
  const hash = await sha256Hex(buffer);
  channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
  send(channel, JSON.stringify(toKiosk.fileBegin(id, purpose, name, mime, buffer.byteLength, hash)));
  for (let offset = 0; offset < buffer.byteLength; offset += CHUNK_BYTES) {
    while (channel.bufferedAmount > HIGH_WATER_BYTES) await waitForDrain(channel);
    send(channel, buffer.slice(offset, offset + CHUNK_BYTES));
    onProgress?.(Math.min(offset + CHUNK_BYTES, buffer.byteLength) / buffer.byteLength);
  }
  send(channel, JSON.stringify(toKiosk.fileEnd(id)));
}

/** Reassembles at most one incoming transfer at a time, as video.transfer.FileReceiver. */
export class FileReceiver {
  constructor() {
    this.current = null;
  }

  get busy() {
    return this.current !== null;
  }

  begin(message) {
    if (message.size > MAX_TRANSFER_BYTES) {
      this.current = null;
      throw new ProtocolError("file.too_large", `announced ${message.size} bytes, above the 25 MB limit`);
    }
    // A transfer still open is abandoned: its sender gave up and started another.
    this.current = { begin: message, chunks: [], received: 0 };
  }

  chunk(data) {
    const current = this.current;
    if (!current) throw new ProtocolError("file.unexpected_chunk", "binary data outside a transfer");
    current.received += data.byteLength;
    if (current.received > current.begin.size) {
      this.current = null;
      throw new ProtocolError("file.bad_size", "more bytes than announced");
    }
    current.chunks.push(data);
  }

  /** Finish the transfer: {begin, blob} once size and hash are checked; throws ProtocolError. */
  async end(message) {
    const current = this.current;
    this.current = null;
    if (!current || current.begin.id !== message.id) {
      throw new ProtocolError("file.unknown_transfer", "file_end for no open transfer");
    }
    if (current.received !== current.begin.size) {
      throw new ProtocolError("file.bad_size", "fewer bytes than announced");
    }
    const blob = new Blob(current.chunks, { type: current.begin.mime });
    const hash = await sha256Hex(await blob.arrayBuffer());
    if (hash !== current.begin.sha256) throw new ProtocolError("file.bad_hash", "the bytes do not match their hash");
    return { begin: current.begin, blob };
  }

  /** Drop the transfer in progress (the channel closed); its id, if any. */
  abort() {
    const id = this.current?.begin.id ?? null;
    this.current = null;
    return id;
  }
}
