/** `npm start` itself: what it prints, and never a real secret. */
import { describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN } from '#lib/config.ts';
import { npmStart } from '../support/npm-start.ts';

describe('npm start', () => {
  it('prints the built-in development token, and never a real one', async () => {
    const development = npmStart({});
    const real = npmStart({
      TWILIO_ACCOUNT_SID: `AC${'5'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'real-token-7f3b9c2d1e',
      TWILIO_ACCOUNTS: `AC${'6'.repeat(32)}:second-token-4a8e`,
    });
    try {
      await Promise.all([development.listening, real.listening]);
      expect(development.output()).toContain(`account SID   ${LOCAL_ACCOUNT_SID}`);
      expect(development.output()).toContain(`auth token    ${LOCAL_AUTH_TOKEN}`);
      expect(real.output()).toContain(`account SID   AC${'5'.repeat(32)}`);
      expect(real.output()).toContain('auth token    (set by TWILIO_AUTH_TOKEN; not shown)');
      expect(real.output()).not.toContain('real-token-7f3b9c2d1e');
      expect(real.output()).not.toContain('second-token-4a8e');
    } finally {
      await Promise.all([development.stop(), real.stop()]);
    }
  });
});
