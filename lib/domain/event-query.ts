/**
 * The query of an Event list (Twilio's OpenAPI ListEvent): filters, the time window (the last 15
 * minutes unless told otherwise, as Twilio), and paging.
 */
import { InvalidParameterError } from './errors.ts';
import type { Cursor } from './paging.ts';
import { parseParameter, type ParameterSpec, type Params } from './parameters.ts';
import { EVENT_LIST_KEY, isEventType, type TaskRouterEvent } from './events.ts';
import { pagedQueryString, readPaging } from './list-query.ts';

/** Twilio's default window, and the widest one it documents (30 days, its retention). */
export const DEFAULT_MINUTES = 15;
export const MAX_MINUTES = 43_200;

const sid = (name: string, prefix: 'EV' | 'WR' | 'WT' | 'WK' | 'WQ' | 'WW'): ParameterSpec => ({ name, type: { kind: 'sid', prefix }, pii: false });

const EVENT_LIST_PARAMETERS = {
  Sid: sid('Sid', 'EV'),
  ReservationSid: sid('ReservationSid', 'WR'),
  TaskSid: sid('TaskSid', 'WT'),
  WorkerSid: sid('WorkerSid', 'WK'),
  TaskQueueSid: sid('TaskQueueSid', 'WQ'),
  WorkflowSid: sid('WorkflowSid', 'WW'),
  EventType: { name: 'EventType', type: { kind: 'string' }, pii: false },
  Minutes: { name: 'Minutes', type: { kind: 'integer', min: 1, max: MAX_MINUTES }, pii: false },
  StartDate: { name: 'StartDate', type: { kind: 'string' }, pii: false },
  EndDate: { name: 'EndDate', type: { kind: 'string' }, pii: false },
} as const satisfies Record<string, ParameterSpec>;

/** What a list of the Event resource asks for: its filters and its time window. */
export interface EventFilter {
  readonly sid?: string;
  readonly reservationSid?: string;
  readonly taskSid?: string;
  readonly workerSid?: string;
  readonly taskQueueSid?: string;
  readonly workflowSid?: string;
  /** Any TaskRouter type; one this service never produces simply matches nothing. */
  readonly eventType?: string;
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, inclusive; unset: up to now and beyond. */
  readonly to?: number;
}

/** Whether an event meets every condition of a filter (time bounds aside: the store's index query keeps those). */
export function eventMatches(filter: EventFilter): (event: TaskRouterEvent) => boolean {
  return (event) =>
    (filter.sid === undefined || event.sid === filter.sid) &&
    (filter.reservationSid === undefined || event.reservationSid === filter.reservationSid) &&
    (filter.taskSid === undefined || event.taskSid === filter.taskSid) &&
    (filter.workerSid === undefined || event.workerSid === filter.workerSid) &&
    (filter.taskQueueSid === undefined || event.taskQueueSid === filter.taskQueueSid) &&
    (filter.workflowSid === undefined || event.workflowSid === filter.workflowSid) &&
    (filter.eventType === undefined || event.type === filter.eventType);
}

export interface EventListQuery extends EventFilter {
  readonly pageSize: number;
  readonly cursor: Cursor;
  /** The filters as given, in Twilio's order, for the page URLs. */
  readonly echo: ReadonlyArray<readonly [string, string]>;
}

/** ISO 8601 date-times as the twilio SDK sends them (seconds) or with fractions and offsets. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO 8601 date-time parameter as epoch ms; anything else is Twilio's 400 naming it. */
export function dateParameter(name: string, raw: string): number {
  const at = ISO_8601.test(raw) ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(at)) throw new InvalidParameterError(name, 'must be an ISO 8601 date-time such as 2026-11-24T09:30:00Z');
  return at;
}

export function readEventListQuery(query: Params, now: number): EventListQuery {
  // TaskRouter filters events by their task's channel; the record holds no channel (an assignment
  // callback does not say it), so the filter is refused rather than ignored, which would widen it.
  if (query.has('TaskChannel')) throw new InvalidParameterError('TaskChannel', 'is not supported by this service: its events hold no task channel');
  const read = (spec: ParameterSpec) => {
    const raw = query.get(spec.name);
    return raw === undefined ? undefined : parseParameter(spec, raw);
  };
  const p = EVENT_LIST_PARAMETERS;
  const eventType = read(p.EventType) as string | undefined;
  if (eventType !== undefined && !isEventType(eventType)) {
    // TaskRouter's other types (task.created, workflow.*, …) are never produced here: no event has them.
    if (!/^[a-z-]+(\.[a-z-]+)+$/.test(eventType)) throw new InvalidParameterError('EventType', 'must be an event type such as reservation.accepted');
  }
  const start = read(p.StartDate) as string | undefined;
  const end = read(p.EndDate) as string | undefined;
  const minutes = read(p.Minutes) as number | undefined;
  // Events "on or before" EndDate: a date-time without a fraction (the twilio SDK sends whole
  // seconds) names its whole second, as the Statistics resources count it.
  const endAt = end === undefined ? undefined : dateParameter('EndDate', end);
  const to = endAt === undefined ? undefined : endAt + (/\.\d+/.test(end!) ? 0 : 999);
  // StartDate, when given, is the lower bound and Minutes is not used; else the last Minutes (15)
  // before the end as given (10:15:00Z and 15 minutes: from 10:00:00.000).
  const from = start !== undefined ? dateParameter('StartDate', start) : (endAt ?? now) - (minutes ?? DEFAULT_MINUTES) * 60_000;
  if (to !== undefined && from > to) throw new InvalidParameterError('StartDate', 'must not be after EndDate');
  // The page URLs repeat the filters, but pin the window where this read put it: a relative one
  // (Minutes, or the default) moves with the clock, and a page read later would lose the events
  // between its old start and its new one. StartDate in place of Minutes, in milliseconds.
  const pinned = start ?? new Date(from).toISOString();
  const echo: [string, string][] = [];
  for (const name of ['EndDate', 'EventType', 'ReservationSid', 'StartDate', 'TaskQueueSid', 'TaskSid', 'WorkerSid', 'WorkflowSid', 'Sid'] as const) {
    const value = name === 'StartDate' ? pinned : query.get(name)?.[0];
    if (value !== undefined) echo.push([name, value]);
  }
  const optional = <K extends string>(key: K, value: unknown) => (value === undefined ? {} : { [key]: value });
  return {
    ...optional('sid', read(p.Sid)),
    ...optional('reservationSid', read(p.ReservationSid)),
    ...optional('taskSid', read(p.TaskSid)),
    ...optional('workerSid', read(p.WorkerSid)),
    ...optional('taskQueueSid', read(p.TaskQueueSid)),
    ...optional('workflowSid', read(p.WorkflowSid)),
    ...optional('eventType', eventType),
    from,
    ...(to !== undefined && { to }),
    ...readPaging(query, EVENT_LIST_KEY),
    echo,
  } as EventListQuery;
}

/** The query string of an Event list page's URL: the filters as given, then size, page and token. */
export function eventListQueryString(query: EventListQuery, page: number, token: string | undefined): string {
  return pagedQueryString(new URLSearchParams(query.echo as [string, string][]), query.pageSize, page, token);
}
