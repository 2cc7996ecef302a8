/**
 * The reservation's actions as forms, generated from the parameter table the build embedded
 * (lib/domain/parameters.ts and instructions.ts): a field per update parameter, with its type,
 * bounds, default and requirement. The page does not judge the values: it sends what was typed
 * and shows the API's answer, so the one declaration stays the only rule.
 */
import type { ActionData, FieldData } from '../page-data.ts';
import { DATA } from './data.ts';
import { h, type Child } from './dom.ts';

/** Button words of the settable statuses; any other status the table gains reads "Set <status>". */
const STATUS_BUTTONS: Readonly<Record<string, string>> = { accepted: 'Accept', rejected: 'Reject', wrapping: 'Wrap up', completed: 'Complete' };

const valueText = (value: FieldData['default']) => (Array.isArray(value) ? value.join(', ') : String(value));

function hint(field: FieldData): string {
  const parts: string[] = [];
  if (field.required) parts.push('required');
  if (field.contact) parts.push("required unless the worker's attributes have contact_uri");
  if (field.kind === 'integer') parts.push(`${field.min} to ${field.max}`);
  if (field.kind === 'sid') parts.push(`a ${field.prefix}… SID`);
  if (field.kind === 'url') parts.push('an absolute URL');
  if (field.accepts) parts.push('true accepts the reservation');
  if (field.default !== undefined) parts.push(`default ${valueText(field.default)}`);
  return parts.join('; ');
}

function control(field: FieldData, id: string, describedBy: string | null): HTMLElement {
  const common = { id, name: field.name, 'aria-describedby': describedBy, 'aria-required': field.required ? 'true' : null };
  switch (field.kind) {
    case 'boolean':
    case 'enum': {
      const values = field.kind === 'boolean' ? ['true', 'false'] : (field.values ?? []);
      const unset = field.default !== undefined ? `(default: ${valueText(field.default)})` : '(not set)';
      return h(
        'select',
        common,
        h('option', { value: '' }, unset),
        values.map((v) => h('option', { value: v }, v)),
      );
    }
    case 'list':
      return h(
        'fieldset',
        { 'aria-describedby': describedBy },
        h('legend', null, field.name),
        h(
          'div',
          { class: 'checks' },
          (field.values ?? []).map((v) => h('label', null, h('input', { type: 'checkbox', name: field.name, value: v }), v)),
        ),
      );
    default:
      // Text for integers too: the API, not the browser, says what is wrong with a value.
      return h('input', {
        ...common,
        type: field.kind === 'url' ? 'url' : 'text',
        inputmode: field.kind === 'integer' ? 'numeric' : null,
        placeholder: field.kind === 'sid' ? `${field.prefix}…` : null,
        autocomplete: 'off',
        spellcheck: 'false',
        autocapitalize: 'off',
      });
  }
}

function fieldBlock(field: FieldData, action: ActionData): HTMLElement {
  const id = `f-${action.value}-${field.name}`;
  const note = hint(field);
  const hintId = note ? `${id}-hint` : null;
  const input = control(field, id, hintId);
  const hintElement = note ? h('p', { class: 'hint', id: hintId }, note) : null;
  if (field.kind === 'list') {
    input.append(...(hintElement ? [hintElement] : []));
    return input;
  }
  return h('div', { class: 'field' }, h('label', { for: id }, field.name), input, hintElement);
}

/** The form's values as the API takes them: `parameter=value`, then each field that was filled in. */
export function formBody(form: HTMLFormElement): URLSearchParams {
  const body = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (typeof value === 'string' && value.trim() !== '') body.append(name, value.trim());
  }
  return body;
}

export type Submit = (action: ActionData, body: URLSearchParams, form: HTMLFormElement) => Promise<void>;

function actionForm(action: ActionData, submit: Submit, button: Child, buttonClass: string | null): HTMLFormElement {
  const form = h(
    'form',
    { novalidate: true, 'data-action': action.value },
    h('input', { type: 'hidden', name: action.parameter, value: action.value }),
    action.fields.map((field) => fieldBlock(field, action)),
    h('div', { class: 'submit' }, h('button', { type: 'submit', class: buttonClass }, button)),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll('button')];
    for (const b of buttons) b.disabled = true;
    form.setAttribute('aria-busy', 'true');
    void submit(action, formBody(form), form).finally(() => {
      for (const b of buttons) b.disabled = false;
      form.removeAttribute('aria-busy');
    });
  });
  return form;
}

/** Accept, reject (with its activity), wrap up and complete; then one form per instruction. Each says the statuses it is allowed from. */
export function actionForms(submit: Submit): HTMLElement[] {
  const statusForms = DATA.statusUpdates.map((action) => {
    const form = actionForm(
      action,
      submit,
      STATUS_BUTTONS[action.value] ?? `Set ${action.value}`,
      action.value === 'accepted' ? 'primary' : action.value === 'rejected' ? 'danger' : null,
    );
    form.dataset['from'] = action.from.join(' ');
    return form;
  });
  const instructions = DATA.instructions.map((action) => {
    const accepts = action.fields.find((f) => f.accepts);
    const note = accepts ? `accepts only with ${accepts.name}=true` : null;
    return h(
      'details',
      { class: 'instruction', 'data-from': action.from.join(' ') },
      h('summary', null, `${action.value[0]!.toUpperCase()}${action.value.slice(1)} instruction`, note ? h('span', { class: 'hint' }, ` (${note})`) : null),
      actionForm(action, submit, `Send ${action.value}`, 'primary'),
    );
  });
  return [h('div', { class: 'status-actions' }, statusForms), ...instructions];
}

/**
 * Offers only what the reservation's status allows (the state machine's rule, embedded): the
 * others are hidden, not sent to be refused. True when something is left to offer.
 */
export function offerAllowed(actions: readonly HTMLElement[], status: string): boolean {
  let any = false;
  for (const root of actions) {
    for (const element of root.matches('[data-from]') ? [root] : root.querySelectorAll<HTMLElement>('[data-from]')) {
      const allowed = (element.dataset['from'] ?? '').split(' ').includes(status);
      element.hidden = !allowed;
      any ||= allowed;
    }
  }
  return any;
}
