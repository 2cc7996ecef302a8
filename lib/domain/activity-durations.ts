/**
 * Time a worker spent in each activity, from the activity changes the record holds. A change says
 * only where the worker went; the time in an activity is known once the next change arrives. So
 * the changes of a stretch of time are summed up as a span: its first and last change and the
 * time between consecutive changes, by activity. Spans of consecutive stretches join into the
 * span of both (the time between the first's last change and the second's first change goes to
 * the first's last activity), which is what lets them be rolled up by minute, hour and day.
 *
 * A window's durations then need the span of the window and the worker's last change before it:
 * the stretch from the window's start to its first change was spent where that change left the
 * worker, and the stretch from its last change to the window's end (or now) where the last one
 * put it. Before a worker's first known change, nothing is counted: the record does not say.
 */
export interface ActivityMark {
  /** Epoch ms. */
  readonly at: number;
  readonly activitySid: string;
}

export interface ActivitySpan {
  readonly first: ActivityMark;
  readonly last: ActivityMark;
  /** Milliseconds between consecutive changes inside the span, by the activity they were spent in. */
  readonly inner: Readonly<Record<string, number>>;
}

const byTime = (a: ActivityMark, b: ActivityMark) => a.at - b.at || (a.activitySid < b.activitySid ? -1 : a.activitySid > b.activitySid ? 1 : 0);

function addTo(into: Record<string, number>, activitySid: string, ms: number): void {
  if (ms > 0) into[activitySid] = (into[activitySid] ?? 0) + ms;
}

/** The span of one worker's changes (any order). */
export function spanOf(changes: readonly ActivityMark[]): ActivitySpan | undefined {
  const sorted = [...changes].sort(byTime);
  const first = sorted[0];
  const last = sorted.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const inner: Record<string, number> = {};
  for (let i = 1; i < sorted.length; i++) addTo(inner, sorted[i - 1]!.activitySid, sorted[i]!.at - sorted[i - 1]!.at);
  return { first, last, inner };
}

/** The span of two stretches of time that do not overlap, in either order. */
export function joinSpans(a: ActivitySpan | undefined, b: ActivitySpan | undefined): ActivitySpan | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const [early, late] = byTime(a.first, b.first) <= 0 ? [a, b] : [b, a];
  const inner: Record<string, number> = { ...early.inner };
  for (const [activity, ms] of Object.entries(late.inner)) addTo(inner, activity, ms);
  addTo(inner, early.last.activitySid, late.first.at - early.last.at);
  return { first: early.first, last: late.last, inner };
}

/**
 * Milliseconds spent in each activity between `fromMs` and `endMs`, given the span of that window
 * and the last change before it.
 */
export function durationsInWindow(prior: ActivityMark | undefined, span: ActivitySpan | undefined, fromMs: number, endMs: number): Record<string, number> {
  const durations: Record<string, number> = {};
  if (span === undefined) {
    if (prior !== undefined) addTo(durations, prior.activitySid, endMs - fromMs);
    return durations;
  }
  for (const [activity, ms] of Object.entries(span.inner)) addTo(durations, activity, ms);
  if (prior !== undefined) addTo(durations, prior.activitySid, span.first.at - fromMs);
  addTo(durations, span.last.activitySid, endMs - span.last.at);
  return durations;
}
