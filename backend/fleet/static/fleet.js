// The fleet page: polls GET /api/v1/fleet, shows kiosks and alerts, sends commands.
// Everything a kiosk reports is shown with textContent, never as HTML.

const POLL_MS = 3000;
const ALERT_LABELS = {
  paper_out: "Printer out of paper",
  printer_fault: "Printer fault",
  face_camera_lost: "Face camera lost",
  document_camera_lost: "Document camera lost",
  card_reader_fault: "Card reader fault",
  backlog_stale: "Outbox backlog too old",
  silent: "Kiosk silent",
};
const COMMANDS = [
  ["sync_now", "Sync now"],
  ["out_of_service", "Out of service"],
  ["back_in_service", "Back in service"],
];
const COMMAND_LABELS = Object.fromEntries(COMMANDS);
const DEVICE_LABELS = {
  card_reader: "card reader",
  printer: "printer",
  document_camera: "document camera",
  face_camera: "face camera",
};

const $ = (id) => document.getElementById(id);
let timer = null;

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
  return `${Math.round(s / 86400)} d`;
}

function clock(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : "–";
}

function faultsOf(kiosk) {
  return kiosk.devices
    .filter((d) => d.state === "fault" || d.state === "degraded")
    .map((d) => `${DEVICE_LABELS[d.device] || d.device}: ${d.fault || d.state}`);
}

function statusBadge(kiosk) {
  if (!kiosk.seen) return el("span", "never seen", "badge never");
  return kiosk.online ? el("span", "online", "badge online") : el("span", "offline", "badge offline");
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
      $("status").textContent = `Command refused: ${body.detail || response.status}`;
    }
  } finally {
    button.disabled = false;
    refresh();
  }
}

// Revoking cuts a (stolen) kiosk off for good: confirmed by typing its id again,
// which the back end checks too. The kiosk then leaves this list.
async function revokeKiosk(kioskId, button) {
  const typed = window.prompt(
    `Revoke the credential of ${kioskId}? It stops syncing and calling at once ` +
      `and needs a new enrolment to come back. Type the kiosk id to confirm.`,
  );
  if (typed === null) return;
  button.disabled = true;
  try {
    const response = await fetch(`/api/v1/fleet/${encodeURIComponent(kioskId)}/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ confirm: typed.trim() }),
    });
    const body = await response.json().catch(() => ({}));
    $("status").textContent = response.ok
      ? `Credential of ${kioskId} revoked`
      : `Revocation refused: ${body.detail || response.status}`;
  } finally {
    button.disabled = false;
    refresh();
  }
}

function commandCell(kioskId) {
  const cell = el("td", null, "command-col");
  for (const [kind, label] of COMMANDS) {
    const button = el("button", label);
    button.type = "button";
    button.dataset.kind = kind;
    button.setAttribute("aria-label", `${label}: ${kioskId}`);
    button.addEventListener("click", () => sendCommand(kioskId, kind, button));
    cell.append(button);
  }
  const revoke = el("button", "Revoke", "revoke");
  revoke.type = "button";
  revoke.dataset.kind = "revoke";
  revoke.setAttribute("aria-label", `Revoke credential: ${kioskId}`);
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
    cells[2].textContent = kiosk.seen ? `${duration(kiosk.silent_s)} ago` : "–";
    const faults = faultsOf(kiosk);
    cells[3].replaceChildren(...faults.map((f) => el("div", f, "fault")));
    if (!faults.length) cells[3].textContent = kiosk.seen ? "none" : "–";
    cells[4].textContent = kiosk.seen
      ? `${kiosk.backlog}` + (kiosk.oldest_pending_age_s !== null ? ` (oldest ${duration(kiosk.oldest_pending_age_s)})` : "")
      : "–";
    cells[5].textContent = kiosk.app_version || "–";
    cells[6].replaceChildren(
      kiosk.out_of_service ? el("span", "out of service", "badge oos") : el("span", kiosk.seen ? "in service" : "–"),
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
  const label = ALERT_LABELS[alert.kind] || alert.kind;
  item.append(el("strong", alert.kiosk_id), document.createTextNode(` — ${label}`));
  if (alert.detail) item.append(document.createTextNode(` (${alert.detail})`));
  const when = cleared
    ? `from ${clock(alert.first_seen_at)} to ${clock(alert.cleared_at)}`
    : `since ${clock(alert.first_seen_at)}`;
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

function renderCommands(view) {
  const rows = view.commands.map((command) => {
    const row = el("tr");
    row.dataset.command = command.command_id;
    row.append(
      el("td", clock(command.issued_at)),
      el("td", command.kiosk_id),
      el("td", COMMAND_LABELS[command.kind] || command.kind),
      el("td", command.issued_by),
      el("td", command.state, `state-${command.state}`),
      el("td", command.detail || ""),
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
    renderAlerts(view);
    renderKiosks(view);
    renderCommands(view);
    $("status").textContent = `Updated ${clock(view.now)} · ${view.kiosks.length} kiosks`;
  } catch (error) {
    $("status").textContent = `Cannot reach the back end (${error.message}); retrying`;
  }
  timer = setTimeout(refresh, POLL_MS);
}

async function signIn(event) {
  event.preventDefault();
  const agentId = $("login-id").value.trim();
  const password = $("login-password").value;
  if (!agentId || !password) {
    $("login-error").textContent = "Enter your staff id and password.";
    return;
  }
  const response = await fetch("/console/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ agent_id: agentId, password }),
  });
  if (response.status === 429) {
    $("login-error").textContent = "Too many attempts; try again later.";
  } else if (!response.ok) {
    $("login-error").textContent = "Wrong staff id or password.";
  } else {
    $("login-error").textContent = "";
    $("login-password").value = "";
    refresh();
  }
}

$("login-form").addEventListener("submit", signIn);
refresh();
