// The agent console: sign-in, the agent's state, the queue and the call. This
// module owns the page's state and the hub side of a call; protocol names are
// in protocol.js, the kiosk side of a call in callview.js.

import { CallView } from "./callview.js";
import { CallSession } from "./call.js";
import { visioStats } from "./stamp.js";
import { CHOSEN_STATES, OUTCOMES, toHub } from "./protocol.js";
import { HubLink, login } from "./signaling.js";
import { $, appendChat, renderQueue, setBanner, show, showError, tickQueue } from "./ui.js";

const TICK_MS = 1_000;
const STATE_TEXT = {
  available: "Available", busy: "In a call", wrap_up: "Wrap-up", away: "Away", offline: "Offline",
};

const state = {
  agent: null, // {agent_id, name, state}
  iceServers: [],
  calls: [], // the last queue snapshot, each with receivedAtS (page clock)
  agents: [],
  offer: null, // the call offered to this agent, with deadlineS
  pendingCallId: null, // accepted, waiting for the kiosk's offer
  view: null, // the CallView of the current call
  // While a call rings: its CallSession, opening the agent's camera and gathering
  // ICE candidates, so that accepting connects at once (see ring()).
  ringing: null,
};

const nowS = () => performance.now() / 1000;

const hub = new HubLink({
  onMessage: (message) => {
    try {
      onHubMessage(message);
    } catch (err) {
      showError(`The console failed to handle ${message.type}: ${err.message}`, "console.internal");
    }
  },
  onBadMessage: (err) => showError(`The server sent a message the console cannot read: ${err.message}`, err.code),
  onStatus: onLinkStatus,
});

function send(message) {
  if (!hub.send(message)) showError("Not connected to the server; try again in a moment.", "signal.not_connected");
}

function onLinkStatus(status) {
  if (status === "unauthorized") {
    state.agent = null;
    showScreen("login");
    $("login-id").focus();
  } else if (status === "lost") {
    setBanner("link-banner", "Connection to the server lost; reconnecting…");
  } else if (status === "open") {
    setBanner("link-banner", "");
  }
}

function showScreen(name) {
  show("login", name === "login");
  show("agent", name !== "login");
  show("queue", name === "queue");
  show("call", name === "call");
}

function onHubMessage(message) {
  switch (message.type) {
    case "welcome":
      state.agent = { agent_id: message.agent_id, name: message.name, state: message.state };
      state.iceServers = message.ice_servers ?? [];
      $("agent-name").textContent = message.name;
      setAgentState(message.state);
      if (!state.view) showScreen("queue");
      break;
    case "agent_state":
      setAgentState(message.state);
      break;
    case "queue_snapshot":
      state.calls = message.calls.map((call) => ({ ...call, receivedAtS: nowS() }));
      state.agents = message.agents;
      refreshQueue();
      refreshTransferTargets();
      break;
    case "call_offered":
      state.offer = { ...message, receivedAtS: nowS(), deadlineS: nowS() + message.timeout_s };
      ring(message.call_id);
      refreshQueue();
      document.title = "Call offered – Visioguichet";
      break;
    case "call_taken":
      if (state.offer?.call_id === message.call_id) state.offer = null;
      stopRinging(message.call_id);
      state.calls = state.calls.filter((call) => call.call_id !== message.call_id);
      refreshQueue();
      break;
    case "offer":
      onOffer(message);
      break;
    case "hangup":
      if (state.view?.callId === message.call_id || state.pendingCallId === message.call_id) {
        appendChat("system", `The call ended (${message.outcome}).`);
        finishCall(true);
      }
      break;
    case "error":
      showError(message.message || "The server refused a request.", message.code);
      break;
    default:
      break;
  }
}

function setAgentState(value) {
  if (state.agent) state.agent.state = value;
  const label = $("agent-state");
  label.textContent = STATE_TEXT[value] ?? value;
  label.dataset.state = value;
  for (const chosen of CHOSEN_STATES) $(`state-${chosen}`).setAttribute("aria-pressed", String(value === chosen));
  $("wrap-up-done").hidden = value !== "wrap_up";
}

function refreshQueue() {
  renderQueue(state.calls, state.offer, { onAccept: accept, onDecline: decline });
}

function accept(callId) {
  const call = state.offer?.call_id === callId ? state.offer : state.calls.find((c) => c.call_id === callId);
  if (!call) return;
  visioStats.acceptedAtMs = Date.now();
  visioStats.offerAtMs = visioStats.answerAtMs = visioStats.connectedAtMs = null;
  visioStats.firstFrameAtMs = null;
  send(toHub.accept(callId));
  state.offer = null;
  document.title = "Visioguichet – agent console";
  state.pendingCallId = callId;
  state.view?.close();
  state.view = new CallView(call, state.iceServers, takeRinging(callId));
  refreshTransferTargets();
  showScreen("call");
  appendChat("system", "Call accepted; connecting to the kiosk…");
  $("chat-input").focus();
}

/**
 * A call rings for this agent: open the camera (the agent's preview) and start
 * gathering ICE candidates now, while the agent reads the context, so that the
 * answer leaves as soon as the kiosk's offer arrives after the accept. Nothing
 * is sent before the accept; a declined or lapsed call closes it all.
 */
function ring(callId) {
  stopRinging();
  state.ringing = new CallSession(callId, state.iceServers);
  state.ringing.openLocalMedia().catch(() => undefined); // the call view reports a refusal
}

function stopRinging(callId = null) {
  if (!state.ringing || (callId !== null && state.ringing.callId !== callId)) return;
  state.ringing.close();
  state.ringing = null;
}

/** The ringing session of `callId`, handed over once (null if another call rang). */
function takeRinging(callId) {
  const session = state.ringing?.callId === callId ? state.ringing : null;
  if (session) state.ringing = null;
  else stopRinging();
  return session;
}

function decline(callId) {
  send(toHub.decline(callId));
  if (state.offer?.call_id === callId) state.offer = null;
  stopRinging(callId);
  document.title = "Visioguichet – agent console";
  refreshQueue();
}

async function onOffer(message) {
  const view = state.view;
  if (!view || view.callId !== message.call_id) {
    showError("The server relayed an offer for a call that is not yours.", "call.unknown_offer");
    return;
  }
  try {
    visioStats.offerAtMs ??= Date.now();
    const sdp = await view.answer(message.sdp);
    visioStats.answerAtMs ??= Date.now();
    if (state.view === view) send(toHub.answer(view.callId, sdp));
  } catch (err) {
    showError(`The call could not be connected: ${err.message}`, "call.answer_failed");
  }
}

/** Leave the call view; `wrapUp` shows the wrap-up state until the hub says otherwise. */
function finishCall(wrapUp) {
  state.view?.close();
  state.view = null;
  state.pendingCallId = null;
  showScreen("queue");
  refreshQueue();
  if (wrapUp) setAgentState("wrap_up");
  $("queue-title").focus();
}

function refreshTransferTargets() {
  const select = $("transfer-target");
  select.replaceChildren();
  const me = state.agent?.agent_id;
  for (const agent of state.agents) {
    if (agent.agent_id === me) continue;
    select.append(new Option(`${agent.name} (${STATE_TEXT[agent.state] ?? agent.state})`, `agent:${agent.agent_id}`));
  }
  const queues = new Set(state.calls.map((call) => call.queue_id));
  if (state.view) queues.add(state.view.call.queue_id);
  for (const queue of [...queues].sort()) select.append(new Option(`Queue ${queue}`, `queue:${queue}`));
}

function wireForms() {
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("login-error");
    const id = $("login-id").value.trim();
    const password = $("login-password").value;
    if (!id || !password) {
      error.textContent = "Enter your agent id and password.";
      return;
    }
    error.textContent = "";
    try {
      await login(id, password);
    } catch (err) {
      error.textContent = err.message;
      $("login-password").select();
      return;
    }
    $("login-password").value = "";
    hub.connect();
  });
  for (const chosen of CHOSEN_STATES) {
    $(`state-${chosen}`).addEventListener("click", () => send(toHub.agentState(chosen)));
  }
  $("wrap-up-done").addEventListener("click", () => {
    send(toHub.wrapUpDone());
    $("wrap-up-done").hidden = true;
  });
  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (state.view?.sendChat($("chat-input").value)) $("chat-input").value = "";
  });
  $("capture").addEventListener("click", () => state.view?.requestCapture());
  $("curtain").addEventListener("click", () => state.view?.coverScreen());
  $("push-link-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const kind = document.querySelector('input[name="push-kind"]:checked')?.value ?? "link";
    state.view?.pushLink(kind, $("push-title").value, $("push-url").value.trim());
  });
  $("push-url-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.view?.pushUrl($("push-url-input").value.trim());
  });
  $("push-form-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.view?.pushForm($("form-title").value, $("form-id").value.trim());
  });
  $("print-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.view?.print($("print-file").files[0]).catch((err) => showError(`Printing failed: ${err.message}`, "print.failed"));
  });
  $("transfer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const [kind, id] = $("transfer-target").value.split(/:(.*)/s);
    if (!state.view || !id) return showError("Choose a colleague or a queue.", "transfer.no_target");
    send(toHub.transfer(state.view.callId, kind === "agent" ? { agentId: id } : { queueId: id }));
    finishCall(false);
  });
  $("end-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!state.view) return;
    const outcome = $("end-outcome").value;
    const notes = $("end-notes").value.trim();
    state.view.sendEnd(outcome, notes);
    send(toHub.endCall(state.view.callId, outcome, notes));
    $("end-notes").value = "";
    finishCall(true);
  });
  for (const [button, kind, on, off] of [
    ["mute-mic", "audio", "Unmute microphone", "Mute microphone"],
    ["mute-camera", "video", "Turn camera on", "Turn camera off"],
  ]) {
    $(button).addEventListener("click", () => {
      const muted = $(button).getAttribute("aria-pressed") !== "true";
      $(button).setAttribute("aria-pressed", String(muted));
      $(button).textContent = muted ? on : off;
      state.view?.setMuted(kind, muted);
    });
  }
  const outcome = $("end-outcome");
  for (const code of OUTCOMES) outcome.append(new Option(code.replace("_", " "), code));
}

function tick() {
  const offer = state.offer;
  if (offer && nowS() > offer.deadlineS + 2) {
    // The hub withdraws a lapsed offer with call_taken; this only tidies if that is lost.
    state.offer = null;
    stopRinging(offer.call_id);
    refreshQueue();
    return;
  }
  tickQueue($("queue-list"), nowS(), offer);
}

// Stray errors end up visible rather than only in the developer console.
window.addEventListener("unhandledrejection", (event) => {
  showError(`Unexpected error: ${event.reason?.message ?? event.reason}`, "console.internal");
});

wireForms();
setInterval(tick, TICK_MS);
hub.connect();
