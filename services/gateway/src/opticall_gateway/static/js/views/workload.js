// The Staffing page's workload from a stored forecast: its volume, and its handle time from an
// AHT forecast, from the queue's own history (a time-of-week profile) or one fixed figure.
// Staffed by POST /staffing/plan, which reads the stored forecasts itself.

import { api } from "../api.js";
import { field, fmtDate, h, select } from "../dom.js";
import { covers, fillForecastSelect, finishedForecasts } from "../forecast-picker.js";

const HISTORY_DAYS = 28;
const WEEK = 7 * 86_400_000;

/** Handled-weighted mean AHT per time-of-week slot (and overall) of history rows. */
export function ahtProfile(rows, stepMinutes) {
  const slots = new Map();
  let total = 0;
  let weight = 0;
  for (const r of rows) {
    if (!(r.aht_seconds > 0)) continue;
    const w = r.handled > 0 ? r.handled : r.offered > 0 ? r.offered : 1;
    const key = slotOf(Date.parse(r.interval_start), stepMinutes);
    const s = slots.get(key) || [0, 0];
    slots.set(key, [s[0] + r.aht_seconds * w, s[1] + w]);
    total += r.aht_seconds * w;
    weight += w;
  }
  const overall = weight ? total / weight : null;
  return { at: (t) => { const s = slots.get(slotOf(t, stepMinutes)); return s ? s[0] / s[1] : overall; }, overall, slots: slots.size };
}

function slotOf(t, stepMinutes) {
  const d = new Date(t);
  return `${d.getUTCDay()}-${Math.floor((d.getUTCHours() * 60 + d.getUTCMinutes()) / stepMinutes)}`;
}

export function storedWorkload() {
  let volumeJobs = [];
  let ahtJobs = [];
  const forecastSel = h("select", { name: "forecast_id" });
  const ahtMode = select("aht_source", [
    ["history", "Queue history (last 4 weeks, by time of week)"], ["forecast", "AHT forecast"], ["fixed", "One figure"],
  ], "history");
  const ahtForecastSel = h("select", { name: "aht_forecast_id" });
  const ahtFixed = h("input", { type: "number", name: "aht_fixed", min: "1", step: "any", value: "300" });
  const info = h("p", { class: "muted workload-info", role: "status" });
  const ahtForecastField = field("AHT forecast", ahtForecastSel);
  const ahtFixedField = field("Handle time, one figure (s)", ahtFixed);
  const sync = () => {
    ahtForecastField.hidden = ahtMode.value !== "forecast";
    ahtFixedField.hidden = ahtMode.value !== "fixed";
    const job = chosen();
    const ahts = job ? ahtJobs.filter((j) => j.queue === job.queue && covers(j, Date.parse(job.period_start), Date.parse(job.period_end) + 1)) : [];
    fillForecastSelect(ahtForecastSel, ahts, { value: ahtForecastSel.value, none: "No AHT forecast of this queue covers the period" });
    info.textContent = job ? `${job.queue}: ${job.interval_minutes}-minute intervals from ${fmtDate(job.period_start)}.` : "";
  };
  forecastSel.addEventListener("change", sync);
  ahtMode.addEventListener("change", sync);

  const el = h("div", { class: "workload" },
    field("Forecast", forecastSel, "Finished forecasts, newest period first"), info,
    field("Handle time from", ahtMode), ahtForecastField, ahtFixedField);

  const chosen = () => volumeJobs.find((j) => j.id === forecastSel.value) || null;

  async function refresh() {
    try {
      const all = await finishedForecasts();
      volumeJobs = all.filter((j) => (j.metric || "volume") === "volume" && j.queue);
      ahtJobs = all.filter((j) => j.metric === "aht");
    } catch {
      volumeJobs = [];
    }
    fillForecastSelect(forecastSel, volumeJobs, { value: forecastSel.value, none: "No finished forecast of a stored queue yet" });
    sync();
    return volumeJobs.length;
  }

  /** The /staffing/plan body for `params` (the service targets), and the interval it plans in. */
  async function planBody(params) {
    const job = chosen();
    if (!job) throw new Error("Pick a forecast: run a forecast job of a queue on the Forecasts page first.");
    const base = { ...params, interval_minutes: job.interval_minutes || params.interval_minutes, queue: job.queue };
    if (ahtMode.value === "forecast") {
      if (!ahtForecastSel.value) throw new Error("Pick an AHT forecast of this queue, or take handle time from its history.");
      return { ...base, forecast_id: job.id, aht_forecast_id: ahtForecastSel.value };
    }
    if (ahtMode.value === "fixed") {
      const v = Number(ahtFixed.value);
      if (!(v > 0)) throw new Error("Average handle time must be a number of seconds above 0.");
      return { ...base, forecast_id: job.id, aht_seconds: v };
    }
    // From history: the forecast's points with each interval's AHT from the same time of week.
    const [full, rows] = await Promise.all([
      api.get(`/forecasts/${encodeURIComponent(job.id)}`),
      api.get("/history", {
        queue: job.queue, limit: 100_000,
        start: new Date(Date.parse(job.period_start) - HISTORY_DAYS * 86_400_000 - WEEK).toISOString(),
        end: job.period_start,
      }),
    ]);
    const profile = ahtProfile(rows, base.interval_minutes);
    if (profile.overall === null) {
      throw new Error(`The history of ${job.queue} has no handle times: pick an AHT forecast or give one figure.`);
    }
    const intervals = (full.points || []).map((p) => ({
      start: p.ds, volume: Math.max(0, p.yhat), aht_seconds: Math.max(1, Math.round(profile.at(Date.parse(p.ds)))),
    }));
    const { queue, ...rest } = base;
    return { ...rest, queues: [{ queue, intervals }] };
  }

  return { el, refresh, planBody, chosen };
}
