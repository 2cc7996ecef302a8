/**
 * A KeyedTable whose columns sort: each header is a button, the sorted column's header carries
 * `aria-sort`, and a second press reverses it. Rows keep their keys across sorts and refreshes, so
 * a sort moves rows rather than rebuilding them.
 */
import { KeyedTable, h, type Column } from './dom.ts';
import { sortRows, type Direction, type SortValue } from './overview-figures.ts';

export interface SortColumn<T> extends Column<T> {
  readonly sort: (item: T) => SortValue;
  /** The direction a first press sorts in: counts and rates descending (most first), names ascending. */
  readonly first: Direction;
}

export class SortableTable<T> {
  readonly #table: KeyedTable<T>;
  readonly #headers: HTMLTableCellElement[];
  #items: readonly T[] = [];
  #column: number;
  #direction: Direction;

  constructor(
    caption: string,
    private readonly columns: readonly SortColumn<T>[],
    key: (item: T) => string,
    signature: (item: T) => string,
    initial: { readonly column: number; readonly direction: Direction },
    /** Says the new order (to screen readers). */
    private readonly sorted: (message: string) => void,
  ) {
    this.#table = new KeyedTable(caption, columns, key, signature);
    this.#table.element.classList.add('sortable');
    this.#column = initial.column;
    this.#direction = initial.direction;
    this.#headers = [...this.#table.element.querySelectorAll<HTMLTableCellElement>('thead th')];
    this.#headers.forEach((th, i) => {
      const button = h('button', { type: 'button', class: 'sort' }, columns[i]!.label, h('span', { class: 'arrow', 'aria-hidden': 'true' }));
      button.addEventListener('click', () => this.#sortBy(i));
      th.replaceChildren(button);
      // Aligned as its cells are (numbers to the right).
      if (columns[i]!.className) th.classList.add(columns[i]!.className!);
    });
    this.#paintHeaders();
  }

  get element(): HTMLTableElement {
    return this.#table.element;
  }

  set caption(text: string) {
    this.#table.caption = text;
  }

  /** Shows `items` in the current order. */
  update(items: readonly T[], markNew: boolean): void {
    this.#items = items;
    this.#table.update(sortRows(items, this.columns[this.#column]!.sort, this.#direction), markNew);
  }

  #sortBy(column: number): void {
    this.#direction = column === this.#column ? (this.#direction === 'ascending' ? 'descending' : 'ascending') : this.columns[column]!.first;
    this.#column = column;
    this.#paintHeaders();
    this.update(this.#items, false);
    this.sorted(`Sorted by ${this.columns[column]!.label}, ${this.#direction}.`);
  }

  #paintHeaders(): void {
    this.#headers.forEach((th, i) => {
      const on = i === this.#column;
      if (on) th.setAttribute('aria-sort', this.#direction);
      else th.removeAttribute('aria-sort');
      th.querySelector('.arrow')!.textContent = on ? (this.#direction === 'ascending' ? ' ▲' : ' ▼') : '';
    });
  }
}
