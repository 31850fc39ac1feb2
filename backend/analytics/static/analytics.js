// The analytics dashboard: filters -> /api/v1/analytics/summary -> figures, charts and tables.
// Every chart has a table beside it (screen readers, copying); numbers are formatted here only.
// Words and number formats follow the staff pages' language (console/static/i18n.js); a
// switch redraws the last summary without fetching it again.

import { clearText, locale, onLanguageChange, setText, startI18n, t } from "/console/static/i18n.js";
import { answerRefusal } from "/console/static/refusals.js";

const API = "/api/v1/analytics";
const COLORS = ["#0b5cad", "#2da44e", "#cf222e", "#bf8700", "#8250df", "#1b7c83", "#57606a"];
const CHANNEL_KEYS = {
  kiosk: "analytics.channel_kiosk",
  video: "analytics.channel_video",
  counter: "analytics.channel_counter",
  phone: "analytics.channel_phone",
};
const SERIES_KEYS = {
  sessions: "analytics.series_sessions",
  completed: "analytics.series_completed",
  abandoned: "analytics.series_abandoned",
  escalated: "analytics.series_escalated",
};
const COST_FIELD_KEYS = {
  monthly_per_kiosk: "analytics.field_monthly_per_kiosk",
  agent_hourly: "analytics.field_agent_hourly",
  per_transaction: "analytics.field_per_transaction",
};
const channelName = (code) => (CHANNEL_KEYS[code] ? t(CHANNEL_KEYS[code]) : code);
const charts = {};
let lastSummary = null;
let lastCosts = null;

function $(id) {
  return document.getElementById(id);
}

function number(value, digits = 0) {
  if (value === null || value === undefined) return "—";
  return value.toLocaleString(locale(), {minimumFractionDigits: digits, maximumFractionDigits: digits});
}

function percent(value) {
  if (value === null || value === undefined) return "—";
  return `${(value * 100).toLocaleString(locale(), {minimumFractionDigits: 1, maximumFractionDigits: 1})} %`;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds % 60)} s`;
}

function query() {
  const params = new URLSearchParams();
  for (const name of ["from", "to", "site", "agency", "service"]) {
    const value = $(name).value;
    if (value) params.set(name, value);
  }
  return params.toString();
}

async function getJson(url, options = {}) {
  const answer = await fetch(url, {credentials: "same-origin", ...options});
  if (answer.status === 401) {
    location.reload(); // the session ended: the page asks to log in again
    throw new Error("logged out");
  }
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    // The refusal in the page's language; a validator's list of problems as it comes.
    const detail = answerRefusal(body) || (body.detail === undefined ? "" : JSON.stringify(body.detail));
    throw new Error(detail || `HTTP ${answer.status}`);
  }
  return body;
}

function fillSelect(select, values) {
  const chosen = select.value;
  select.length = 1; // keep "All ..."
  for (const value of values) select.add(new Option(value, value, false, value === chosen));
}

function fillTable(table, headers, rows) {
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const text of headers) {
    const cell = document.createElement("th");
    cell.scope = "col";
    cell.textContent = text;
    head.appendChild(cell);
  }
  const body = table.createTBody();
  for (const row of rows) {
    const line = body.insertRow();
    row.forEach((value, index) => {
      const cell = line.insertCell();
      cell.textContent = value;
      if (index > 0) cell.className = "number";
    });
  }
}

function draw(id, type, labels, datasets, options = {}) {
  if (charts[id]) charts[id].destroy();
  charts[id] = new Chart($(id), {
    type,
    data: {
      labels,
      datasets: datasets.map((set, index) => ({
        backgroundColor: COLORS[index % COLORS.length],
        borderColor: COLORS[index % COLORS.length],
        ...set,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: {legend: {display: datasets.length > 1}},
      scales: {y: {beginAtZero: true}},
      ...options,
    },
  });
}

function headline(summary) {
  const items = [
    ["sessions", t("analytics.fig_sessions"), number(summary.sessions)],
    ["completed", t("analytics.fig_completed"), number(summary.completed)],
    ["completion_rate", t("analytics.fig_completion_rate"), percent(summary.completion_rate)],
    ["abandoned", t("analytics.fig_abandoned"), number(summary.abandoned)],
    ["escalations", t("analytics.fig_escalations"), number(summary.escalations)],
    ["calls_answered", t("analytics.fig_calls_answered"), number(summary.calls.answered)],
    ["wait_median", t("analytics.fig_wait_median"), duration(summary.calls.wait_median_s)],
    ["talk_median", t("analytics.fig_talk_median"), duration(summary.calls.talk_median_s)],
    ["satisfaction", t("analytics.fig_satisfaction"), number(summary.satisfaction.average, 2)],
    ["handoffs", t("analytics.fig_handoffs"), number(summary.online_handoffs)],
    ["repeat_contacts", t("analytics.fig_repeat_contacts"), number(summary.repeat_contacts)],
    ["repeat_rate", t("analytics.fig_repeat_rate"), percent(summary.repeat_rate)],
    ["kiosks", t("analytics.fig_kiosks"), number(summary.kiosks)],
  ];
  const list = $("headline");
  list.replaceChildren();
  for (const [key, label, value] of items) {
    const box = document.createElement("div");
    const term = document.createElement("dt");
    const detail = document.createElement("dd");
    term.textContent = label;
    detail.textContent = value;
    detail.dataset.figure = key;
    box.append(term, detail);
    list.appendChild(box);
  }
  $("period-label").textContent = t("analytics.period", {start: summary.start, end: summary.end});
}

function render(summary) {
  lastSummary = summary;
  headline(summary);
  const days = summary.per_day;
  const series = ["sessions", "completed", "abandoned", "escalated"];
  draw(
    "chart-days",
    "line",
    days.map((day) => day.day),
    series.map((name) => ({label: t(SERIES_KEYS[name]), data: days.map((day) => day[name]), tension: 0.2})),
  );
  fillTable(
    $("table-days"),
    [t("analytics.day"), ...series.map((name) => t(SERIES_KEYS[name]))],
    days.map((d) => [d.day, ...series.map((s) => d[s])]),
  );

  const counted = (id, table, items, label) => {
    draw(id, "bar", items.map((i) => i.key), [{label, data: items.map((i) => i.count)}]);
    fillTable($(table), [t("analytics.code"), label], items.map((i) => [i.key, i.count]));
  };
  counted("chart-services", "table-services", summary.completed_by_service, t("analytics.series_completed"));
  counted("chart-abandon", "table-abandon", summary.abandoned_by_step, t("analytics.series_abandoned"));
  counted("chart-satisfaction", "table-satisfaction", summary.satisfaction.by_score, t("analytics.answers"));
  counted("chart-escalations", "table-escalations", summary.escalations_by_step, t("analytics.escalations"));

  const costs = summary.costs;
  draw(
    "chart-costs",
    "bar",
    costs.map((c) => channelName(c.channel)),
    [{label: t("analytics.cost_per_transaction"), data: costs.map((c) => c.per_transaction)}],
  );
  fillTable(
    $("table-costs"),
    [t("analytics.channel"), t("analytics.transactions"), t("analytics.total_cost"), t("analytics.per_transaction")],
    costs.map((c) => [
      c.measured ? channelName(c.channel) : t("analytics.agency_figure", {channel: channelName(c.channel)}),
      number(c.transactions),
      number(c.total, 2),
      number(c.per_transaction, 2),
    ]),
  );
}

// Each refresh is numbered: an older answer arriving after a newer request (the first
// load still running when the manager applies a filter) must not show stale figures.
let latestRefresh = 0;

async function refresh() {
  const generation = ++latestRefresh;
  const params = query();
  $("export").href = `${API}/export.csv?${params}`;
  setText($("status"), "analytics.loading");
  try {
    const [summary, choices] = await Promise.all([
      getJson(`${API}/summary?${params}`),
      getJson(`${API}/filters?${new URLSearchParams({from: $("from").value, to: $("to").value})}`),
    ]);
    if (generation !== latestRefresh) return;
    fillSelect($("site"), choices.sites);
    fillSelect($("agency"), choices.agencies);
    fillSelect($("service"), choices.services);
    render(summary);
    clearText($("status"));
    document.body.dataset.loaded = params;
  } catch (error) {
    if (generation !== latestRefresh) return;
    setText($("status"), "analytics.load_failed", {error: error.message});
  }
}

const COST_FIELDS = ["monthly_per_kiosk", "agent_hourly", "per_transaction"];
const COST_USED = {
  kiosk: ["monthly_per_kiosk", "per_transaction"],
  video: ["agent_hourly", "per_transaction"],
  counter: ["per_transaction"],
  phone: ["per_transaction"],
};

async function loadCosts() {
  renderCosts(await getJson(`${API}/costs`));
}

// Drawn from the last answer; a language switch redraws it, keeping what the manager typed.
function renderCosts(view) {
  lastCosts = view;
  const typed = new Map([...$("cost-rows").querySelectorAll("input")].map((input) => [input.id, input.value]));
  const rows = $("cost-rows");
  rows.replaceChildren();
  for (const channel of view.channels) {
    const line = rows.insertRow();
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = channelName(channel.channel);
    line.appendChild(name);
    for (const field of COST_FIELDS) {
      const cell = line.insertCell();
      if (!COST_USED[channel.channel].includes(field)) continue;
      const input = document.createElement("input");
      input.type = "number";
      input.min = "0";
      input.step = "0.01";
      input.name = `${channel.channel}.${field}`;
      input.id = `cost-${channel.channel}-${field}`;
      input.value = typed.get(input.id) ?? channel[field] ?? "";
      input.disabled = !view.editable;
      input.setAttribute("aria-label", `${channelName(channel.channel)}: ${t(COST_FIELD_KEYS[field])}`);
      cell.appendChild(input);
    }
  }
  $("save-costs").disabled = !view.editable;
  if (!view.editable) setText($("costs-status"), "analytics.costs_readonly");
}

async function saveCosts(event) {
  event.preventDefault();
  const channels = Object.keys(COST_USED).map((channel) => {
    const item = {channel};
    for (const field of COST_USED[channel]) {
      const value = $(`cost-${channel}-${field}`).value;
      item[field] = value === "" ? null : value;
    }
    return item;
  });
  try {
    await getJson(`${API}/costs`, {
      method: "PUT",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({channels}),
    });
    setText($("costs-status"), "analytics.costs_saved");
    await refresh();
  } catch (error) {
    setText($("costs-status"), "analytics.costs_not_saved", {error: error.message});
  }
}

// A language switch: marked texts are done by i18n.js; the figures, charts and cost rows
// are redrawn from the last answers (filters, typed costs and the period stay as they are).
function relabel() {
  if (lastSummary) render(lastSummary);
  if (lastCosts) renderCosts(lastCosts);
}

function start() {
  startI18n();
  onLanguageChange(relabel);
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 29 * 86400000);
  // Dates typed while the modules were still loading (or restored by the browser) stay.
  if (!$("to").value) $("to").value = today.toISOString().slice(0, 10);
  if (!$("from").value) $("from").value = monthAgo.toISOString().slice(0, 10);
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    refresh();
  });
  $("costs").addEventListener("submit", saveCosts);
  $("logout").addEventListener("click", async () => {
    await fetch("/console/logout", {method: "POST", credentials: "same-origin"});
    location.reload();
  });
  loadCosts().catch((error) => {
    clearText($("costs-status"));
    $("costs-status").textContent = error.message;
  });
  refresh();
}

document.addEventListener("DOMContentLoaded", start);
