// The create/edit dialog of one shift, with its breaks and other activities.

import { api } from "../api.js";
import { busy, field, h, hhmm, isoDate, localIso, select, toast } from "../dom.js";

const KINDS = [["break", "Break"], ["lunch", "Lunch"], ["meeting", "Meeting"], ["training", "Training"]];

/**
 * Local date + "HH:MM", moved to the next day when it falls before `after` (or on it, when
 * `strict`): an 22:00–06:00 shift ends the next morning.
 */
function timeAfter(date, time, after, strict = true) {
  let iso = localIso(date, time);
  const d0 = after ? Date.parse(iso) - Date.parse(after) : 1;
  if (d0 < 0 || (strict && d0 === 0)) {
    const d = new Date(`${date}T00:00:00`);
    d.setDate(d.getDate() + 1);
    iso = localIso(isoDate(d), time);
  }
  return iso;
}

export function shiftDialog(host, { shift, agentId, date, agents, roster, onSaved }) {
  const editing = Boolean(shift);
  const start0 = editing ? new Date(shift.start) : null;
  const end0 = editing ? new Date(shift.end) : null;

  const agent = select("agent_id", [["", "Choose an agent…"], ...agents], editing ? shift.agent_id : agentId);
  agent.required = true;
  const day = h("input", { type: "date", name: "date", required: true, value: editing ? isoDate(start0) : date || isoDate(new Date()) });
  const start = h("input", { type: "time", name: "start", required: true, value: editing ? hhmm(start0) : "09:00" });
  const end = h("input", { type: "time", name: "end", required: true, value: editing ? hhmm(end0) : "17:00" });
  const activity = h("input", { name: "activity", value: editing ? shift.activity || "work" : "work", list: "activity-list" });
  const queue = h("input", { name: "queue", value: editing ? shift.queue || "" : "", list: "queue-list", autocomplete: "off" });
  const queueList = h("datalist", { id: "queue-list" });
  const fillQueues = () => {
    const a = roster.find((r) => r.agent_id === agent.value);
    const qs = a ? a.queues || [] : [...new Set(roster.flatMap((r) => r.queues || []))];
    queueList.replaceChildren(...qs.map((q) => h("option", { value: q })));
    if (!editing && !queue.value && qs.length === 1) queue.value = qs[0];
  };
  agent.addEventListener("change", fillQueues);
  fillQueues();

  const acts = h("div", { class: "activities" });
  const addAct = (a = null) => {
    const kind = select("kind", KINDS, a ? a.kind : "break");
    const s = h("input", { type: "time", name: "act_start", required: true, value: a ? hhmm(new Date(a.start)) : "12:00" });
    const e = h("input", { type: "time", name: "act_end", required: true, value: a ? hhmm(new Date(a.end)) : "12:30" });
    const n = acts.children.length + 1;
    kind.setAttribute("aria-label", `Activity ${n} kind`);
    s.setAttribute("aria-label", `Activity ${n} start`);
    e.setAttribute("aria-label", `Activity ${n} end`);
    const row = h("div", { class: "activity-row" }, kind, s, e,
      h("button", { type: "button", class: "btn btn-ghost", "aria-label": `Remove activity ${n}`, onclick: () => row.remove() }, "✕"));
    acts.append(row);
  };
  (editing ? shift.activities || [] : []).filter((a) => a.kind !== "work").forEach(addAct);

  const error = h("p", { class: "form-error", role: "alert" });
  const save = h("button", { type: "submit", class: "btn btn-primary" }, editing ? "Save changes" : "Create shift");
  const del = editing ? h("button", { type: "button", class: "btn btn-danger" }, "Delete") : null;

  const body = () => {
    // Equal times are a mistake, not a 24-hour shift (a night shift ends earlier than it starts).
    if (start.value === end.value) {
      throw new Error("End is the same as start: give the time the shift ends (earlier than the start for a shift past midnight).");
    }
    const startIso = localIso(day.value, start.value);
    const endIso = timeAfter(day.value, end.value, startIso);
    const activities = [...acts.querySelectorAll(".activity-row")].map((row, i) => {
      const [k, s, e] = row.querySelectorAll("select, input");
      if (s.value === e.value) throw new Error(`Activity ${i + 1} ends when it starts: give it a length.`);
      const aStart = timeAfter(day.value, s.value, startIso, false);
      return { kind: k.value, start: aStart, end: timeAfter(day.value, e.value, aStart) };
    });
    return {
      agent_id: agent.value,
      start: startIso,
      end: endIso,
      activity: activity.value.trim() || "work",
      queue: queue.value.trim() || null,
      activities,
    };
  };

  const dlg = h("dialog", { class: "dialog", "aria-labelledby": "shift-dlg-title" },
    h("form", {
      method: "dialog",
      onsubmit: (ev) => {
        ev.preventDefault();
        busy(save, async () => {
          const payload = body();
          if (editing) await api.patch(`/shifts/${encodeURIComponent(shift.id)}`, payload);
          else await api.post("/shifts", payload);
          dlg.close();
          toast(editing ? "Shift updated" : "Shift created");
          onSaved(payload);
        }, error);
      },
    },
    h("h2", { id: "shift-dlg-title" }, editing ? "Edit shift" : "New shift"),
    field("Agent", agent),
    h("div", { class: "row" }, field("Date", day), field("Start", start), field("End", end, "Earlier than start: next day")),
    h("div", { class: "row" }, field("Activity", activity), field("Queue", queue)),
    h("datalist", { id: "activity-list" }, ["work", "training", "meeting", "overtime"].map((v) => h("option", { value: v }))),
    queueList,
    h("fieldset", { class: "acts" },
      h("legend", {}, "Breaks and activities"),
      acts,
      h("button", { type: "button", class: "btn btn-ghost", onclick: () => addAct() }, "+ Add break or activity")),
    error,
    h("div", { class: "dialog-actions" },
      del,
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "btn", onclick: () => dlg.close() }, "Cancel"),
      save)));

  if (del) {
    del.addEventListener("click", () => {
      if (!window.confirm("Delete this shift?")) return;
      busy(del, async () => {
        await api.del(`/shifts/${encodeURIComponent(shift.id)}`);
        dlg.close();
        toast("Shift deleted");
        onSaved();
      }, error);
    });
  }
  dlg.addEventListener("close", () => dlg.remove());
  host.append(dlg);
  dlg.showModal();
  return dlg;
}
