// Live agent board: a WebSocket snapshot, then one `agent_state` delta per change.

import { accessToken, api, getAll, refresh } from "../api.js";
import { emptyState, field, h, select, since } from "../dom.js";

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
const STATE_LABEL = Object.fromEntries(STATES);
const ADHERENCE_LABEL = { in: "In adherence", out: "Out of adherence", unscheduled: "Unscheduled" };

export function mount(root) {
  const agents = new Map(); // agent_id → latest state object from realtime
  const cards = new Map(); // agent_id → card element
  const roster = new Map(); // agent_id → agent from GET /agents (name, queues)
  const filters = { queue: "", state: "", q: "", sort: "state" };
  let ws = null;
  let closed = false;
  let retry = 0;
  let retryTimer = 0;

  const status = h("span", { class: "live-status", "data-status": "connecting", role: "status" }, "Connecting…");
  const queueSel = select("queue", [["", "All queues"]]);
  const stateSel = select("state", [["", "All states"], ...STATES]);
  const search = h("input", { type: "search", name: "q", placeholder: "Agent id or name" });
  const sortSel = select("sort", [["state", "State"], ["agent", "Agent"], ["time", "Time in state"]]);
  const summary = h("div", { class: "tiles", "aria-label": "Agents per state" });
  const grid = h("ul", { class: "agent-grid", "aria-label": "Agents", "aria-live": "off" });
  const empty = h("div");

  root.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Live board"), h("p", { class: "muted" }, "Agent states as the ACD reports them, with schedule adherence.")),
      status),
    summary,
    h("form", { class: "toolbar", role: "search", "aria-label": "Filter agents", onsubmit: (e) => e.preventDefault() },
      field("Queue", queueSel), field("State", stateSel), field("Search", search), field("Sort by", sortSel)),
    grid,
    empty,
  );

  const onFilter = () => {
    filters.queue = queueSel.value;
    filters.state = stateSel.value;
    filters.q = search.value.trim().toLowerCase();
    filters.sort = sortSel.value;
    renderAll();
  };
  for (const el of [queueSel, stateSel, sortSel]) el.addEventListener("change", onFilter);
  search.addEventListener("input", onFilter);

  function queuesOf(a) {
    const r = roster.get(a.agent_id);
    const qs = new Set(r && Array.isArray(r.queues) ? r.queues : []);
    if (a.queue) qs.add(a.queue);
    if (Array.isArray(a.queues)) a.queues.forEach((q) => qs.add(q));
    return qs;
  }

  function visible(a) {
    if (filters.state && a.state !== filters.state) return false;
    if (filters.queue && !queuesOf(a).has(filters.queue)) return false;
    if (filters.q) {
      const r = roster.get(a.agent_id);
      const hay = `${a.agent_id} ${a.name || ""} ${r ? r.name : ""}`.toLowerCase();
      if (!hay.includes(filters.q)) return false;
    }
    return true;
  }

  const order = Object.fromEntries(STATES.map(([s], i) => [s, i]));
  function compare(x, y) {
    if (filters.sort === "time") return Date.parse(x.since || 0) - Date.parse(y.since || 0);
    if (filters.sort === "state") {
      const d = (order[x.state] ?? 99) - (order[y.state] ?? 99);
      if (d) return d;
    }
    return String(x.agent_id).localeCompare(String(y.agent_id));
  }

  function adherenceOf(a) {
    const v = a.adherence && typeof a.adherence === "object" ? a.adherence.status : a.adherence;
    return v ? String(v) : "";
  }

  function card(a) {
    const r = roster.get(a.agent_id);
    const name = a.name || (r && r.name) || "";
    const adh = adherenceOf(a);
    const qs = [...queuesOf(a)];
    const scheduled = a.scheduled_activity || (a.adherence && a.adherence.scheduled_activity) || "";
    const el = h("li", {
      class: `agent state-${a.state || "unknown"}${adh ? ` adh-${adh}` : ""}`,
      dataset: { agentId: a.agent_id, state: a.state || "", adherence: adh },
      "aria-label": `${name || a.agent_id}: ${STATE_LABEL[a.state] || a.state}${adh ? `, ${ADHERENCE_LABEL[adh] || adh}` : ""}`,
    },
    h("div", { class: "agent-top" },
      h("span", { class: "agent-id" }, a.agent_id),
      adh ? h("span", { class: `adh adh-badge-${adh}`, title: ADHERENCE_LABEL[adh] || adh }, ADHERENCE_LABEL[adh] || adh) : null),
    name ? h("div", { class: "agent-name" }, name) : null,
    h("div", { class: "agent-state" },
      h("span", { class: "dot", "aria-hidden": "true" }),
      h("span", { class: "state-label" }, STATE_LABEL[a.state] || a.state || "Unknown"),
      h("span", { class: "since", dataset: { since: a.since || "" } }, a.since ? since(a.since) : "")),
    h("div", { class: "agent-meta" },
      qs.length ? h("span", {}, qs.join(", ")) : null,
      scheduled ? h("span", { title: "Scheduled activity" }, `sched: ${scheduled}`) : null,
      a.reason ? h("span", { title: "Reason" }, a.reason) : null));
    return el;
  }

  function renderSummary() {
    const counts = Object.fromEntries(STATES.map(([s]) => [s, 0]));
    let scheduled = 0;
    let inAdh = 0;
    for (const a of agents.values()) {
      if (filters.queue && !queuesOf(a).has(filters.queue)) continue;
      counts[a.state] = (counts[a.state] || 0) + 1;
      const adh = adherenceOf(a);
      if (adh === "in" || adh === "out") scheduled += 1;
      if (adh === "in") inAdh += 1;
    }
    const tiles = STATES.filter(([s]) => counts[s] || ["available", "on_call", "after_call_work", "not_ready"].includes(s))
      .map(([s, label]) => h("button", {
        type: "button",
        class: `tile state-${s}${filters.state === s ? " selected" : ""}`,
        "aria-pressed": String(filters.state === s),
        dataset: { state: s },
        onclick: () => { stateSel.value = filters.state === s ? "" : s; onFilter(); },
      }, h("span", { class: "tile-value" }, String(counts[s] || 0)), h("span", { class: "tile-label" }, label)));
    tiles.push(h("div", { class: "tile tile-adh" },
      h("span", { class: "tile-value" }, scheduled ? `${Math.round((100 * inAdh) / scheduled)}%` : "–"),
      h("span", { class: "tile-label" }, "In adherence")));
    summary.replaceChildren(...tiles);
  }

  function renderAll() {
    cards.clear();
    const list = [...agents.values()].filter(visible).sort(compare);
    grid.replaceChildren(...list.map((a) => {
      const el = card(a);
      cards.set(a.agent_id, el);
      return el;
    }));
    empty.replaceChildren(list.length ? "" : agents.size
      ? emptyState("No agent matches these filters.")
      : emptyState("No agent states yet.", "States appear here as soon as the ACD reports them."));
    renderSummary();
  }

  function refreshQueues() {
    const all = new Set();
    for (const r of roster.values()) (r.queues || []).forEach((q) => all.add(q));
    for (const a of agents.values()) queuesOf(a).forEach((q) => all.add(q));
    const current = queueSel.value;
    const known = new Set([...queueSel.options].map((o) => o.value));
    if ([...all].every((q) => known.has(q))) return;
    queueSel.replaceChildren(...[["", "All queues"], ...[...all].sort().map((q) => [q, q])]
      .map(([v, t]) => h("option", { value: v, selected: v === current }, t)));
  }

  // An agent the roster does not know yet (added since the page opened): fetch the roster
  // again for its name and queues, at most every 10 seconds.
  let rosterAt = 0;
  let rosterTimer = 0;
  function loadRoster() {
    rosterAt = Date.now();
    return getAll("/agents", { limit: 1000 }).then((list) => {
      for (const r of list) roster.set(r.agent_id, r);
      refreshQueues();
      renderAll();
    }).catch(() => { /* names and queues are extras; the board works without them */ });
  }
  function rosterMiss() {
    if (rosterTimer || closed) return;
    rosterTimer = setTimeout(() => { rosterTimer = 0; loadRoster(); }, Math.max(500, rosterAt + 10_000 - Date.now()));
  }

  function upsert(a) {
    if (!a || !a.agent_id) return;
    if (!roster.has(a.agent_id)) rosterMiss();
    const prev = agents.get(a.agent_id);
    agents.set(a.agent_id, { ...(prev || {}), ...a });
    const next = agents.get(a.agent_id);
    refreshQueues();
    const old = cards.get(a.agent_id);
    // Same state group and still visible: swap the card in place; else re-sort the grid.
    if (old && visible(next) && (filters.sort === "agent" || (prev && prev.state === next.state && filters.sort !== "time"))) {
      const el = card(next);
      el.classList.add("flash");
      old.replaceWith(el);
      cards.set(a.agent_id, el);
      renderSummary();
    } else {
      renderAll();
      const el = cards.get(a.agent_id);
      if (el) el.classList.add("flash");
    }
  }

  function setStatus(kind, text) {
    status.dataset.status = kind;
    status.textContent = text;
  }

  // A single-use ticket from POST /realtime/ws-ticket (valid 30 s) opens the socket, so the
  // access token never sits in a URL, where proxies and access logs would keep it.
  async function wsTicket() {
    const body = await api.post("/realtime/ws-ticket");
    return body.ticket;
  }

  function scheduleRetry() {
    retry += 1;
    retryTimer = setTimeout(connect, Math.min(10_000, 500 * 2 ** Math.min(retry, 5)));
  }

  async function connect() {
    if (!accessToken() || closed) return;
    setStatus("connecting", retry ? "Reconnecting…" : "Connecting…");
    let ticket;
    try {
      ticket = await wsTicket(); // api.post refreshes an expired token once by itself
    } catch {
      if (!closed) {
        setStatus("down", "Disconnected, retrying…");
        scheduleRetry();
      }
      return;
    }
    if (closed) return;
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/realtime/ws?ticket=${encodeURIComponent(ticket)}`);
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg.type === "snapshot") {
        retry = 0;
        agents.clear();
        for (const a of msg.agents || []) if (a && a.agent_id) agents.set(a.agent_id, a);
        refreshQueues();
        renderAll();
        setStatus("live", "Live");
      } else if (msg.type === "agent_state") {
        upsert(msg.agent);
      } else if (msg.type === "adherence" && msg.agent_id) {
        upsert({ agent_id: msg.agent_id, adherence: msg.adherence });
      }
    };
    ws.onclose = async (ev) => {
      ws = null;
      if (closed) return;
      setStatus("down", "Disconnected, retrying…");
      // A refused token (expired, revoked): get a new one before trying again.
      if ([1008, 4001, 4401, 4403].includes(ev.code)) {
        try { await refresh(); } catch { return; }
      }
      scheduleRetry();
    };
  }

  // Ticking "time in state" without re-rendering cards.
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const el of grid.querySelectorAll(".since")) {
      if (el.dataset.since) el.textContent = since(el.dataset.since, now);
    }
  }, 1000);

  loadRoster();
  renderAll();
  connect();

  return () => {
    closed = true;
    clearInterval(ticker);
    clearTimeout(retryTimer);
    clearTimeout(rosterTimer);
    if (ws) ws.close(1000);
  };
}
