/**
 * Sign-in: the credentials the REST API takes (an account SID and auth token, or an API key SID
 * and secret) and the workspace to open. They stay in this tab; the API itself checks them on the
 * view's first request, and a 401 brings this form back with the API's message.
 */
import { h, replaceChildren } from '../dom.ts';
import { sidPattern } from '../routes.ts';
import type { Session } from '../session.ts';

export interface SignInOptions {
  readonly error: string | null;
  readonly workspace: string | null;
  /** The SID a refused sign-in was made with, typed again for the user. */
  readonly username: string | null;
  readonly local: boolean;
  readonly signIn: (session: Session) => void;
}

export function signInView(main: HTMLElement, options: SignInOptions): void {
  const error = h('p', { class: 'notice error', role: 'alert', id: 'sign-in-error' }, options.error ?? '');
  const field = (id: string, label: string, hint: string, attributes: Record<string, string>) =>
    h(
      'div',
      { class: 'field' },
      h('label', { for: id }, label),
      h('input', { id, name: id, 'aria-describedby': `${id}-hint`, autocapitalize: 'off', spellcheck: 'false', ...attributes }),
      h('p', { class: 'hint', id: `${id}-hint` }, hint),
    );
  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'sign-in-heading' },
    field('username', 'Account SID or API key SID', 'AC… or SK…, as for the REST API.', { value: options.username ?? '', autocomplete: 'username' }),
    field('secret', 'Auth token or API key secret', 'Kept in this tab only (session storage) and sent only to this service.', {
      type: 'password',
      autocomplete: 'current-password',
    }),
    field('workspace', 'Workspace SID', 'WS…: the workspace whose reservations you want to see.', { value: options.workspace ?? '', autocomplete: 'off' }),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  replaceChildren(
    main,
    h(
      'div',
      { class: 'sign-in' },
      h('h1', { id: 'sign-in-heading' }, 'Sign in'),
      h('p', null, "Watch reservations arrive and change, and act on them, through this service's REST API."),
      options.local ? h('p', { class: 'hint' }, 'Running ', h('code', null, 'npm start'), '? Its banner prints the local account SID and auth token.') : null,
      form,
    ),
  );
  const input = (name: string) => form.querySelector<HTMLInputElement>(`#${name}`)!;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const username = input('username').value.trim();
    const secret = input('secret').value;
    const workspace = input('workspace').value.trim();
    const problems: [string, string][] = [];
    if (!sidPattern('AC|SK').test(username)) problems.push(['username', 'The account SID or API key SID is AC or SK followed by 32 hexadecimal digits.']);
    if (secret === '') problems.push(['secret', 'The auth token or secret is required.']);
    if (!sidPattern('WS').test(workspace)) problems.push(['workspace', 'The workspace SID is WS followed by 32 hexadecimal digits.']);
    for (const name of ['username', 'secret', 'workspace']) {
      if (problems.some(([n]) => n === name)) input(name).setAttribute('aria-invalid', 'true');
      else input(name).removeAttribute('aria-invalid');
    }
    if (problems.length > 0) {
      error.textContent = problems.map(([, message]) => message).join(' ');
      input(problems[0]![0]).focus();
      return;
    }
    options.signIn({ username, secret, workspace });
  });
  if (options.error) input(options.username ? 'secret' : 'username').focus();
}
