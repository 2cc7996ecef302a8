/**
 * The benchmark harness with tiny counts, so that it cannot rot: every figure of the benchmark is
 * measured and reported. Its ratios are not judged here (a handful of requests on a busy test
 * machine say nothing); `npm run bench` judges them. The store-call counts are exact, so they are.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTable, runBench, type BenchResults } from '../../bench/run.ts';
import { FUNCTIONS } from '#lib/functions.ts';
import { chooseChromium } from '../support/browser.ts';

describe('npm run bench -- --quick', () => {
  let results: BenchResults;

  it('measures every figure of the benchmark', { timeout: 240_000 }, async () => {
    results = await runBench({ quick: true, only: ['in-process', 'store-calls', 'http', 'cold', 'console', 'overview', 'statistics'] });
    const figures = results.rows.map((row) => row.figure);
    expect(figures).toEqual(
      expect.arrayContaining([
        'assignment callback in-process / bare store calls',
        'HTTP signed callbacks per second: stack / bare server',
        'HTTP accepts per second: stack / bare server',
        'cold start: node importing the callback bundle / node bare',
        'cold start to first answer: callback bundle (its own AWS clients), deployed environment / minimal function making the same calls with the AWS SDK',
        'store calls: callback',
        'store calls: accept',
        'store calls: reject',
        'store calls: fetch',
        'store calls: list page',
        'store calls: list page, worker-scoped',
        ...Object.keys(FUNCTIONS).map((name) => `bundle size: ${name}`),
        'console: first render of a worker with 200 reservations',
        'console: page weight',
        'console overview: first render of a workspace with 10 workers and 40 reservations today',
        'statistics: a 30-day cumulative read / a 15-minute one, 2000 events',
        'statistics: events per second with STATISTICS=on / off',
      ]),
    );
    for (const render of results.rows.filter((row) => row.figure.startsWith('console: first render') || row.figure.startsWith('console overview:'))) {
      expect(Number(/^(\d+) ms/.exec(render.measured)?.[1]), render.figure).toBeGreaterThan(0);
      // Measured in the headless shell where there is one, with the tests' other Chromium beside it.
      if (render.detail?.includes('(npm ') && chooseChromium().source !== 'npm')
        expect(render.detail, render.figure).toMatch(/the full browser, on the same stack: \d+ ms/);
    }
    for (const row of results.rows.filter((r) => r.ratio)) {
      expect(row.ratio!.median, row.figure).toBeGreaterThan(0);
      expect(Number.isFinite(row.ratio!.median), row.figure).toBe(true);
    }
  });

  it('holds the store-call budgets, the bundle size limit and the page weight (exact, whatever the machine)', () => {
    const exact = results.rows.filter(
      (row) => row.figure.startsWith('store calls:') || row.figure.startsWith('bundle size:') || row.figure === 'console: page weight',
    );
    expect(exact.length).toBeGreaterThan(Object.keys(FUNCTIONS).length);
    expect(exact.filter((row) => !row.pass)).toEqual([]);
    expect(results.rows.find((row) => row.figure === 'store calls: callback')!.measured).toBe('2 writes + 1 schedule');
    expect(results.rows.find((row) => row.figure === 'store calls: accept')!.measured).toBe('1 write');
  });

  it('prints the table and writes results.json from the command line', { timeout: 120_000 }, async () => {
    const out = join(tmpdir(), `bench-smoke-${process.pid}.json`);
    try {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--only=store-calls', `--out=${out}`], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('| store calls: accept | 1 write | <= 2 writes | yes |');
      const saved = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
      expect(saved.pass).toBe(true);
      expect(saved.machine.cpus).toBeGreaterThan(0);
      expect(Date.parse(saved.date)).not.toBeNaN();
      expect(renderTable(saved)).toBe(run.stdout.split('\n\n')[0]);
    } finally {
      rmSync(out, { force: true });
    }
  });

  it('refuses an unknown figure', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--only=warp'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown figure(s) warp');
  });
});
