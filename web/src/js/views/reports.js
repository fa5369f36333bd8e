// Reports: service level, forecast accuracy and adherence over a period, as chart and table,
// with the same report as a CSV download (`?format=csv`).

import { api, request } from "../api.js";
import { timeChart } from "../charts.js";
import {
  addDays, busy, download, emptyState, field, fmt, h, isoDate, localIso, parseTime, select,
} from "../dom.js";
import { rowsOf, timeKey } from "../series.js";

const REPORTS = [
  { id: "service-level", title: "Service level", path: "/reports/service-level",
    prefer: ["service_level", "service_level_pct", "sl", "abandon_rate", "asa_seconds"], groupBy: [] },
  { id: "forecast-accuracy", title: "Forecast accuracy", path: "/reports/forecast-accuracy",
    prefer: ["mape", "wape", "smape", "mae", "rmse", "bias"], groupBy: [] },
  { id: "adherence", title: "Adherence", path: "/reports/adherence",
    prefer: ["adherence_pct", "conformance_pct"], groupBy: [["agent", "Per agent"], ["queue", "Per queue"], ["day", "Per day"]] },
];
const SERIES_KEYS = ["queue", "key", "agent_id", "model", "group"];

export function mount(root) {
  let current = REPORTS[0];
  let chart = null;
  let rows = [];

  const today = new Date();
  const startIn = h("input", { type: "date", name: "start", value: isoDate(addDays(today, -7)), required: true });
  const endIn = h("input", { type: "date", name: "end", value: isoDate(addDays(today, 1)), required: true });
  const queueIn = h("input", { name: "queue", placeholder: "All queues", autocomplete: "off" });
  const groupSel = select("group_by", [["agent", "Per agent"]]);
  const groupField = field("Group by", groupSel);
  const metricSel = select("metric", []);
  const runBtn = h("button", { type: "submit", class: "btn btn-primary" }, "Show report");
  const csvBtn = h("button", { type: "button", class: "btn" }, "Download CSV");
  const error = h("p", { class: "form-error", role: "alert" });
  const chartBox = h("div", { class: "chart-box", "data-testid": "report-chart" });
  const tableBox = h("div", { class: "table-scroll" });
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "Reports" });

  for (const r of REPORTS) {
    tabs.append(h("button", {
      type: "button", role: "tab", id: `tab-${r.id}`, "aria-controls": "report-panel",
      "aria-selected": String(r === current), dataset: { report: r.id },
      onclick: () => choose(r),
    }, r.title));
  }

  root.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Reports"), h("p", { class: "muted" }, "How the center did: service level, forecast accuracy, adherence."))),
    tabs,
    h("section", { class: "card", id: "report-panel", role: "tabpanel", "aria-labelledby": `tab-${current.id}` },
      h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); busy(runBtn, load, error); } },
        field("From", startIn), field("To (exclusive)", endIn), field("Queue", queueIn), groupField,
        h("div", { class: "btn-row" }, runBtn, csvBtn)),
      error,
      h("div", { class: "card-head" }, h("span"), field("Chart", metricSel)),
      chartBox, tableBox),
  );

  metricSel.addEventListener("change", draw);
  groupSel.addEventListener("change", () => busy(runBtn, load, error));
  csvBtn.addEventListener("click", () => busy(csvBtn, async () => {
    const blob = await request("GET", current.path, { query: { ...query(), format: "csv" }, as: "blob" });
    download(blob, `${current.id}_${startIn.value}_${endIn.value}.csv`);
  }, error));

  function choose(r) {
    current = r;
    for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.report === r.id));
    document.getElementById("report-panel").setAttribute("aria-labelledby", `tab-${r.id}`);
    groupField.hidden = !r.groupBy.length;
    queueIn.closest(".field").hidden = r.id === "adherence";
    if (r.groupBy.length) groupSel.replaceChildren(...r.groupBy.map(([v, t]) => h("option", { value: v }, t)));
    busy(runBtn, load, error);
  }

  function query() {
    if (!startIn.value || !endIn.value) throw new Error("Choose a period.");
    const q = { start: localIso(startIn.value, "00:00"), end: localIso(endIn.value, "00:00") };
    if (current.id !== "adherence" && queueIn.value.trim()) q.queue = queueIn.value.trim();
    if (current.groupBy.length) q.group_by = groupSel.value;
    return q;
  }

  async function load() {
    rows = [];
    try {
      rows = rowsOf(await api.get(current.path, query()));
    } finally {
      fillMetrics();
      draw();
    }
  }

  function numericColumns() {
    const cols = new Set();
    for (const r of rows.slice(0, 200)) {
      for (const [k, v] of Object.entries(r)) if (typeof v === "number" && !SERIES_KEYS.includes(k)) cols.add(k);
    }
    return [...cols];
  }

  function fillMetrics() {
    const cols = numericColumns();
    const prev = metricSel.value;
    const pick = cols.includes(prev) ? prev : current.prefer.find((c) => cols.includes(c)) || cols[0] || "";
    metricSel.replaceChildren(...cols.map((c) => h("option", { value: c, selected: c === pick }, label(c))));
  }

  function draw() {
    if (chart) { chart.destroy(); chart = null; }
    const metric = metricSel.value;
    if (!rows.length || !metric) {
      chartBox.replaceChildren(emptyState("Nothing to report for this period.", "Widen the period or pick another queue."));
      tableBox.replaceChildren();
      return;
    }
    const tk = timeKey(rows[0]);
    const sk = SERIES_KEYS.find((k) => rows.some((r) => r[k] !== undefined && r[k] !== null) && k !== tk);
    if (tk && rows.length > 1) {
      // One line per queue/agent when the rows carry one, on one time axis.
      const groups = new Map();
      for (const r of rows) {
        const g = sk ? String(r[sk] ?? "all") : label(metric);
        if (!groups.has(g)) groups.set(g, new Map());
        groups.get(g).set(parseTime(r[tk]), r[metric]);
      }
      const names = [...groups.keys()].slice(0, 8);
      const xs = [...new Set(rows.map((r) => parseTime(r[tk])))].sort((a, b) => a - b);
      chart = timeChart(chartBox, {
        title: `${current.title}: ${label(metric)}`,
        x: xs,
        series: names.map((n) => ({ label: n, values: xs.map((t) => groups.get(n).get(t) ?? null), fmt: (v) => fmtValue(metric, v) })),
        yLabel: label(metric),
        height: 300,
      });
    } else {
      chartBox.replaceChildren(barChart(rows, sk || Object.keys(rows[0])[0], metric));
    }
    renderTable();
  }

  function renderTable() {
    const cols = [...new Set(rows.slice(0, 50).flatMap((r) => Object.keys(r)))]
      .filter((c) => rows.some((r) => r[c] !== null && typeof r[c] !== "object"));
    tableBox.replaceChildren(h("table", { class: "data", "aria-label": `${current.title} report` },
      h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col" }, label(c))))),
      h("tbody", {}, rows.slice(0, 1000).map((r) => h("tr", {}, cols.map((c) =>
        h("td", { class: typeof r[c] === "number" ? "num" : "" }, cell(c, r[c]))))))));
  }

  function barChart(data, keyCol, metric) {
    const vals = data.map((r) => Number(r[metric])).filter(Number.isFinite);
    const max = Math.max(1e-9, ...vals.map(Math.abs), metric.endsWith("_pct") ? 100 : 0);
    return h("figure", { class: "bars", role: "group", "aria-label": `${current.title}: ${label(metric)} per ${label(keyCol)}` },
      h("ul", { class: "bar-list" }, data.slice(0, 60).map((r) => {
        const v = Number(r[metric]);
        const ok = Number.isFinite(v);
        return h("li", {},
          h("span", { class: "bar-key" }, String(r[keyCol] ?? "")),
          h("span", { class: "bar-track" }, h("span", { class: `bar-fill${ok && metric.includes("adherence") && v < 90 ? " bar-warn" : ""}`, style: `width:${ok ? Math.max(0, (100 * Math.abs(v)) / max) : 0}%` })),
          h("span", { class: "bar-value" }, ok ? fmtValue(metric, v) : "–"));
      })));
  }

  choose(current);
  return () => { if (chart) chart.destroy(); };
}

function label(col) {
  const t = String(col).replace(/_pct$/, " %").replace(/_seconds$/, " (s)").replace(/_/g, " ");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

function fmtValue(col, v) {
  if (col.endsWith("_pct")) return `${fmt.num(v, 1)}%`;
  if (/^(service_level|sl|abandon_rate|occupancy|mape|wape|smape)$/.test(col) && Math.abs(v) <= 1.5) return fmt.pct(v);
  return fmt.num(v, 2);
}

function cell(col, v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") return fmtValue(col, v);
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v)) return new Date(v).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
  return String(v);
}
