// What a schedule means per moment, without any DOM: who is on the phones, who is off and
// why, and the coverage per interval against a requirement. Shared by the timeline of the
// published schedule and by the timeline of a draft (same shift shape: agent_id, start, end,
// activity, queue, activities).

// A shift whose own activity is one of these is phone time; anything else (training, meeting,
// ...) keeps the agent off the phones for the whole shift.
const PHONE_SHIFT = new Set(["work", "overtime"]);

export const ACTIVITY_TEXT = {
  break: "Break", lunch: "Lunch", meeting: "Meeting", training: "Training", time_off: "Time off", work: "Work",
};

const ms = (v) => (typeof v === "number" ? v : Date.parse(v));

/** What keeps the agent of `shift` off the phones at `t` (ms): an activity kind, or null. */
export function offAt(shift, t) {
  const s = ms(shift.start);
  const e = ms(shift.end);
  if (t < s || t >= e) return null;
  if (!PHONE_SHIFT.has(shift.activity || "work")) return shift.activity;
  for (const a of shift.activities || []) {
    if (a.kind !== "work" && ms(a.start) <= t && t < ms(a.end)) return a.kind;
  }
  return null;
}

/** Minutes of `shift` on the phones within [from, to) (ms). */
export function phoneMinutes(shift, from, to) {
  if (!PHONE_SHIFT.has(shift.activity || "work")) return 0;
  const clip = (a, b) => Math.max(0, Math.min(b, to) - Math.max(a, from));
  let on = clip(ms(shift.start), ms(shift.end));
  for (const a of shift.activities || []) if (a.kind !== "work") on -= clip(ms(a.start), ms(a.end));
  return Math.max(0, on) / 60_000;
}

/**
 * Coverage per interval of `stepMinutes` over [from, to): agents on the phones (an agent on
 * the phones for half an interval counts a half) against `required` ({ms → agents}).
 */
export function coverage(shifts, from, to, stepMinutes, required = null) {
  const step = stepMinutes * 60_000;
  const out = [];
  for (let t = from; t < to; t += step) {
    let scheduled = 0;
    for (const s of shifts) {
      if (ms(s.end) > t && ms(s.start) < t + step) scheduled += phoneMinutes(s, t, t + step) / stepMinutes;
    }
    scheduled = Math.round(scheduled * 10) / 10;
    const need = required && required.has(t) ? required.get(t) : null;
    out.push({ start: t, end: t + step, scheduled, required: need, gap: need === null ? null : scheduled - need });
  }
  return out;
}

/** Who of `shifts` is at work at `t` and who of them is off the phones, with why. */
export function whoIsOff(shifts, t) {
  const working = [];
  const off = [];
  for (const s of shifts) {
    if (t < ms(s.start) || t >= ms(s.end)) continue;
    const why = offAt(s, t);
    (why ? off : working).push(why ? { shift: s, why } : { shift: s });
  }
  return { working, off };
}
