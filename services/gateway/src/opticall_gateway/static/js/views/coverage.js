// Schedule generation from a staffing requirement (POST /schedules/generate), the coverage
// chart of the draft, and publishing it as real shifts.

import { api, getAll } from "../api.js";
import { align, COLORS, timeChart } from "../charts.js";
import { busy, dateTime, emptyState, field, fmt, h, parseTime, select, toast } from "../dom.js";
import { rowsOf } from "../series.js";

/** A shift template of `minutes` with a paid break and an unpaid lunch placed by the solver. */
function template(minutes, withBreaks) {
  const at = (share) => Math.round((minutes * share) / 15) * 15;
  const breaks = withBreaks && minutes >= 360
    ? [
      { kind: "break", length_minutes: 15, earliest_start_minutes: at(0.2), latest_start_minutes: at(0.3) },
      { kind: "lunch", length_minutes: 30, earliest_start_minutes: at(0.45), latest_start_minutes: at(0.55) },
    ]
    : withBreaks && minutes >= 180
      ? [{ kind: "break", length_minutes: 15, earliest_start_minutes: at(0.4), latest_start_minutes: at(0.6) }]
      : [];
  return { name: `${minutes / 60}h`, length_minutes: minutes, start_granularity_minutes: 30, breaks };
}

export function coverageSection({ requirement, params }) {
  let chart = null;
  let schedule = null;
  const minutes = params.interval_minutes;
  const horizonHours = (requirement.length * minutes) / 60;

  const agentsSel = h("select", { name: "agents", multiple: true, size: "6" });
  const shiftHours = h("input", { type: "number", name: "shift_hours", min: "0.5", max: "12", step: "0.5",
    value: String(Math.min(8, Math.max(0.5, Math.floor(horizonHours * 2) / 2))) });
  const cover = select("cover", [["agents_raw", "Agents on the phones"], ["agents_required", "Agents with shrinkage"]]);
  const breaks = h("input", { type: "checkbox", name: "breaks", checked: true });
  const gen = h("button", { type: "submit", class: "btn btn-primary" }, "Generate schedule");
  const publish = h("button", { type: "button", class: "btn", hidden: true }, "Publish schedule");
  const error = h("p", { class: "form-error", role: "alert" });
  const chartBox = h("div", { class: "chart-box", "data-testid": "coverage-chart" },
    emptyState("No schedule generated yet.", "Pick the agents to schedule and generate."));
  const stats = h("div", { class: "stats" });
  let roster = [];

  getAll("/agents", { limit: 1000 }).then((agents) => {
    roster = agents.filter((a) => a.active !== false);
    agentsSel.replaceChildren(...roster.map((a) =>
      h("option", { value: a.agent_id, selected: true }, a.name && a.name !== a.agent_id ? `${a.name} (${a.agent_id})` : a.agent_id)));
    if (!roster.length) error.textContent = "No agents yet: add some on the Schedule page.";
  }).catch((err) => { error.textContent = `Agents: ${err.message}`; });

  async function generate() {
    const picked = new Set([...agentsSel.selectedOptions].map((o) => o.value));
    if (!picked.size) throw new Error("Select at least one agent.");
    const length = Math.round(Number(shiftHours.value) * 60);
    if (length > horizonHours * 60) throw new Error(`Shifts may not be longer than the ${horizonHours} h planned.`);
    schedule = await api.post("/schedules/generate", {
      interval_minutes: minutes,
      requirement: requirement.map((r) => ({ start: r.start, required: Number(r[cover.value] ?? r.agents_required) })),
      // Requirements here are not split by queue, so any agent may cover them.
      agents: roster.filter((a) => picked.has(a.agent_id)).map((a) => ({ agent_id: a.agent_id })),
      shift_templates: [template(length, breaks.checked)],
      time_limit_seconds: 10,
    });
    publish.hidden = !(schedule && schedule.id) || schedule.status === "published";
    draw();
    toast(`Draft schedule: ${rowsOf(schedule.shifts || []).length} shifts`);
  }

  function draw() {
    if (chart) chart.destroy();
    const cov = rowsOf(schedule.coverage || []);
    const req = new Map(cov.map((c) => [parseTime(c.start), c.required]));
    const got = new Map(cov.map((c) => [parseTime(c.start), c.scheduled]));
    const { x, values } = align([req, got]);
    chart = timeChart(chartBox, {
      title: "Coverage: scheduled agents against the requirement",
      x,
      series: [
        { label: "Required", values: values[0], color: COLORS.required, kind: "bars" },
        { label: "Scheduled", values: values[1], color: COLORS.scheduled, kind: "step" },
      ],
      yLabel: "Agents",
      height: 280,
    });
    const met = cov.filter((c) => c.gap >= -1e-9).length;
    stats.replaceChildren(
      stat("Shifts", fmt.int(rowsOf(schedule.shifts || []).length)),
      stat("Intervals covered", cov.length ? fmt.pct(met / cov.length, 0) : "–"),
      stat("Under-coverage", `${fmt.int(schedule.under_coverage_agent_minutes)} agent-min`),
      stat("Over-coverage", `${fmt.int(schedule.over_coverage_agent_minutes)} agent-min`),
      stat("Status", schedule.status || "–"));
  }

  publish.addEventListener("click", () => busy(publish, async () => {
    schedule = await api.post(`/schedules/${encodeURIComponent(schedule.id)}/publish`, {});
    publish.hidden = true;
    toast(`Published ${rowsOf(schedule.shift_ids || []).length || ""} shifts: see the Schedule page`);
    draw();
  }, error));

  return h("section", { class: "card", "aria-labelledby": "cov-title" },
    h("h2", { id: "cov-title" }, "Schedule generation"),
    h("form", { class: "gen-form", onsubmit: (e) => { e.preventDefault(); busy(gen, generate, error); } },
      h("div", { class: "row" },
        field("Agents", agentsSel, "Ctrl/⌘-click to pick several"),
        h("div", {},
          field("Shift length (h)", shiftHours),
          field("Cover", cover),
          h("label", { class: "check" }, breaks, " Place a break and a lunch")),
        h("div", { class: "btn-col" }, gen, publish))),
    error,
    chartBox,
    stats,
    h("p", { class: "muted" }, `Requirement from ${dateTime(requirement[0].start)}: ${requirement.length} intervals of ${minutes} minutes.`));
}

function stat(label, value) {
  return h("div", { class: "stat" }, h("span", { class: "stat-label" }, label), h("span", { class: "stat-value" }, value));
}
