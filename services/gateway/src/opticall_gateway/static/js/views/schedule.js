// Schedule: the published shifts as a timeline (a day or a week, one row per agent, with the
// coverage row and who is off the phones at a chosen time) or as a week table; create, edit
// and delete shifts; add agents.

import { api, getAll } from "../api.js";
import {
  addDays, busy, emptyState, field, fmtDay, fmtSpan, h, isoDate, localIso, select, startOfWeek, timeZone, toast,
} from "../dom.js";
import { requirementPicker } from "./requirement.js";
import { shiftDialog } from "./shift-dialog.js";
import { createTimeline } from "./timeline.js";

export function mount(root) {
  const state = { queue: "", agent: "", view: "timeline", span: "day", day: dayStart(new Date()) };
  let roster = [];
  let shifts = [];
  let timeline = null;

  const title = h("h2", { class: "week-title", "aria-live": "polite" });
  const viewSel = select("view", [["timeline", "Timeline"], ["table", "Week table"]], state.view);
  const spanSel = select("span", [["day", "Day"], ["week", "Week"]], state.span);
  const teamSel = select("team", [["", "All queues"]]);
  const agentSel = select("agent", [["", "All agents"]]);
  const table = h("div", { class: "roster-wrap" });
  const tlHost = h("section", { class: "card tl-card", "aria-label": "Timeline" });
  const dialogs = h("div");
  const requirement = requirementPicker(() => busy(null, drawTimeline));
  const spanField = field("Range", spanSel);

  const prev = h("button", { type: "button", class: "btn", "aria-label": "Earlier", onclick: () => move(-1) }, "‹");
  const next = h("button", { type: "button", class: "btn", "aria-label": "Later", onclick: () => move(1) }, "›");
  const today = h("button", { type: "button", class: "btn", onclick: () => { state.day = dayStart(new Date()); load(); } }, "Today");
  const newShift = h("button", { type: "button", class: "btn btn-primary", onclick: () => openShift(null, state.agent, isoDate(state.day)) }, "New shift");
  const newAgent = h("button", { type: "button", class: "btn", onclick: () => openAgent() }, "New agent");

  root.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Schedule"), h("p", { class: "muted" }, `Who works when, and who is on the phones. Times in ${timeZone()}.`)),
      h("div", { class: "actions" }, newAgent, newShift)),
    h("div", { class: "toolbar" },
      h("div", { class: "week-nav" }, prev, title, next, today),
      field("Show", viewSel), spanField, field("Queue", teamSel), field("Agent", agentSel)),
    requirement.el,
    tlHost,
    table,
    dialogs,
  );

  viewSel.addEventListener("change", () => { state.view = viewSel.value; load(); });
  spanSel.addEventListener("change", () => { state.span = spanSel.value; load(); });
  teamSel.addEventListener("change", () => { state.queue = teamSel.value; fillFilters(); render(); refreshRequirement(); });
  agentSel.addEventListener("change", () => { state.agent = agentSel.value; render(); });

  function range() {
    if (state.view === "timeline" && state.span === "day") return [state.day, addDays(state.day, 1)];
    const from = startOfWeek(state.day);
    return [from, addDays(from, 7)];
  }

  function move(n) {
    state.day = addDays(state.day, n * (state.view === "timeline" && state.span === "day" ? 1 : 7));
    load();
  }

  async function load() {
    const [from, to] = range();
    const day = state.view === "timeline" && state.span === "day";
    title.textContent = day ? fmtDay(from) : `${fmtDay(from)} – ${fmtDay(addDays(to, -1))}`;
    spanField.hidden = state.view !== "timeline";
    requirement.el.hidden = state.view !== "timeline";
    tlHost.hidden = state.view !== "timeline";
    table.hidden = state.view === "timeline";
    const busyEl = state.view === "timeline" ? tlHost : table;
    busyEl.setAttribute("aria-busy", "true");
    try {
      const [agents, items] = await Promise.all([
        getAll("/agents", { limit: 1000 }).catch((err) => { toast(`Agents: ${err.message}`, "error"); return []; }),
        getAll("/shifts", { start: localIso(isoDate(from), "00:00"), end: localIso(isoDate(to), "00:00"), limit: 1000 }),
      ]);
      roster = agents;
      shifts = items;
    } catch (err) {
      shifts = [];
      toast(`Shifts: ${err.message}`, "error");
    }
    fillFilters();
    if (state.view === "timeline") await refreshRequirement();
    else render();
    busyEl.removeAttribute("aria-busy");
  }

  async function refreshRequirement() {
    const [from, to] = range();
    await requirement.refresh(from.getTime(), to.getTime(), state.queue);
    await busy(null, drawTimeline);
  }

  function fillFilters() {
    const queues = [...new Set(roster.flatMap((a) => a.queues || []).concat(shifts.map((s) => s.queue).filter(Boolean)))].sort();
    teamSel.replaceChildren(...[["", "All queues"], ...queues.map((q) => [q, q])]
      .map(([v, t]) => h("option", { value: v, selected: v === state.queue }, t)));
    const ids = agentIds().filter(inTeam);
    agentSel.replaceChildren(...[["", "All agents"], ...ids.map((id) => [id, label(id)])]
      .map(([v, t]) => h("option", { value: v, selected: v === state.agent }, t)));
  }

  function agentIds() {
    const ids = new Set(roster.map((a) => a.agent_id));
    for (const s of shifts) ids.add(s.agent_id);
    return [...ids].sort((a, b) => label(a).localeCompare(label(b)));
  }

  const agentOf = (id) => roster.find((r) => r.agent_id === id);

  function label(id) {
    const a = agentOf(id);
    return a && a.name ? a.name : id;
  }

  function inTeam(id) {
    if (!state.queue) return true;
    const a = agentOf(id);
    if (a && (a.queues || []).includes(state.queue)) return true;
    return shifts.some((s) => s.agent_id === id && s.queue === state.queue);
  }

  const shown = () => agentIds().filter((id) => (!state.agent || id === state.agent) && inTeam(id));
  // In one queue, a shift counts for it when it names it, or names none and its agent is in it.
  const counts = (s) => !state.queue || s.queue === state.queue || (!s.queue && (agentOf(s.agent_id)?.queues || []).includes(state.queue));

  function render() {
    if (state.view === "timeline") drawTimeline();
    else renderTable();
  }

  // Draws overlap (a filter changed while a plan was loading): only the newest may draw.
  let drawSeq = 0;
  async function drawTimeline() {
    if (state.view !== "timeline") return;
    const seq = ++drawSeq;
    const [from, to] = range();
    const ids = new Set(shown());
    const req = await requirement.load();
    if (seq !== drawSeq) return;
    if (!timeline) timeline = createTimeline(tlHost, { onOpen: (s) => openShift(s), label: "Shifts per agent, with coverage" });
    await timeline.update({
      shifts: shifts.filter((s) => ids.has(s.agent_id) && counts(s)),
      agents: [...ids].map((id) => agentOf(id) || { agent_id: id, name: id, queues: [] }),
      from: from.getTime(),
      to: to.getTime(),
      stepMinutes: req ? req.stepMinutes : 30,
      required: req ? req.required : null,
    });
  }

  function renderTable() {
    const days = [...Array(7)].map((_, i) => addDays(startOfWeek(state.day), i));
    const ids = shown();
    if (!ids.length) {
      table.replaceChildren(emptyState("No agents yet.", "Add an agent, then click a day to give them a shift."));
      return;
    }
    const todayKey = isoDate(new Date());
    const head = h("tr", {},
      h("th", { scope: "col", class: "agent-col" }, "Agent"),
      days.map((d) => h("th", { scope: "col", class: isoDate(d) === todayKey ? "today" : "" }, fmtDay(d))),
      h("th", { scope: "col", class: "num" }, "Hours"));
    const rows = ids.map((id) => {
      const mine = shifts.filter((s) => s.agent_id === id);
      let minutes = 0;
      const cells = days.map((d) => {
        const key = isoDate(d);
        const dayShifts = mine.filter((s) => isoDate(new Date(s.start)) === key)
          .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
        dayShifts.forEach((s) => { minutes += (Date.parse(s.end) - Date.parse(s.start)) / 60000; });
        return h("td", { class: `day${key === todayKey ? " today" : ""}`, dataset: { date: key, agentId: id } },
          dayShifts.map((s) => chip(s)),
          h("button", {
            type: "button",
            class: "add-shift",
            "aria-label": `Add shift for ${label(id)} on ${fmtDay(d)}`,
            onclick: () => openShift(null, id, key),
          }, "+"));
      });
      return h("tr", {},
        h("th", { scope: "row", class: "agent-col" }, h("div", {}, label(id)),
          h("small", { class: "muted" }, (agentOf(id)?.queues || []).join(", "))),
        cells,
        h("td", { class: "num" }, (minutes / 60).toFixed(1)));
    });
    table.replaceChildren(h("div", { class: "table-scroll roster-scroll", tabindex: "0", role: "region", "aria-label": `Shifts, week of ${fmtDay(days[0])}` },
      h("table", { class: "roster" }, h("thead", {}, head), h("tbody", {}, rows))));
  }

  function chip(s) {
    const breaks = (s.activities || []).filter((a) => a.kind !== "work");
    return h("button", {
      type: "button",
      class: `shift activity-${String(s.activity || "work").replace(/[^a-z_]/gi, "")}`,
      dataset: { shiftId: s.id },
      title: breaks.map((a) => `${a.kind} ${fmtSpan(a.start, a.end)}`).join("\n") || "Edit shift",
      onclick: () => openShift(s),
    },
    h("span", { class: "shift-time" }, fmtSpan(s.start, s.end)),
    h("span", { class: "shift-meta" }, [s.activity && s.activity !== "work" ? s.activity : "", s.queue || ""].filter(Boolean).join(" · ")),
    breaks.length ? h("span", { class: "shift-breaks" }, breaks.map((a) => `${a.kind} ${fmtSpan(a.start, a.end)}`).join(", ")) : null);
  }

  // After a save, show the day or week the shift is in, even when it is not the one on screen.
  function showSaved(payload) {
    const start = payload && payload.start ? new Date(payload.start) : null;
    const [from, to] = range();
    if (start && (start < from || start >= to)) state.day = dayStart(start);
    load();
  }

  function openShift(shift, agentId = "", date = "") {
    shiftDialog(dialogs, { shift, agentId, date, agents: agentIds().map((id) => [id, label(id)]), roster, onSaved: showSaved });
  }

  function openAgent() {
    // Escaped for the `v` flag Chromium compiles `pattern` with (an unescaped "/" in a class
    // makes the whole pattern invalid there, and then nothing is checked).
    const id = h("input", {
      name: "agent_id", required: true, pattern: "[^\\/\\s]+", autocomplete: "off", title: "No spaces or slashes, e.g. a-1001",
    });
    const name = h("input", { name: "name", required: true, autocomplete: "off" });
    const queues = h("input", { name: "queues", placeholder: "sales, support" });
    const tz = h("input", { name: "timezone", value: timeZone() === "local time" ? "UTC" : timeZone() });
    const error = h("p", { class: "form-error", role: "alert" });
    const save = h("button", { type: "submit", class: "btn btn-primary" }, "Create agent");
    const dlg = h("dialog", { class: "dialog", "aria-labelledby": "agent-dlg-title" },
      h("form", {
        method: "dialog",
        onsubmit: (ev) => {
          ev.preventDefault();
          busy(save, async () => {
            await api.post("/agents", {
              agent_id: id.value.trim(),
              name: name.value.trim(),
              queues: queues.value.split(",").map((q) => q.trim()).filter(Boolean),
              timezone: tz.value.trim() || "UTC",
            });
            dlg.close();
            toast(`Agent ${name.value.trim()} created`);
            load();
          }, error);
        },
      },
      h("h2", { id: "agent-dlg-title" }, "New agent"),
      field("Agent id", id, "No spaces or slashes, e.g. a-1001"), field("Name", name), field("Queues", queues, "Comma-separated"),
      field("Time zone", tz, "IANA name, e.g. Europe/Berlin"), error,
      h("div", { class: "dialog-actions" },
        h("button", { type: "button", class: "btn", onclick: () => dlg.close() }, "Cancel"), save)));
    dlg.addEventListener("close", () => dlg.remove());
    dialogs.append(dlg);
    dlg.showModal();
  }

  load();
  return () => { dialogs.replaceChildren(); if (timeline) timeline.destroy(); };
}

function dayStart(d) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}
