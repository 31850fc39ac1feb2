// Every name of the wire protocol the console speaks lives in this module: the
// hub's WebSocket messages (video/signaling.py) and the `visio` data channel's
// messages (video/channel.py). If the server side renames a field, this is the
// only file to change. Parsers throw only ProtocolError, with a stable code.

export const SIGNAL_VERSION = 1;
export const WS_PATH = "/ws/agent";
export const LOGIN_PATH = "/console/login";
// The hub reads `agent_id`; the first brief named the field `username`. Both are
// sent (a form parser ignores the extra one) until the two sides agree.
export const LOGIN_ID_FIELDS = ["agent_id", "username"];
export const LOGIN_PASSWORD_FIELD = "password";

export const DATA_CHANNEL_LABEL = "visio";
export const MAX_SIGNAL_BYTES = 200_000;
export const MAX_CHANNEL_TEXT_BYTES = 16_000;
export const MAX_CHAT_CHARS = 1_000;
export const MAX_NOTES_CHARS = 2_000;
export const MAX_TRANSFER_BYTES = 25 * 1024 * 1024;
export const CHUNK_BYTES = 16 * 1024;

// The states an agent may choose; the hub also reports busy, wrap_up, offline.
export const CHOSEN_STATES = ["available", "away"];
// Outcome codes offered when ending a call (the brief's list). The hub's EndCall
// schema must accept them: reconcile with HangupOutcome in video/signaling.py.
export const OUTCOMES = ["resolved", "unresolved", "referred", "callback"];
export const QUALITY_LEVELS = ["full", "reduced", "audio_only", "chat_only"];
export const PUSH_KINDS = ["link", "qr", "form"];

export class ProtocolError extends Error {
  /** A refused message; `code` is a translation-key-like stable string. */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// --- A tiny schema checker: "string", "number", "integer", "boolean", "array",
// "object"; a trailing "?" allows the key to be absent or null.

function checkFields(kind, doc, schema, prefix) {
  for (const [key, rule] of Object.entries(schema)) {
    const optional = rule.endsWith("?");
    const base = optional ? rule.slice(0, -1) : rule;
    const value = doc[key];
    if (value === undefined || value === null) {
      if (optional) continue;
      throw new ProtocolError(`${prefix}.invalid`, `${kind}: ${key} is missing`);
    }
    const ok =
      base === "array" ? Array.isArray(value)
      : base === "object" ? typeof value === "object" && !Array.isArray(value)
      : base === "integer" ? Number.isInteger(value)
      : typeof value === base;
    if (!ok) throw new ProtocolError(`${prefix}.invalid`, `${kind}: ${key} is not ${base}`);
  }
}

function parseObject(text, maxBytes, prefix) {
  if (typeof text !== "string") {
    throw new ProtocolError(`${prefix}.bad_json`, "a text frame was expected");
  }
  // A UTF-16 length above the limit is always above it in UTF-8 as well.
  if (text.length > maxBytes || new TextEncoder().encode(text).length > maxBytes) {
    throw new ProtocolError(`${prefix}.too_large`, `more than ${maxBytes} bytes`);
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ProtocolError(`${prefix}.bad_json`, "not valid JSON");
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new ProtocolError(`${prefix}.not_an_object`, "a message is a JSON object");
  }
  return doc;
}

// --- Hub (WebSocket /ws/agent) ---------------------------------------------------

const WAITING_CALL = {
  call_id: "string", queue_id: "string", language: "string", service_id: "string?",
  waited_s: "integer", context: "object?",
};

const HUB_TO_CONSOLE = {
  welcome: { agent_id: "string", name: "string", state: "string", ice_servers: "array?" },
  queue_snapshot: { calls: "array", agents: "array" },
  call_offered: { ...WAITING_CALL, timeout_s: "integer", reason: "string?" },
  call_taken: { call_id: "string" },
  offer: { call_id: "string", sdp: "string" },
  hangup: { call_id: "string", outcome: "string" },
  agent_state: { state: "string" },
  error: { code: "string", message: "string?" },
};

/** Parse one hub frame into a message object; throws ProtocolError. */
export function parseHubMessage(text) {
  const doc = parseObject(text, MAX_SIGNAL_BYTES, "signal");
  if (doc.v !== SIGNAL_VERSION) {
    throw new ProtocolError("signal.unsupported_version", `version ${String(doc.v)} is not supported`);
  }
  const schema = HUB_TO_CONSOLE[doc.type];
  if (!schema) throw new ProtocolError("signal.unknown_type", `unknown message type ${String(doc.type).slice(0, 40)}`);
  checkFields(doc.type, doc, schema, "signal");
  if (doc.type === "queue_snapshot") {
    for (const call of doc.calls) checkFields("queue_snapshot.calls", call ?? {}, WAITING_CALL, "signal");
  }
  return doc;
}

const signal = (type, fields = {}) => ({ v: SIGNAL_VERSION, type, ...fields });

/** Builders of the console's messages to the hub, with exactly the schema's keys. */
export const toHub = {
  agentState: (state) => signal("agent_state", { state }),
  accept: (callId) => signal("accept", { call_id: callId }),
  decline: (callId) => signal("decline", { call_id: callId }),
  answer: (callId, sdp) => signal("answer", { call_id: callId, sdp }),
  // Exactly one target: the hub refuses both or neither.
  transfer: (callId, target) =>
    signal("transfer", target.agentId
      ? { call_id: callId, to_agent_id: target.agentId }
      : { call_id: callId, to_queue_id: target.queueId }),
  endCall: (callId, outcome, notes) =>
    signal("end_call", notes ? { call_id: callId, outcome, notes } : { call_id: callId, outcome }),
  wrapUpDone: () => signal("wrap_up_done"),
};

// --- Data channel `visio` ----------------------------------------------------------

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const FILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_. -]{0,99}$/;

const CHANNEL_TO_CONSOLE = {
  chat: { id: "string", text: "string" },
  file_begin: { id: "string", purpose: "string", name: "string", mime: "string", size: "integer", sha256: "string" },
  file_end: { id: "string" },
  file_error: { id: "string", code: "string" },
  print_done: { id: "string", ok: "boolean", code: "string?" },
  quality: { level: "string", reason: "string" },
  curtain: { on: "boolean" },
  // The kiosk's screen share started (with the page as context) or stopped.
  share: { on: "boolean", title: "string?", url: "string?" },
  error: { code: "string", message: "string?" },
};

// The kiosk sends its shared screen as a stream whose id starts with this
// (video/screen_share.py SCREEN_STREAM_PREFIX): that is how the two videos are told apart.
export const SCREEN_STREAM_PREFIX = "vg-screen-";
const URL_PATTERN = /^https?:\/\/\S{1,2000}$/;

/** A point of the shared frame, both coordinates clamped to 0..1 (the kiosk refuses others). */
export function clampUnit(value) {
  return Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));
}

/** Parse one data-channel text frame; throws ProtocolError with a `channel.*` code. */
export function parseChannelMessage(text) {
  const doc = parseObject(text, MAX_CHANNEL_TEXT_BYTES, "channel");
  const schema = CHANNEL_TO_CONSOLE[doc.type];
  if (!schema) throw new ProtocolError("channel.unknown_type", "unknown message type");
  checkFields(doc.type, doc, schema, "channel");
  if ("id" in schema && !ID_PATTERN.test(doc.id)) {
    throw new ProtocolError("channel.invalid", `${doc.type}: bad id`);
  }
  if (doc.type === "chat" && (doc.text.length === 0 || doc.text.length > MAX_CHAT_CHARS)) {
    throw new ProtocolError("channel.invalid", "chat: text length out of bounds");
  }
  if (doc.type === "file_begin") {
    if (!SHA256_PATTERN.test(doc.sha256)) throw new ProtocolError("channel.invalid", "file_begin: bad sha256");
    if (doc.size < 0) throw new ProtocolError("channel.invalid", "file_begin: negative size");
  }
  if (doc.type === "share" && doc.url != null && !URL_PATTERN.test(doc.url)) {
    throw new ProtocolError("channel.invalid", "share: bad url");
  }
  if (doc.type === "quality" && !QUALITY_LEVELS.includes(doc.level)) {
    throw new ProtocolError("channel.invalid", "quality: unknown level");
  }
  return doc;
}

let idCounter = 0;
/** A message id matching the channel's id pattern, unique within this page. */
export function newId(prefix) {
  idCounter += 1;
  return `${prefix}-${Date.now().toString(36)}-${idCounter}`;
}

/** A file name the kiosk accepts: ASCII letters, digits, `_. -`, at most 100 characters. */
export function safeFileName(name) {
  const cleaned = name.normalize("NFKD").replace(/[^A-Za-z0-9_. -]/g, "_").replace(/^[^A-Za-z0-9]+/, "");
  const cut = cleaned.slice(0, 100);
  return FILE_NAME_PATTERN.test(cut) ? cut : "document.pdf";
}

/** Builders of the console's data-channel messages (optional keys omitted, never null). */
export const toKiosk = {
  chat: (text) => ({ type: "chat", id: newId("chat"), text }),
  captureRequest: () => ({ type: "capture_request", id: newId("cap") }),
  pushLink: (kind, title, url) => ({ type: "push", id: newId("push"), kind, title, url }),
  pushForm: (title, formId) => ({ type: "push", id: newId("push"), kind: "form", title, form_id: formId }),
  fileBegin: (id, purpose, name, mime, size, sha256) => ({ type: "file_begin", id, purpose, name, mime, size, sha256 }),
  fileEnd: (id) => ({ type: "file_end", id }),
  fileError: (id, code) => ({ type: "file_error", id, code }),
  curtain: (on) => ({ type: "curtain", on }),
  pointer: (x, y) => ({ type: "pointer", x: clampUnit(x), y: clampUnit(y) }),
  pushUrl: (url) => ({ type: "push_url", id: newId("url"), url }),
  end: (outcome, notes) => (notes ? { type: "end", outcome, notes } : { type: "end", outcome }),
  error: (code, message) => ({ type: "error", code, message: String(message).slice(0, 500) }),
};
