// The link to the hub: the login request and the /ws/agent WebSocket. Messages
// are parsed in protocol.js; this module only moves frames and reconnects.

import {
  LOGIN_ID_FIELDS, LOGIN_PASSWORD_FIELD, LOGIN_PATH, ProtocolError, WS_PATH, parseHubMessage,
} from "./protocol.js";
import { t } from "./i18n.js";
import { answerRefusal } from "./refusals.js";

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10_000;

/** POST the login form; resolves on success, throws Error with a readable message otherwise. */
export async function login(agentId, password) {
  const body = new URLSearchParams();
  for (const field of LOGIN_ID_FIELDS) body.set(field, agentId);
  body.set(LOGIN_PASSWORD_FIELD, password);
  let response;
  try {
    response = await fetch(LOGIN_PATH, { method: "POST", body, credentials: "same-origin" });
  } catch {
    throw new Error(t("console.login_unreachable"));
  }
  if (response.ok) return;
  if (response.status === 401) throw new Error(t("console.login_wrong"));
  if (response.status === 429) {
    const wait = response.headers.get("Retry-After");
    throw new Error(wait ? t("console.login_too_many_wait", { s: wait }) : t("console.login_too_many"));
  }
  let detail = "";
  try {
    // The server's reason, in the agent's language when its code is known.
    const reason = answerRefusal(await response.json());
    if (reason) detail = `: ${reason}`;
  } catch {
    // Not JSON: the status alone is shown.
  }
  throw new Error(t("console.login_refused", { status: response.status, detail }));
}

/**
 * The agent's socket. Callbacks: onMessage(msg), onBadMessage(ProtocolError),
 * onStatus("connecting" | "open" | "lost" | "unauthorized"). A socket that
 * closes before any welcome means no session: "unauthorized", no retry.
 */
export class HubLink {
  constructor({ onMessage, onBadMessage, onStatus }) {
    this.onMessage = onMessage;
    this.onBadMessage = onBadMessage;
    this.onStatus = onStatus;
    this.socket = null;
    this.welcomed = false;
    this.everWelcomed = false;
    this.retryMs = RECONNECT_FIRST_MS;
    this.retryTimer = null;
    this.stopped = false;
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.welcomed = false;
    this.onStatus("connecting");
    const socket = new WebSocket(`${scheme}//${location.host}${WS_PATH}`);
    this.socket = socket;
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (!this.welcomed && !this.everWelcomed) {
        this.onStatus("unauthorized");
        return;
      }
      this.onStatus("lost");
      this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
    });
  }

  receive(data) {
    let message;
    try {
      message = parseHubMessage(data);
    } catch (err) {
      this.onBadMessage(err instanceof ProtocolError ? err : new ProtocolError("signal.invalid", String(err)));
      return;
    }
    if (message.type === "welcome") {
      this.welcomed = true;
      this.everWelcomed = true;
      this.retryMs = RECONNECT_FIRST_MS;
      this.onStatus("open");
    }
    this.onMessage(message);
  }

  /** Send a message built by protocol.toHub; false if the socket is not open. */
  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.socket?.close();
    this.socket = null;
  }
}
