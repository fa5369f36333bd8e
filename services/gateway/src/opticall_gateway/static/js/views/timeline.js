// A schedule as a timeline (vis-timeline, vendored from npm): one row per agent with their
// shifts and, on them, breaks, lunches, meetings and time off; a coverage row underneath
// (agents on the phones against the requirement, per interval); and a time marker, dragged
// or typed, that lists who is off the phones at that moment. It takes any list of shifts, so a
// draft schedule shows the same way as the published one.

import { ensureCss } from "../assets.js";
import {
  fmtDate, fmtDateTime, fmtDay, fmtSpan, fmtTime, h, hhmm, isoDate, localIso,
} from "../dom.js";
import { ACTIVITY_TEXT, coverage, whoIsOff } from "../timeline-data.js";

const VIS = "/static/vendor/vis-timeline.esm.min.js";
const MONTH = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" });
const COVERAGE = "__coverage";
let visModule = null;

async function loadVis() {
  ensureCss("/static/vendor/vis-timeline.min.css");
  if (!visModule) visModule = await import(VIS);
  return visModule;
}

// Axis labels in the user's locale (vis-timeline's own come from moment, in English).
const FORMAT = {
  minorLabels: (date, scale) => {
    const d = date.toDate();
    if (scale === "minute" || scale === "hour") return fmtTime(d);
    if (scale === "weekday" || scale === "day") return fmtDay(d);
    return fmtDate(d);
  },
  majorLabels: (date, scale) => {
    const d = date.toDate();
    if (scale === "minute" || scale === "hour") return fmtDay(d);
    return MONTH.format(d);
  },
};

/**
 * A timeline in `host`. `update()` shows shifts of agents over [from, to) (ms); `onOpen(shift)`
 * (optional) is called when a shift is chosen (click, Enter or Space).
 */
export function createTimeline(host, { onOpen = null, label = "Schedule timeline" } = {}) {
  let tl = null;
  let vis = null;
  let groupSet = null;
  let data = { shifts: [], agents: [], from: 0, to: 0, stepMinutes: 30, required: null };
  let probe = 0;

  const probeIn = h("input", { type: "datetime-local", name: "probe", step: "900" });
  const offList = h("div", { class: "tl-off-list", role: "status", "aria-live": "polite" });
  const box = h("div", { class: "tl-box", role: "group", "aria-label": label });
  const legend = h("ul", { class: "tl-legend", "aria-label": "Legend" },
    ["work", "break", "lunch", "meeting", "training", "time_off"].map((k) =>
      h("li", {}, h("span", { class: `tl-swatch tl-act-${k}`, "aria-hidden": "true" }), ACTIVITY_TEXT[k])),
    h("li", {}, h("span", { class: "tl-swatch cov-under", "aria-hidden": "true" }), "Under the requirement"),
    h("li", {}, h("span", { class: "tl-swatch cov-ok", "aria-hidden": "true" }), "Covered"));
  const table = h("div");
  host.append(
    h("div", { class: "tl-probe" },
      h("div", { class: "field" }, h("label", { for: "tl-probe-at" }, "Who is off the phones at"), probeIn), offList),
    legend, box, table);
  probeIn.id = "tl-probe-at";
  probeIn.addEventListener("change", () => {
    const [date, time] = probeIn.value.split("T");
    if (date && time) setProbe(Date.parse(localIso(date, time)), true);
  });

  function setProbe(t, moveBar = false) {
    probe = Math.min(Math.max(t, data.from), data.to - 60_000);
    const d = new Date(probe);
    probeIn.value = `${isoDate(d)}T${hhmm(d)}`;
    if (tl && moveBar) tl.setCustomTime(probe, "probe");
    if (tl) tl.setCustomTimeMarker(fmtTime(d), "probe", false);
    renderOff();
  }

  function renderOff() {
    const { working, off } = whoIsOff(data.shifts, probe);
    const nameOf = (id) => (data.agents.find((a) => a.agent_id === id) || {}).name || id;
    offList.replaceChildren(...[
      h("p", {}, h("strong", {}, `${fmtDateTime(probe)}: `),
        `${working.length} on the phones, ${off.length} off the phones`),
      off.length ? h("ul", { class: "plain-list tl-off-names" }, off.map(({ shift, why }) =>
        h("li", { dataset: { agentId: shift.agent_id, why } }, `${nameOf(shift.agent_id)}: ${(ACTIVITY_TEXT[why] || why).toLowerCase()}`))) : null,
    ].filter(Boolean));
    if (groupSet) {
      const offIds = new Set(off.map(({ shift }) => shift.agent_id));
      groupSet.update(data.agents.map((a) => ({ id: a.agent_id, className: offIds.has(a.agent_id) ? "tl-row-off" : "" })));
    }
  }

  function groupContent(a) {
    return h("div", { class: "tl-agent" }, h("span", { class: "tl-agent-name" }, a.name || a.agent_id),
      (a.queues || []).length ? h("small", {}, a.queues.join(", ")) : null);
  }

  function items() {
    const out = [];
    const nameOf = (id) => (data.agents.find((a) => a.agent_id === id) || {}).name || id;
    for (const s of data.shifts) {
      const id = s.id || `${s.agent_id}@${s.start}`;
      const acts = (s.activities || []).filter((a) => a.kind !== "work");
      const what = s.activity && s.activity !== "work" ? `${s.activity} ` : "";
      const said = `${nameOf(s.agent_id)}: ${what}shift ${fmtDay(s.start)} ${fmtSpan(s.start, s.end)}${s.queue ? `, ${s.queue}` : ""}${
        acts.length ? `; ${acts.map((a) => `${(ACTIVITY_TEXT[a.kind] || a.kind).toLowerCase()} ${fmtSpan(a.start, a.end)}`).join(", ")}` : ""}`;
      out.push({
        id, group: s.agent_id, start: Date.parse(s.start), end: Date.parse(s.end), shift: s, said,
        className: `tl-shift tl-act-${["work", "overtime"].includes(s.activity || "work") ? "work" : cls(s.activity)}`,
      });
      acts.forEach((a, i) => out.push({
        id: `${id}#${i}`, group: s.agent_id, start: Date.parse(a.start), end: Date.parse(a.end),
        className: `tl-act tl-act-${cls(a.kind)}`, kind: a.kind, title: `${ACTIVITY_TEXT[a.kind] || a.kind} ${fmtSpan(a.start, a.end)}`,
      }));
    }
    const cov = coverage(data.shifts, data.from, data.to, data.stepMinutes, data.required);
    for (const c of cov) {
      const state = c.required === null ? "cov-none" : c.gap < 0 ? "cov-under" : "cov-ok";
      out.push({
        id: `cov-${c.start}`, group: COVERAGE, start: c.start, end: c.end, className: `tl-cov ${state}`, cov: c,
        title: `${fmtSpan(c.start, c.end)}: ${c.scheduled} on the phones${c.required === null ? "" : `, ${c.required} required`}`,
      });
    }
    renderTable(cov);
    return out;
  }

  // The coverage row as a table too: exact figures, and a text alternative of the colours.
  function renderTable(cov) {
    const withReq = data.required !== null;
    const under = cov.filter((c) => c.gap !== null && c.gap < 0).length;
    table.replaceChildren(h("details", { class: "tl-cov-table" },
      h("summary", {}, withReq ? `Coverage per interval: ${under} of ${cov.length} under the requirement` : `Agents on the phones per interval (${cov.length})`),
      h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "Coverage per interval" },
        h("table", { class: "data" },
          h("thead", {}, h("tr", {}, ["Interval", "On the phones", withReq ? "Required" : null, withReq ? "Gap" : null]
            .filter(Boolean).map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, cov.map((c) => h("tr", { class: c.gap !== null && c.gap < 0 ? "row-under" : "" },
            h("td", {}, `${fmtDay(c.start)} ${fmtSpan(c.start, c.end)}`),
            h("td", { class: "num" }, String(c.scheduled)),
            withReq ? h("td", { class: "num" }, c.required === null ? "–" : String(c.required)) : null,
            withReq ? h("td", { class: "num" }, c.gap === null ? "–" : String(Math.round(c.gap * 10) / 10)) : null)))))));
  }

  function template(item) {
    if (item.shift) {
      const b = h("button", { type: "button", class: "tl-shift-btn", "aria-label": item.said, title: item.said, dataset: { shiftId: item.shift.id || "" } },
        fmtSpan(item.shift.start, item.shift.end));
      if (onOpen) b.addEventListener("click", (ev) => { ev.stopPropagation(); onOpen(item.shift); });
      else b.setAttribute("aria-disabled", "true");
      return b;
    }
    if (item.cov) return h("span", { class: "tl-cov-text" }, item.cov.required === null ? String(item.cov.scheduled) : `${item.cov.scheduled}/${item.cov.required}`);
    return h("span", { class: "tl-act-text" }, ACTIVITY_TEXT[item.kind] || item.kind);
  }

  async function update(next) {
    data = { ...data, ...next };
    data.agents = [...data.agents].sort((a, b) => (a.name || a.agent_id).localeCompare(b.name || b.agent_id));
    vis = vis || await loadVis();
    const groups = [
      ...data.agents.map((a, i) => ({ id: a.agent_id, content: groupContent(a), order: i })),
      { id: COVERAGE, content: h("div", { class: "tl-agent tl-cov-label" }, h("span", { class: "tl-agent-name" }, "Coverage"),
        h("small", {}, data.required ? "on the phones / required" : "on the phones")), order: 1e9, className: "tl-cov-group" },
    ];
    const options = {
      start: data.from, end: data.to, min: data.from, max: data.to, zoomMin: 3_600_000, zoomMax: data.to - data.from,
      stack: false, orientation: { axis: "both", item: "top" }, groupOrder: "order", selectable: false,
      zoomKey: "ctrlKey", horizontalScroll: false, format: FORMAT, template, tooltip: { followMouse: true },
      margin: { item: { horizontal: 0, vertical: 6 }, axis: 4 }, showCurrentTime: true,
    };
    groupSet = new vis.DataSet(groups);
    // A new timeline for new data: replacing groups and items of a live one left some items
    // hidden until the next redraw, and building one for a few hundred rows is quick.
    if (tl) tl.destroy();
    box.replaceChildren();
    tl = new vis.Timeline(box, new vis.DataSet(items()), groupSet, options);
    tl.addCustomTime(data.from, "probe");
    tl.on("timechange", (p) => { if (p.id === "probe") setProbe(p.time.getTime()); });
    const now = Date.now();
    const noon = new Date(data.from);
    noon.setHours(13, 0, 0, 0);
    setProbe(probe >= data.from && probe < data.to ? probe : now >= data.from && now < data.to ? now : noon.getTime(), true);
    // Too narrow a cell for its figure (a week, or a phone): colours only, figures in the table.
    const cells = (data.to - data.from) / (data.stepMinutes * 60_000);
    box.classList.toggle("tl-compact", (box.clientWidth - 110) / cells < 26);
    box.dataset.shifts = String(data.shifts.length);
    box.dataset.ready = "true";
  }

  return {
    update,
    setProbe: (t) => setProbe(t, true),
    destroy() { if (tl) tl.destroy(); tl = null; },
  };
}

const cls = (s) => String(s || "work").replace(/[^a-z_]/gi, "");
