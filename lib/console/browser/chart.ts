/**
 * Reservation outcomes as stacked bars, one per minute or hour, drawn as SVG by hand (the smallest
 * fitting chart library would add most of the page's weight again: docs/statistics.md), with the
 * same numbers as a table for screen readers and for anyone who wants them: the SVG is one
 * labelled image, the table is the data.
 */
import { KeyedTable, h, utcText } from './dom.ts';
import { OUTCOMES, scaleMax, stack, stackHeight, type Outcomes } from './overview-figures.ts';
import type { OutcomeBucket } from './types.ts';

const SVG = 'http://www.w3.org/2000/svg';
/** One bucket's slot in the SVG's own units; the bar leaves a gap. */
const SLOT = 10;
const BAR = 7;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

const sum = (buckets: readonly Outcomes[], key: keyof Outcomes) => buckets.reduce((n, b) => n + b[key], 0);

export class OutcomeChart {
  readonly element: HTMLElement;
  readonly #plot: HTMLElement;
  readonly #yAxis: HTMLElement;
  readonly #xAxis: HTMLElement;
  readonly #table: KeyedTable<OutcomeBucket>;
  #shows = '';

  constructor(
    id: string,
    private readonly title: string,
    /** What one bucket is called in the table's first column (Minute, Hour). */
    unit: string,
    /** A bucket's start as the axis and the table show it. */
    private readonly label: (iso: string) => string,
  ) {
    this.#plot = h('div', { class: 'plot' });
    this.#yAxis = h('div', { class: 'y-axis', 'aria-hidden': 'true' });
    this.#xAxis = h('div', { class: 'x-axis', 'aria-hidden': 'true' });
    this.#table = new KeyedTable<OutcomeBucket>(
      `${title}: the chart's numbers`,
      [
        { label: unit, cell: (b) => h('time', { datetime: b.start_time, title: utcText(new Date(b.start_time)) }, label(b.start_time)) },
        ...OUTCOMES.map((o) => ({ label: o.label, cell: (b: OutcomeBucket) => b[o.key] })),
      ],
      (b) => b.start_time,
      (b) => OUTCOMES.map((o) => b[o.key]).join('|'),
    );
    this.element = h(
      'section',
      { class: 'chart', 'aria-labelledby': `${id}-heading` },
      h('h3', { id: `${id}-heading` }, title),
      h('div', { class: 'chart-frame' }, this.#yAxis, this.#plot),
      this.#xAxis,
      h(
        'ul',
        { class: 'legend', 'aria-label': 'Legend' },
        OUTCOMES.map((o) => h('li', null, h('span', { class: `swatch ${o.className}`, 'aria-hidden': 'true' }), o.label)),
      ),
      h('details', { class: 'chart-data' }, h('summary', null, 'The numbers, as a table'), this.#table.element),
    );
  }

  update(buckets: readonly OutcomeBucket[]): void {
    const signature = JSON.stringify(buckets);
    if (signature === this.#shows) return;
    this.#shows = signature;
    this.#table.update(buckets, false);
    const max = scaleMax(Math.max(0, ...buckets.map(stackHeight)));
    const width = Math.max(1, buckets.length) * SLOT;
    const totals = OUTCOMES.map((o) => `${sum(buckets, o.key)} ${o.label.toLowerCase()}`).join(', ');
    const chart = svg(
      'svg',
      {
        viewBox: `0 0 ${width} 100`,
        preserveAspectRatio: 'none',
        role: 'img',
        'aria-label': `${this.title}: ${totals}. The table below the chart has each bar's numbers.`,
      },
      ...[0.25, 0.5, 0.75, 1].map((f) => svg('line', { class: 'grid', x1: 0, x2: width, y1: 100 - f * 100, y2: 100 - f * 100 })),
      ...buckets.flatMap((bucket, i) =>
        stack(bucket, max).map((part) =>
          svg(
            'rect',
            { class: part.className, x: i * SLOT + (SLOT - BAR) / 2, width: BAR, y: 100 - part.to * 100, height: (part.to - part.from) * 100 },
            svg('title', {}, `${this.label(bucket.start_time)}: ${part.count} ${OUTCOMES.find((o) => o.className === part.className)!.label.toLowerCase()}`),
          ),
        ),
      ),
      svg('line', { class: 'axis', x1: 0, x2: width, y1: 100, y2: 100 }),
    );
    this.#plot.replaceChildren(chart);
    this.#yAxis.replaceChildren(...[max, max / 2, 0].map((v) => h('span', null, String(v))));
    const ticks = buckets.length === 0 ? [] : [buckets[0]!, buckets[Math.floor((buckets.length - 1) / 2)]!, buckets.at(-1)!];
    this.#xAxis.replaceChildren(...ticks.map((b) => h('span', null, this.label(b.start_time))));
  }
}
