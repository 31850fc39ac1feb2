// The analytics dashboard: filters -> /api/v1/analytics/summary -> figures, charts and tables.
// Every chart has a table beside it (screen readers, copying); numbers are formatted here only.
"use strict";

const API = "/api/v1/analytics";
const COLORS = ["#0b5cad", "#2da44e", "#cf222e", "#bf8700", "#8250df", "#1b7c83", "#57606a"];
const CHANNEL_NAMES = {
  kiosk: "Kiosk (self-service)",
  video: "Kiosk with video agent",
  counter: "Counter",
  phone: "Phone",
};
const charts = {};

function $(id) {
  return document.getElementById(id);
}

function number(value, digits = 0) {
  if (value === null || value === undefined) return "—";
  return value.toLocaleString("en", {minimumFractionDigits: digits, maximumFractionDigits: digits});
}

function percent(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)} %`;
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
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
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
    ["sessions", "Visits", number(summary.sessions)],
    ["completed", "Completed transactions", number(summary.completed)],
    ["completion_rate", "Completion rate", percent(summary.completion_rate)],
    ["abandoned", "Abandoned visits", number(summary.abandoned)],
    ["escalations", "Escalations to a person", number(summary.escalations)],
    ["calls_answered", "Calls answered", number(summary.calls.answered)],
    ["wait_median", "Median wait", duration(summary.calls.wait_median_s)],
    ["talk_median", "Median talk", duration(summary.calls.talk_median_s)],
    ["satisfaction", "Satisfaction (1–5)", number(summary.satisfaction.average, 2)],
    ["handoffs", "QR handoffs online", number(summary.online_handoffs)],
    ["repeat_contacts", "Repeat contacts (30 days)", number(summary.repeat_contacts)],
    ["repeat_rate", "Repeat rate", percent(summary.repeat_rate)],
    ["kiosks", "Kiosks in use", number(summary.kiosks)],
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
  $("period-label").textContent = `(${summary.start} to ${summary.end}, UTC)`;
}

function render(summary) {
  headline(summary);
  const days = summary.per_day;
  const series = ["sessions", "completed", "abandoned", "escalated"];
  draw(
    "chart-days",
    "line",
    days.map((day) => day.day),
    series.map((name) => ({label: name, data: days.map((day) => day[name]), tension: 0.2})),
  );
  fillTable($("table-days"), ["Day", ...series], days.map((d) => [d.day, ...series.map((s) => d[s])]));

  const counted = (id, table, items, label) => {
    draw(id, "bar", items.map((i) => i.key), [{label, data: items.map((i) => i.count)}]);
    fillTable($(table), ["Code", label], items.map((i) => [i.key, i.count]));
  };
  counted("chart-services", "table-services", summary.completed_by_service, "completed");
  counted("chart-abandon", "table-abandon", summary.abandoned_by_step, "abandoned");
  counted("chart-satisfaction", "table-satisfaction", summary.satisfaction.by_score, "answers");
  counted("chart-escalations", "table-escalations", summary.escalations_by_step, "escalations");

  const costs = summary.costs;
  draw(
    "chart-costs",
    "bar",
    costs.map((c) => CHANNEL_NAMES[c.channel]),
    [{label: "cost per transaction", data: costs.map((c) => c.per_transaction)}],
  );
  fillTable(
    $("table-costs"),
    ["Channel", "Transactions", "Total cost", "Per transaction"],
    costs.map((c) => [
      CHANNEL_NAMES[c.channel] + (c.measured ? "" : " (agency figure)"),
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
  $("status").textContent = "Loading…";
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
    $("status").textContent = "";
    document.body.dataset.loaded = params;
  } catch (error) {
    if (generation !== latestRefresh) return;
    $("status").textContent = `Could not load the figures: ${error.message}`;
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
  const view = await getJson(`${API}/costs`);
  const rows = $("cost-rows");
  rows.replaceChildren();
  for (const channel of view.channels) {
    const line = rows.insertRow();
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = CHANNEL_NAMES[channel.channel];
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
      input.value = channel[field] ?? "";
      input.disabled = !view.editable;
      input.setAttribute("aria-label", `${CHANNEL_NAMES[channel.channel]}: ${field.replaceAll("_", " ")}`);
      cell.appendChild(input);
    }
  }
  $("save-costs").disabled = !view.editable;
  if (!view.editable) $("costs-status").textContent = "Only managers change the cost inputs.";
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
    $("costs-status").textContent = "Cost inputs saved.";
    await refresh();
  } catch (error) {
    $("costs-status").textContent = `Not saved: ${error.message}`;
  }
}

function start() {
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 29 * 86400000);
  $("to").value = today.toISOString().slice(0, 10);
  $("from").value = monthAgo.toISOString().slice(0, 10);
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    refresh();
  });
  $("costs").addEventListener("submit", saveCosts);
  $("logout").addEventListener("click", async () => {
    await fetch("/console/logout", {method: "POST", credentials: "same-origin"});
    location.reload();
  });
  loadCosts().catch((error) => ($("costs-status").textContent = error.message));
  refresh();
}

document.addEventListener("DOMContentLoaded", start);
