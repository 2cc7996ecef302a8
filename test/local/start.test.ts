/** `npm start` itself (and `npm run callback` beside it): what it prints, and never a real secret. */
import { execFile } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN, LOCAL_WORKSPACE_SID } from '#lib/config.ts';
import { callback } from '../support/fixtures.ts';
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
      // With an account of your own, callbacks name your workspaces: no local one offered.
      expect(real.output()).not.toContain(LOCAL_WORKSPACE_SID);
      expect(real.output()).toContain('/console   (sign in with the account SID and auth token below, and a workspace of yours)');
    } finally {
      await Promise.all([development.stop(), real.stop()]);
    }
  });

  it('npm run callback prints the development token in its curl commands, and a token of your own as $TWILIO_AUTH_TOKEN', async () => {
    const account = { TWILIO_ACCOUNT_SID: `AC${'5'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'real-token-7f3b9c2d1e' };
    const development = npmStart({});
    const real = npmStart(account);
    const callback = async (url: string, env: Record<string, string>) => {
      const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'callback', '--', '--url', url], {
        cwd: join(import.meta.dirname, '..', '..'),
        env: { PATH: process.env['PATH'], HOME: process.env['HOME'], AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      });
      return stdout;
    };
    try {
      const [developmentUrl, realUrl] = await Promise.all([development.listening, real.listening]);
      const printed = await callback(developmentUrl, {});
      expect(printed).toMatch(/→ 200 /);
      expect(printed).toContain(`fetch:   curl -u ${LOCAL_ACCOUNT_SID}:${LOCAL_AUTH_TOKEN} ${developmentUrl}/v1/Workspaces/${LOCAL_WORKSPACE_SID}/Tasks/`);
      // The workspace the banner opens the console on, unless told another.
      expect(printed).toContain(`console: ${developmentUrl}/console#/${LOCAL_WORKSPACE_SID}`);
      expect(development.output()).toContain(`console       ${developmentUrl}/console#/${LOCAL_WORKSPACE_SID}`);
      // Started on another port than 3000 (PORT=0), so the command names this stack's URL.
      expect(development.output()).toContain(`try it        npm run callback -- --url ${developmentUrl}   (in another terminal`);
      const own = await callback(realUrl, account);
      // Signed with the token (the stack answered 200), which the commands name but never print.
      expect(own).toMatch(/→ 200 /);
      expect(own).toContain(`accept:  curl -u ${account.TWILIO_ACCOUNT_SID}:"$TWILIO_AUTH_TOKEN" -d ReservationStatus=accepted `);
      expect(own).not.toContain(account.TWILIO_AUTH_TOKEN);
      // Signed with another token than the stack's: refused, so no commands for a reservation
      // that was never recorded, and an exit status that says so.
      const refused = await callback(developmentUrl, account).then(
        () => undefined,
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(refused?.code).toBe(1);
      expect(refused?.stdout).toBe('');
      expect(refused?.stderr).toMatch(/→ 403 .*Invalid X-Twilio-Signature/);
      expect(refused?.stderr).toContain('give this command the same PORT, PUBLIC_BASE_URL and TWILIO_AUTH_TOKEN as npm start');
    } finally {
      await Promise.all([development.stop(), real.stop()]);
    }
    // With no stack there (a port just freed): one line saying what to do, not a stack trace.
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as AddressInfo).port;
    await new Promise((resolve) => free.close(resolve));
    const failed = await callback(`http://127.0.0.1:${port}`, {}).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr.trim()).toBe(
      `No local stack answers at http://127.0.0.1:${port} (ECONNREFUSED): start it with npm start, or give its URL with --url (a stack on another PORT)`,
    );
  });

  it('stays quiet about metrics: no CloudWatch EMF documents on its output, which only CloudWatch reads', async () => {
    const started = npmStart({});
    try {
      const base = await started.listening;
      const c = callback({ AccountSid: LOCAL_ACCOUNT_SID });
      const url = `${base}/assignment-callback`;
      const answer = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Twilio-Signature': twilio.getExpectedTwilioSignature(LOCAL_AUTH_TOKEN, url, c.params),
        },
        body: new URLSearchParams(c.params),
      });
      expect(answer.status).toBe(200);
      // The request's own log line is out by now: its metrics would have been flushed before it.
      await expect.poll(() => started.output()).toContain('"route":"POST /assignment-callback"');
      expect(started.output()).not.toContain('"_aws"');
    } finally {
      await started.stop();
    }
  });
});
