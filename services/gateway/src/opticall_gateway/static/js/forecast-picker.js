// Stored forecasts listed the way a planner picks one: by the period they cover (newest period
// first), with queue, metric and step, never by when the job happened to run.

import { api } from "./api.js";
import { fmtDateTime, fmtSpan, h } from "./dom.js";
import { rowsOf } from "./series.js";

/** Finished forecasts (optionally of one metric/queue), newest period first. */
export async function finishedForecasts({ metric = "", queue = "" } = {}) {
  const jobs = rowsOf(await api.get("/forecasts", { status: "done", limit: 200, queue: queue || undefined }));
  return jobs
    .filter((j) => j.period_start && (!metric || (j.metric || "volume") === metric))
    .sort((a, b) => Date.parse(b.period_start) - Date.parse(a.period_start) || Date.parse(b.completed_at || 0) - Date.parse(a.completed_at || 0));
}

/** "sales · volume · 4 Dec 2026, 00:00 – 5 Dec 2026, 23:45 (15 min)". */
export function forecastLabel(j) {
  const step = j.interval_minutes ? ` (${j.interval_minutes} min)` : "";
  return `${j.queue || "inline series"} · ${j.metric || "volume"} · ${fmtSpan(j.period_start, j.period_end)}${step}`;
}

/** Fill `sel` with `jobs` (or a disabled line saying there are none); keeps `value` when listed. */
export function fillForecastSelect(sel, jobs, { value = "", none = "No finished forecast yet", blank = "" } = {}) {
  const options = jobs.map((j) => h("option", {
    value: j.id, selected: j.id === value, title: `Made ${fmtDateTime(j.completed_at || j.created_at)}`,
  }, forecastLabel(j)));
  if (blank) options.unshift(h("option", { value: "", selected: !value }, blank));
  if (!jobs.length && !blank) options.push(h("option", { value: "" }, none));
  sel.replaceChildren(...options);
}

/** Whether forecast `j` covers any of [from, to) (ms). */
export function covers(j, from, to) {
  return Date.parse(j.period_start) < to && Date.parse(j.period_end) >= from;
}
