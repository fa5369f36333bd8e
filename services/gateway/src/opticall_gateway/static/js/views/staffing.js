// Staffing: agents required per interval (Erlang C / A) from the last forecast or pasted
// intervals, then a generated schedule and its coverage against the requirement.

import { api } from "../api.js";
import { align, COLORS, timeChart } from "../charts.js";
import { busy, dateTime, emptyState, field, fmt, h, parseTime, select, toast } from "../dom.js";
import { LINE, parseCsv, rowsOf } from "../series.js";
import { LAST_FORECAST } from "./forecasts.js";
import { coverageSection } from "./coverage.js";
import { storedWorkload } from "./workload.js";

export function mount(root) {
  let requirement = []; // [{start (ISO), agents_required, agents_raw, ...}]
  let chart = null;
  const last = readLastForecast();

  const num = (name, value, attrs = {}) => h("input", { type: "number", name, value, step: "any", required: true, ...attrs });
  const interval = select("interval_minutes", [5, 10, 15, 20, 30, 60].map((m) => [m, `${m} minutes`]),
    last && last.step ? Math.round(last.step / 60000) : 30);
  const sl = num("service_level", 80, { min: 1, max: 99 });
  const answer = num("answer_seconds", 20, { min: 0 });
  const occ = num("max_occupancy", 85, { min: 1, max: 100 });
  const shrink = num("shrinkage", 30, { min: 0, max: 95 });
  const model = select("model", [["erlang_c", "Erlang C"], ["erlang_a", "Erlang A (with abandonment)"]]);
  const patience = num("patience_seconds", 120, { min: 1 });
  const patienceField = field("Patience (s)", patience, "Mean time callers wait before hanging up");
  patienceField.hidden = true;
  model.addEventListener("change", () => { patienceField.hidden = model.value !== "erlang_a"; });

  const stored = storedWorkload();
  const src = select("source", [["stored", "Stored forecast"], ["forecast", "This tab's last forecast"], ["csv", "Pasted intervals"]], last ? "forecast" : "stored");
  const aht = num("aht_seconds", 300, { min: 1 });
  const csv = h("textarea", { name: "intervals_csv", rows: "6", spellcheck: "false",
    placeholder: "start,volume,aht_seconds\n2026-11-30T08:00:00Z,120,300" });
  const srcInfo = h("p", { class: "muted" }, last
    ? `Forecast of ${last.queue || "a series"}: ${last.points.length} periods from ${dateTime(new Date(last.points[0].t).toISOString())}.`
    : "No forecast in this session yet: run one on the Forecasts page, or paste intervals.");
  const ahtField = field("Average handle time (s)", aht);
  const csvField = field("Intervals (CSV)", csv, "Columns start, volume, aht_seconds");
  const syncSource = () => {
    csvField.hidden = src.value !== "csv";
    ahtField.hidden = src.value !== "forecast";
    srcInfo.hidden = src.value !== "forecast";
    stored.el.hidden = src.value !== "stored";
    interval.disabled = src.value === "stored"; // the forecast's own step
  };
  src.addEventListener("change", syncSource);
  csv.value = sampleCsv();
  syncSource();
  stored.refresh().then((n) => { if (!n && !last && src.value === "stored") { src.value = "csv"; syncSource(); } });

  const calc = h("button", { type: "submit", class: "btn btn-primary" }, "Calculate staffing");
  const error = h("p", { class: "form-error", role: "alert" });
  const chartBox = h("div", { class: "chart-box", "data-testid": "staffing-chart" },
    emptyState("No staffing calculated yet.", "Set the service targets and calculate."));
  const stats = h("div", { class: "stats" });
  const tableBox = h("div");
  const coverageBox = h("div");

  root.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Staffing"), h("p", { class: "muted" }, "How many agents each interval needs, and a schedule that covers it."))),
    h("div", { class: "layout-side" },
      h("aside", { class: "side" },
        h("form", { class: "card", "aria-labelledby": "st-form", onsubmit: (e) => { e.preventDefault(); busy(calc, run, error); } },
          h("h2", { id: "st-form" }, "Service targets"),
          h("div", { class: "row" }, field("Service level %", sl), field("Answered within (s)", answer)),
          h("div", { class: "row" }, field("Max occupancy %", occ), field("Shrinkage %", shrink)),
          h("div", { class: "row" }, field("Interval", interval), field("Model", model)),
          patienceField,
          h("h2", {}, "Workload"),
          field("Source", src), srcInfo, ahtField, csvField, stored.el,
          error, calc)),
      h("div", { class: "stack" },
        h("section", { class: "card main-card", "aria-labelledby": "st-chart" },
          h("h2", { id: "st-chart" }, "Agents required"), chartBox, stats, tableBox),
        coverageBox)),
  );

  function intervals() {
    const minutes = Number(interval.value);
    if (src.value === "forecast") {
      if (!last) throw new Error("No forecast yet: run one on the Forecasts page, or paste intervals.");
      // Forecast periods are summed into the planning interval (e.g. two 15-minute periods → 30).
      const buckets = new Map();
      const size = minutes * 60000;
      for (const p of last.points) {
        const t = Math.floor(p.t / size) * size;
        buckets.set(t, (buckets.get(t) || 0) + Math.max(0, p.yhat));
      }
      return [...buckets].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({
        start: new Date(t).toISOString(), volume: Math.round(v * 100) / 100, aht_seconds: Number(aht.value),
      }));
    }
    // Each bad row is named by its line, with what is wrong and what a good one looks like.
    const rows = parseCsv(csv.value).map((r) => {
      const line = r[LINE];
      const when = r.start ?? r.ds ?? r.tc;
      const t = parseTime(when);
      if (!Number.isFinite(t)) throw new Error(`Line ${line}: start "${when ?? ""}" is not a date and time (e.g. 2026-11-30T08:00:00Z).`);
      const volume = Number(r.volume ?? r.y ?? r.call_volume);
      if (!Number.isFinite(volume) || volume < 0) throw new Error(`Line ${line}: volume "${r.volume ?? ""}" must be a number of contacts, 0 or more.`);
      const seconds = Number(r.aht_seconds ?? r.aht ?? aht.value);
      if (!(seconds > 0)) throw new Error(`Line ${line}: aht_seconds "${r.aht_seconds ?? ""}" must be a number of seconds above 0.`);
      return { start: new Date(t).toISOString(), volume, aht_seconds: seconds };
    });
    if (!rows.length) throw new Error("Paste at least one interval under the header: start,volume,aht_seconds.");
    return rows;
  }

  async function run() {
    const body = {
      interval_minutes: Number(interval.value),
      service_level: Number(sl.value) / 100,
      answer_seconds: Number(answer.value),
      max_occupancy: Number(occ.value) / 100,
      shrinkage: Number(shrink.value) / 100,
      model: model.value,
    };
    if (model.value === "erlang_a") body.patience_seconds = Number(patience.value);
    let resp;
    if (src.value === "stored") {
      delete body.intervals;
      const planned = await stored.planBody(body);
      resp = await api.post("/staffing/plan", planned);
      body.interval_minutes = planned.interval_minutes;
      interval.value = String(planned.interval_minutes);
    } else {
      body.intervals = intervals();
      resp = await api.post("/staffing", body);
    }
    requirement = rowsOf(resp);
    draw();
    coverageBox.replaceChildren(coverageSection({ requirement, params: body }));
    toast(`Staffing for ${requirement.length} intervals`);
  }

  function draw() {
    if (chart) chart.destroy();
    const planned = requirement.some((r) => r.volume !== undefined);
    const req = new Map(requirement.map((r) => [parseTime(r.start), r.agents_required]));
    const raw = new Map(requirement.map((r) => [parseTime(r.start), r.agents_raw]));
    const { x, values } = align([req, raw]);
    chart = timeChart(chartBox, {
      title: "Agents required per interval",
      x,
      series: [
        { label: "Required (with shrinkage)", values: values[0], color: COLORS.required, kind: "bars" },
        { label: "On the phones", values: values[1], color: COLORS.raw, kind: "step" },
      ],
      yLabel: "Agents",
      height: 300,
    });
    const peak = Math.max(...requirement.map((r) => r.agents_required));
    const minutes = Number(interval.value);
    const hours = requirement.reduce((s, r) => s + r.agents_required, 0) * (minutes / 60);
    const avgSl = requirement.reduce((s, r) => s + (r.service_level || 0), 0) / (requirement.length || 1);
    stats.replaceChildren(
      stat("Peak agents", fmt.int(peak)),
      stat("Agent hours", fmt.num(hours)),
      stat("Mean service level", fmt.pct(avgSl)),
      stat("Intervals", fmt.int(requirement.length)));
    // A recalculation keeps the figures open if they were.
    const wasOpen = Boolean(tableBox.querySelector("details")?.open);
    tableBox.replaceChildren(h("details", { open: wasOpen },
      h("summary", {}, "Per-interval figures"),
      h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "Per-interval figures" }, h("table", { class: "data" },
        h("thead", {}, h("tr", {}, [...(planned ? ["Volume", "AHT (s)"] : []), "Required", "Raw", "Service level", "ASA (s)", "Occupancy", "P(wait)"]
          .reduce((cols, t) => cols.concat(t), ["Interval"]).map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, requirement.slice(0, 1000).map((r) => h("tr", {},
          h("td", {}, dateTime(r.start)),
          planned ? h("td", { class: "num" }, fmt.num(r.volume)) : null,
          planned ? h("td", { class: "num" }, fmt.int(r.aht_seconds)) : null,
          h("td", { class: "num" }, fmt.int(r.agents_required)),
          h("td", { class: "num" }, fmt.int(r.agents_raw)),
          h("td", { class: "num" }, fmt.pct(r.service_level)),
          h("td", { class: "num" }, fmt.num(r.asa_seconds)),
          h("td", { class: "num" }, fmt.pct(r.occupancy)),
          h("td", { class: "num" }, fmt.pct(r.p_wait)))))))));
  }

  return () => { if (chart) chart.destroy(); };
}

function readLastForecast() {
  try {
    const v = JSON.parse(sessionStorage.getItem(LAST_FORECAST) || "null");
    return v && Array.isArray(v.points) && v.points.length ? v : null;
  } catch {
    return null;
  }
}

function sampleCsv() {
  // One morning of a small queue, so the page shows something useful on first visit.
  const base = new Date();
  base.setUTCDate(base.getUTCDate() + 1);
  base.setUTCHours(8, 0, 0, 0);
  const vols = [40, 65, 90, 120, 135, 128, 110, 95];
  return ["start,volume,aht_seconds", ...vols.map((v, i) =>
    `${new Date(base.getTime() + i * 1_800_000).toISOString()},${v},300`)].join("\n");
}

export function stat(label, value) {
  return h("div", { class: "stat" }, h("span", { class: "stat-label" }, label), h("span", { class: "stat-value" }, value));
}
