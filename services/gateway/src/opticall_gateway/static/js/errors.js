// Problem+json (RFC 9457) answers turned into sentences a person can act on: the field by the
// name its form gives it, what is wrong with it and what to do, never a validator's wording
// ("body.agent_id (.agent_id: String should match pattern …)").

import { fmtDateTime, fmtTime } from "./dom.js";

// Field names as the forms label them; anything else is its last path segment in words.
const FIELD_LABELS = {
  agent_id: "Agent id",
  to_agent_id: "Agent to offer to",
  name: "Name",
  queues: "Queues",
  queue: "Queue",
  timezone: "Time zone",
  start: "Start",
  end: "End",
  activity: "Activity",
  activities: "Breaks and activities",
  service_level: "Service level",
  answer_seconds: "Answered within",
  max_occupancy: "Max occupancy",
  shrinkage: "Shrinkage",
  interval_minutes: "Interval",
  patience_seconds: "Patience",
  aht_seconds: "Average handle time",
  volume: "Volume",
  intervals: "Intervals",
  forecast_id: "Forecast",
  aht_forecast_id: "AHT forecast",
  periods: "Periods ahead",
  hours: "Hours",
  type: "Type",
  note: "Note",
};

// What a well-formed value of a pattern-checked field looks like.
const PATTERN_HINTS = {
  agent_id: "may not contain spaces or slashes, e.g. a-1001",
};

/** "body.activities.1.start" → "Activity 2 start"; "body.agent_id" → "Agent id". */
export function fieldLabel(path) {
  const parts = String(path || "").split(/[.,]/).filter((p) => p && !["body", "query", "path"].includes(p));
  if (!parts.length) return "";
  const idx = parts.findIndex((p) => /^\d+$/.test(p));
  if (idx > 0 && parts[idx - 1] === "activities") {
    const rest = parts.slice(idx + 1).map((p) => (FIELD_LABELS[p] || words(p)).toLowerCase());
    return [`Activity ${Number(parts[idx]) + 1}`, ...rest].join(" ");
  }
  if (idx > 0 && parts[idx - 1] === "intervals") {
    const rest = parts.slice(idx + 1).map((p) => (FIELD_LABELS[p] || words(p)).toLowerCase());
    return [`Interval ${Number(parts[idx]) + 1}`, ...rest].join(" ");
  }
  const last = [...parts].reverse().find((p) => !/^\d+$/.test(p));
  return FIELD_LABELS[last] || words(last);
}

function words(s) {
  const t = String(s).replace(/_/g, " ");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** One validation error in words: what is wrong, and how to make it right. */
export function fieldMessage(err) {
  const path = err.field || (Array.isArray(err.loc) ? err.loc.join(".") : err.loc) || "";
  const key = String(path).split(".").filter((p) => !/^\d+$/.test(p)).pop() || "";
  const msg = String(err.message || err.msg || "");
  const type = String(err.type || "");
  let text;
  if (type === "missing") text = "is required";
  else if (type === "string_pattern_mismatch") text = PATTERN_HINTS[key] || "contains characters that are not allowed";
  else if (type === "string_too_short") text = "must not be empty";
  else if (type.startsWith("datetime") || type === "timezone_aware") text = "needs a date and a time with a UTC offset";
  else if (type === "extra_forbidden") text = "is not a field this form takes";
  else {
    text = msg
      .replace(/^Value error, /, "")
      .replace(/^Input should be /, "must be ")
      .replace(/^String should have /, "must have ")
      .replace(/^List should have /, "must have ")
      .replace(/^Assertion failed, /, "");
  }
  let label = fieldLabel(path);
  // The service's own sentences often start with the field ("end must be after start") or
  // speak of the whole shift: no label twice, none where it does not belong.
  const first = text.split(" ")[0].toLowerCase();
  if (first === "shift") label = "";
  else if (label && first === label.split(" ")[0].toLowerCase()) text = text.slice(first.length + 1);
  const sentence = label && !/^[A-Z]/.test(text) ? `${label} ${text}` : label ? `${label}: ${text}` : text;
  return sentence.charAt(0).toUpperCase() + sentence.slice(1).replace(/\.?$/, ".");
}

/** The message of a problem+json answer (status for context, problem may be null). */
export function problemMessage(status, problem) {
  if (!problem || typeof problem !== "object") return statusMessage(status);
  if (problem.conflicting_start && problem.conflicting_end) {
    return `This agent already has a shift from ${fmtDateTime(problem.conflicting_start)} to ${
      sameDay(problem.conflicting_start, problem.conflicting_end) ? fmtTime(problem.conflicting_end) : fmtDateTime(problem.conflicting_end)
    } that overlaps this one. Change the times, or edit that shift first.`;
  }
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  if (errors.length) {
    const lines = [...new Set(errors.slice(0, 5).map(fieldMessage))];
    if (errors.length > 5) lines.push(`…and ${errors.length - 5} more.`);
    return lines.join(" ");
  }
  const detail = String(problem.detail || problem.title || "");
  if (!detail) return statusMessage(status);
  return detail.charAt(0).toUpperCase() + detail.slice(1).replace(/\.?$/, ".");
}

function sameDay(a, b) {
  return new Date(a).toDateString() === new Date(b).toDateString();
}

function statusMessage(status) {
  if (status === 401) return "Your session has ended: sign in again.";
  if (status === 403) return "Your role may not do this.";
  if (status === 404) return "Not found: it may have been deleted meanwhile.";
  if (status === 413) return "Too large: send less at once.";
  if (status === 429) return "Too many attempts: wait a minute and try again.";
  if (status >= 500) return "The server could not answer just now: try again shortly.";
  return `The request was refused (${status}).`;
}
