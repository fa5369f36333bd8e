// Small DOM and formatting helpers shared by the views (no framework: plain elements).

/**
 * Create an element: h("button", {class: "btn", onclick}, "Save").
 * Attributes starting with "on" become listeners; `null`/`false` attributes are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "text") el.textContent = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let uid = 0;
/** A labelled form field: label + control (+ hint), wired with for/id. */
export function field(label, control, hint = "") {
  if (!control.id) control.id = `f${++uid}`;
  return h("div", { class: "field" },
    h("label", { for: control.id }, label),
    control,
    hint ? h("small", { class: "muted" }, hint) : null);
}

export function select(name, options, value = "") {
  const el = h("select", { name });
  for (const opt of options) {
    const [v, text] = Array.isArray(opt) ? opt : [opt, opt];
    el.append(h("option", { value: v, selected: String(v) === String(value) }, text));
  }
  return el;
}

/** Show a short message at the bottom right; errors stay longer. */
export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const el = h("div", { class: `toast toast-${kind}` }, message);
  box.append(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 4000);
}

/** Run an async action with the button disabled and errors shown in `errorEl` (or a toast). */
export async function busy(button, action, errorEl = null) {
  if (errorEl) errorEl.textContent = "";
  const label = button ? button.textContent : "";
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  try {
    return await action();
  } catch (err) {
    const msg = err && err.message ? err.message : String(err);
    if (errorEl) errorEl.textContent = msg;
    else toast(msg, "error");
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = label;
    }
  }
}

export function emptyState(title, text = "") {
  return h("div", { class: "empty" }, h("strong", {}, title), text ? h("p", {}, text) : null);
}

// ---- numbers and times ---------------------------------------------------------------------

export const fmt = {
  int: (v) => (v === null || v === undefined || Number.isNaN(+v) ? "–" : Math.round(+v).toLocaleString()),
  num: (v, d = 1) => (v === null || v === undefined || Number.isNaN(+v) ? "–"
    : (+v).toLocaleString(undefined, { maximumFractionDigits: d, minimumFractionDigits: 0 })),
  pct: (v, d = 1) => (v === null || v === undefined || Number.isNaN(+v) ? "–"
    : `${((+v) * 100).toFixed(d)}%`),
};

const pad = (n) => String(n).padStart(2, "0");

/** "2026-11-25" of a Date in local time. */
export function isoDate(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "14:05" of a Date in local time. */
export function hhmm(d) {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Local date "YYYY-MM-DD" + time "HH:MM" → ISO string with the browser's offset, e.g. +01:00. */
export function localIso(dateStr, timeStr) {
  const [y, m, d] = dateStr.split("-").map(Number);
  const [hh, mm] = timeStr.split(":").map(Number);
  return withOffset(new Date(y, m - 1, d, hh, mm, 0, 0));
}

/** ISO 8601 with the local UTC offset (the API accepts any offset and answers in UTC). */
export function withOffset(d) {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const abs = Math.abs(off);
  return `${isoDate(d)}T${hhmm(d)}:${pad(d.getSeconds())}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export function startOfWeek(d) {
  const day = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const dow = (day.getDay() + 6) % 7; // Monday first, as in ISO weeks
  day.setDate(day.getDate() - dow);
  return day;
}

export function addDays(d, n) {
  const out = new Date(d);
  out.setDate(out.getDate() + n);
  return out;
}

/** "3m 05s" / "1h 12m" since an ISO time. */
export function since(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

// One date and time format everywhere, the browser's locale's (Intl), chart axes included.
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const TIME = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const DAY = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
const asDate = (v) => (v instanceof Date ? v : new Date(typeof v === "number" ? v : String(v)));
const formatWith = (f) => (v) => {
  const d = asDate(v);
  return Number.isNaN(d.getTime()) ? String(v ?? "") : f.format(d);
};
/** "4 Dec 2026" in the user's locale. */
export const fmtDate = formatWith(DATE);
/** "14:05" (or "2:05 PM") in the user's locale. */
export const fmtTime = formatWith(TIME);
/** "4 Dec 2026, 14:05" in the user's locale. */
export const fmtDateTime = formatWith(DATE_TIME);
/** "Fri 4 Dec" in the user's locale. */
export const fmtDay = formatWith(DAY);
/** "08:00–16:30", or across midnight "4 Dec 2026, 22:00 – 5 Dec 2026, 06:00". */
export function fmtSpan(start, end) {
  const a = asDate(start);
  const b = asDate(end);
  return a.toDateString() === b.toDateString() ? `${fmtTime(a)}\u2013${fmtTime(b)}` : `${fmtDateTime(a)} \u2013 ${fmtDateTime(b)}`;
}

export const dateTime = fmtDateTime;

export const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";

/** Parse a timestamp field of any usual form (ISO, "2023-03-01 00:15:00.000", epoch s/ms). */
export function parseTime(v) {
  if (v === null || v === undefined || v === "") return NaN;
  if (typeof v === "number") return v > 1e11 ? v : v * 1000;
  let s = String(v).trim();
  // "2023-03-01 00:15:00.000" has no offset: the API's naive times are UTC.
  if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s = `${s.replace(" ", "T")}Z`;
  else if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s = `${s}T00:00:00Z`;
  return Date.parse(s);
}

/** Download a Blob as a file. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
