/**
 * The reservation console: sign-in, then the view the URL's hash names, kept live. Everything it
 * shows comes from the REST API with the credentials signed in with.
 */
import { Api } from './api.ts';
import { startTicker } from './deadlines.ts';
import { h, prepareTimeFormats, replaceChildren } from './dom.ts';
import { href, parseRoute, type Route } from './routes.ts';
import { clearSession, loadSession, saveSession, type Session } from './session.ts';
import type { View, ViewContext } from './view.ts';
import { attentionView } from './views/attention.ts';
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

function renderNav(session: Session, route: Route): void {
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
  const find = h(
    'form',
    { class: 'find', role: 'search', novalidate: true },
    h('label', { for: 'find', class: 'visually-hidden' }, 'Go to a task, worker, reservation or workspace SID'),
    findInput,
    h('button', { type: 'submit' }, 'Go'),
    findError,
  );
  find.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = findInput.value.trim();
    const prefix = value.slice(0, 2).toUpperCase();
    const target =
      prefix === 'WT'
        ? href.task(workspace, value)
        : prefix === 'WK'
          ? href.worker(workspace, value)
          : prefix === 'WR'
            ? href.events(workspace, new URLSearchParams({ ReservationSid: value }))
            : prefix === 'WS'
              ? href.overview(value)
              : null;
    if (target === null) {
      findError.textContent = 'Enter a SID starting with WT (task), WK (worker), WR (reservation) or WS (workspace).';
      findInput.setAttribute('aria-invalid', 'true');
      return;
    }
    location.hash = target;
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
  renderNav(session, route);
  const ctx: ViewContext = {
    api: new Api(session, (message) => signOut(message)),
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
