/**
 * Assignment policies through the local stack: the callback answers the rendered instruction,
 * after applying its effect; a repeat answers the same; a bad policy stops the start-up.
 */
import twilio from 'twilio';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '#lib/config.ts';
import type { LocalStack } from '#lib/local/server.ts';
import { AUTH_TOKEN, assign, basicAuth, callback, postCallback, startStack, type CallbackFixture } from '../support/fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const policy = (name: string) => join(ROOT, 'policies', name);

async function read(stack: LocalStack, path: string) {
  const response = await fetch(`${stack.url}${path}`, { headers: basicAuth() });
  return { etag: response.headers.get('etag'), body: (await response.json()) as Record<string, unknown> };
}
const reservationOf = (stack: LocalStack, a: CallbackFixture) =>
  read(stack, `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`);
const taskOf = (stack: LocalStack, a: CallbackFixture) => read(stack, `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}`);

describe('voice-conference.json', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startStack({ ASSIGNMENT_POLICY: policy('voice-conference.json') });
  });
  afterAll(() => stack.close());

  it('answers a voice task with the conference instruction, already applied, and the same on a repeat', async () => {
    const a = await assign(stack, { TaskAttributes: JSON.stringify({ type: 'voice', from: '+14155550100' }) });
    expect(a.answer).toEqual({
      instruction: 'conference',
      from: '+14155550100',
      timeout: 20,
      end_conference_on_exit: true,
      status_callback_event: 'initiated,ringing,answered,completed',
    });
    const before = await reservationOf(stack, a);
    expect(before.body['reservation_status']).toBe('accepted');
    expect((await taskOf(stack, a)).body['assignment_status']).toBe('assigned');
    const repeat = await postCallback(stack, a.params);
    expect(await repeat.json()).toEqual(a.answer);
    expect(await reservationOf(stack, a)).toEqual(before);
  });

  it('answers 200 {} (no match), never a 5xx, for task attributes nested 8,000 levels deep under the tested one', async () => {
    // A JSON body (signed through bodySHA256) fits 8,000 levels of objects (56 KB) under the 64 KiB limit.
    const fixture = callback({ TaskAttributes: `{"type":${'{"a":'.repeat(8_000)}1${'}'.repeat(8_000)},"from":"+14155550100"}` });
    const body = JSON.stringify(fixture.params);
    const url = `${stack.url}/assignment-callback?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
    const send = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, {}) },
        body,
      });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({});
    expect((await reservationOf(stack, fixture)).body['reservation_status']).toBe('pending');
    // The fallback URL's repeat gets the same answer.
    expect(await (await send()).json()).toEqual({});
  });

  it('leaves other tasks pending with {}', async () => {
    const a = await assign(stack, { TaskAttributes: JSON.stringify({ type: 'chat' }) });
    expect(a.answer).toEqual({});
    expect((await reservationOf(stack, a)).body['reservation_status']).toBe('pending');
  });

  it('gives no instruction for a second reservation of a task already accepted; it reads rescinded', async () => {
    const voice = JSON.stringify({ type: 'voice', from: '+14155550100' });
    const first = await assign(stack, { TaskAttributes: voice });
    const second = await assign(stack, { TaskAttributes: voice, WorkspaceSid: first.workspaceSid, TaskSid: first.taskSid });
    expect(second.answer).toEqual({});
    expect((await reservationOf(stack, second)).body['reservation_status']).toBe('rescinded');
  });
});

describe('require-skill.json', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startStack({ ASSIGNMENT_POLICY: policy('require-skill.json') });
  });
  afterAll(() => stack.close());

  it('rejects a worker lacking the skill (the task is pending again) and accepts one who has it', async () => {
    const task = JSON.stringify({ required_skill: 'spanish' });
    const lacking = await assign(stack, { TaskAttributes: task, WorkerAttributes: JSON.stringify({ skills: ['english'] }) });
    expect(lacking.answer).toEqual({ instruction: 'reject' });
    expect((await reservationOf(stack, lacking)).body['reservation_status']).toBe('rejected');
    expect((await taskOf(stack, lacking)).body['assignment_status']).toBe('pending');

    const skilled = await assign(stack, {
      TaskAttributes: task,
      WorkerAttributes: JSON.stringify({ skills: ['spanish'] }),
      WorkspaceSid: lacking.workspaceSid,
      TaskSid: lacking.taskSid,
    });
    expect(skilled.answer).toEqual({ instruction: 'accept' });
    expect((await reservationOf(stack, skilled)).body['reservation_status']).toBe('accepted');
    expect((await taskOf(stack, skilled)).body['assignment_status']).toBe('assigned');
  });
});

describe('vip-call.json', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startStack({ ASSIGNMENT_POLICY: policy('vip-call.json') });
  });
  afterAll(() => stack.close());

  it('calls and accepts in the VIP queue, calling the worker at its contact_uri', async () => {
    const a = await assign(stack, { TaskQueueSid: `WQ${'f'.repeat(32)}` });
    expect(a.answer).toMatchObject({ instruction: 'call', accept: true, url: 'https://example.com/twiml/vip-agent' });
    expect((await reservationOf(stack, a)).body['reservation_status']).toBe('accepted');
  });
});

describe('an invalid policy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.json');
  writeFileSync(
    bad,
    JSON.stringify({
      rules: [
        { name: 'ok', instruction: { instruction: 'accept' } },
        { name: 'vip', instruction: { instruction: 'call', from: '+1', url: 'not a url' } },
      ],
    }),
  );

  it('stops the start-up with a message naming the variable, the rule and the field', async () => {
    await expect(startStack({ ASSIGNMENT_POLICY: bad })).rejects.toThrow(ConfigError);
    await expect(startStack({ ASSIGNMENT_POLICY: bad })).rejects.toThrow('rule 2 ("vip"): instruction.url must be an absolute http or https URL');
  });

  it('makes `npm start` exit with status 2 and say why', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'lib', 'local', 'main.ts')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', ASSIGNMENT_POLICY: bad },
    });
    const failure = await run.then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain(`Invalid configuration: ASSIGNMENT_POLICY ${bad}: rule 2 ("vip"): instruction.url`);
  });
});
