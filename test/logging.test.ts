/** Logs never carry PII in clear (SPEC §9): what the logger itself does with sensitive keys. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PARAMETERS } from '#lib/domain/parameters.ts';
import { REDACTED, SENSITIVE_KEYS, createLogger } from '#lib/logging.ts';
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
      expect(SENSITIVE_KEYS.has(p.name.toLowerCase())).toBe(true);
      expect(SENSITIVE_KEYS.has(p.callbackKey!.toLowerCase())).toBe(true);
    }
    expect(SENSITIVE_KEYS.has('reservationsid')).toBe(false);
  });
});

describe('the run’s log scan', () => {
  it('finds a planted value in a line, so a leak would fail the run', () => {
    expect(plantedIn(`{"message":"request","to":"${PLANTED_PII[1]}"}`)).toEqual([PLANTED_PII[1]]);
    expect(plantedIn('{"message":"request","route":"GET /health"}')).toEqual([]);
  });
});
