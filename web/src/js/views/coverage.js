// Schedule generation from a staffing requirement, and the coverage chart of the result.

import { api, getAll } from "../api.js";
import { align, COLORS, timeChart } from "../charts.js";
import { busy, dateTime, emptyState, field, fmt, h, parseTime, toast } from "../dom.js";
import { rowsOf } from "../series.js";

/** Scheduled headcount per interval start, counted from shifts when the answer has no coverage. */
function coverageFrom(schedule, requirement, minutes) {
  const cov = rowsOf(schedule.coverage || []);
  if (cov.length) {
    return new Map(cov.map((c) => [parseTime(c.start), Number(c.scheduled ?? c.agents_scheduled ?? c.agents ?? c.staffed ?? 0)]));
  }
  const shifts = rowsOf(schedule.shifts || schedule.items || []);
  const size = minutes * 60000;
  const out = new Map();
  for (const r of requirement) {
    const t = parseTime(r.start);
    const n = shifts.filter((s) => {
      if (parseTime(s.start) > t || parseTime(s.end) < t + size) return false;
      // Time on break or lunch does not cover the queue.
      return !(s.activities || []).some((a) => a.kind !== "work" && parseTime(a.start) < t + size && parseTime(a.end) > t);
    }).length;
    out.set(t, n);
  }
  return out;
}

export function coverageSection({ requirement, params }) {
  let chart = null;
  let schedule = null;
  const minutes = params.interval_minutes;

  const agentsSel = h("select", { name: "agents", multiple: true, size: "6" });
  const shiftHours = h("input", { type: "number", name: "shift_hours", min: "1", max: "16", step: "0.5", value: "8" });
  const gen = h("button", { type: "submit", class: "btn btn-primary" }, "Generate schedule");
  const publish = h("button", { type: "button", class: "btn", hidden: true }, "Publish schedule");
  const error = h("p", { class: "form-error", role: "alert" });
  const chartBox = h("div", { class: "chart-box", "data-testid": "coverage-chart" },
    emptyState("No schedule generated yet.", "Pick the agents to schedule and generate."));
  const stats = h("div", { class: "stats" });

  getAll("/agents", { limit: 1000 }).then((agents) => {
    agentsSel.replaceChildren(...agents.filter((a) => a.active !== false).map((a) =>
      h("option", { value: a.agent_id, selected: true }, a.name && a.name !== a.agent_id ? `${a.name} (${a.agent_id})` : a.agent_id)));
    if (!agents.length) error.textContent = "No agents yet: add some on the Schedule page.";
  }).catch((err) => { error.textContent = `Agents: ${err.message}`; });

  async function generate() {
    const agentIds = [...agentsSel.selectedOptions].map((o) => o.value);
    if (!agentIds.length) throw new Error("Select at least one agent.");
    const first = parseTime(requirement[0].start);
    const lastStart = parseTime(requirement[requirement.length - 1].start);
    schedule = await api.post("/schedules/generate", {
      start: new Date(first).toISOString(),
      end: new Date(lastStart + minutes * 60000).toISOString(),
      interval_minutes: minutes,
      agent_ids: agentIds,
      shift_minutes: Math.round(Number(shiftHours.value) * 60),
      requirements: requirement.map((r) => ({ start: r.start, agents_required: r.agents_required })),
    });
    publish.hidden = !(schedule && schedule.id) || schedule.status === "published";
    draw();
    toast("Schedule generated");
  }

  function draw() {
    if (chart) chart.destroy();
    const req = new Map(requirement.map((r) => [parseTime(r.start), r.agents_required]));
    const cov = coverageFrom(schedule, requirement, minutes);
    const { x, values } = align([req, cov]);
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
    let short = 0;
    let over = 0;
    let met = 0;
    x.forEach((_, i) => {
      const gap = (values[1][i] ?? 0) - (values[0][i] ?? 0);
      if (gap < 0) short -= gap; else over += gap;
      if (gap >= 0) met += 1;
    });
    const shifts = rowsOf(schedule.shifts || []);
    stats.replaceChildren(
      stat("Shifts", fmt.int(shifts.length)),
      stat("Intervals covered", x.length ? fmt.pct(met / x.length, 0) : "–"),
      stat("Under-staffed agent-intervals", fmt.int(short)),
      stat("Over-staffed agent-intervals", fmt.int(over)),
      schedule.status ? stat("Status", `${schedule.status}${schedule.id ? ` · ${schedule.id}` : ""}`) : null);
  }

  publish.addEventListener("click", () => busy(publish, async () => {
    schedule = { ...schedule, ...(await api.post(`/schedules/${encodeURIComponent(schedule.id)}/publish`, {})) };
    publish.hidden = true;
    toast("Schedule published: shifts are on the Schedule page");
    draw();
  }, error));

  return h("section", { class: "card", "aria-labelledby": "cov-title" },
    h("h2", { id: "cov-title" }, "Schedule generation"),
    h("form", { class: "row gen-form", onsubmit: (e) => { e.preventDefault(); busy(gen, generate, error); } },
      field("Agents", agentsSel, "Ctrl/⌘-click to pick several"),
      field("Shift length (h)", shiftHours),
      h("div", { class: "btn-col" }, gen, publish)),
    error,
    chartBox,
    stats,
    h("p", { class: "muted" }, `Requirement from ${dateTime(requirement[0].start)}, ${requirement.length} intervals of ${minutes} minutes.`));
}

function stat(label, value) {
  return h("div", { class: "stat" }, h("span", { class: "stat-label" }, label), h("span", { class: "stat-value" }, value));
}
