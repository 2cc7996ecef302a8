/**
 * The wrap-up timer on the local stack: reservations wrap up under a rule with a one-second limit,
 * and for each the bench measures how long after its deadline the completion is written down (the
 * stored record says completed), and whether a read made at the deadline already shows it
 * completed (exact completion: the record's deadline, not the timer, decides what reads say).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findReservation } from '#lib/domain/task.ts';
import { startLocalStack } from '#lib/local/server.ts';
import { LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN } from '#lib/config.ts';
import { twilioSignature } from '#lib/signature.ts';
import { assignment, basicAuthHeader } from './events.ts';
import { ratioOf, type Ratio } from './stats.ts';

export interface WrapUpResult {
  /** Milliseconds from the deadline to the stored completion, per reservation. */
  readonly lagMs: Ratio;
  readonly reservations: number;
  /** Of the reads made at the deadline, how many showed completed (and how many were made before the timer's write). */
  readonly readsCompleted: number;
  readonly readsAtDeadline: number;
  readonly readsBeforeWrite: number;
}

const WRAP_UP_SECONDS = 1;

export async function measureWrapUp(options: { readonly reservations: number }): Promise<WrapUpResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrap-up-'));
  const policy = join(dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ rules: [], lifecycle: [{ name: 'all', wrapUpSeconds: WRAP_UP_SECONDS }] }));
  // Quiet: a line per request would drown the table.
  const stack = await startLocalStack({ PORT: '0', ASSIGNMENT_POLICY: policy }, { logger: new Logger({ logLevel: 'SILENT' }) });
  const auth = { ...basicAuthHeader(LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN), 'content-type': 'application/x-www-form-urlencoded' };
  try {
    const lags: number[] = [];
    let readsCompleted = 0;
    let readsAtDeadline = 0;
    let readsBeforeWrite = 0;
    const one = async () => {
      const a = assignment(LOCAL_ACCOUNT_SID);
      const callbackUrl = `${stack.url}/assignment-callback`;
      const signature = twilioSignature(LOCAL_AUTH_TOKEN, callbackUrl, Object.entries(a.params));
      await fetch(callbackUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(a.params),
      });
      const path = `/v1/Workspaces/${a.sids.workspace}/Tasks/${a.sids.task}/Reservations/${a.sids.reservation}`;
      for (const status of ['accepted', 'wrapping']) {
        const response = await fetch(`${stack.url}${path}`, { method: 'POST', headers: auth, body: `ReservationStatus=${status}` });
        if (response.status !== 200) throw new Error(`${status}: ${response.status} ${await response.text()}`);
      }
      const scope = { accountSid: LOCAL_ACCOUNT_SID, workspaceSid: a.sids.workspace, taskSid: a.sids.task };
      const storedTask = async () => (await stack.runtime.stores.tasks.getTask(scope))!;
      const stored = async () => findReservation(await storedTask(), a.sids.reservation)!;
      const deadline = (await stored()).wrapUpDeadline!;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())));
      // At the deadline: a read says completed, whether or not the timer has written it yet.
      const [read, record] = await Promise.all([
        fetch(`${stack.url}${path}`, { headers: auth }).then((r) => r.json() as Promise<{ reservation_status: string }>),
        stored(),
      ]);
      readsAtDeadline++;
      if (read.reservation_status === 'completed') readsCompleted++;
      if (record.status !== 'completed') readsBeforeWrite++;
      for (;;) {
        const task = await storedTask();
        // The task item's write time says when the timer wrote it down, however late this loop looks.
        if (findReservation(task, a.sids.reservation)!.status === 'completed') {
          lags.push(task.writtenAt - deadline);
          break;
        }
        if (Date.now() - deadline > 10_000) throw new Error(`wrap-up not written down within 10 s: ${JSON.stringify(await stored())}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    // In waves of ten at once: timers of many reservations fire together, as on a busy floor.
    for (let i = 0; i < options.reservations; i += 10) await Promise.all(Array.from({ length: Math.min(10, options.reservations - i) }, one));
    return { lagMs: ratioOf(lags), reservations: lags.length, readsCompleted, readsAtDeadline, readsBeforeWrite };
  } finally {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
