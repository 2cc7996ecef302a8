/**
 * Figures the reliability tests reach (requests fuzzed, races run, faults injected, crash points
 * replayed), appended to test/.out/reliability.jsonl for the README's Reliability section.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const OUT = join(import.meta.dirname, '..', '.out');

export function recordFigure(figure: string, value: number, detail = ''): void {
  mkdirSync(OUT, { recursive: true });
  appendFileSync(join(OUT, 'reliability.jsonl'), `${JSON.stringify({ figure, value, detail, at: new Date().toISOString() })}\n`);
}
