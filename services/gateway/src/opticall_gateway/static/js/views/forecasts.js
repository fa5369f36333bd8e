// Forecasts: interval history per queue (stored or from a CSV file), a forecast run, and a
// chart of history, forecast and its interval band.

import { api, getAll, request } from "../api.js";
import { align, COLORS, timeChart } from "../charts.js";
import { busy, dateTime, emptyState, field, fmt, fmtSpan, h, select, toast } from "../dom.js";
import { describeStep, parseCsv, rowsOf, step, toForecast, toSeries } from "../series.js";

export const LAST_FORECAST = "opticall.lastForecast";
const POLL_MS = 1000;
const POLL_LIMIT_MS = 5 * 60 * 1000;

export function mount(root) {
  let history = []; // [{t, y}]
  let forecast = []; // [{t, yhat, lo, hi}]
  let chart = null;
  let stopped = false;
  let source = { kind: "", name: "" };
  let model = ""; // the model the forecasting service chose, when it says
  let accuracy = null; // its backtest figures, when it gives them

  const queueSel = select("queue", [["", "Loading queues…"]]);
  const metricSel = select("metric", [["volume", "Contact volume"], ["aht", "Handle time (s)"]]);
  const loadBtn = h("button", { type: "button", class: "btn" }, "Load history");

  const upQueue = h("input", { name: "upload_queue", placeholder: "e.g. sales", required: true, autocomplete: "off" });
  const upFile = h("input", { type: "file", name: "file", accept: ".csv,text/csv", required: true });
  const upTz = h("input", { name: "tz", value: "UTC", autocomplete: "off" });
  const upBtn = h("button", { type: "submit", class: "btn" }, "Upload to queue");
  const useLocalBtn = h("button", { type: "button", class: "btn btn-ghost" }, "Chart the file only");
  const upError = h("p", { class: "form-error", role: "alert" });

  const periods = h("input", { type: "number", name: "periods", min: "1", max: "10000", value: "96", required: true });
  const mode = select("mode", [["job", "Forecast job (stored history)"], ["predict", "Direct /predict (history shown)"]]);
  const runBtn = h("button", { type: "button", class: "btn btn-primary" }, "Run forecast");
  const runStatus = h("p", { class: "run-status muted", role: "status", "aria-live": "polite" });
  const runError = h("p", { class: "form-error", role: "alert" });
  const windowSel = select("window", [["7", "Last 7 days"], ["14", "Last 14 days"], ["28", "Last 28 days"], ["0", "All history"]], "7");

  const chartBox = h("div", { class: "chart-box", "data-testid": "forecast-chart" });
  const caption = h("p", { class: "muted chart-caption" });
  const stats = h("div", { class: "stats" });
  const tableBox = h("div");
  const jobsBox = h("div", { class: "jobs" });

  root.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Forecasts"), h("p", { class: "muted" }, "Interval history per queue, and what comes next."))),
    h("div", { class: "layout-side" },
      h("aside", { class: "side" },
        h("section", { class: "card", "aria-labelledby": "fc-hist" },
          h("h2", { id: "fc-hist" }, "History"),
          field("Queue", queueSel), field("Metric", metricSel), loadBtn),
        h("section", { class: "card", "aria-labelledby": "fc-up" },
          h("h2", { id: "fc-up" }, "Upload interval history"),
          h("form", { onsubmit: (e) => { e.preventDefault(); upload(); } },
            field("CSV file", upFile, "Columns: time (ds, tc or start) and volume (y, call_volume); optional aht"),
            field("Queue name", upQueue, "New or existing queue"),
            field("Time zone of the file", upTz, "For times without an offset, e.g. Europe/Berlin"),
            upError,
            h("div", { class: "btn-row" }, upBtn, useLocalBtn))),
        h("section", { class: "card", "aria-labelledby": "fc-run" },
          h("h2", { id: "fc-run" }, "Run a forecast"),
          field("Periods ahead", periods, "Intervals of the history's step (96 × 15 min = 1 day)"),
          field("Method", mode),
          runError, runBtn, runStatus),
        h("section", { class: "card", "aria-labelledby": "fc-jobs" },
          h("h2", { id: "fc-jobs" }, "Recent forecast jobs"), jobsBox)),
      h("section", { class: "card main-card", "aria-labelledby": "fc-chart" },
        h("div", { class: "card-head" }, h("h2", { id: "fc-chart" }, "History and forecast"), field("Show", windowSel)),
        caption, chartBox, stats, tableBox)),
  );

  loadBtn.addEventListener("click", () => busy(loadBtn, loadHistory));
  queueSel.addEventListener("change", () => busy(loadBtn, loadHistory));
  metricSel.addEventListener("change", () => { forecast = []; if (source.kind === "file") draw(); else busy(loadBtn, loadHistory); });
  useLocalBtn.addEventListener("click", () => busy(useLocalBtn, readLocalFile, upError));
  runBtn.addEventListener("click", () => busy(runBtn, run, runError));
  windowSel.addEventListener("change", draw);
  upFile.addEventListener("change", () => {
    if (!upQueue.value && upFile.files[0]) upQueue.value = upFile.files[0].name.replace(/\.[^.]+$/, "").replace(/[^\w.-]+/g, "-");
  });

  async function loadQueues(selectName = "") {
    let queues = [];
    try {
      const resp = await api.get("/history/queues");
      queues = rowsOf(resp).map((q) => (typeof q === "string" ? q : q.queue || q.name)).filter(Boolean);
      if (!queues.length && resp && Array.isArray(resp.queues)) queues = resp.queues;
    } catch (err) {
      toast(`Queues: ${err.message}`, "error");
    }
    const current = selectName || queueSel.value;
    queueSel.replaceChildren(...(queues.length ? queues : [""]).map((q) =>
      h("option", { value: q, selected: q === current }, q || "No stored history yet")));
    // On first load show the first queue, unless the person has already charted something.
    if (queues.length && (selectName || !source.kind)) await loadHistory();
    else if (!source.kind) draw();
  }

  async function loadHistory() {
    const queue = queueSel.value;
    if (!queue) return;
    const rows = await getAll("/history", { queue, limit: 100_000 }, 100_000);
    history = toSeries(rows, metricSel.value);
    forecast = [];
    source = { kind: "queue", name: queue };
    draw();
  }

  async function fileText() {
    const file = upFile.files[0];
    if (!file) throw new Error("Choose a CSV file first.");
    return { file, text: await file.text() };
  }

  async function readLocalFile() {
    const { file, text } = await fileText();
    history = toSeries(parseCsv(text), metricSel.value);
    if (!history.length) throw new Error("No rows with a time and a value column in this file.");
    forecast = [];
    source = { kind: "file", name: file.name };
    mode.value = "predict";
    draw();
  }

  async function upload() {
    upError.textContent = "";
    await busy(upBtn, async () => {
      const { file, text } = await fileText();
      const queue = upQueue.value.trim();
      const resp = await request("POST", "/history/upload", { query: { queue, tz: upTz.value.trim() || "UTC" }, body: text, contentType: "text/csv" });
      const n = resp && typeof resp === "object" ? resp.upserted ?? resp.rows ?? resp.count : null;
      toast(`Uploaded ${file.name} to ${queue}${n != null ? `: ${n} rows` : ""}`);
      await loadQueues(queue);
    }, upError);
  }

  async function run() {
    // 0, a fraction or an empty field is refused, not quietly replaced by a default.
    const n = Number(periods.value);
    if (!periods.value.trim() || !Number.isInteger(n) || n < 1 || n > 10_000) {
      periods.setAttribute("aria-invalid", "true");
      throw new Error("Periods ahead must be a whole number from 1 to 10,000 (96 fifteen-minute periods make a day).");
    }
    periods.removeAttribute("aria-invalid");
    const started = performance.now();
    if (mode.value === "predict") {
      if (!history.length) throw new Error("Load a queue's history or chart a CSV file first.");
      runStatus.textContent = "Fitting…";
      const body = history.map((p) => ({ ds: new Date(p.t).toISOString(), y: p.y }));
      const resp = await api.post("/predict", body, { query: { periods: n } });
      forecast = toForecast(resp);
      model = "";
      accuracy = null;
    } else {
      const queue = queueSel.value;
      if (!queue) throw new Error("Pick a queue with stored history (or upload one) first.");
      runStatus.textContent = "Queued…";
      const job = await api.post("/forecasts", { queue, metric: metricSel.value, periods: n });
      const id = job.id || job.request_id || job.forecast_id;
      const done = await poll(id, job);
      if (String(done.status).toLowerCase() === "failed") throw new Error(`Forecast failed: ${done.error || "no reason given"}`);
      forecast = toForecast(done);
      model = done.model || "";
      accuracy = done.accuracy || null;
      loadJobs();
    }
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    runStatus.textContent = `Forecast of ${forecast.length} periods in ${secs} s${model ? ` (${model})` : ""}.`;
    sessionStorage.setItem(LAST_FORECAST, JSON.stringify({ queue: source.name, metric: metricSel.value, step: step(history), points: forecast }));
    draw();
  }

  async function poll(id, first) {
    let job = first;
    const deadline = Date.now() + POLL_LIMIT_MS;
    while (!isFinished(job)) {
      if (stopped) throw new Error("Left the page");
      if (Date.now() > deadline) throw new Error("The forecast job is still running; check Recent forecast jobs later.");
      runStatus.textContent = `${job.status ? `${capital(job.status)}` : "Running"}…`;
      await new Promise((r) => setTimeout(r, POLL_MS));
      job = await api.get(`/forecasts/${encodeURIComponent(id)}`);
    }
    return job;
  }

  function isFinished(job) {
    const s = String(job && job.status ? job.status : "").toLowerCase();
    return ["done", "failed", "succeeded", "completed", "error"].includes(s) || (!s && toForecast(job).length > 0);
  }

  async function loadJobs() {
    try {
      // Newest period first; unfinished jobs (no period yet) on top.
      const jobs = rowsOf(await api.get("/forecasts", { limit: 20 }))
        .sort((a, b) => Date.parse(b.period_start || "9999") - Date.parse(a.period_start || "9999")).slice(0, 10);
      if (!jobs.length) { jobsBox.replaceChildren(h("p", { class: "muted" }, "None yet.")); return; }
      jobsBox.replaceChildren(h("ul", { class: "plain-list" }, jobs.map((j) => {
        const id = j.id || j.request_id;
        return h("li", {},
          h("button", { type: "button", class: "link", onclick: () => openJob(id) }, `${j.queue || "series"} · ${j.metric || "volume"}`),
          h("span", { class: `badge badge-${String(j.status || "").toLowerCase()}` }, j.status || "?"),
          h("small", { class: "muted" }, j.period_start ? fmtSpan(j.period_start, j.period_end) : `requested ${dateTime(j.created_at)}`));
      })));
    } catch {
      jobsBox.replaceChildren(h("p", { class: "muted" }, "Forecast jobs are not available."));
    }
  }

  async function openJob(id) {
    const job = await api.get(`/forecasts/${encodeURIComponent(id)}`);
    if (job.queue && [...queueSel.options].some((o) => o.value === job.queue)) {
      queueSel.value = job.queue;
      if (job.metric) metricSel.value = job.metric;
      await loadHistory();
    }
    forecast = toForecast(job);
    model = job.model || "";
    accuracy = job.accuracy || null;
    draw();
  }

  function draw() {
    if (chart) { chart.destroy(); chart = null; }
    if (!history.length && !forecast.length) {
      chartBox.replaceChildren(emptyState("No history loaded.", "Pick a queue with stored history, or upload a CSV file of interval volumes."));
      caption.textContent = "";
      stats.replaceChildren();
      tableBox.replaceChildren();
      return;
    }
    const days = Number(windowSel.value);
    const lastT = history.length ? history[history.length - 1].t : 0;
    const shown = days ? history.filter((p) => p.t > lastT - days * 86_400_000) : history;
    const hist = new Map(shown.map((p) => [p.t, p.y]));
    const maps = [hist];
    const series = [{ label: "History", color: COLORS.history }];
    if (forecast.length) {
      maps.push(new Map(forecast.map((p) => [p.t, p.yhat])));
      series.push({ label: "Forecast", color: COLORS.forecast });
      if (forecast.some((p) => p.lo !== null)) {
        maps.push(new Map(forecast.map((p) => [p.t, p.lo])), new Map(forecast.map((p) => [p.t, p.hi])));
        series.push({ label: "Lower bound", lowerOf: "Forecast" }, { label: "Upper bound", upperOf: "Forecast" });
      }
    }
    const { x, values } = align(maps);
    const metricLabel = metricSel.value === "aht" ? "Handle time (s)" : "Contacts";
    chart = timeChart(chartBox, {
      title: `${source.name || "Series"}: history and forecast`,
      x,
      series: series.map((s, i) => ({ ...s, values: values[i] })),
      yLabel: metricLabel,
      height: 340,
    });
    caption.textContent = `${source.kind === "file" ? "File" : "Queue"} ${source.name} · ${history.length} points, ${describeStep(step(history))}` +
      (forecast.length ? ` · forecast ${forecast.length} periods with its interval band` : "");
    renderStats();
  }

  function renderStats() {
    if (!forecast.length) { stats.replaceChildren(); tableBox.replaceChildren(); return; }
    const total = forecast.reduce((s, p) => s + p.yhat, 0);
    const peak = forecast.reduce((a, p) => (p.yhat > a.yhat ? p : a), forecast[0]);
    stats.replaceChildren(
      stat("Forecast total", fmt.int(total)),
      stat("Peak interval", `${fmt.num(peak.yhat)} at ${dateTime(new Date(peak.t).toISOString())}`),
      stat("From", dateTime(new Date(forecast[0].t).toISOString())),
      stat("To", dateTime(new Date(forecast[forecast.length - 1].t).toISOString())),
      model ? stat("Model", model) : null,
      ...Object.entries(accuracy || {}).filter(([k, v]) => typeof v === "number" && k !== "n").slice(0, 3)
        .map(([k, v]) => stat(`Backtest ${k.toUpperCase()}`, /^(wape|mape|smape)$/.test(k) ? fmt.pct(v) : fmt.num(v, 2))));
    tableBox.replaceChildren(h("details", {},
      h("summary", {}, "Forecast values"),
      h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "Forecast values" }, h("table", { class: "data" },
        h("thead", {}, h("tr", {}, ["Interval", "Forecast", "Lower", "Upper"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, forecast.slice(0, 500).map((p) => h("tr", {},
          h("td", {}, dateTime(new Date(p.t).toISOString())),
          h("td", { class: "num" }, fmt.num(p.yhat)),
          h("td", { class: "num" }, fmt.num(p.lo)),
          h("td", { class: "num" }, fmt.num(p.hi)))))))));
  }

  loadQueues();
  loadJobs();
  return () => { stopped = true; if (chart) chart.destroy(); };
}

function stat(label, value) {
  return h("div", { class: "stat" }, h("span", { class: "stat-label" }, label), h("span", { class: "stat-value" }, value));
}

function capital(s) {
  const t = String(s).replace(/_/g, " ");
  return t.charAt(0).toUpperCase() + t.slice(1);
}
