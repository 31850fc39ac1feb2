// The agent console: sign-in, the agent's state, the queue and the call. This
// module owns the page's state and the hub side of a call; protocol names are
// in protocol.js, the kiosk side of a call in callview.js.

import { CallView } from "./callview.js";
import { CallSession } from "./call.js";
import { clearText, onLanguageChange, setText, startI18n, t, tCode } from "./i18n.js";
import { visioStats } from "./stamp.js";
import { CHOSEN_STATES, OUTCOMES, toHub } from "./protocol.js";
import { refusalText } from "./refusals.js";
import { HubLink, login } from "./signaling.js";
import { $, appendChat, renderQueue, setBanner, show, showError, tickQueue } from "./ui.js";

const TICK_MS = 1_000;
// Keys written out (not built from the code) so the catalogue test sees every one.
const STATE_KEYS = {
  available: "state.available", busy: "state.busy", wrap_up: "state.wrap_up", away: "state.away",
  offline: "state.offline",
};
const stateText = (value) => (STATE_KEYS[value] ? t(STATE_KEYS[value]) : value);
// A mute button names what a click does next: "Unmute" while muted.
const MUTE_KEYS = {
  mic_muted: "console.mic_unmute", mic_live: "console.mic_mute",
  camera_muted: "console.camera_on", camera_live: "console.camera_off",
};
const OUTCOME_KEYS = {
  resolved: "outcome.resolved", unresolved: "outcome.unresolved", referred: "outcome.referred",
  callback: "outcome.callback",
};
// How a call ended, as the hub tells it (video/signaling.py HangupOutcome).
const HANGUP_KEYS = {
  resolved: "outcome.resolved", unresolved: "outcome.unresolved",
  citizen_left: "outcome.citizen_left", connection_lost: "outcome.connection_lost",
};
const hangupText = (code) => tCode(HANGUP_KEYS, code);

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
      showError(t("console.err_internal", { type: message.type, error: err.message }), "console.internal");
    }
  },
  onBadMessage: (err) => showError(t("console.err_bad_message", { error: err.message }), err.code),
  onStatus: onLinkStatus,
});

function send(message) {
  if (!hub.send(message)) showError(t("console.err_not_connected"), "signal.not_connected");
}

function onLinkStatus(status) {
  if (status === "unauthorized") {
    state.agent = null;
    showScreen("login");
    $("login-id").focus();
  } else if (status === "lost") {
    setBanner("link-banner", "console.link_lost");
  } else if (status === "open") {
    setBanner("link-banner", null);
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
      setText(document.querySelector("title"), "console.page_title_offered");
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
        appendChat("system", t("console.call_ended", { outcome: hangupText(message.outcome) }));
        finishCall(true);
      }
      break;
    case "error":
      showError(refusalText(message.code, message.message, {}, t("console.err_refused")), message.code);
      break;
    default:
      break;
  }
}

function setAgentState(value) {
  if (state.agent) state.agent.state = value;
  const label = $("agent-state");
  label.textContent = stateText(value);
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
  setText(document.querySelector("title"), "console.page_title");
  state.pendingCallId = callId;
  state.view?.close();
  state.view = new CallView(call, state.iceServers, takeRinging(callId));
  refreshTransferTargets();
  showScreen("call");
  appendChat("system", t("console.call_accepted"));
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
  setText(document.querySelector("title"), "console.page_title");
  refreshQueue();
}

async function onOffer(message) {
  const view = state.view;
  if (!view || view.callId !== message.call_id) {
    showError(t("console.err_unknown_offer"), "call.unknown_offer");
    return;
  }
  try {
    visioStats.offerAtMs ??= Date.now();
    const sdp = await view.answer(message.sdp);
    visioStats.answerAtMs ??= Date.now();
    if (state.view === view) send(toHub.answer(view.callId, sdp));
  } catch (err) {
    showError(t("console.err_answer_failed", { error: err.message }), "call.answer_failed");
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
  const chosen = select.value; // kept across a snapshot or a language switch
  select.replaceChildren();
  const me = state.agent?.agent_id;
  for (const agent of state.agents) {
    if (agent.agent_id === me) continue;
    select.append(new Option(`${agent.name} (${stateText(agent.state)})`, `agent:${agent.agent_id}`));
  }
  const queues = new Set(state.calls.map((call) => call.queue_id));
  if (state.view) queues.add(state.view.call.queue_id);
  for (const queue of [...queues].sort()) select.append(new Option(t("console.queue_option", { queue }), `queue:${queue}`));
  if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
}

function wireForms() {
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("login-error");
    const id = $("login-id").value.trim();
    const password = $("login-password").value;
    if (!id || !password) {
      setText(error, "console.login_missing");
      return;
    }
    clearText(error);
    try {
      await login(id, password);
    } catch (err) {
      // signaling.js words its errors with t(); they stay in the language of the attempt.
      clearText(error);
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
    state.view?.print($("print-file").files[0])
      .catch((err) => showError(t("console.err_print", { error: err.message }), "print.failed"));
  });
  $("transfer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const [kind, id] = $("transfer-target").value.split(/:(.*)/s);
    if (!state.view || !id) return showError(t("console.err_no_target"), "transfer.no_target");
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
    ["mute-mic", "audio", MUTE_KEYS.mic_muted, MUTE_KEYS.mic_live],
    ["mute-camera", "video", MUTE_KEYS.camera_muted, MUTE_KEYS.camera_live],
  ]) {
    $(button).addEventListener("click", () => {
      const muted = $(button).getAttribute("aria-pressed") !== "true";
      $(button).setAttribute("aria-pressed", String(muted));
      setText($(button), muted ? on : off);
      state.view?.setMuted(kind, muted);
    });
  }
  fillOutcomes();
}

/** The end-of-call outcomes, in the current language (the chosen one is kept). */
function fillOutcomes() {
  const outcome = $("end-outcome");
  const chosen = outcome.value;
  outcome.replaceChildren();
  for (const code of OUTCOMES) {
    outcome.append(new Option(OUTCOME_KEYS[code] ? t(OUTCOME_KEYS[code]) : code.replace("_", " "), code));
  }
  if (chosen) outcome.value = chosen;
}

/**
 * After a language switch: what console.js built from data is rebuilt; the call,
 * the offer and the forms' contents are untouched (marked texts are already done).
 */
function relabel() {
  if (state.agent) setAgentState(state.agent.state);
  refreshQueue();
  refreshTransferTargets();
  fillOutcomes();
  state.view?.relabel();
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
  showError(t("console.err_unexpected", { error: event.reason?.message ?? event.reason }), "console.internal");
});

startI18n();
onLanguageChange(relabel);
wireForms();
setInterval(tick, TICK_MS);
hub.connect();
