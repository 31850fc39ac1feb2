// DOM helpers of the console: errors, banners, the queue list, the chat log.
// Everything from the network is written with textContent, never innerHTML.
// Labels go through i18n.js; what is already logged (errors, chat lines) stays in
// the language it was written in, as a log does.

import { setText, t, tCode } from "./i18n.js";
import { visioStats } from "./stamp.js";

const MAX_ERRORS_SHOWN = 5;

export const $ = (id) => document.getElementById(id);

export function show(id, visible) {
  $(id).hidden = !visible;
}

/** Show an error to the agent (kept until dismissed; the oldest go first). */
export function showError(message, code = "") {
  visioStats.errors.push(code || message);
  const list = $("error-list");
  const item = document.createElement("li");
  item.dataset.code = code;
  const text = document.createElement("span");
  text.textContent = code ? `${message} (${code})` : message;
  const dismiss = document.createElement("button");
  dismiss.type = "button";
  setText(dismiss, "console.dismiss");
  dismiss.dataset.i18nAriaLabel = "console.dismiss_error";
  dismiss.setAttribute("aria-label", t("console.dismiss_error"));
  dismiss.addEventListener("click", () => item.remove());
  item.append(text, dismiss);
  list.append(item);
  while (list.children.length > MAX_ERRORS_SHOWN) list.firstElementChild.remove();
}

/** Show banner `id` with the text of `key` (kept current across a language switch), or hide it. */
export function setBanner(id, key, params = null) {
  const banner = $(id);
  if (key) setText(banner, key, params);
  banner.hidden = !key;
}

export function formatWait(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const languageName = (code) => ({ fr: t("console.lang_fr"), en: t("console.lang_en") })[code] ?? code;

// Where the citizen was when they asked for a person (kiosk/journey.py's Step, sent as the
// call's context.step), in the agent's language; a step this page does not know shows as sent.
// tests/staff/test_server_codes.py holds this table to the kiosk's steps.
const STEP_KEYS = {
  attract: "console.step_attract",
  language: "console.step_language",
  service: "console.step_service",
  privacy: "console.step_privacy",
  identify: "console.step_identify",
  form: "console.step_form",
  review: "console.step_review",
  submitting: "console.step_submitting",
  confirmation: "console.step_confirmation",
  feedback: "console.step_feedback",
  thanks: "console.step_thanks",
  agent: "console.step_agent",
  referral: "console.step_referral",
  eservice: "console.step_eservice",
  continue_at_home: "console.step_continue_at_home",
};

/**
 * A <dl> of a call's context: service, language, wait, and the fields the
 * citizen agreed to share. `waitingSinceS` (page clock, seconds) keeps the
 * waiting time ticking between snapshots (see tickQueue).
 */
export function fillContext(dl, call, waitingSinceS) {
  const waiting = t("console.ctx_waiting");
  const rows = [
    [t("console.ctx_service"), call.service_id ?? "–"],
    [t("console.ctx_queue"), call.queue_id],
    [t("console.ctx_language"), languageName(call.language)],
    [waiting, ""],
  ];
  if (call.reason) rows.push([t("console.ctx_reason"), call.reason]);
  const context = call.context ?? {};
  if (context.agency_id) rows.push([t("console.ctx_agency"), context.agency_id]);
  if (context.step) rows.push([t("console.ctx_step"), tCode(STEP_KEYS, context.step)]);
  for (const pair of Array.isArray(context.fields) ? context.fields : []) {
    if (Array.isArray(pair) && pair.length === 2) rows.push([String(pair[0]), String(pair[1])]);
  }
  dl.replaceChildren();
  for (const [label, value] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    if (label === waiting) {
      dd.className = "waited";
      dd.dataset.since = String(waitingSinceS);
    }
    dl.append(dt, dd);
  }
  tickQueue(dl, performance.now() / 1000, null);
}

/** Update the ticking texts (waiting times, the offer's countdown) without re-rendering. */
export function tickQueue(root, nowS, offer) {
  for (const dd of root.querySelectorAll(".waited")) {
    dd.textContent = formatWait(nowS - Number(dd.dataset.since));
  }
  const countdown = root.querySelector(".countdown");
  if (countdown && offer) {
    countdown.textContent = t("console.countdown", { s: Math.max(0, Math.ceil(offer.deadlineS - nowS)) });
  }
}

/**
 * The queue list. `offer` is the call offered to this agent (or null), shown
 * first and highlighted with accept/decline and its countdown.
 */
export function renderQueue(calls, offer, { onAccept, onDecline }) {
  const nowS = performance.now() / 1000;
  const list = $("queue-list");
  list.replaceChildren();
  const entries = offer ? [offer, ...calls.filter((c) => c.call_id !== offer.call_id)] : calls;
  for (const call of entries) {
    const offered = offer && call.call_id === offer.call_id;
    const item = document.createElement("li");
    item.className = offered ? "queue-item offered" : "queue-item";
    item.dataset.callId = call.call_id;
    const title = document.createElement("h3");
    title.textContent = offered ? t("console.offered") : t("console.position", { n: call.position ?? "–" });
    const dl = document.createElement("dl");
    dl.className = "context";
    fillContext(dl, call, call.receivedAtS - call.waited_s);
    item.append(title, dl);
    if (offered) {
      const countdown = document.createElement("p");
      countdown.className = "countdown";
      countdown.setAttribute("role", "timer");
      const accept = document.createElement("button");
      accept.type = "button";
      accept.className = "accept";
      accept.textContent = t("console.accept");
      accept.addEventListener("click", () => onAccept(call.call_id));
      const decline = document.createElement("button");
      decline.type = "button";
      decline.className = "decline";
      decline.textContent = t("console.decline");
      decline.addEventListener("click", () => onDecline(call.call_id));
      item.append(countdown, accept, decline);
    }
    list.append(item);
  }
  tickQueue(list, nowS, offer);
  $("queue-empty").hidden = entries.length > 0;
  $("queue-count").textContent = entries.length ? `(${entries.length})` : "";
}

/** Append a chat line; `from` is "agent", "citizen" or "system". */
export function appendChat(from, text) {
  const item = document.createElement("li");
  item.className = `chat-line ${from}`;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = from === "agent" ? t("console.chat_you") : from === "citizen" ? t("console.chat_citizen") : t("console.chat_info");
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  item.append(who, body);
  const log = $("chat-log");
  log.append(item);
  log.scrollTop = log.scrollHeight;
}
