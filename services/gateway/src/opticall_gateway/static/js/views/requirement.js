// The requirement a schedule is held against on the timeline: agents on the phones per
// interval, from a stored forecast through the staffing plan (POST /staffing/plan).

import { api } from "../api.js";
import { field, h } from "../dom.js";
import { covers, fillForecastSelect, finishedForecasts } from "../forecast-picker.js";

// The service targets of the timeline's requirement; the Staffing page lets a planner set them.
export const TARGETS = { service_level: 0.8, answer_seconds: 20, max_occupancy: 0.85 };

export function requirementPicker(onChange) {
  const forecastSel = h("select", { name: "requirement_forecast" });
  const aht = h("input", { type: "number", name: "requirement_aht", min: "1", step: "1", value: "300", required: true });
  const caption = h("p", { class: "muted tl-req-caption" });
  let jobs = [];
  forecastSel.addEventListener("change", onChange);
  aht.addEventListener("change", onChange);

  const el = h("div", { class: "tl-req" },
    field("Required from forecast", forecastSel, "Agents on the phones (Erlang C, 80% in 20 s, occupancy ≤ 85%)"),
    field("Average handle time (s)", aht),
    caption);

  /** List the volume forecasts covering [from, to) (of `queue` when one is chosen). */
  async function refresh(from, to, queue) {
    const keep = forecastSel.value;
    try {
      jobs = (await finishedForecasts({ metric: "volume", queue })).filter((j) => covers(j, from, to));
    } catch {
      jobs = [];
    }
    fillForecastSelect(forecastSel, jobs, { value: keep, blank: jobs.length ? "No requirement" : "No forecast covers these days" });
  }

  /** {required: Map(ms → agents), stepMinutes} of the chosen forecast, or null for none. */
  async function load() {
    const job = jobs.find((j) => j.id === forecastSel.value);
    caption.textContent = "";
    if (!job) return null;
    const seconds = Number(aht.value);
    if (!(seconds > 0)) throw new Error("Average handle time must be a number of seconds above 0.");
    const plan = await api.post("/staffing/plan", {
      forecast_id: job.id, aht_seconds: seconds, queue: job.queue, interval_minutes: job.interval_minutes || 30, ...TARGETS,
    });
    caption.textContent = `Requirement of ${job.queue} from its forecast, ${plan.intervals.length} intervals of ${job.interval_minutes} minutes.`;
    return {
      required: new Map(plan.intervals.map((r) => [Date.parse(r.start), r.agents_raw])),
      stepMinutes: job.interval_minutes || 30,
    };
  }

  return { el, refresh, load };
}
