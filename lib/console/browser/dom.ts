/** A few DOM helpers: elements built with textContent and attributes only, never HTML strings. */
import { WIDEST_MINUTES, href } from './routes.ts';

export type Child = Node | string | number | null | undefined | false | readonly Child[];
type Attributes = Readonly<Record<string, string | number | boolean | null | undefined>>;

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false || child === '') continue;
    if (Array.isArray(child)) append(parent, child as readonly Child[]);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes?: Attributes | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.textContent = '';
  append(parent, children);
}

/** `2026-11-25 14:03:07 UTC`: what a timestamp's title shows on hover. */
export function utcText(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * The viewer's formats, built on first use: a new tab's first Intl formatter costs tens of
 * milliseconds (the locale's and the time zone's data), which `prepareTimeFormats` spends while
 * the first reads are on their way rather than before they are sent.
 */
let formats: { readonly sameDay: Intl.DateTimeFormat; readonly otherDay: Intl.DateTimeFormat } | undefined;

export function prepareTimeFormats(): NonNullable<typeof formats> {
  formats ??= {
    sameDay: new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' }),
    otherDay: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' }),
  };
  return formats;
}

/** A timestamp in the viewer's time zone (the time alone when it is today), UTC on hover. */
export function time(iso: string | null | undefined): Child {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const today = new Date().toDateString() === date.toDateString();
  return h('time', { datetime: iso, title: utcText(date) }, prepareTimeFormats()[today ? 'sameDay' : 'otherDay'].format(date));
}

/** A SID, as a link to its view when it has one (workspace, task, worker; a reservation with its task). */
export function sid(workspace: string, value: string | null | undefined, taskSid?: string | null): Child {
  if (!value) return '—';
  const prefix = value.slice(0, 2).toUpperCase();
  const target =
    prefix === 'WS'
      ? href.overview(value)
      : prefix === 'WT'
        ? href.task(workspace, value)
        : prefix === 'WK'
          ? href.worker(workspace, value)
          : prefix === 'WR'
            ? taskSid
              ? href.reservation(workspace, taskSid, value)
              : href.events(workspace, new URLSearchParams({ ReservationSid: value, Minutes: String(WIDEST_MINUTES) }))
            : null;
  return target === null ? h('code', { class: 'sid' }, value) : h('a', { class: 'sid', href: target }, value);
}

/** A status as a word in a coloured badge (the word carries the meaning, the colour helps). */
export function badge(status: string | null | undefined): Child {
  if (!status) return '—';
  return h('span', { class: `badge ${status.replace(/[^a-z-]/gi, '')}` }, status);
}

/** A JSON attributes string, pretty-printed when it is JSON. */
export function attributesBlock(attributes: string | null | undefined, open: boolean): HTMLDetailsElement {
  let text = attributes ?? '';
  try {
    text = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Shown as stored.
  }
  return h('details', { open }, h('summary', null, 'Attributes'), h('pre', null, text || '(none)'));
}

/** A `dl` of label → value. */
export function facts(entries: readonly (readonly [string, Child])[]): HTMLDListElement {
  const list = h('dl', { class: 'facts' });
  for (const [term, value] of entries) append(list, [h('dt', null, term), h('dd', null, value)]);
  return list;
}

export interface Column<T> {
  readonly label: string;
  readonly cell: (item: T) => Child;
  /** The cells' class, for the stylesheet (how a column lays out as a card at phone width). */
  readonly className?: string;
}

/**
 * A table whose rows are kept by key across refreshes: a row is rebuilt only when what it shows
 * changed, and the others stay (with their focus), so a live view does not flicker or lose place.
 * At phone width each row is a card and each cell shows its column's label (data-label).
 */
export class KeyedTable<T> {
  readonly element: HTMLTableElement;
  readonly #body: HTMLTableSectionElement;
  #rows = new Map<string, { row: HTMLTableRowElement; signature: string }>();

  constructor(
    caption: string,
    private readonly columns: readonly Column<T>[],
    private readonly key: (item: T) => string,
    private readonly signature: (item: T) => string,
  ) {
    this.#body = h('tbody');
    // Explicit roles: the card layout changes `display`, which some browsers take as "not a table".
    this.element = h(
      'table',
      { role: 'table' },
      h('caption', null, caption),
      h(
        'thead',
        { role: 'rowgroup' },
        h(
          'tr',
          { role: 'row' },
          columns.map((c) => h('th', { scope: 'col', role: 'columnheader' }, c.label)),
        ),
      ),
      this.#body,
    );
    this.#body.setAttribute('role', 'rowgroup');
  }

  set caption(text: string) {
    this.element.caption!.textContent = text;
  }

  /** Shows `items` in this order; with `markNew`, rows that were not there before are highlighted. */
  update(items: readonly T[], markNew: boolean): void {
    const next = new Map<string, { row: HTMLTableRowElement; signature: string }>();
    let cursor: ChildNode | null = this.#body.firstChild;
    for (const item of items) {
      const key = this.key(item);
      const signature = this.signature(item);
      const old = this.#rows.get(key);
      let row: HTMLTableRowElement;
      if (old && old.signature === signature) {
        row = old.row;
      } else {
        row = this.#render(item);
        if (old) {
          if (cursor === old.row) cursor = old.row.nextSibling;
          old.row.remove();
        } else if (markNew) {
          row.classList.add('new');
        }
      }
      if (cursor === row) cursor = row.nextSibling;
      else this.#body.insertBefore(row, cursor);
      next.set(key, { row, signature });
    }
    for (const [key, { row }] of this.#rows) if (!next.has(key)) row.remove();
    this.#rows = next;
  }

  #render(item: T): HTMLTableRowElement {
    return h(
      'tr',
      { role: 'row' },
      this.columns.map((c) => {
        const content = c.cell(item);
        // One box per cell, so that a card lays out label | content: one element is that box
        // already, and so is bare text (a grid wraps a run of text in one anonymous item); several
        // parts get a box around them. (No box more than needed: a table of 500 rows is laid out
        // in one go.)
        return h('td', { 'data-label': c.label, role: 'cell', class: c.className }, Array.isArray(content) ? h('div', null, content) : content);
      }),
    );
  }
}
