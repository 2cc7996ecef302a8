/** What every view shares: how it loads, shows, refreshes, and says what went wrong. */
import { ApiError, type Api } from './api.ts';
import { h, replaceChildren, type Child } from './dom.ts';
import { Poller } from './poller.ts';
import type { Route } from './routes.ts';

export interface ViewContext {
  readonly api: Api;
  readonly main: HTMLElement;
  /** Says something to screen readers (and in the page's footer). */
  readonly announce: (message: string) => void;
  /** The document's title for this view. */
  readonly title: (text: string) => void;
  /** Move focus to the view's heading once it shows (the user navigated here). */
  readonly focus: boolean;
  /** Local development (the page came from a loopback address): hints name npm commands. */
  readonly local: boolean;
}

export interface View {
  stop(): void;
  /** Takes a route of the same view and resource without reloading (a filter); false: remount. */
  update?(route: Route): boolean;
}

export interface LiveView<T> {
  /** First load: the heading and the content. */
  readonly load: (signal: AbortSignal) => Promise<T>;
  readonly render: (data: T, first: boolean) => void;
  /** What a 404 means for this view, and what to do about it. */
  readonly notFound: (error: ApiError) => Child[];
}

function describe(error: unknown): string {
  if (error instanceof ApiError) return error.status === 0 ? error.message : `${error.message} (HTTP ${error.status})`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Mounts a live view in `main`: "Loading…" until the first answer, then the view's own content
 * refreshed by a Poller. A refresh that fails keeps what was shown, says why and when it retries.
 */
export function mountLive<T>(ctx: ViewContext, view: LiveView<T>): { readonly poller: Poller; readonly content: HTMLElement; readonly stop: () => void } {
  const notice = h('p', { class: 'notice error', role: 'alert' });
  const content = h('div', null, h('p', { class: 'empty' }, 'Loading…'));
  replaceChildren(ctx.main, notice, content);
  let shown = false;
  let focused = !ctx.focus;
  const focusHeading = () => {
    if (focused) return;
    focused = true;
    const heading = content.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  };
  const poller = new Poller(
    async (signal) => {
      let data: T;
      try {
        data = await view.load(signal);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          shown = false;
          notice.textContent = '';
          replaceChildren(content, view.notFound(error));
          focusHeading();
          return;
        }
        throw error;
      }
      notice.textContent = '';
      if (!shown) content.textContent = '';
      view.render(data, !shown);
      if (!shown) {
        shown = true;
        focusHeading();
        // After the frame that shows it has been painted: what the benchmark times (bench/console.ts).
        requestAnimationFrame(() => requestAnimationFrame(() => performance.mark('console:rendered')));
      }
    },
    (error, retryInMs) => {
      const retry = `Retrying in ${Math.round(retryInMs / 1000)} s.`;
      notice.textContent = shown
        ? `Could not refresh: ${describe(error)}. Showing what was loaded before. ${retry}`
        : `Could not load this view: ${describe(error)}. ${retry}`;
      if (!shown) content.textContent = '';
    },
  );
  poller.start();
  return { poller, content, stop: () => poller.stop() };
}
