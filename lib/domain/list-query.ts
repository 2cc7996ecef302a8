/** The query of a reservation list (OpenAPI ListTaskReservation and ListWorkerReservation). */
import { decodePageToken, type Cursor } from './paging.ts';
import { parseParameter, type ParameterSpec, type Params } from './parameters.ts';
import { RESERVATION_STATUSES, type ReservationStatus } from './state-machine.ts';

export const DEFAULT_PAGE_SIZE = 50;

/** Every list's paging: Twilio's PageSize (1 to 1000, 50 unless given), Page (the client's count) and PageToken (ours). */
const PAGING_PARAMETERS = {
  PageSize: { name: 'PageSize', type: { kind: 'integer', min: 1, max: 1000 }, pii: false },
  Page: { name: 'Page', type: { kind: 'integer', min: 0, max: 1_000_000 }, pii: false },
  PageToken: { name: 'PageToken', type: { kind: 'string' }, pii: false },
} as const satisfies Record<string, ParameterSpec>;

/** A list's page size and cursor, from its query; a PageToken must hold a key `keyPattern` matches. */
export function readPaging(query: Params, keyPattern?: RegExp): { readonly pageSize: number; readonly cursor: Cursor } {
  const read = (spec: ParameterSpec) => {
    const raw = query.get(spec.name);
    return raw === undefined ? undefined : parseParameter(spec, raw);
  };
  const token = read(PAGING_PARAMETERS.PageToken) as string | undefined;
  const page = (read(PAGING_PARAMETERS.Page) as number | undefined) ?? 0;
  return {
    pageSize: (read(PAGING_PARAMETERS.PageSize) as number | undefined) ?? DEFAULT_PAGE_SIZE,
    cursor: token === undefined ? { page } : decodePageToken(token, keyPattern),
  };
}

const LIST_PARAMETERS = {
  ReservationStatus: { name: 'ReservationStatus', type: { kind: 'enum', values: RESERVATION_STATUSES }, pii: false },
  WorkerSid: { name: 'WorkerSid', type: { kind: 'sid', prefix: 'WK' }, pii: false },
} as const satisfies Record<string, ParameterSpec>;

export interface ListQuery {
  readonly status?: ReservationStatus;
  /** Task lists only: the worker list has no WorkerSid filter (OpenAPI). */
  readonly workerSid?: string;
  readonly pageSize: number;
  readonly cursor: Cursor;
}

export function readListQuery(query: Params, scope: 'task' | 'worker'): ListQuery {
  const read = (spec: ParameterSpec) => {
    const raw = query.get(spec.name);
    return raw === undefined ? undefined : parseParameter(spec, raw);
  };
  const status = read(LIST_PARAMETERS.ReservationStatus) as ReservationStatus | undefined;
  const workerSid = scope === 'task' ? (read(LIST_PARAMETERS.WorkerSid) as string | undefined) : undefined;
  return {
    ...(status !== undefined && { status }),
    ...(workerSid !== undefined && { workerSid }),
    ...readPaging(query),
  };
}

/** A page URL's query string: the list's filters in `params`, then its size, page number and token, in Twilio's order. */
export function pagedQueryString(params: URLSearchParams, pageSize: number, page: number, token: string | undefined): string {
  params.set('PageSize', String(pageSize));
  params.set('Page', String(page));
  if (token !== undefined) params.set('PageToken', token);
  return params.toString();
}

/** The query string of a list page's URL: its filters, size, page and token, in Twilio's order. */
export function listQueryString(query: ListQuery, page: number, token: string | undefined): string {
  const params = new URLSearchParams();
  if (query.status !== undefined) params.set('ReservationStatus', query.status);
  if (query.workerSid !== undefined) params.set('WorkerSid', query.workerSid);
  return pagedQueryString(params, query.pageSize, page, token);
}
