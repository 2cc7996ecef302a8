/**
 * The task, worker, wrap-up and attention updates as small forms, and how a view says how one went.
 * As with the reservation's forms (forms.ts), the page does not judge the values: it sends what was
 * typed and shows the API's answer, so the server's rules stay the only ones.
 */
import { ApiError } from './api.ts';
import { h, type Child } from './dom.ts';
import { formBody } from './forms.ts';

export interface FieldSpec {
  readonly name: string;
  readonly label: Child;
  readonly hint?: string;
  /** A checkbox sends `true` when checked, and nothing otherwise. */
  readonly kind?: 'text' | 'checkbox';
  readonly value?: string;
  readonly placeholder?: string;
  readonly numeric?: boolean;
}

export interface UpdateFormSpec {
  /** Unique in the page: the fields' ids are made from it. */
  readonly id: string;
  /** Sent as they are (`AssignmentStatus=completed`). */
  readonly fixed?: Readonly<Record<string, string>>;
  readonly fields?: readonly FieldSpec[];
  readonly button: Child;
  readonly buttonClass?: 'primary' | 'danger' | null;
  /** Sends it; true when it was made, and the form is then reset (a checked RejectPendingReservations is not sent twice by surprise). */
  readonly submit: (body: URLSearchParams) => Promise<boolean>;
}

function fieldBlock(spec: UpdateFormSpec, field: FieldSpec): HTMLElement {
  const id = `${spec.id}-${field.name}`;
  const hintId = field.hint ? `${id}-hint` : null;
  const hint = field.hint ? h('p', { class: 'hint', id: hintId }, field.hint) : null;
  if (field.kind === 'checkbox') {
    return h(
      'div',
      { class: 'field check' },
      h('label', { for: id }, h('input', { type: 'checkbox', id, name: field.name, value: 'true', 'aria-describedby': hintId }), field.label),
      hint,
    );
  }
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, field.label),
    h('input', {
      type: 'text',
      id,
      name: field.name,
      value: field.value ?? null,
      placeholder: field.placeholder ?? null,
      inputmode: field.numeric ? 'numeric' : null,
      'aria-describedby': hintId,
      autocomplete: 'off',
      spellcheck: 'false',
      autocapitalize: 'off',
    }),
    hint,
  );
}

/** A form that posts its fixed values and its filled-in fields; its buttons are disabled while it is sent. */
export function updateForm(spec: UpdateFormSpec): HTMLFormElement {
  const form = h(
    'form',
    { novalidate: true, class: 'update', 'data-update': spec.id },
    Object.entries(spec.fixed ?? {}).map(([name, value]) => h('input', { type: 'hidden', name, value })),
    (spec.fields ?? []).map((field) => fieldBlock(spec, field)),
    h('div', { class: 'submit' }, h('button', { type: 'submit', class: spec.buttonClass ?? null }, spec.button)),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll('button')];
    for (const b of buttons) b.disabled = true;
    form.setAttribute('aria-busy', 'true');
    void spec
      .submit(formBody(form))
      .then((made) => {
        if (made) form.reset();
      })
      .finally(() => {
        for (const b of buttons) b.disabled = false;
        form.removeAttribute('aria-busy');
      });
  });
  return form;
}

/** `AssignmentStatus=completed`: what was asked, as the outcome names it. */
export function asked(body: URLSearchParams, name: string): string {
  return `${name}=${body.get(name) ?? ''}`;
}

/** A view's two lines about its last update: what it did (role=status), or why it was refused (role=alert). */
export class Notices {
  readonly outcome = h('p', { class: 'notice ok', role: 'status' });
  readonly refusal = h('p', { class: 'notice error', role: 'alert' });

  clear(): void {
    this.outcome.textContent = '';
    this.refusal.textContent = '';
  }

  done(text: string): void {
    this.refusal.textContent = '';
    this.outcome.textContent = text;
  }

  /**
   * Says why an update was not made: the API's own message; a 412 (the If-Match of a stale view)
   * as such, and the view refreshes. A 401 has signed the console out already: nothing to say.
   */
  refused(error: unknown, what: string, refresh: () => void): void {
    this.outcome.textContent = '';
    if (error instanceof ApiError && error.status === 401) return;
    if (!(error instanceof ApiError)) {
      this.refusal.textContent = `Not sent: ${(error as Error).message}`;
    } else if (error.status === 412) {
      this.refusal.textContent = `Refused: this view was stale. The ${what} changed since it was shown (${error.message}). The view has been refreshed: check it and try again.`;
      refresh();
    } else if (error.status === 0) {
      // No answer is no refusal: the update may or may not have got there.
      this.refusal.textContent = `No answer: ${error.message}. Whether the ${what} changed shows when the view loads again.`;
    } else {
      this.refusal.textContent = `Refused (HTTP ${error.status}): ${error.message}`;
    }
  }

  /** Sends an update: `done` says what it did; the view then refreshes. True when it was made. */
  async send<T>(what: string, request: () => Promise<T>, done: (result: T) => string, refresh: () => void): Promise<boolean> {
    this.clear();
    try {
      const result = await request();
      this.done(done(result));
      refresh();
      return true;
    } catch (error) {
      this.refused(error, what, refresh);
      return false;
    }
  }
}
