// Live agent board: a WebSocket snapshot, then one `agent_state` delta per change. Adherence
// first: out-of-adherence agents lead by default, each with how long they have been out.

import { accessToken, api, getAll, refresh } from "../api.js";
import { emptyState, field, h, select, since } from "../dom.js";
import {
  ADHERENCE, ADHERENCE_LABEL, STATES, adherenceOf, card, comparator, outStartFrom,
} from "./board-card.js";


// How many agents' adherence history is fetched at once to learn when they went out.
const HISTORY_CONCURRENCY = 4;
const HISTORY_HOURS = 12;

export function mount(root) {
  const agents = new Map(); // agent_id → latest state object from realtime
  const cards = new Map(); // agent_id → card element
  const roster = new Map(); // agent_id → agent from GET /agents (name, queues)
  const outAt = new Map(); // agent_id → ms when its current spell out of adherence began
  const filters = { queue: "", state: "", adherence: "", q: "", sort: "adherence" };
  let ws = null;
  let closed = false;
  let retry = 0;
  let retryTimer = 0;

  const status = h("span", { class: "live-status", "data-status": "connecting", role: "status" }, "Connecting…");
  const queueSel = select("queue", [["", "All queues"]]);
  const stateSel = select("state", [["", "All states"], ...STATES]);
  const adhSel = select("adherence", [["", "Any adherence"], ...ADHERENCE]);
  const search = h("input", { type: "search", name: "q", placeholder: "Name or agent id", autocomplete: "off" });
  const sortSel = select("sort", [
    ["adherence", "Out of adherence first"], ["name", "Name"], ["state", "State"], ["time", "Time in state"],
  ], filters.sort);
  const summary = h("div", { class: "tiles", role: "group", "aria-label": "Agents per state and adherence" });
  const count = h("p", { class: "muted board-count", role: "status" });
  const grid = h("ul", { class: "agent-grid", "aria-label": "Agents" });
  const empty = h("div");

  root.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Live board"), h("p", { class: "muted" }, "Agent states as the ACD reports them, with schedule adherence.")),
      status),
    h("form", { class: "toolbar", role: "search", "aria-label": "Filter agents", onsubmit: (e) => e.preventDefault() },
      field("Search", search), field("Queue", queueSel), field("Adherence", adhSel), field("State", stateSel), field("Sort by", sortSel)),
    summary,
    count,
    grid,
    empty,
  );

  const onFilter = () => {
    filters.queue = queueSel.value;
    filters.state = stateSel.value;
    filters.adherence = adhSel.value;
    filters.q = search.value.trim().toLowerCase();
    filters.sort = sortSel.value;
    renderAll();
  };
  for (const el of [queueSel, stateSel, adhSel, sortSel]) el.addEventListener("change", onFilter);
  search.addEventListener("input", onFilter);

  const nameOf = (a) => {
    const r = roster.get(a.agent_id);
    return (r && r.name) || a.name || a.agent_id;
  };

  function queuesOf(a) {
    const r = roster.get(a.agent_id);
    const qs = new Set(r && Array.isArray(r.queues) ? r.queues : []);
    if (a.queue) qs.add(a.queue);
    return qs;
  }

  // Each filter, so the tiles can count with all filters but their own (facets).
  const tests = {
    queue: (a) => !filters.queue || queuesOf(a).has(filters.queue),
    state: (a) => !filters.state || a.state === filters.state,
    adherence: (a) => !filters.adherence || adherenceOf(a) === filters.adherence,
    q: (a) => !filters.q || `${a.agent_id} ${nameOf(a)}`.toLowerCase().includes(filters.q),
  };
  const passes = (a, except = "") => Object.entries(tests).every(([k, t]) => k === except || t(a));
  const visible = (a) => passes(a);

  function cardOf(a) {
    const el = card(a, { name: nameOf(a), queues: [...queuesOf(a)], outAt: outAt.get(a.agent_id) });
    cards.set(a.agent_id, el);
    return el;
  }

  function tile(kind, value, label, count, selected, onclick) {
    return h("button", {
      type: "button",
      class: `tile ${kind}${selected ? " selected" : ""}`,
      "aria-pressed": String(selected),
      dataset: { tile: value },
      onclick,
    }, h("span", { class: "tile-value" }, String(count)), h("span", { class: "tile-label" }, label));
  }

  function renderSummary() {
    const counts = Object.fromEntries(STATES.map(([s]) => [s, 0]));
    const adh = { in: 0, out: 0, unscheduled: 0 };
    for (const a of agents.values()) {
      if (passes(a, "state")) counts[a.state] = (counts[a.state] || 0) + 1;
      if (passes(a, "adherence")) adh[adherenceOf(a)] = (adh[adherenceOf(a)] || 0) + 1;
    }
    const scheduled = adh.in + adh.out;
    const toggle = (sel, v) => () => { sel.value = sel.value === v ? "" : v; onFilter(); };
    const tiles = [
      tile("tile-adh-out", "out", ADHERENCE_LABEL.out, adh.out, filters.adherence === "out", toggle(adhSel, "out")),
      h("div", { class: "tile tile-adh", dataset: { tile: "pct" } },
        h("span", { class: "tile-value" }, scheduled ? `${Math.round((100 * adh.in) / scheduled)}%` : "–"),
        h("span", { class: "tile-label" }, "In adherence")),
      ...STATES.filter(([s]) => counts[s] || ["available", "on_call", "after_call_work", "not_ready"].includes(s))
        .map(([s, label]) => tile(`state-${s}`, s, label, counts[s] || 0, filters.state === s, toggle(stateSel, s))),
    ];
    summary.replaceChildren(...tiles);
  }

  let renderTimer = 0;
  function renderSoon() {
    if (!renderTimer) renderTimer = setTimeout(() => { renderTimer = 0; renderAll(); }, 100);
  }

  function renderAll() {
    cards.clear();
    const list = [...agents.values()].filter(visible).sort(comparator(filters.sort, { nameOf, outSince: (id) => outAt.get(id) }));
    grid.replaceChildren(...list.map(cardOf));
    count.textContent = agents.size ? `${list.length} of ${agents.size} agents shown` : "";
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

  // The live record says "out" but not since when: the adherence history does, for an agent
  // that was already out when the page opened. One that turns out while we watch is out from now.
  const asked = new Set();
  const waiting = [];
  let running = 0;
  function learnOutStart(agentId) {
    if (asked.has(agentId)) return;
    asked.add(agentId);
    waiting.push(agentId);
    pump();
  }
  function pump() {
    while (running < HISTORY_CONCURRENCY && waiting.length && !closed) {
      const id = waiting.shift();
      running += 1;
      const start = new Date(Date.now() - HISTORY_HOURS * 3_600_000).toISOString();
      api.get("/adherence", { agent_id: id, start, limit: 1000 }).then((resp) => {
        const at = outStartFrom(resp.items || []);
        const a = agents.get(id);
        if (at && a && adherenceOf(a) === "out" && !outAt.has(id)) {
          outAt.set(id, at);
          renderSoon(); // the order may change: the longest out lead
        }
      }).catch(() => { /* the card says "…" rather than a wrong time */ })
        .finally(() => { running -= 1; pump(); });
    }
  }

  function noteAdherence(prev, next) {
    const id = next.agent_id;
    if (adherenceOf(next) !== "out") {
      outAt.delete(id);
      asked.delete(id);
    } else if (prev && adherenceOf(prev) !== "out") {
      outAt.set(id, Date.now());
      asked.add(id);
    } else if (!outAt.has(id)) {
      learnOutStart(id);
    }
  }

  function upsert(a) {
    if (!a || !a.agent_id) return;
    if (!roster.has(a.agent_id)) rosterMiss();
    const prev = agents.get(a.agent_id);
    const next = { ...(prev || {}), ...a };
    agents.set(a.agent_id, next);
    noteAdherence(prev, next);
    refreshQueues();
    const old = cards.get(a.agent_id);
    const samePlace = prev && adherenceOf(prev) === adherenceOf(next) && prev.state === next.state;
    // Still visible and in the same place of the order: swap the card in place; else re-sort.
    if (old && visible(next) && (filters.sort === "name" || (samePlace && filters.sort !== "time"))) {
      const el = cardOf(next);
      el.classList.add("flash");
      old.replaceWith(el);
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

  function onSnapshot(list) {
    retry = 0;
    agents.clear();
    for (const a of list || []) {
      if (!a || !a.agent_id) continue;
      agents.set(a.agent_id, a);
      if (adherenceOf(a) === "out") { if (!outAt.has(a.agent_id)) learnOutStart(a.agent_id); } else outAt.delete(a.agent_id);
    }
    refreshQueues();
    renderAll();
    setStatus("live", "Live");
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
      if (msg.type === "snapshot") onSnapshot(msg.agents);
      else if (msg.type === "agent_state") upsert(msg.agent);
      else if (msg.type === "adherence" && msg.agent_id) upsert({ agent_id: msg.agent_id, adherence: msg.adherence });
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

  // Ticking times without re-rendering cards.
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const el of grid.querySelectorAll(".since")) {
      if (el.dataset.since) el.textContent = since(el.dataset.since, now);
    }
    for (const el of grid.querySelectorAll(".out-time")) {
      if (el.dataset.outAt) el.textContent = since(new Date(Number(el.dataset.outAt)).toISOString(), now);
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
    clearTimeout(renderTimer);
    if (ws) ws.close(1000);
  };
}
