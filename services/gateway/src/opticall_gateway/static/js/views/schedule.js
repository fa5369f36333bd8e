// Schedule: a week roster (agents × days) of shifts, with create, edit and delete.

import { api, getAll } from "../api.js";
import {
  addDays, busy, emptyState, field, h, hhmm, isoDate, localIso, select, startOfWeek, timeZone, toast,
} from "../dom.js";
import { shiftDialog } from "./shift-dialog.js";

const DAY = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });

export function mount(root) {
  let weekStart = startOfWeek(new Date());
  let roster = [];
  let shifts = [];
  const state = { queue: "", agent: "" };

  const title = h("h2", { class: "week-title", "aria-live": "polite" });
  const teamSel = select("team", [["", "All teams"]]);
  const agentSel = select("agent", [["", "All agents"]]);
  const table = h("div", { class: "roster-wrap" });
  const dialogs = h("div");

  const prev = h("button", { type: "button", class: "btn", "aria-label": "Previous week", onclick: () => move(-7) }, "‹");
  const next = h("button", { type: "button", class: "btn", "aria-label": "Next week", onclick: () => move(7) }, "›");
  const today = h("button", { type: "button", class: "btn", onclick: () => { weekStart = startOfWeek(new Date()); load(); } }, "This week");
  const newShift = h("button", { type: "button", class: "btn btn-primary", onclick: () => openShift(null, state.agent, isoDate(new Date())) }, "New shift");
  const newAgent = h("button", { type: "button", class: "btn", onclick: () => openAgent() }, "New agent");

  root.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Schedule"), h("p", { class: "muted" }, `Shifts per agent and team, week by week. Times in ${timeZone()}.`)),
      h("div", { class: "actions" }, newAgent, newShift)),
    h("div", { class: "toolbar" },
      h("div", { class: "week-nav" }, prev, title, next, today),
      field("Team", teamSel), field("Agent", agentSel)),
    table,
    dialogs,
  );

  teamSel.addEventListener("change", () => { state.queue = teamSel.value; render(); });
  agentSel.addEventListener("change", () => { state.agent = agentSel.value; render(); });

  function move(days) {
    weekStart = addDays(weekStart, days);
    load();
  }

  async function load() {
    const end = addDays(weekStart, 7);
    title.textContent = `${DAY.format(weekStart)} – ${DAY.format(addDays(end, -1))}`;
    table.setAttribute("aria-busy", "true");
    try {
      const [agents, items] = await Promise.all([
        getAll("/agents", { limit: 1000 }).catch((err) => { toast(`Agents: ${err.message}`, "error"); return []; }),
        getAll("/shifts", { start: localIso(isoDate(weekStart), "00:00"), end: localIso(isoDate(end), "00:00"), limit: 1000 }),
      ]);
      roster = agents;
      shifts = items;
    } catch (err) {
      shifts = [];
      toast(`Shifts: ${err.message}`, "error");
    } finally {
      table.removeAttribute("aria-busy");
    }
    fillFilters();
    render();
  }

  function fillFilters() {
    const queues = [...new Set(roster.flatMap((a) => a.queues || []).concat(shifts.map((s) => s.queue).filter(Boolean)))].sort();
    teamSel.replaceChildren(...[["", "All teams"], ...queues.map((q) => [q, q])]
      .map(([v, t]) => h("option", { value: v, selected: v === state.queue }, t)));
    const ids = agentIds();
    agentSel.replaceChildren(...[["", "All agents"], ...ids.map((id) => [id, label(id)])]
      .map(([v, t]) => h("option", { value: v, selected: v === state.agent }, t)));
  }

  function agentIds() {
    const ids = new Set(roster.map((a) => a.agent_id));
    for (const s of shifts) ids.add(s.agent_id);
    return [...ids].sort();
  }

  function label(id) {
    const a = roster.find((r) => r.agent_id === id);
    return a && a.name && a.name !== id ? `${a.name} (${id})` : id;
  }

  function inTeam(id) {
    if (!state.queue) return true;
    const a = roster.find((r) => r.agent_id === id);
    if (a && (a.queues || []).includes(state.queue)) return true;
    return shifts.some((s) => s.agent_id === id && s.queue === state.queue);
  }

  function render() {
    const days = [...Array(7)].map((_, i) => addDays(weekStart, i));
    const ids = agentIds().filter((id) => (!state.agent || id === state.agent) && inTeam(id));
    if (!ids.length) {
      table.replaceChildren(emptyState("No agents yet.", "Add an agent, then click a day to give them a shift."));
      return;
    }
    const todayKey = isoDate(new Date());
    const head = h("tr", {},
      h("th", { scope: "col", class: "agent-col" }, "Agent"),
      days.map((d) => h("th", { scope: "col", class: isoDate(d) === todayKey ? "today" : "" }, DAY.format(d))),
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
            "aria-label": `Add shift for ${id} on ${DAY.format(d)}`,
            onclick: () => openShift(null, id, key),
          }, "+"));
      });
      return h("tr", {},
        h("th", { scope: "row", class: "agent-col" }, h("div", {}, label(id)),
          h("small", { class: "muted" }, (roster.find((r) => r.agent_id === id)?.queues || []).join(", "))),
        cells,
        h("td", { class: "num" }, (minutes / 60).toFixed(1)));
    });
    table.replaceChildren(h("table", { class: "roster", "aria-label": `Shifts, week of ${DAY.format(weekStart)}` },
      h("thead", {}, head), h("tbody", {}, rows)));
  }

  function chip(s) {
    const start = new Date(s.start);
    const end = new Date(s.end);
    const breaks = (s.activities || []).filter((a) => a.kind !== "work");
    return h("button", {
      type: "button",
      class: `shift activity-${String(s.activity || "work").replace(/[^a-z_]/gi, "")}`,
      dataset: { shiftId: s.id },
      title: breaks.map((a) => `${a.kind} ${hhmm(new Date(a.start))}–${hhmm(new Date(a.end))}`).join("\n") || "Edit shift",
      onclick: () => openShift(s),
    },
    h("span", { class: "shift-time" }, `${hhmm(start)}–${hhmm(end)}`),
    h("span", { class: "shift-meta" }, [s.activity && s.activity !== "work" ? s.activity : "", s.queue || ""].filter(Boolean).join(" · ")),
    breaks.length ? h("span", { class: "shift-breaks" }, breaks.map((a) => `${a.kind} ${hhmm(new Date(a.start))}`).join(", ")) : null);
  }

  function openShift(shift, agentId = "", date = "") {
    shiftDialog(dialogs, { shift, agentId, date, agents: agentIds().map((id) => [id, label(id)]), roster, onSaved: load });
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
            toast(`Agent ${id.value.trim()} created`);
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
  return () => dialogs.replaceChildren();
}
