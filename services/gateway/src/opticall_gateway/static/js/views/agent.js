// My schedule: what an agent sees of their own. Coming weeks of shifts, time-off balances and
// requests, shift trades, and the calendar feed. Only calls an agent may make (all scoped to
// their own agent id by the API), so nothing here ends in a permission error.

import { accessToken, api, getAll } from "../api.js";
import {
  addDays, busy, emptyState, field, fmtDateTime, fmtSpan, fmtTime, h, isoDate, localIso, select, timeZone, toast,
} from "../dom.js";

const WEEKS = 3;
const DAY = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long" });
const STATUS_TEXT = {
  approved: "Approved", pending: "Pending", rejected: "Rejected", denied: "Denied", cancelled: "Cancelled",
  open: "Open offer", offered: "Offered", accepted: "Accepted",
};
const REASON_TEXT = {
  balance: "balance too low", allowance: "too many colleagues off", approval: "needs a supervisor",
};

/** The agent id in this session's access token (the API checks it; the page only reads it). */
export function ownAgentId() {
  const token = accessToken();
  if (!token) return null;
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)).agent_id || null;
  } catch {
    return null;
  }
}

const span = (start, end) => `${fmtDateTime(start)} – ${sameDay(start, end) ? fmtTime(end) : fmtDateTime(end)}`;
const sameDay = (a, b) => new Date(a).toDateString() === new Date(b).toDateString();

function badge(status) {
  return h("span", { class: `badge badge-${status}`, dataset: { status } }, STATUS_TEXT[status] || status);
}

export function mount(root) {
  const agentId = ownAgentId();
  root.append(
    h("div", { class: "page-head" },
      h("div", {},
        h("h1", {}, "My schedule"),
        h("p", { class: "muted" }, agentId
          ? `Agent ${agentId}. Times in ${timeZone()}.`
          : "Your user is not linked to an agent: ask an administrator.")),
    ),
  );
  if (!agentId) return () => {};

  const shiftsBox = h("div", { class: "agent-shifts", "aria-busy": "true" });
  const balancesBox = h("ul", { class: "plain-list balances" });
  const requestsBox = h("ul", { class: "plain-list requests" });
  const tradesBox = h("ul", { class: "plain-list trades" });
  const calendarBox = h("div", { class: "calendar-link" });
  const typeSel = select("type", []);
  const form = timeOffForm();

  root.append(
    h("div", { class: "layout-side agent-layout" },
      h("div", { class: "side" },
        h("section", { class: "card", "aria-labelledby": "bal-h" }, h("h2", { id: "bal-h" }, "Balances"), balancesBox),
        h("section", { class: "card", "aria-labelledby": "req-h" }, h("h2", { id: "req-h" }, "Request time off"), form.el),
        h("section", { class: "card", "aria-labelledby": "cal-h" }, h("h2", { id: "cal-h" }, "Calendar"), calendarBox)),
      h("div", { class: "stack" },
        h("section", { class: "card", "aria-labelledby": "sh-h" }, h("h2", { id: "sh-h" }, `Next ${WEEKS} weeks`), shiftsBox),
        h("section", { class: "card", "aria-labelledby": "to-h" }, h("h2", { id: "to-h" }, "My time off"), requestsBox),
        h("section", { class: "card", "aria-labelledby": "tr-h" }, h("h2", { id: "tr-h" }, "Shift trades"), tradesBox))),
  );
  renderCalendar(null);
  loadAll();
  return () => {};

  async function loadAll() {
    await Promise.all([loadShifts(), loadBalances(), loadRequests(), loadTrades()]);
  }

  // ---- shifts -------------------------------------------------------------------------------
  async function loadShifts() {
    const start = new Date();
    start.setHours(0, 0, 0, 0);
    try {
      const items = await getAll("/shifts", {
        agent_id: agentId, start: start.toISOString(), end: addDays(start, WEEKS * 7).toISOString(), limit: 1000,
      });
      renderShifts(items);
    } catch (err) {
      shiftsBox.replaceChildren(emptyState("Could not load your shifts", err.message));
    } finally {
      shiftsBox.removeAttribute("aria-busy");
    }
  }

  function renderShifts(items) {
    if (!items.length) {
      shiftsBox.replaceChildren(emptyState("No shifts scheduled", "Published shifts appear here."));
      return;
    }
    const days = new Map();
    for (const s of items) {
      const key = new Date(s.start).toDateString();
      if (!days.has(key)) days.set(key, []);
      days.get(key).push(s);
    }
    shiftsBox.replaceChildren(...[...days.values()].map((list) => h("div", { class: "day" },
      h("h3", { class: "day-title" }, DAY.format(new Date(list[0].start))),
      h("ul", { class: "plain-list" }, list.map(shiftItem)))));
  }

  function shiftItem(s) {
    const acts = (s.activities || []).map((a) => h("span", { class: `chip chip-${a.kind}` },
      `${a.kind.replace("_", " ")} ${fmtSpan(a.start, a.end)}`));
    const offerBtn = h("button", { type: "button", class: "btn btn-small", onclick: () => offerForm(s, li) }, "Offer");
    const li = h("li", { class: "shift-item", dataset: { shiftId: s.id } },
      h("div", { class: "shift-line" },
        h("strong", {}, fmtSpan(s.start, s.end)),
        s.queue ? h("span", { class: "muted" }, s.queue) : null,
        new Date(s.start) > new Date() ? offerBtn : null),
      acts.length ? h("div", { class: "chips" }, acts) : null);
    return li;
  }

  function offerForm(shift, li) {
    if (li.querySelector("form")) return;
    const to = h("input", { name: "to_agent_id", placeholder: "anyone", autocomplete: "off" });
    const error = h("p", { class: "form-error", role: "alert" });
    const send = h("button", { type: "submit", class: "btn btn-primary btn-small" }, "Send offer");
    const formEl = h("form", { class: "offer-form" },
      field("Offer to (agent id, empty for anyone)", to), error,
      h("div", { class: "btn-row" }, send,
        h("button", { type: "button", class: "btn btn-small", onclick: () => formEl.remove() }, "Close")));
    formEl.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(send, async () => {
        const body = { shift_id: shift.id };
        if (to.value.trim()) body.to_agent_id = to.value.trim();
        await api.post("/shift-trades", body);
        formEl.remove();
        toast("Shift offered.");
        await loadTrades();
      }, error);
    });
    li.append(formEl);
    to.focus();
  }

  // ---- balances and time off ---------------------------------------------------------------
  async function loadBalances() {
    try {
      const { balances } = await api.get(`/agents/${encodeURIComponent(agentId)}/time-off-balances`);
      balancesBox.replaceChildren(...(balances.length
        ? balances.map((b) => h("li", { class: "balance", dataset: { type: b.type } },
          h("span", {}, b.type), h("strong", {}, `${b.hours.toLocaleString()} h`)))
        : [h("li", { class: "muted" }, "No balances yet.")]));
      typeSel.replaceChildren(...balances.map((b) => h("option", { value: b.type }, b.type)));
      form.submit.disabled = !balances.length;
    } catch (err) {
      balancesBox.replaceChildren(h("li", { class: "form-error" }, err.message));
    }
  }

  function timeOffForm() {
    const today = new Date();
    const d = (n) => isoDate(addDays(today, n));
    const startDate = h("input", { type: "date", name: "start_date", value: d(7), required: true });
    const startTime = h("input", { type: "time", name: "start_time", value: "00:00", required: true });
    const endDate = h("input", { type: "date", name: "end_date", value: d(8), required: true });
    const endTime = h("input", { type: "time", name: "end_time", value: "00:00", required: true });
    const note = h("input", { name: "note", maxlength: "1000", autocomplete: "off" });
    const error = h("p", { class: "form-error", role: "alert" });
    const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Request");
    const el = h("form", { class: "time-off-form" },
      field("Type", typeSel),
      h("div", { class: "row" }, field("From", startDate), field("at", startTime)),
      h("div", { class: "row" }, field("Until", endDate), field("at", endTime)),
      field("Note", note), error, submit);
    el.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(submit, async () => {
        const created = await api.post("/time-off", {
          agent_id: agentId,
          type: typeSel.value,
          start: localIso(startDate.value, startTime.value),
          end: localIso(endDate.value, endTime.value),
          note: note.value.trim() || null,
        });
        const why = created.reason ? ` (${REASON_TEXT[created.reason] || created.reason})` : "";
        toast(`Time off ${STATUS_TEXT[created.status].toLowerCase()}${why}.`, created.status === "rejected" ? "error" : "info");
        note.value = "";
        await Promise.all([loadRequests(), loadBalances(), loadShifts()]);
      }, error);
    });
    return { el, submit };
  }

  async function loadRequests() {
    try {
      const items = await getAll("/time-off", { agent_id: agentId, start: addDays(new Date(), -30).toISOString(), limit: 200 });
      requestsBox.replaceChildren(...(items.length
        ? items.slice().reverse().map(requestItem)
        : [h("li", { class: "muted" }, "No requests.")]));
    } catch (err) {
      requestsBox.replaceChildren(h("li", { class: "form-error" }, err.message));
    }
  }

  function requestItem(r) {
    const cancellable = r.status === "pending" || (r.status === "approved" && new Date(r.start) > new Date());
    const cancel = h("button", { type: "button", class: "btn btn-small" }, "Cancel");
    cancel.addEventListener("click", () => busy(cancel, async () => {
      await api.post(`/time-off/${r.id}/cancel`);
      toast("Time off cancelled.");
      await Promise.all([loadRequests(), loadBalances(), loadShifts()]);
    }));
    return h("li", { class: "request", dataset: { id: r.id, status: r.status } },
      h("div", { class: "shift-line" },
        h("strong", {}, r.type), badge(r.status),
        r.reason ? h("span", { class: "muted" }, REASON_TEXT[r.reason] || r.reason) : null,
        cancellable ? cancel : null),
      h("div", { class: "muted" }, `${span(r.start, r.end)} · ${r.hours.toLocaleString()} h`));
  }

  // ---- trades ---------------------------------------------------------------------------------
  async function loadTrades() {
    try {
      const items = await getAll("/shift-trades", { limit: 200 });
      // The API gives an agent their own trades and every open offer.
      tradesBox.replaceChildren(...(items.length
        ? items.slice().reverse().map(tradeItem)
        : [h("li", { class: "muted" }, "No trades. Offer one of your shifts above.")]));
    } catch (err) {
      tradesBox.replaceChildren(h("li", { class: "form-error" }, err.message));
    }
  }

  function tradeItem(t) {
    const mine = t.from_agent_id === agentId;
    const forMe = !mine && (t.status === "open" || (t.status === "offered" && t.to_agent_id === agentId));
    const who = mine
      ? (t.to_agent_id ? `You offer to ${t.to_agent_id}` : "You offer to anyone")
      : `${t.from_agent_id} offers${t.to_agent_id === agentId ? " you" : ""}`;
    const shift = t.shift.start ? span(t.shift.start, t.shift.end) : "a shift since deleted";
    const error = h("p", { class: "form-error", role: "alert" });
    const act = (label, path, done) => {
      const b = h("button", { type: "button", class: `btn btn-small${label === "Accept" ? " btn-primary" : ""}` }, label);
      b.addEventListener("click", () => busy(b, async () => {
        await api.post(`/shift-trades/${t.id}/${path}`);
        toast(done);
        await Promise.all([loadTrades(), loadShifts()]);
      }, error));
      return b;
    };
    const live = ["open", "offered", "accepted"].includes(t.status);
    return h("li", { class: "trade", dataset: { id: t.id, status: t.status } },
      h("div", { class: "shift-line" }, h("strong", {}, who), badge(t.status),
        forMe ? act("Accept", "accept", "Trade accepted.") : null,
        mine && live ? act("Withdraw", "cancel", "Offer withdrawn.") : null),
      h("div", { class: "muted" }, `${shift}${t.shift.queue ? ` · ${t.shift.queue}` : ""}`),
      t.want_shift && t.want_shift.start ? h("div", { class: "muted" }, `In return: ${span(t.want_shift.start, t.want_shift.end)}`) : null,
      error);
  }

  // ---- calendar -----------------------------------------------------------------------------
  function renderCalendar(url) {
    const get = h("button", { type: "button", class: "btn" }, url ? "New link" : "Get calendar link");
    get.addEventListener("click", () => busy(get, async () => {
      const issued = await api.post(`/agents/${encodeURIComponent(agentId)}/calendar-token`);
      renderCalendar(issued.url || `${location.origin}${issued.path}`);
    }));
    const children = [h("p", { class: "muted" }, "Subscribe in your calendar app: your shifts, kept up to date. Anyone with the link can read it; a new link or revoking ends the old one.")];
    if (url) {
      const input = h("input", { readonly: true, value: url, "aria-label": "Calendar link", class: "calendar-url" });
      input.addEventListener("focus", () => input.select());
      const revoke = h("button", { type: "button", class: "btn btn-danger" }, "Revoke");
      revoke.addEventListener("click", () => busy(revoke, async () => {
        await api.del(`/agents/${encodeURIComponent(agentId)}/calendar-token`);
        toast("Calendar link revoked.");
        renderCalendar(null);
      }));
      children.push(input, h("div", { class: "btn-row" }, get, revoke));
    } else {
      children.push(get);
    }
    calendarBox.replaceChildren(...children);
  }
}
