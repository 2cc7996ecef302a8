/**
 * `npm run invoke` with the events of events/: the manifest's sequence in order on one data folder
 * (in process, through runInvoke), the events checked against what API Gateway and EventBridge
 * Scheduler send, and the CLI itself spawned for what only a process shows (stdout, exit status,
 * data kept between processes).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { APIGatewayProxyEventV2, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN } from '#lib/config.ts';
import { FUNCTIONS } from '#lib/functions.ts';
import { matchRoute } from '#lib/local/server.ts';
import { createScheduleInput } from '#lib/timeouts/eventbridge-scheduler.ts';
import { readCloudEvent, readKinesisData } from '#lib/upstream/upstream-event.ts';
import { parseInvocation, runInvoke, UsageError } from '../../scripts/invoke.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Step {
  readonly function: string;
  readonly event: string;
  readonly flags?: readonly string[];
  /** Variables this step sets beside the data folder. */
  readonly env?: Readonly<Record<string, string>>;
  readonly expect: Record<string, unknown>;
  readonly about: string;
}
const { sequence } = JSON.parse(readFileSync(join(ROOT, 'events', 'manifest.json'), 'utf8')) as { sequence: readonly Step[] };

const readEvent = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, unknown>;
const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'invoke-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
/** The configuration's defaults (the local credentials), whatever the developer's shell has set. */
const envWith = (dataDir: string) => ({ DATA_DIR: dataDir, INIT_CWD: ROOT });

/** What the handler returned, its JSON body parsed (the console's is HTML). */
function returned(result: unknown): Record<string, unknown> {
  const r = result as Record<string, unknown>;
  const type = (r['headers'] as Record<string, string> | undefined)?.['Content-Type'] ?? 'application/json';
  return typeof r['body'] === 'string' && r['body'] !== '' && type.startsWith('application/json') ? { ...r, body: JSON.parse(r['body']) } : r;
}

describe('events/manifest.json, in order, on one data folder', () => {
  const env = envWith(freshDir());
  for (const [i, step] of sequence.entries()) {
    it(`${i + 1}. ${step.function} ${step.event} ${(step.flags ?? []).join(' ')}: ${step.about}`, async () => {
      const outcome = await runInvoke([step.function, step.event, ...(step.flags ?? [])], { ...env, ...step.env });
      expect(outcome.messages.filter((m) => !m.startsWith(`${step.function}: `) && !m.startsWith('timer not kept') && !m.startsWith('SQS not called'))).toEqual(
        [],
      );
      expect(outcome.exitCode).toBe(0);
      expect(returned(outcome.result)).toMatchObject(step.expect);
    });
  }
});

describe('the events are what AWS sends', () => {
  const files = readdirSync(join(ROOT, 'events')).filter((f) => f.endsWith('.json') && f !== 'manifest.json');
  const basic = `Basic ${Buffer.from(`${LOCAL_ACCOUNT_SID}:${LOCAL_AUTH_TOKEN}`).toString('base64')}`;

  it('every function has an event in the sequence, and every event file is in it', () => {
    expect(new Set(sequence.map((s) => s.function))).toEqual(new Set(Object.keys(FUNCTIONS)));
    expect(new Set(sequence.map((s) => s.event))).toEqual(new Set(files.map((f) => `events/${f}`)));
  });

  const httpSteps = [...new Map(sequence.filter((s) => FUNCTIONS[s.function as keyof typeof FUNCTIONS].trigger === 'http').map((s) => [s.event, s])).values()];
  it.each(httpSteps)('$event: an API Gateway HTTP API payload 2.0 event of the route to $function', (step) => {
    const event = readEvent(step.event) as unknown as APIGatewayProxyEventV2;
    const { method, path } = event.requestContext.http;
    // Connected: every route is there, /event-callback's too.
    const route = matchRoute(method, event.rawPath, true);
    expect(event.version).toBe('2.0');
    expect(path).toBe(event.rawPath);
    expect({ fn: route.fn, routeKey: route.routeKey, pathParameters: route.pathParameters ?? {} }).toEqual({
      fn: step.function,
      routeKey: event.routeKey,
      // API Gateway leaves pathParameters out for a route without any.
      pathParameters: event.pathParameters ?? {},
    });
    expect(event.requestContext.routeKey).toBe(event.routeKey);
    expect(event.requestContext.stage).toBe('$default');
    expect(Object.keys(event.headers).filter((name) => name !== name.toLowerCase())).toEqual([]);
    const query = Object.fromEntries(new URLSearchParams(event.rawQueryString));
    expect(event.queryStringParameters ?? {}).toEqual(query);
    if (method === 'POST') {
      // HTTP API base64-encodes form bodies.
      const body = Buffer.from(event.body!, 'base64');
      expect(event.isBase64Encoded).toBe(true);
      expect(event.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(Number(event.headers['content-length'])).toBe(body.length);
      expect(body.toString('base64')).toBe(event.body);
    } else {
      expect(event.body).toBeUndefined();
    }
    // TaskRouter signs instead; a browser opening the console sends none; a REST client (even on an unknown path) sends its credentials.
    expect(event.headers['authorization']).toBe(
      ['assignment-callback', 'mirror-event-callbacks', 'health', 'console'].includes(step.function) ? undefined : basic,
    );
  });

  it('event-streams.json is a Kinesis event whose record holds, base64, a TaskRouter CloudEvent the mirror applies', () => {
    const event = readEvent('events/mirror-event-streams.json') as unknown as KinesisStreamEvent;
    const [record] = event.Records;
    expect(event.Records).toHaveLength(1);
    expect(record).toMatchObject({
      eventSource: 'aws:kinesis',
      eventName: 'aws:kinesis:record',
      eventID: `shardId-000000000000:${record!.kinesis.sequenceNumber}`,
    });
    const read = readKinesisData(record!.kinesis.data);
    expect('events' in read && read.events.map(readCloudEvent)).toEqual([
      expect.objectContaining({
        kind: 'mirror',
        id: 'EVf55190719663fc254f715d0a7c795525',
        event: expect.objectContaining({ type: 'reservation.accepted', accountSid: LOCAL_ACCOUNT_SID }),
      }),
    ]);
  });

  it('reservation-timeout.json is exactly the Input of the EventBridge schedule armed for that reservation', () => {
    const event = readEvent('events/reservation-timeout.json');
    const timer = { ...(event as { accountSid: string; workspaceSid: string; taskSid: string; reservationSid: string }), deadline: Date.now() };
    const input = createScheduleInput({ groupName: 'g', functionArn: 'arn:f', roleArn: 'arn:r', deadLetterQueueArn: 'arn:q' }, timer).Target!.Input!;
    expect(JSON.parse(input)).toEqual(event);
  });
});

describe('runInvoke', () => {
  it('answers 2 with a message for an unknown function, a missing or invalid event file, a bad flag', async () => {
    const bad = join(freshDir(), 'bad.json');
    writeFileSync(bad, '{ not json');
    const cases: [string[], string][] = [
      [['get-reservations', 'events/get-reservation.json'], 'unknown function "get-reservations"'],
      [['get-task', 'events/no-such-event.json'], 'cannot read the event file events/no-such-event.json'],
      [['get-task', bad], `the event file ${bad} is not JSON`],
      [
        ['get-task', 'events/reservation-timeout.json'],
        'is not an API Gateway HTTP API (payload 2.0) event: it lacks version "2.0", rawPath, requestContext.http.method',
      ],
      [['get-task', 'events/get-task.json', '--at', 'soon'], '--at: expected an ISO 8601 time'],
      [['get-task'], 'expected a function and an event file'],
    ];
    for (const [argv, message] of cases) {
      const outcome = await runInvoke(argv, envWith(freshDir()));
      expect(outcome).toMatchObject({ exitCode: 2, messages: [expect.stringContaining(message)] });
    }
  });

  it('--fresh empties the data folder, and refuses one that is not the engine’s', async () => {
    const dataDir = freshDir();
    expect((await runInvoke(['assignment-callback', 'events/assignment-callback.json'], envWith(dataDir))).result).toMatchObject({ statusCode: 200 });
    expect((await runInvoke(['get-reservation', 'events/get-reservation.json'], envWith(dataDir))).result).toMatchObject({ statusCode: 200 });
    expect((await runInvoke(['get-reservation', 'events/get-reservation.json', '--fresh'], envWith(dataDir))).result).toMatchObject({ statusCode: 404 });

    const other = freshDir();
    writeFileSync(join(other, 'notes.txt'), 'mine');
    const outcome = await runInvoke(['health', 'events/health.json', '--fresh'], envWith(other));
    expect(outcome).toMatchObject({ exitCode: 2, messages: [expect.stringContaining("holds files that are not the embedded engine's")] });
    expect(existsSync(join(other, 'notes.txt'))).toBe(true);
  });

  it('--at takes an ISO time, epoch milliseconds or an offset from now', () => {
    const now = Date.UTC(2025, 0, 15, 10);
    const at = (value: string) => parseInvocation(['health', 'events/health.json', '--at', value], now).at;
    expect(at('2025-01-15T10:05:00Z')).toBe(now + 300_000);
    expect(at(String(now))).toBe(now);
    expect(at('+90s')).toBe(now + 90_000);
    expect(at('+5m')).toBe(now + 300_000);
    expect(at('+2h')).toBe(now + 7_200_000);
    expect(() => at('-5m')).toThrow(UsageError);
  });
});

describe('the CLI', () => {
  const run = promisify(execFile);
  // Only what node needs: the configuration comes from its defaults, not from the developer's shell.
  const processEnv = Object.fromEntries(['PATH', 'HOME', 'TMPDIR'].flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
  const invoke = (args: string[], dataDir: string) =>
    run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'invoke.ts'), ...args], { cwd: ROOT, env: { ...processEnv, DATA_DIR: dataDir } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('prints the result alone on stdout and the logs on stderr; a later process reads what an earlier one stored', async () => {
    const dataDir = freshDir();
    expect((await runInvoke(['assignment-callback', 'events/assignment-callback.json'], envWith(dataDir))).exitCode).toBe(0);
    const { code, stdout, stderr } = await invoke(['get-reservation', 'events/get-reservation.json'], dataDir);
    expect(code).toBe(0);
    expect(returned(JSON.parse(stdout))).toMatchObject({ statusCode: 200, headers: { ETag: '"1"' }, body: { reservation_status: 'pending' } });
    expect(stderr).toContain('"message":"request"');
    expect(stderr).toMatch(/^get-reservation: 200 in \d+ ms$/m);
  });

  it('exits 2 with a message, and nothing on stdout, for an unknown function', async () => {
    const { code, stdout, stderr } = await invoke(['get-everything', 'events/health.json'], freshDir());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('unknown function "get-everything"; one of: assignment-callback,');
  });
});
