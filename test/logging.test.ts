/** Logs never carry PII in clear: what the logger itself does with sensitive keys. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { notFound } from '#functions/not-found.ts';
import { loadConfig } from '#lib/config.ts';
import { FIELDS, fieldKey, snakeCase } from '#lib/domain/fields.ts';
import { PARAMETERS } from '#lib/domain/parameters.ts';
import { localLambdaContext } from '#lib/local/lambda-context.ts';
import { toApiGatewayEvent } from '#lib/local/server.ts';
import { REDACTED, SENSITIVE_KEYS, createLogger } from '#lib/logging.ts';
import { createRuntime } from '#lib/runtime.ts';
import { basicAuth, startStack } from './support/fixtures.ts';
import { PLANTED_PII, plantedIn } from './support/pii.ts';

afterEach(() => vi.restoreAllMocks());

function captured(log: () => void): string {
  const lines: string[] = [];
  for (const method of ['info', 'warn', 'error', 'debug', 'log'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
  }
  log();
  return lines.join('\n');
}

describe('the logger', () => {
  it('redacts every PII parameter, attributes, contact URIs, credentials and signatures, wherever they sit', () => {
    const pii: Record<string, string> = {};
    for (const p of PARAMETERS.filter((p) => p.pii)) {
      pii[p.name] = '+14155550100';
      pii[p.callbackKey!] = 'client:alice';
    }
    const output = captured(() =>
      createLogger().warn('request', {
        route: 'POST /assignment-callback',
        params: pii,
        nested: { deeper: [{ contact_uri: 'client:doug', TaskAttributes: '{"customer":"pii-attribute-7c3e"}', attributes: { email: 'pii-attribute-7c3e' } }] },
        headers: { Authorization: 'Basic bm90LXRoZS10b2tlbg==', 'X-Twilio-Signature': 'sig', authToken: 'not-the-token', password: 'not-the-token' },
      }),
    );
    expect(plantedIn(output)).toEqual([]);
    expect(output).toContain(REDACTED);
    expect(output).toContain('POST /assignment-callback');
  });

  it('knows every parameter the table marks PII, by wire name and callback key', () => {
    for (const p of PARAMETERS.filter((p) => p.pii)) {
      expect(SENSITIVE_KEYS.has(fieldKey(p.name))).toBe(true);
      expect(SENSITIVE_KEYS.has(fieldKey(p.callbackKey!))).toBe(true);
    }
    expect(SENSITIVE_KEYS.has(fieldKey('reservationSid'))).toBe(false);
  });

  it('redacts every field the registry marks PII in every spelling: PascalCase, camelCase, snake_case', () => {
    const pii = Object.entries(FIELDS)
      .filter(([, spec]) => spec.pii)
      .map(([name]) => name);
    expect(pii).toEqual(expect.arrayContaining(['TaskAttributes', 'WorkerAttributes', 'WorkerName', 'EventDescription']));
    const item: Record<string, string> = {};
    for (const name of pii) {
      item[name] = 'pii-attribute-7c3e';
      item[name[0]!.toLowerCase() + name.slice(1)] = 'client:alice';
      item[snakeCase(name)] = '+14155550100';
    }
    const output = captured(() => createLogger().info('event', { event_data: item, eventSid: `EV${'0'.repeat(32)}` }));
    expect(plantedIn(output)).toEqual([]);
    expect(output).toContain('task_attributes');
    expect(output).toContain(`EV${'0'.repeat(32)}`);
  });

  it('logs a SID from the path only once it is a SID: a phone number or a name typed there never reaches the logs', async () => {
    const stack = await startStack();
    try {
      const lines: string[] = [];
      for (const method of ['info', 'warn', 'error', 'debug', 'log'] as const)
        vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
      const base = `/v1/Workspaces/WS${'1'.repeat(32)}/Tasks/WT${'2'.repeat(32)}/Reservations`;
      for (const segment of ['%2B15559876543%20Jane%20Doe', `WR${'3'.repeat(32)}`]) {
        expect((await fetch(`${stack.url}${base}/${segment}`, { headers: basicAuth() })).status).toBe(404);
      }
      const output = lines.join('\n');
      expect(output).not.toContain('15559876543');
      expect(output).not.toContain('Jane Doe');
      expect(output).toContain(`WR${'3'.repeat(32)}`);
    } finally {
      await stack.close();
    }
  });

  it('never logs the whole event, even with POWERTOOLS_LOGGER_LOG_EVENT=true', async () => {
    const body = Buffer.from('To=%2B14155550100&From=client%3Aalice').toString('base64');
    vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'true');
    const runtime = createRuntime(loadConfig({}, 'local'), { logger: createLogger() });
    try {
      const handler = notFound.createHandler(runtime);
      const event = toApiGatewayEvent(
        {
          method: 'POST',
          target: '/nowhere',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: Buffer.from('To=%2B14155550100'),
          sourceIp: '203.0.113.9',
        },
        false,
      ).event;
      const lines: string[] = [];
      for (const method of ['info', 'warn', 'error', 'debug', 'log'] as const)
        vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
      const response = await handler({ ...event, body, isBase64Encoded: true }, localLambdaContext('not-found', 3));
      expect(response.statusCode).toBe(404);
      const output = lines.join('\n');
      expect(output).toMatch(/"message": ?"request"/);
      expect(output).not.toContain(body);
      expect(output).not.toContain('203.0.113.9');
      expect(output).not.toContain('rawPath');
    } finally {
      vi.unstubAllEnvs();
      runtime.close();
    }
  });
});

describe('the run’s log scan', () => {
  it('finds a planted value in a line, so a leak would fail the run', () => {
    expect(plantedIn(`{"message":"request","to":"${PLANTED_PII[1]}"}`)).toEqual([PLANTED_PII[1]]);
    expect(plantedIn('{"message":"request","route":"GET /health"}')).toEqual([]);
  });
});
