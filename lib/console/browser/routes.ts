/**
 * The console's views, addressed by the URL's hash so that every view is a link (and the page
 * stays one document): `#/WS…` (the workspace's overview, `?minutes=` its window), `#/WS…/events?EventType=…`, `#/WS…/workers/WK…`, `#/WS…/tasks/WT…`,
 * `#/WS…/tasks/WT…/reservations/WR…`, `#/WS…/attention`.
 */
export type Route =
  | { readonly view: 'home' }
  | { readonly view: 'overview'; readonly workspace: string; readonly minutes: string | null }
  | { readonly view: 'events'; readonly workspace: string; readonly filters: URLSearchParams }
  | { readonly view: 'attention'; readonly workspace: string }
  | { readonly view: 'worker'; readonly workspace: string; readonly worker: string; readonly status: string | null }
  | { readonly view: 'task'; readonly workspace: string; readonly task: string }
  | { readonly view: 'reservation'; readonly workspace: string; readonly task: string; readonly reservation: string }
  | { readonly view: 'unknown'; readonly hash: string };

/**
 * A Twilio SID of one of `prefixes` (`'WS'`, `'AC|SK'`): the two upper-case letters and 32
 * hexadecimal digits in either case, as the API takes them (`wt…` it refuses).
 */
export const sidPattern = (prefixes: string) => new RegExp(`^(${prefixes})[0-9a-fA-F]{32}$`);

/**
 * The Event resource's widest window, 30 days, in minutes: what a link to one task's or
 * reservation's events asks for (the index of its SID serves it, however busy the workspace; the
 * service keeps events RETENTION_DAYS).
 */
export const WIDEST_MINUTES = 43_200;

const segment = (s: string) => encodeURIComponent(s);
const query = (params?: URLSearchParams) => (params && [...params.keys()].length > 0 ? `?${params}` : '');

export const href = {
  overview: (workspace: string, minutes?: number | null) => `#/${segment(workspace)}${minutes ? `?minutes=${minutes}` : ''}`,
  events: (workspace: string, filters?: URLSearchParams) => `#/${segment(workspace)}/events${query(filters)}`,
  attention: (workspace: string) => `#/${segment(workspace)}/attention`,
  worker: (workspace: string, worker: string, status?: string | null) =>
    `#/${segment(workspace)}/workers/${segment(worker)}${status ? `?status=${segment(status)}` : ''}`,
  task: (workspace: string, task: string) => `#/${segment(workspace)}/tasks/${segment(task)}`,
  reservation: (workspace: string, task: string, reservation: string) => `#/${segment(workspace)}/tasks/${segment(task)}/reservations/${segment(reservation)}`,
};

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  if (raw === '' || raw === '/') return { view: 'home' };
  const at = raw.indexOf('?');
  const path = at === -1 ? raw : raw.slice(0, at);
  const params = new URLSearchParams(at === -1 ? '' : raw.slice(at + 1));
  const parts = path.split('/').slice(1).map(decode);
  const [workspace, kind, id, sub, subId] = parts;
  if (!workspace) return { view: 'unknown', hash };
  if (parts.length === 1) return { view: 'overview', workspace, minutes: params.get('minutes') };
  if (parts.length === 2 && kind === 'events') return { view: 'events', workspace, filters: params };
  if (parts.length === 2 && kind === 'attention') return { view: 'attention', workspace };
  if (parts.length === 3 && kind === 'workers' && id) return { view: 'worker', workspace, worker: id, status: params.get('status') };
  if (parts.length === 3 && kind === 'tasks' && id) return { view: 'task', workspace, task: id };
  if (parts.length === 5 && kind === 'tasks' && id && sub === 'reservations' && subId) return { view: 'reservation', workspace, task: id, reservation: subId };
  return { view: 'unknown', hash };
}
