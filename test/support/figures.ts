/**
 * Figures the reliability tests reach (requests fuzzed, races run, faults injected, crash points
 * replayed), appended to test/.out/reliability.jsonl for the README's Reliability section.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const OUT = join(import.meta.dirname, '..', '.out');

/** The test project that reached it, when not the engine tier's (vitest.config.ts sets it). */
const PROJECT = process.env['TEST_PROJECT'] ?? '';

export function recordFigure(figure: string, value: number, detail = ''): void {
  mkdirSync(OUT, { recursive: true });
  const where = PROJECT ? `${detail} (${PROJECT})` : detail;
  appendFileSync(join(OUT, 'reliability.jsonl'), `${JSON.stringify({ figure, value, detail: where, at: new Date().toISOString() })}\n`);
}
