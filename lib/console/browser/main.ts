/**
 * The reservation console: sign-in, then the view the URL's hash names, kept live. Everything it
 * shows comes from the REST API with the credentials signed in with.
 */
import { Api, ApiError } from './api.ts';
import { startTicker } from './deadlines.ts';
import { h, prepareTimeFormats, replaceChildren } from './dom.ts';
import { WIDEST_MINUTES, href, parseRoute, sidPattern, type Route } from './routes.ts';
import { clearSession, loadSession, saveSession, type Session } from './session.ts';
import type { View, ViewContext } from './view.ts';
import type { TaskRouterEvent } from './types.ts';
import { attentionView } from './views/attention.ts';
import { sidOf } from './views/event-columns.ts';
import { eventsView } from './views/events.ts';
import { overviewView } from './views/overview.ts';
import { reservationView } from './views/reservation.ts';
import { signInView } from './views/sign-in.ts';
import { taskView } from './views/task.ts';
import { workerView } from './views/worker.ts';

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const announcer = document.getElementById('announcer')!;
const local = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(location.hostname);

let view: View | null = null;

function announce(message: string): void {
  // Emptied first, so that the same words twice are announced twice.
  announcer.textContent = '';
  setTimeout(() => (announcer.textContent = message), 50);
}

function stopView(): void {
  view?.stop();
  view = null;
}

function signOut(error: string | null): void {
  const previous = loadSession();
  const workspace = previous?.workspace ?? null;
  clearSession();
  stopView();
  nav.hidden = true;
  replaceChildren(nav);
  document.title = 'Sign in · Reservation console';
  signInView(main, {
    error: error && `Sign-in failed: the API refused these credentials (${error}).`,
    workspace: routeWorkspace(parseRoute(location.hash)) ?? workspace,
    // Refused, the SID stays typed: only the secret is asked again.
    username: error ? (previous?.username ?? null) : null,
    local,
    signIn: (session) => {
      saveSession(session);
      const routed = routeWorkspace(parseRoute(location.hash));
      // The address's view, unless it names another workspace than the one typed: that one's overview.
      if (parseRoute(location.hash).view === 'home' || routed === null || routed.toLowerCase() !== session.workspace.toLowerCase()) {
        location.hash = href.overview(session.workspace);
      } else show(true);
    },
  });
}

function routeWorkspace(route: Route): string | null {
  return 'workspace' in route ? route.workspace : null;
}

/**
 * A reservation's page is addressed by its task, which its SID alone does not say: its oldest
 * event within the Event resource's widest window (30 days; events are kept RETENTION_DAYS)
 * names the task. A reservation with none there opens the events view filtered by it, which says
 * that nothing matched.
 */
let lookups = 0;

async function openReservation(api: Api, workspace: string, reservation: string, status: HTMLElement): Promise<void> {
  const window = { ReservationSid: reservation, Minutes: String(WIDEST_MINUTES) };
  // Only the latest lookup may navigate, and only from where it was asked: the user may have gone
  // elsewhere, or asked for another, meanwhile.
  const lookup = ++lookups;
  const from = location.hash;
  status.textContent = `Looking for reservation ${reservation}…`;
  let task: string | undefined;
  try {
    const { body } = await api.get<{ events?: TaskRouterEvent[] }>(
      `/v1/Workspaces/${encodeURIComponent(workspace)}/Events?${new URLSearchParams({ ...window, PageSize: '1' })}`,
    );
    const first = body.events?.[0];
    task = first ? sidOf(first, 'task_sid') : undefined;
  } catch (error) {
    // Refused credentials: the console has signed out already, and stays there.
    if (error instanceof ApiError && error.status === 401) return;
    // Anything else: the events view asks again, and says what went wrong.
  }
  if (lookup !== lookups || location.hash !== from) return;
  status.textContent = '';
  location.hash = task ? href.reservation(workspace, task, reservation) : href.events(workspace, new URLSearchParams(window));
}

function renderNav(session: Session, route: Route, api: Api): void {
  const workspace = routeWorkspace(route) ?? session.workspace;
  const findInput = h('input', {
    id: 'find',
    name: 'sid',
    placeholder: 'WT…, WK…, WR… or WS…',
    autocomplete: 'off',
    spellcheck: 'false',
    autocapitalize: 'off',
    'aria-describedby': 'find-error',
  });
  const findError = h('p', { class: 'find-error error-text', id: 'find-error', role: 'alert' });
  // Progress is news, not an error: said politely, apart from the box's description.
  const findStatus = h('p', { class: 'visually-hidden', role: 'status' });
  const find = h(
    'form',
    { class: 'find', role: 'search', novalidate: true },
    h('label', { for: 'find', class: 'visually-hidden' }, 'Go to a task, worker, reservation or workspace SID'),
    findInput,
    h('button', { type: 'submit' }, 'Go'),
    findError,
    findStatus,
  );
  const refuse = (message: string) => {
    findError.textContent = message;
    findInput.setAttribute('aria-invalid', 'true');
  };
  find.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = findInput.value.trim();
    const prefix = value.slice(0, 2).toUpperCase();
    const kind = ({ WT: 'task', WK: 'worker', WR: 'reservation', WS: 'workspace' } as Record<string, string>)[prefix];
    if (kind === undefined) {
      refuse('Enter a SID starting with WT (task), WK (worker), WR (reservation) or WS (workspace).');
      return;
    }
    if (!sidPattern(prefix).test(value)) {
      refuse(`A ${kind} SID is ${prefix} followed by 32 hexadecimal digits.`);
      return;
    }
    findError.textContent = '';
    findInput.removeAttribute('aria-invalid');
    if (prefix === 'WR') {
      void openReservation(api, workspace, value, findStatus);
      return;
    }
    location.hash = prefix === 'WT' ? href.task(workspace, value) : prefix === 'WK' ? href.worker(workspace, value) : href.overview(value);
  });
  const signOutButton = h('button', { type: 'button', class: 'link' }, 'Sign out');
  signOutButton.addEventListener('click', () => {
    signOut(null);
    announce('Signed out.');
  });
  replaceChildren(
    nav,
    h('a', { href: href.overview(workspace), 'aria-current': route.view === 'overview' ? 'page' : null }, 'Overview'),
    h('a', { href: href.events(workspace), 'aria-current': route.view === 'events' ? 'page' : null }, 'Events'),
    h('a', { href: href.attention(workspace), 'aria-current': route.view === 'attention' ? 'page' : null }, 'Needs attention'),
    find,
    h('span', { class: 'who' }, 'Signed in as ', h('code', { title: session.username }, `${session.username.slice(0, 6)}…${session.username.slice(-4)}`)),
    signOutButton,
  );
  nav.hidden = false;
}

function mount(route: Route, ctx: ViewContext): View | null {
  switch (route.view) {
    case 'overview':
      return overviewView(ctx, route.workspace, route.minutes);
    case 'events':
      return eventsView(ctx, route.workspace, route.filters);
    case 'attention':
      return attentionView(ctx, route.workspace);
    case 'worker':
      return workerView(ctx, route.workspace, route.worker, route.status);
    case 'task':
      return taskView(ctx, route.workspace, route.task);
    case 'reservation':
      return reservationView(ctx, route.workspace, route.task, route.reservation);
    default:
      return null;
  }
}

function show(focus: boolean): void {
  const session = loadSession();
  if (!session) {
    signOut(null);
    return;
  }
  const route = parseRoute(location.hash);
  if (route.view === 'home') {
    location.replace(href.overview(session.workspace));
    return;
  }
  if (view?.update?.(route)) return;
  stopView();
  const api = new Api(session, (message) => signOut(message));
  renderNav(session, route, api);
  const ctx: ViewContext = {
    api,
    main,
    announce,
    title: (text) => (document.title = `${text} · Reservation console`),
    focus,
    local,
  };
  view = mount(route, ctx);
  if (view === null) {
    ctx.title('Not found');
    replaceChildren(
      main,
      h('h1', null, 'No such view'),
      h(
        'p',
        null,
        'This address names no view of the console. ',
        h('a', { href: href.overview(session.workspace) }, "Open your workspace's overview"),
        ', ',
        h('a', { href: href.events(session.workspace) }, 'its events'),
        ' or ',
        h('a', { href: href.attention(session.workspace) }, 'what needs attention'),
        '.',
      ),
    );
  }
}

document.getElementById('skip')!.addEventListener('click', (event) => {
  // The hash is the router's: the skip link moves focus without changing it.
  event.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', () => show(true));
startTicker();
show(false);
// After the view's first reads went out: they take longer than this does.
setTimeout(prepareTimeFormats, 0);
