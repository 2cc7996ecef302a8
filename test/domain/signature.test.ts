import fc from 'fast-check';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { isValidTwilioSignature, twilioSignature, type FormEntries } from '#lib/signature.ts';

/** twilio-node's parameter object for form entries: a repeated name becomes an array. */
function asTwilioParams(entries: FormEntries): Record<string, string | string[]> {
  // No prototype: names like `__proto__` or `valueOf` are plain keys, as in a parsed form.
  const params: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of entries) {
    const current = params[name];
    params[name] = current === undefined ? value : [...(Array.isArray(current) ? current : [current]), value];
  }
  return params;
}

const entries = fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 20 })), { maxLength: 12 });
const url = fc.webUrl({ withQueryParameters: true });

describe('X-Twilio-Signature', () => {
  it('reproduces the documented test vector', () => {
    const params: FormEntries = [
      ['CallSid', 'CA1234567890ABCDE'],
      ['Caller', '+12349013030'],
      ['Digits', '1234'],
      ['From', '+12349013030'],
      ['To', '+18005551212'],
    ];
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('equals the twilio package for any URL and parameters, repeated names included', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), url, entries, (token, u, params) => {
        expect(twilioSignature(token, u, params)).toBe(twilio.getExpectedTwilioSignature(token, u, asTwilioParams(params)));
      }),
    );
  });

  it('accepts exactly what twilio.validateRequest accepts, with and without the default port', () => {
    const ports = [
      'https://example.com/hook?a=1',
      'https://example.com:443/hook?a=1',
      'http://example.com/hook',
      'http://example.com:80/hook',
      'http://127.0.0.1:3000/hook',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...ports), fc.constantFrom(...ports), entries, (signedUrl, receivedUrl, params) => {
        const signature = twilio.getExpectedTwilioSignature('token', signedUrl, asTwilioParams(params));
        expect(isValidTwilioSignature('token', signature, receivedUrl, params)).toBe(
          twilio.validateRequest('token', signature, receivedUrl, asTwilioParams(params)),
        );
      }),
    );
  });

  it('rejects a tampered parameter, a wrong token and a signature of another URL', () => {
    const params: FormEntries = [
      ['ReservationSid', 'WR1'],
      ['TaskSid', 'WT1'],
    ];
    const good = twilio.getExpectedTwilioSignature('token', 'https://a.example/cb', asTwilioParams(params));
    expect(isValidTwilioSignature('token', good, 'https://a.example/cb', params)).toBe(true);
    expect(
      isValidTwilioSignature('token', good, 'https://a.example/cb', [
        ['ReservationSid', 'WR2'],
        ['TaskSid', 'WT1'],
      ]),
    ).toBe(false);
    expect(isValidTwilioSignature('other', good, 'https://a.example/cb', params)).toBe(false);
    expect(isValidTwilioSignature('token', good, 'https://a.example/cb?x=1', params)).toBe(false);
    expect(isValidTwilioSignature('token', '', 'https://a.example/cb', params)).toBe(false);
  });

  it('checks every piece of the query: a signed one padded with a thousand empty pieces and a parameter is refused', () => {
    const params: FormEntries = [['TaskSid', 'WT1']];
    const good = twilio.getExpectedTwilioSignature('token', 'https://a.example/cb?tenant=x', asTwilioParams(params));
    expect(isValidTwilioSignature('token', good, 'https://a.example/cb?tenant=x', params)).toBe(true);
    // node:querystring stops at 1,000 pieces unless told otherwise: the re-encoded query would lose the added parameter.
    expect(isValidTwilioSignature('token', good, `https://a.example/cb?tenant=x${'&'.repeat(999)}&ReservationTimeout=1`, params)).toBe(false);
  });
});
