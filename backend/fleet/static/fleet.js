// The fleet page: polls GET /api/v1/fleet, shows kiosks and alerts, sends commands.
// Everything a kiosk reports is shown with textContent, never as HTML.
// Words go through the staff pages' i18n (console/static/i18n.js).

import { clearText, locale, onLanguageChange, setText, startI18n, t, tCode } from "/console/static/i18n.js";
import { answerRefusal } from "/console/static/refusals.js";

const POLL_MS = 3000;
// A command's or a revocation's answer stays in the status line over the next polls.
const NOTICE_MS = 10_000;
const ALERT_KEYS = {
  paper_out: "fleet.alert_paper_out",
  printer_fault: "fleet.alert_printer_fault",
  face_camera_lost: "fleet.alert_face_camera_lost",
  document_camera_lost: "fleet.alert_document_camera_lost",
  card_reader_fault: "fleet.alert_card_reader_fault",
  backlog_stale: "fleet.alert_backlog_stale",
  silent: "fleet.alert_silent",
};
const COMMAND_KEYS = {
  sync_now: "fleet.cmd_sync_now",
  out_of_service: "fleet.cmd_out_of_service",
  back_in_service: "fleet.cmd_back_in_service",
};
const COMMANDS = Object.keys(COMMAND_KEYS);
const DEVICE_KEYS = {
  card_reader: "fleet.device_card_reader",
  printer: "fleet.device_printer",
  document_camera: "fleet.device_document_camera",
  face_camera: "fleet.device_face_camera",
};
const COMMAND_STATE_KEYS = {
  pending: "fleet.state_pending",
  delivered: "fleet.state_delivered",
  acked: "fleet.state_acked",
  failed: "fleet.state_failed",
};
// The details the back end writes itself (the kiosk's own words are shown as they come).
const DETAIL_KEYS = {
  expired: "fleet.detail_expired",
};
// A device's state when it reports no fault code.
const DEVICE_STATE_KEYS = {
  fault: "fleet.device_state_fault",
  degraded: "fleet.device_state_degraded",
};
// What a kiosk reports of a device (offline_queue/heartbeat.py FAULT_CODES).
const FAULT_KEYS = {
  error: "fleet.fault_error",
  paper_out: "fleet.fault_paper_out",
  paper_low: "fleet.fault_paper_low",
  offline: "fleet.fault_offline",
  timeout: "fleet.fault_timeout",
  rejected: "fleet.fault_rejected",
  jam: "fleet.fault_jam",
  cover_open: "fleet.fault_cover_open",
  absent: "fleet.fault_absent",
  removed: "fleet.fault_removed",
  unreadable: "fleet.fault_unreadable",
  reader_unavailable: "fleet.fault_reader_unavailable",
  unsupported: "fleet.fault_unsupported",
  wrong_pin: "fleet.fault_wrong_pin",
  blocked: "fleet.fault_blocked",
  pin_format: "fleet.fault_pin_format",
  unavailable: "fleet.fault_unavailable",
  lost: "fleet.fault_lost",
  blank: "fleet.fault_blank",
  refused: "fleet.fault_refused",
  no_page: "fleet.fault_no_page",
  blurry: "fleet.fault_blurry",
  glare: "fleet.fault_glare",
  duplicate: "fleet.fault_duplicate",
};
// A code from the back end in the current language, or the code itself if it is new.

const $ = (id) => document.getElementById(id);
let timer = null;
let lastView = null; // re-rendered as is when the language changes
let notice = null; // {key, params, until}: redrawn, in the current language, until it lapses

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return t("fleet.days", { n: Math.round(s / 86400) });
}

// Hours and minutes: with seconds, Québec French spells "10 h 52 min 45 s", which beside
// "depuis" reads as a duration rather than a time of day.
function clock(iso) {
  return iso ? new Date(iso).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" }) : "–";
}

function faultsOf(kiosk) {
  return kiosk.devices
    .filter((d) => d.state === "fault" || d.state === "degraded")
    .map((d) => t("fleet.fault", {
      device: tCode(DEVICE_KEYS, d.device),
      fault: d.fault ? tCode(FAULT_KEYS, d.fault) : tCode(DEVICE_STATE_KEYS, d.state),
    }));
}

// `params` is a function, so that a server's refusal is worded again after a language switch.
function showNotice(key, params) {
  notice = { key, params, until: Date.now() + NOTICE_MS };
  setText($("status"), key, params());
}

function statusBadge(kiosk) {
  if (!kiosk.seen) return el("span", t("fleet.never_seen"), "badge never");
  return kiosk.online ? el("span", t("fleet.online"), "badge online") : el("span", t("fleet.offline"), "badge offline");
}

async function sendCommand(kioskId, kind, button) {
  button.disabled = true;
  try {
    const response = await fetch(`/api/v1/fleet/${encodeURIComponent(kioskId)}/commands`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ kind }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      showNotice("fleet.command_refused", () => ({ detail: answerRefusal(body) || response.status }));
    }
  } finally {
    button.disabled = false;
    refresh();
  }
}

// Revoking cuts a (stolen) kiosk off for good: confirmed by typing its id again,
// which the back end checks too. The kiosk then leaves this list.
async function revokeKiosk(kioskId, button) {
  const typed = window.prompt(t("fleet.revoke_prompt", { kiosk: kioskId }));
  if (typed === null) return;
  button.disabled = true;
  try {
    const response = await fetch(`/api/v1/fleet/${encodeURIComponent(kioskId)}/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ confirm: typed.trim() }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) showNotice("fleet.revoked", () => ({ kiosk: kioskId }));
    else showNotice("fleet.revoke_refused", () => ({ detail: answerRefusal(body) || response.status }));
  } finally {
    button.disabled = false;
    refresh();
  }
}

function commandCell(kioskId) {
  const cell = el("td", null, "command-col");
  for (const kind of COMMANDS) {
    const text = tCode(COMMAND_KEYS, kind);
    const button = el("button", text);
    button.type = "button";
    button.dataset.kind = kind;
    button.setAttribute("aria-label", `${text}: ${kioskId}`);
    button.addEventListener("click", () => sendCommand(kioskId, kind, button));
    cell.append(button);
  }
  const revoke = el("button", t("fleet.revoke"), "revoke");
  revoke.type = "button";
  revoke.dataset.kind = "revoke";
  revoke.setAttribute("aria-label", t("fleet.revoke_label", { kiosk: kioskId }));
  revoke.addEventListener("click", () => revokeKiosk(kioskId, revoke));
  cell.append(revoke);
  return cell;
}

function renderKiosks(view) {
  const body = document.querySelector("#kiosks tbody");
  const seen = new Set();
  for (const kiosk of view.kiosks) {
    seen.add(kiosk.kiosk_id);
    let row = body.querySelector(`tr[data-kiosk="${CSS.escape(kiosk.kiosk_id)}"]`);
    if (!row) {
      row = el("tr");
      row.dataset.kiosk = kiosk.kiosk_id;
      row.append(el("th"));
      row.firstChild.scope = "row";
      for (let i = 1; i < 7; i += 1) row.append(el("td"));
      row.append(commandCell(kiosk.kiosk_id));
      body.append(row);
    }
    const cells = row.children;
    cells[0].textContent = kiosk.kiosk_id;
    cells[1].replaceChildren(statusBadge(kiosk));
    cells[2].textContent = kiosk.seen ? t("fleet.ago", { duration: duration(kiosk.silent_s) }) : "–";
    const faults = faultsOf(kiosk);
    cells[3].replaceChildren(...faults.map((f) => el("div", f, "fault")));
    if (!faults.length) cells[3].textContent = kiosk.seen ? t("fleet.no_faults") : "–";
    cells[4].textContent = kiosk.seen
      ? `${kiosk.backlog}` +
        (kiosk.oldest_pending_age_s !== null
          ? ` ${t("fleet.oldest", { duration: duration(kiosk.oldest_pending_age_s) })}`
          : "")
      : "–";
    cells[5].textContent = kiosk.app_version || "–";
    cells[6].replaceChildren(
      kiosk.out_of_service
        ? el("span", t("fleet.out_of_service"), "badge oos")
        : el("span", kiosk.seen ? t("fleet.in_service") : "–"),
    );
    cells[7].hidden = !view.may_command && !view.may_revoke;
    for (const button of cells[7].querySelectorAll("button")) {
      button.hidden = button.dataset.kind === "revoke" ? !view.may_revoke : !view.may_command;
    }
  }
  for (const row of [...body.children]) {
    if (!seen.has(row.dataset.kiosk)) row.remove();
  }
  document.querySelector("#kiosks th.command-col").hidden = !view.may_command && !view.may_revoke;
}

function alertItem(alert, cleared) {
  const item = el("li");
  item.dataset.kind = alert.kind;
  item.dataset.kiosk = alert.kiosk_id;
  item.append(el("strong", alert.kiosk_id), document.createTextNode(` — ${tCode(ALERT_KEYS, alert.kind)}`));
  // The detail is the kiosk's fault code (translated) or its own words (shown as they come).
  if (alert.detail) item.append(document.createTextNode(` (${tCode(FAULT_KEYS, alert.detail)})`));
  const when = cleared
    ? t("fleet.cleared_when", { from: clock(alert.first_seen_at), to: clock(alert.cleared_at) })
    : t("fleet.since", { time: clock(alert.first_seen_at) });
  item.append(el("span", when, "when"));
  return item;
}

function renderAlerts(view) {
  $("alerts").replaceChildren(...view.alerts.map((a) => alertItem(a, false)));
  $("cleared").replaceChildren(...view.cleared_alerts.map((a) => alertItem(a, true)));
  $("no-alerts").hidden = view.alerts.length > 0;
  $("alert-count").textContent = String(view.alerts.length);
  $("alert-count").classList.toggle("some", view.alerts.length > 0);
}

function commandDetail(command, view) {
  const params = { s: Math.trunc(view.command_ttl_s) };
  return tCode(DETAIL_KEYS, command.detail_code, params, command.detail || "");
}

function renderCommands(view) {
  const rows = view.commands.map((command) => {
    const row = el("tr");
    row.dataset.command = command.command_id;
    row.append(
      el("td", clock(command.issued_at)),
      el("td", command.kiosk_id),
      el("td", tCode(COMMAND_KEYS, command.kind)),
      el("td", command.issued_by),
      el("td", tCode(COMMAND_STATE_KEYS, command.state), `state-${command.state}`),
      el("td", commandDetail(command, view)),
    );
    return row;
  });
  document.querySelector("#commands tbody").replaceChildren(...rows);
}

function show(section) {
  $("login").hidden = section !== "login";
  $("forbidden").hidden = section !== "forbidden";
  $("fleet").hidden = section !== "fleet";
}

function render(view) {
  lastView = view;
  renderAlerts(view);
  renderKiosks(view);
  renderCommands(view);
  if (notice && Date.now() < notice.until) {
    setText($("status"), notice.key, notice.params());
  } else {
    notice = null;
    setText($("status"), "fleet.updated", { time: clock(view.now), n: view.kiosks.length });
  }
}

// The kiosk rows keep their command buttons between polls: drop them so they are
// rebuilt in the new language, then redraw the last view (no fetch, no flicker).
function relabel() {
  if (!lastView) return;
  document.querySelector("#kiosks tbody").replaceChildren();
  render(lastView);
}

async function refresh() {
  clearTimeout(timer);
  try {
    const response = await fetch("/api/v1/fleet", { headers: { Accept: "application/json" } });
    if (response.status === 401) {
      show("login");
      return; // no polling until signed in
    }
    if (response.status === 403) {
      show("forbidden");
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const view = await response.json();
    show("fleet");
    render(view);
  } catch (error) {
    setText($("status"), "fleet.unreachable", { error: error.message });
  }
  timer = setTimeout(refresh, POLL_MS);
}

async function signIn(event) {
  event.preventDefault();
  const agentId = $("login-id").value.trim();
  const password = $("login-password").value;
  if (!agentId || !password) {
    setText($("login-error"), "fleet.login_missing");
    return;
  }
  const response = await fetch("/console/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ agent_id: agentId, password }),
  });
  if (response.status === 429) {
    setText($("login-error"), "fleet.login_too_many");
  } else if (!response.ok) {
    setText($("login-error"), "fleet.login_wrong");
  } else {
    clearText($("login-error"));
    $("login-password").value = "";
    refresh();
  }
}

startI18n();
onLanguageChange(relabel);
$("login-form").addEventListener("submit", signIn);
refresh();
