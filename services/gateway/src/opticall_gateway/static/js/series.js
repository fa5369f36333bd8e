// Reading time series out of API answers and CSV files, whatever their column names.

import { parseTime } from "./dom.js";

const TIME_KEYS = ["ds", "start", "interval_start", "timestamp", "tc", "time", "datetime", "date", "interval", "period"];
const VALUE_KEYS = {
  volume: ["y", "volume", "call_volume", "calls", "offered", "contacts", "value"],
  aht: ["aht_seconds", "aht", "y", "handle_time", "value"],
};

/** The list inside an answer: the answer itself, or its items/points/history/... member. */
export function rowsOf(resp) {
  if (Array.isArray(resp)) return resp;
  if (!resp || typeof resp !== "object") return [];
  for (const k of ["items", "points", "history", "intervals", "rows", "data", "forecast", "results", "series"]) {
    if (Array.isArray(resp[k])) return resp[k];
  }
  for (const k of ["result", "report"]) {
    if (resp[k] && typeof resp[k] === "object") return rowsOf(resp[k]);
  }
  return [];
}

export function timeKey(row) {
  return TIME_KEYS.find((k) => row && row[k] !== undefined && row[k] !== null && !Number.isNaN(parseTime(row[k])));
}

/** [{t (ms), y}] sorted by time, from rows of any usual shape. */
export function toSeries(rows, metric = "volume") {
  const out = [];
  for (const row of rows) {
    const tk = timeKey(row);
    if (!tk) continue;
    const vk = VALUE_KEYS[metric].find((k) => row[k] !== undefined && row[k] !== null && row[k] !== "");
    if (!vk) continue;
    const y = Number(row[vk]);
    if (Number.isFinite(y)) out.push({ t: parseTime(row[tk]), y });
  }
  return out.sort((a, b) => a.t - b.t);
}

/** Forecast points [{t, yhat, lo, hi}] from a /predict list or a forecast job. */
export function toForecast(resp) {
  const rows = rowsOf(resp);
  return rows.map((r) => ({
    t: parseTime(r.ds ?? r.start ?? r.timestamp),
    yhat: Number(r.yhat ?? r.y ?? r.value),
    lo: r.yhat_lower !== undefined ? Number(r.yhat_lower) : null,
    hi: r.yhat_upper !== undefined ? Number(r.yhat_upper) : null,
  })).filter((p) => Number.isFinite(p.t) && Number.isFinite(p.yhat)).sort((a, b) => a.t - b.t);
}

/** The key under which parseCsv keeps each row's line number in the text (1 is the header). */
export const LINE = Symbol("line");

/** Parse CSV text (comma or semicolon, quoted fields) into objects keyed by the header. */
export function parseCsv(text) {
  const numbered = text.replace(/^\uFEFF/, "").split(/\r?\n/).map((l, i) => [l, i + 1]).filter(([l]) => l.trim());
  const lines = numbered.map(([l]) => l);
  if (!lines.length) return [];
  const sep = (lines[0].match(/;/g) || []).length > (lines[0].match(/,/g) || []).length ? ";" : ",";
  const split = (line) => {
    const out = [];
    let cur = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '"') {
        if (quoted && line[i + 1] === '"') { cur += '"'; i++; } else quoted = !quoted;
      } else if (c === sep && !quoted) { out.push(cur); cur = ""; } else cur += c;
    }
    out.push(cur);
    return out.map((s) => s.trim());
  };
  const header = split(lines[0]).map((s) => s.toLowerCase());
  return lines.slice(1).map((l, i) => ({ ...Object.fromEntries(split(l).map((v, j) => [header[j], v])), [LINE]: numbered[i + 1][1] }));
}

/** The step between points in ms (the most common gap), or 0. */
export function step(series) {
  const gaps = new Map();
  for (let i = 1; i < Math.min(series.length, 500); i++) {
    const g = series[i].t - series[i - 1].t;
    if (g > 0) gaps.set(g, (gaps.get(g) || 0) + 1);
  }
  let best = 0;
  let n = 0;
  for (const [g, c] of gaps) if (c > n) { best = g; n = c; }
  return best;
}

export function describeStep(ms) {
  if (!ms) return "";
  const m = ms / 60000;
  if (m < 60) return `${m}-minute intervals`;
  if (m < 1440) return `${m / 60}-hour intervals`;
  return m === 1440 ? "daily" : `${m / 1440}-day intervals`;
}
