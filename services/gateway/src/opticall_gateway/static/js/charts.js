// Time-series charts on uPlot (a small canvas chart library, copied from npm by the build).

import uPlot from "../vendor/uPlot.esm.js";
import { fmtDateTime, fmtDay, fmtTime, h } from "./dom.js";

export const COLORS = {
  history: "#64748b",
  forecast: "#2563eb",
  band: "rgba(37, 99, 235, 0.14)",
  required: "#f59e0b",
  raw: "#a855f7",
  scheduled: "#10b981",
  a: "#2563eb",
  b: "#10b981",
  c: "#f59e0b",
  d: "#ef4444",
  e: "#a855f7",
  f: "#0891b2",
};
const PALETTE = [COLORS.a, COLORS.b, COLORS.c, COLORS.d, COLORS.e, COLORS.f];

/**
 * A time chart in `container`.
 * @param {HTMLElement} container
 * @param {{x: number[], series: Array<{label: string, values: (number|null)[], color?: string,
 *   kind?: "line"|"bars"|"step"|"dash", lowerOf?: string, upperOf?: string, hidden?: boolean,
 *   fmt?: (v:number)=>string}>, height?: number, yLabel?: string, title: string,
 *   yFormat?: (v:number)=>string}} spec
 *   x in milliseconds. A pair of series with `lowerOf`/`upperOf` set to a label draws the
 *   interval band of that series.
 */
export function timeChart(container, spec) {
  container.replaceChildren();
  const figure = h("figure", { class: "chart", role: "group", "aria-label": spec.title });
  const plotEl = h("div", { class: "chart-plot", role: "img", "aria-label": describe(spec) });
  figure.append(plotEl);
  container.append(figure);

  const labels = spec.series.map((s) => s.label);
  const series = [{ label: "Time", value: (u, v) => (v == null ? "–" : fmtSec(v)) }];
  const bands = [];
  spec.series.forEach((s, i) => {
    const color = s.color || PALETTE[i % PALETTE.length];
    const isBound = s.lowerOf || s.upperOf;
    const conf = {
      label: s.label,
      stroke: isBound ? "rgba(37, 99, 235, 0.35)" : color,
      width: isBound ? 1 : s.kind === "bars" ? 1 : 2,
      show: !s.hidden,
      spanGaps: false,
      points: { show: false },
      value: (u, v) => (v == null ? "–" : s.fmt ? s.fmt(v) : round(v)),
    };
    if (s.kind === "bars") {
      conf.paths = uPlot.paths.bars({ size: [0.7, 40], align: 0 });
      conf.fill = hexAlpha(color, 0.55);
    } else if (s.kind === "step") {
      conf.paths = uPlot.paths.stepped({ align: 1 });
    }
    if (s.kind === "dash" || isBound) conf.dash = [4, 4];
    series.push(conf);
  });
  spec.series.forEach((s, i) => {
    if (!s.upperOf) return;
    const lower = spec.series.findIndex((o) => o.lowerOf === s.upperOf);
    if (lower >= 0) bands.push({ series: [i + 1, lower + 1], fill: COLORS.band });
  });

  const data = [spec.x.map((ms) => ms / 1000), ...spec.series.map((s) => s.values)];
  const width = () => Math.max(320, Math.floor(plotEl.clientWidth || container.clientWidth || 800));
  const opts = {
    width: width(),
    height: spec.height || 300,
    series,
    bands,
    // Bars are centred on their time: pad the x range by half a step so none is cut in two.
    scales: { x: spec.series.some((s) => s.kind === "bars") ? { time: true, range: padded } : { time: true } },
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    axes: [
      { stroke: "#475569", grid: { stroke: "#e2e8f0" }, ticks: { stroke: "#cbd5e1" }, values: timeTicks, size: 52 },
      {
        stroke: "#475569",
        grid: { stroke: "#e2e8f0" },
        ticks: { stroke: "#cbd5e1" },
        label: spec.yLabel || "",
        size: 60,
        ...(spec.yFormat ? { values: (u, splits) => splits.map(spec.yFormat) } : {}),
      },
    ],
  };
  const plot = new uPlot(opts, data, plotEl);
  figure.dataset.points = String(spec.x.length);
  figure.dataset.series = labels.join("|");
  const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: opts.height }));
  ro.observe(plotEl);
  return {
    plot,
    destroy() {
      ro.disconnect();
      plot.destroy();
    },
  };
}

function padded(u, min, max) {
  const xs = u.data[0];
  const step = xs.length > 1 ? xs[1] - xs[0] : 1800;
  return [min - step / 2, max + step / 2];
}

function describe(spec) {
  if (!spec.x.length) return `${spec.title}: no data`;
  const from = fmtSec(spec.x[0] / 1000);
  const to = fmtSec(spec.x[spec.x.length - 1] / 1000);
  const names = spec.series.filter((s) => !s.lowerOf && !s.upperOf).map((s) => s.label);
  return `${spec.title}: ${names.join(", ")} from ${from} to ${to}, ${spec.x.length} points`;
}

function fmtSec(sec) {
  return fmtDateTime(sec * 1000);
}

// Axis labels in the user's locale (uPlot's own are US-style): times, with the day under the
// first tick and under each midnight; days alone once ticks are a day or more apart.
function timeTicks(u, splits, axis, space, incr) {
  return splits.map((s, i) => {
    const d = new Date(s * 1000);
    if (incr >= 86_400) return fmtDay(d);
    const midnight = d.getHours() === 0 && d.getMinutes() === 0;
    return i === 0 || midnight ? `${fmtTime(d)}\n${fmtDay(d)}` : fmtTime(d);
  });
}

function round(v) {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toFixed(3);
}

function hexAlpha(hex, alpha) {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return hex;
  const n = parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Merge several {t(ms) → value} series onto one sorted x axis, nulls where a series has none. */
export function align(seriesMaps) {
  const xs = new Set();
  for (const m of seriesMaps) for (const t of m.keys()) xs.add(t);
  const x = [...xs].sort((a, b) => a - b);
  return { x, values: seriesMaps.map((m) => x.map((t) => (m.has(t) ? m.get(t) : null))) };
}
