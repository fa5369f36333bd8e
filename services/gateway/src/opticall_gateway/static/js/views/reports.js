// Reports: service level (per queue and interval), forecast accuracy (one forecast job against
// what happened) and adherence (per agent, queue or day), as chart, figures and table, with
// the same report as a CSV download (`?format=csv`).

import { api, request } from "../api.js";
import { COLORS, timeChart } from "../charts.js";
import {
  addDays, busy, download, fmtDateTime, emptyState, field, fmt, h, isoDate, localIso, parseTime, select,
} from "../dom.js";
import { fillForecastSelect, finishedForecasts } from "../forecast-picker.js";
import { rowsOf } from "../series.js";

const REPORTS = [
  { id: "service-level", title: "Service level", path: "/reports/service-level", inputs: ["period", "queue", "interval"],
    prefer: ["service_level", "offered", "abandonment_rate", "asa_seconds", "aht_seconds"] },
  { id: "forecast-accuracy", title: "Forecast accuracy", path: "/reports/forecast-accuracy", inputs: ["forecast"],
    prefer: [] },
  { id: "adherence", title: "Adherence", path: "/reports/adherence", inputs: ["period", "group_by"],
    prefer: ["adherence_pct", "conformance_pct"] },
];
const RATIO_COLS = /^(service_level|abandonment_rate|occupancy|wape|mape|smape)$/;

export function mount(root) {
  let current = REPORTS[0];
  let chart = null;
  let report = null;
  let rows = [];

  const today = new Date();
  const startIn = h("input", { type: "date", name: "start", value: isoDate(addDays(today, -7)), required: true });
  const endIn = h("input", { type: "date", name: "end", value: isoDate(addDays(today, 1)), required: true });
  const queueIn = h("input", { name: "queue", placeholder: "All queues", autocomplete: "off" });
  const intervalSel = select("interval", [["15min", "15 minutes"], ["30min", "30 minutes"], ["1h", "Hour"], ["1d", "Day"]], "1h");
  const groupSel = select("group_by", [["agent", "Per agent"], ["queue", "Per queue"], ["day", "Per day"]]);
  const forecastSel = select("forecast_id", [["", "Loading forecasts…"]]);
  forecastSel.title = "A finished forecast job of a stored queue";
  const inputs = {
    period: [field("From", startIn), field("To (exclusive)", endIn)],
    queue: [field("Queue", queueIn)],
    interval: [field("Interval", intervalSel)],
    group_by: [field("Group by", groupSel)],
    forecast: [field("Forecast", forecastSel)],
  };
  const metricSel = select("metric", []);
  const metricField = field("Chart", metricSel);
  const runBtn = h("button", { type: "submit", class: "btn btn-primary" }, "Show report");
  const csvBtn = h("button", { type: "button", class: "btn" }, "Download CSV");
  const error = h("p", { class: "form-error", role: "alert" });
  const stats = h("div", { class: "stats" });
  const chartBox = h("div", { class: "chart-box", "data-testid": "report-chart" });
  // Focusable, so a keyboard can scroll a table wider or longer than its box (WCAG 2.1.1).
  const tableBox = h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "Report table" });
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "Reports" });
  const panel = h("section", { class: "card", id: "report-panel", role: "tabpanel" });

  for (const r of REPORTS) {
    tabs.append(h("button", {
      type: "button", role: "tab", id: `tab-${r.id}`, "aria-controls": "report-panel",
      "aria-selected": String(r === current), dataset: { report: r.id },
      onclick: () => choose(r),
    }, r.title));
  }
  panel.append(
    h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); busy(runBtn, load, error); } },
      Object.values(inputs).flat(), h("div", { class: "btn-row" }, runBtn, csvBtn)),
    error,
    stats,
    h("div", { class: "card-head" }, h("span"), metricField),
    chartBox, tableBox);
  root.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Reports"), h("p", { class: "muted" }, "How the center did: service level, forecast accuracy, adherence."))),
    tabs, panel);

  metricSel.addEventListener("change", draw);
  for (const el of [groupSel, intervalSel, forecastSel]) el.addEventListener("change", () => busy(runBtn, load, error));
  csvBtn.addEventListener("click", () => busy(csvBtn, async () => {
    const blob = await request("GET", current.path, { query: { ...query(), format: "csv" }, as: "blob" });
    download(blob, `${current.id}_${isoDate(new Date())}.csv`);
  }, error));

  async function loadForecasts() {
    try {
      const jobs = (await finishedForecasts()).filter((j) => j.queue);
      fillForecastSelect(forecastSel, jobs, { value: forecastSel.value, none: "No finished forecast of a stored queue yet" });
    } catch (err) {
      forecastSel.replaceChildren(h("option", { value: "" }, "Forecasts unavailable"));
      error.textContent = err.message;
    }
  }

  async function choose(r) {
    current = r;
    for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.report === r.id));
    panel.setAttribute("aria-labelledby", `tab-${r.id}`);
    for (const [name, fields] of Object.entries(inputs)) for (const f of fields) f.hidden = !r.inputs.includes(name);
    report = null;
    rows = [];
    error.textContent = "";
    if (r.id === "forecast-accuracy") await loadForecasts();
    busy(runBtn, load, error);
  }

  function query() {
    const q = {};
    if (current.inputs.includes("period")) {
      if (!startIn.value || !endIn.value) throw new Error("Choose a period.");
      q.start = localIso(startIn.value, "00:00");
      q.end = localIso(endIn.value, "00:00");
    }
    if (current.inputs.includes("queue") && queueIn.value.trim()) q.queue = queueIn.value.trim();
    if (current.inputs.includes("interval")) q.interval = intervalSel.value;
    if (current.inputs.includes("group_by")) q.group_by = groupSel.value;
    if (current.inputs.includes("forecast")) q.forecast_id = forecastSel.value;
    return q;
  }

  // Loads overlap (a tab switch or a new selection while one is in flight): only the newest
  // may render, or a slower, stale answer would overwrite it.
  let loadSeq = 0;

  async function load() {
    const seq = ++loadSeq;
    report = null;
    rows = [];
    try {
      const q = query();
      if (current.inputs.includes("forecast") && !q.forecast_id) return;
      const answer = await api.get(current.path, q);
      if (seq !== loadSeq) return;
      report = answer;
      rows = rowsOf(report);
    } finally {
      if (seq === loadSeq) {
        fillMetrics();
        draw();
      }
    }
  }

  function numericColumns() {
    const cols = new Set();
    for (const r of rows.slice(0, 200)) for (const [k, v] of Object.entries(r)) if (typeof v === "number") cols.add(k);
    // A preferred column stays choosable even when this period has no value for it.
    for (const c of current.prefer) if (rows.some((r) => c in r)) cols.add(c);
    return [...cols].filter((c) => !/^(agents|intervals|matched)$/.test(c) || cols.size === 1);
  }

  function fillMetrics() {
    const cols = numericColumns();
    metricField.hidden = current.id === "forecast-accuracy" || !cols.length;
    const prev = metricSel.value;
    const pick = cols.includes(prev) ? prev : current.prefer.find((c) => cols.includes(c)) || cols[0] || "";
    metricSel.replaceChildren(...cols.map((c) => h("option", { value: c, selected: c === pick }, label(c))));
  }

  function draw() {
    if (chart) { chart.destroy(); chart = null; }
    renderStats();
    if (!rows.length) {
      chartBox.replaceChildren(current.id === "forecast-accuracy" && !forecastSel.value
        ? emptyState("No forecast to check yet.", "Run a forecast job of a stored queue on the Forecasts page.")
        : emptyState("Nothing to report for this period.", "Widen the period or pick another queue."));
      tableBox.replaceChildren();
      return;
    }
    if (current.id === "forecast-accuracy") drawAccuracy();
    else if (current.id === "service-level") drawPerQueue("interval_start", "queue");
    else chartBox.replaceChildren(barChart("key", metricSel.value));
    renderTable();
  }

  function drawAccuracy() {
    const x = rows.map((r) => parseTime(r.ds));
    chart = timeChart(chartBox, {
      title: "Forecast against actual",
      x,
      series: [
        { label: "Actual", values: rows.map((r) => r.actual ?? null), color: COLORS.history },
        { label: "Forecast", values: rows.map((r) => r.yhat), color: COLORS.forecast },
        { label: "Lower bound", values: rows.map((r) => r.yhat_lower ?? null), lowerOf: "Forecast" },
        { label: "Upper bound", values: rows.map((r) => r.yhat_upper ?? null), upperOf: "Forecast" },
      ],
      yLabel: report && report.metric === "aht" ? "Handle time (s)" : "Contacts",
      height: 300,
    });
  }

  function drawPerQueue(timeCol, seriesCol) {
    const metric = metricSel.value;
    const groups = new Map();
    for (const r of rows) {
      const g = seriesCol ? String(r[seriesCol] ?? "all") : label(metric);
      if (!groups.has(g)) groups.set(g, new Map());
      groups.get(g).set(parseTime(r[timeCol]), r[metric] ?? null);
    }
    const names = [...groups.keys()].slice(0, 8);
    const x = [...new Set(rows.map((r) => parseTime(r[timeCol])))].filter(Number.isFinite).sort((a, b) => a - b);
    chart = timeChart(chartBox, {
      title: `${current.title}: ${label(metric)}`,
      x,
      series: names.map((n) => ({ label: n, values: x.map((t) => groups.get(n).get(t) ?? null), fmt: (v) => fmtValue(metric, v) })),
      yLabel: label(metric),
      yFormat: (v) => fmtValue(metric, v),
      height: 300,
    });
  }

  function renderStats() {
    const out = [];
    if (report && current.id === "forecast-accuracy") {
      out.push(stat("Queue", `${report.queue} · ${report.metric}`), stat("Model", report.model || "–"),
        stat("Matched intervals", `${fmt.int(report.matched)} of ${fmt.int(report.intervals)}`),
        stat("WAPE", fmtValue("wape", report.wape)), stat("MAPE", fmtValue("mape", report.mape)),
        stat("RMSE", fmt.num(report.rmse, 2)));
    } else if (report && current.id === "service-level") {
      for (const t of rowsOf(report.totals || []).slice(0, 4)) {
        out.push(stat(`${t.queue}: service level`, fmtValue("service_level", t.service_level)),
          stat(`${t.queue}: offered`, fmt.int(t.offered)));
      }
    }
    stats.replaceChildren(...out);
  }

  function renderTable() {
    const cols = [...new Set(rows.slice(0, 50).flatMap((r) => Object.keys(r)))]
      .filter((c) => rows.some((r) => r[c] !== null && typeof r[c] !== "object"));
    tableBox.replaceChildren(h("table", { class: "data", "aria-label": `${current.title} report` },
      h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col", class: typeof rows[0][c] === "number" ? "num" : "" }, label(c))))),
      h("tbody", {}, rows.slice(0, 1000).map((r) => h("tr", {}, cols.map((c) =>
        h("td", { class: typeof r[c] === "number" ? "num" : "" }, cell(c, r[c]))))))));
  }

  function barChart(keyCol, metric) {
    const vals = rows.map((r) => Number(r[metric])).filter(Number.isFinite);
    const max = Math.max(1e-9, ...vals.map(Math.abs), metric.endsWith("_pct") ? 100 : 0);
    return h("figure", { class: "bars chart", role: "group", "aria-label": `${current.title}: ${label(metric)} per ${label(keyCol)}`, dataset: { points: String(rows.length) } },
      h("ul", { class: "bar-list" }, rows.slice(0, 60).map((r) => {
        const v = r[metric] === null || r[metric] === undefined ? NaN : Number(r[metric]);
        const ok = Number.isFinite(v);
        return h("li", {},
          h("span", { class: "bar-key", title: String(r[keyCol] ?? "") }, String(r[keyCol] ?? "")),
          h("span", { class: "bar-track" }, h("span", { class: `bar-fill${ok && metric.endsWith("_pct") && v < 90 ? " bar-warn" : ""}`, style: `width:${ok ? Math.max(0, (100 * Math.abs(v)) / max) : 0}%` })),
          h("span", { class: "bar-value" }, ok ? fmtValue(metric, v) : "–"));
      })));
  }

  choose(current);
  return () => { if (chart) chart.destroy(); };
}

function stat(label, value) {
  return h("div", { class: "stat" }, h("span", { class: "stat-label" }, label), h("span", { class: "stat-value" }, value));
}

const LABELS = {
  ds: "Interval", interval_start: "Interval", key: "Group", yhat: "Forecast", yhat_lower: "Lower",
  yhat_upper: "Upper", aht_seconds: "AHT (s)", asa_seconds: "ASA (s)", in_seconds: "In adherence",
  out_seconds: "Out of adherence", unscheduled_seconds: "Unscheduled", scheduled_work_seconds: "Scheduled work",
  worked_seconds: "Worked", adherence_pct: "Adherence %", conformance_pct: "Conformance %",
};
// Adherence time is shown as a duration; AHT and ASA stay plain seconds.
const DURATION_COLS = /^(in|out|unscheduled|scheduled_work|worked)_seconds$/;

function label(col) {
  if (LABELS[col]) return LABELS[col];
  const t = String(col).replace(/_pct$/, " %").replace(/_seconds$/, " (s)").replace(/_/g, " ");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

function duration(sec) {
  const s = Math.round(sec);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function fmtValue(col, v) {
  if (v === null || v === undefined || Number.isNaN(+v)) return "–";
  if (DURATION_COLS.test(col)) return duration(+v);
  if (col.endsWith("_pct")) return `${fmt.num(v, 1)}%`;
  if (RATIO_COLS.test(col)) return fmt.pct(v);
  return fmt.num(v, 2);
}

function cell(col, v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") return fmtValue(col, v);
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v)) return fmtDateTime(v);
  return String(v);
}
