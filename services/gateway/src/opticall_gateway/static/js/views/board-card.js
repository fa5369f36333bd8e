// One agent's card on the live board, and the orderings the board offers.

import { h, since } from "../dom.js";

export const STATES = [
  ["available", "Available"],
  ["on_call", "On call"],
  ["after_call_work", "After-call work"],
  ["not_ready", "Not ready"],
  ["break", "Break"],
  ["lunch", "Lunch"],
  ["meeting", "Meeting"],
  ["training", "Training"],
  ["logged_out", "Logged out"],
];
export const STATE_LABEL = Object.fromEntries(STATES);
export const ADHERENCE = [["out", "Out of adherence"], ["in", "In adherence"], ["unscheduled", "Unscheduled"]];
export const ADHERENCE_LABEL = Object.fromEntries(ADHERENCE);
const ACTIVITY_LABEL = { work: "work", break: "break", lunch: "lunch", meeting: "meeting", training: "training", time_off: "time off" };

export function adherenceOf(a) {
  const v = a.adherence && typeof a.adherence === "object" ? a.adherence.status : a.adherence;
  return v ? String(v) : "";
}

/**
 * Orderings. The default puts the agents who need a supervisor first: out of adherence, the
 * longest out on top, then everyone else by name.
 */
export function comparator(sort, { nameOf, outSince }) {
  const byName = (x, y) => nameOf(x).localeCompare(nameOf(y)) || String(x.agent_id).localeCompare(String(y.agent_id));
  const order = Object.fromEntries(STATES.map(([s], i) => [s, i]));
  const outFor = (a) => (adherenceOf(a) === "out" ? (outSince(a.agent_id) ?? Date.parse(a.since || 0) ?? 0) : Infinity);
  switch (sort) {
    case "name":
      return byName;
    case "state":
      return (x, y) => (order[x.state] ?? 99) - (order[y.state] ?? 99) || byName(x, y);
    case "time":
      return (x, y) => Date.parse(x.since || 0) - Date.parse(y.since || 0) || byName(x, y);
    default: // "adherence"
      return (x, y) => {
        const rank = (a) => ({ out: 0, in: 1, unscheduled: 2 }[adherenceOf(a)] ?? 3);
        return rank(x) - rank(y) || outFor(x) - outFor(y) || byName(x, y);
      };
  }
}

/** The card of agent `a`; `outAt` is when the agent went out of adherence (ms), if known. */
export function card(a, { name, queues, outAt }) {
  const adh = adherenceOf(a);
  const scheduled = a.scheduled_activity || (a.adherence && a.adherence.scheduled_activity) || "";
  const stateText = STATE_LABEL[a.state] || a.state || "Unknown";
  const label = `${name || a.agent_id}: ${stateText}${adh ? `, ${ADHERENCE_LABEL[adh] || adh}` : ""}`;
  return h("li", {
    class: `agent state-${a.state || "unknown"}${adh ? ` adh-${adh}` : ""}`,
    dataset: { agentId: a.agent_id, state: a.state || "", adherence: adh },
    "aria-label": label,
  },
  h("div", { class: "agent-top" },
    h("span", { class: "agent-name" }, name || a.agent_id),
    adh ? h("span", { class: `adh adh-badge-${adh}` }, ADHERENCE_LABEL[adh] || adh) : null),
  name && name !== a.agent_id ? h("div", { class: "agent-id" }, a.agent_id) : null,
  h("div", { class: "agent-state" },
    h("span", { class: "dot", "aria-hidden": "true" }),
    h("span", { class: "state-label" }, stateText),
    h("span", { class: "since", title: "Time in this state", dataset: { since: a.since || "" } }, a.since ? since(a.since) : "")),
  adh === "out"
    ? h("div", { class: "out-for" }, "Out of adherence for ",
      h("strong", { class: "out-time", dataset: { outAt: outAt ? String(outAt) : "" } }, outAt ? since(new Date(outAt).toISOString()) : "…"))
    : null,
  h("div", { class: "agent-meta" },
    queues.length ? h("span", {}, queues.join(", ")) : null,
    scheduled ? h("span", {}, `Scheduled: ${ACTIVITY_LABEL[scheduled] || scheduled}`) : null,
    a.reason ? h("span", {}, `Reason: ${a.reason}`) : null));
}

/** When `agentId`'s current spell out of adherence began, from the adherence history (ms). */
export function outStartFrom(items) {
  let at = null;
  for (let i = items.length - 1; i >= 0 && items[i].adherence === "out"; i--) at = Date.parse(items[i].at);
  return at;
}
