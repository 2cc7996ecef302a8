/**
 * `npm run cost` in its quick mode, so that it cannot rot: it measures every operation against
 * DynamoDB Local (request units from ReturnConsumedCapacity), prices them, prints the table and
 * writes its JSON; recorded measurements priced again give the same table, to the cent, and a mix
 * flag changes what it should. The figures themselves are not judged here.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OPERATIONS, renderCost, type CostReport } from '../../bench/cost-model.ts';

const out = join(tmpdir(), `cost-smoke-${process.pid}.json`);
const again = join(tmpdir(), `cost-again-${process.pid}.json`);
afterAll(() => {
  rmSync(out, { force: true });
  rmSync(again, { force: true });
});

const cost = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'bench/cost.ts', ...args], { encoding: 'utf8', env: { ...process.env, POWERTOOLS_DEV: '' } });

describe('npm run cost -- --quick', () => {
  let report: CostReport;

  it('measures every operation on DynamoDB Local, prints the table and writes the report', { timeout: 180_000 }, () => {
    const run = cost('--quick', `--out=${out}`);
    expect(run.status, run.stderr).toBe(0);
    report = JSON.parse(readFileSync(out, 'utf8')) as CostReport;
    expect(run.stdout.split('\n\n')[0]).toBe(renderCost(report));
    const ops = report.measurements.operations;
    expect(Object.keys(ops).sort()).toEqual([...OPERATIONS].sort());
    for (const op of OPERATIONS) {
      expect(ops[op].ms, op).toBeGreaterThan(0);
      expect(ops[op].logBytes, op).toBeGreaterThan(0);
    }
    // What writes a task item is a record of the stream, whose events are stored (written) and sent on.
    for (const op of ['callback', 'accept', 'wrap up', 'complete', 'reject', 'timer: expired'] as const) {
      expect(ops[op].writeUnits, op).toBeGreaterThan(0);
      expect(ops[op].streamRecords, op).toBeGreaterThanOrEqual(1);
      expect(ops[op].published.events, op).toBeGreaterThanOrEqual(1);
      expect(ops[op].published.writeUnits, op).toBeGreaterThan(0);
    }
    // A repeated callback and a timer of an answered reservation write nothing.
    for (const op of ['callback repeat', 'timer: nothing to do'] as const) {
      expect(ops[op].writeUnits, op).toBe(0);
      expect(ops[op].streamRecords, op).toBe(0);
    }
    expect(report.measurements.eventCallback.ms).toBeGreaterThan(0);
    expect(report.lines.map((l) => l.item)).toHaveLength(10);
    expect(report.totalUsd).toBeGreaterThan(0);
  });

  it('prices recorded measurements again to the same table, and follows the mix', { timeout: 60_000 }, () => {
    const repeat = cost(`--from=${out}`, `--out=${again}`);
    expect(repeat.status, repeat.stderr).toBe(0);
    expect(repeat.stdout.split('\n\n')[0]).toBe(renderCost(report));
    const off = cost(`--from=${out}`, `--out=${again}`, '--callback-url=off', '--eventbridge=off');
    expect(off.status, off.stderr).toBe(0);
    const priced = JSON.parse(readFileSync(again, 'utf8')) as CostReport;
    const line = (r: CostReport, item: string) => r.lines.find((l) => l.item === item)!.usd;
    expect(line(priced, 'SQS (event callbacks)')).toBe(0);
    expect(line(priced, 'EventBridge events')).toBe(0);
    expect(priced.totalUsd).toBeLessThan(report.totalUsd);
    const bad = cost(`--from=${out}`, `--out=${again}`, '--rejections=0.9', '--timeouts=0.2');
    expect(bad.status).not.toBe(0);
    expect(bad.status).toBe(2);
    // One line saying what is wrong, and the flags: no stack trace.
    expect(bad.stderr).toMatch(/^npm run cost: rejections and timeouts are shares of reservations: together at most 1\nflags: --quick, /);
    expect(bad.stderr).not.toContain('    at ');
    const unknown = cost(`--from=${out}`, '--bogus=1');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^npm run cost: Unknown option '--bogus'\nflags: /);
    // Without --out, a what-if is printed and the recorded measurements stay as they were.
    const recorded = readFileSync(out, 'utf8');
    const whatIf = cost(`--from=${out}`, '--callback-url=off');
    expect(whatIf.status, whatIf.stderr).toBe(0);
    expect(whatIf.stdout).not.toContain('written to');
    expect(readFileSync(out, 'utf8')).toBe(recorded);
  });
});
