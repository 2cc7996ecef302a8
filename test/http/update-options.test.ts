/**
 * Every option of the twilio SDK's ReservationContextUpdateOptions, sent by the SDK itself to
 * the local stack: a valid value is taken (with the effect its instruction has), an invalid one is
 * a RestException 400 that names the parameter and changes nothing.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTRUCTIONS } from '#lib/domain/instructions.ts';
import { PARAMETER_BY_NAME, type ParameterSpec, type ParameterType } from '#lib/domain/parameters.ts';
import type { LocalStack } from '#lib/local/server.ts';
import { assign, sid, startStack, twilioClient, type CallbackFixture } from '../support/fixtures.ts';

/** The option names the installed SDK declares for an update, read from its type declarations. */
function sdkUpdateOptions(scope: 'task' | 'worker'): string[] {
  const file = join(
    createRequire(import.meta.url).resolve('twilio/package.json'),
    '..',
    'lib',
    'rest',
    'taskrouter',
    'v1',
    'workspace',
    scope,
    'reservation.d.ts',
  );
  const declaration = /export interface ReservationContextUpdateOptions \{([\s\S]*?)\n\}/.exec(readFileSync(file, 'utf8'))![1]!;
  return [...declaration.matchAll(/^\s+"?(\w+)"?\??:/gm)].map((m) => m[1]!);
}

const wireName = (option: string) => option[0]!.toUpperCase() + option.slice(1);

/** A valid value as an SDK caller passes it (booleans, numbers and arrays as themselves). */
function validValue(type: ParameterType): unknown {
  switch (type.kind) {
    case 'string':
      return 'client:alice';
    case 'integer':
      return type.max;
    case 'boolean':
      return true;
    case 'sid':
      return `${type.prefix}${'a'.repeat(32)}`;
    case 'url':
      return 'https://example.com/twiml';
    case 'enum':
      return type.values.at(-1);
    case 'list':
      return [...type.values];
  }
}

const INVALID: Record<ParameterType['kind'], unknown> = {
  string: '',
  integer: 1_000_000,
  boolean: 'maybe',
  sid: 'XX123',
  url: 'not-a-url',
  enum: 'bogus',
  list: ['bogus'],
};

let stack: LocalStack;
let client: ReturnType<typeof twilioClient>;
beforeAll(async () => {
  stack = await startStack();
  client = twilioClient(stack);
});
afterAll(() => stack.close());

/** What both SDK reservation contexts offer (their option types differ only by the supervise ones). */
interface ReservationContext {
  update(options: object): Promise<{ reservationStatus: string }>;
  fetch(): Promise<{ reservationStatus: string }>;
}

function context(a: CallbackFixture, scope: 'task' | 'worker'): ReservationContext {
  const workspace = client.taskrouter.v1.workspaces(a.workspaceSid);
  return (
    scope === 'task' ? workspace.tasks(a.taskSid).reservations(a.reservationSid) : workspace.workers(a.workerSid).reservations(a.reservationSid)
  ) as ReservationContext;
}

/** An update that uses `spec` validly, and the status it leaves the reservation in. */
function scenario(spec: ParameterSpec, value: unknown): { before?: Record<string, unknown>; options: Record<string, unknown>; status: string } {
  const option = spec.name[0]!.toLowerCase() + spec.name.slice(1);
  if (spec.name === 'ReservationStatus') return { options: { reservationStatus: 'accepted' }, status: 'accepted' };
  if (spec.name === 'Instruction') return { options: { instruction: 'conference' }, status: 'accepted' };
  const instruction = spec.instruction!;
  if (instruction === 'reject') return { options: { reservationStatus: 'rejected', [option]: value }, status: 'rejected' };
  const options: Record<string, unknown> = { instruction };
  for (const required of INSTRUCTIONS[instruction].required ?? []) {
    options[required[0]!.toLowerCase() + required.slice(1)] = validValue(PARAMETER_BY_NAME.get(required)!.type);
  }
  options[option] = value;
  const instructionSpec = INSTRUCTIONS[instruction];
  const accepts =
    instructionSpec.transition === 'accept' ||
    (instructionSpec.acceptWith !== undefined && options[instructionSpec.acceptWith[0]!.toLowerCase() + instructionSpec.acceptWith.slice(1)] === true);
  if (instruction === 'supervise') return { before: { reservationStatus: 'accepted' }, options, status: 'accepted' };
  return { options, status: accepts ? 'accepted' : 'pending' };
}

const taskOptions = sdkUpdateOptions('task');
const workerOptions = sdkUpdateOptions('worker');

it('the SDK’s update options are exactly our parameters, plus If-Match', () => {
  expect(taskOptions).toHaveLength(55);
  expect(
    taskOptions
      .filter((o) => o !== 'ifMatch')
      .map(wireName)
      .sort(),
  ).toEqual([...PARAMETER_BY_NAME.keys()].sort());
  expect(
    workerOptions
      .filter((o) => o !== 'ifMatch')
      .map(wireName)
      .sort(),
  ).toEqual(
    [...PARAMETER_BY_NAME.values()]
      .filter((p) => !p.taskScopeOnly)
      .map((p) => p.name)
      .sort(),
  );
});

describe.each(['task', 'worker'] as const)('%s-scoped', (scope) => {
  const options = (scope === 'task' ? taskOptions : workerOptions).filter((o) => o !== 'ifMatch');

  it.each(options)('%s: a valid value is taken with its instruction’s effect', async (option) => {
    const spec = PARAMETER_BY_NAME.get(wireName(option))!;
    const { before, options: update, status } = scenario(spec, validValue(spec.type));
    const a = await assign(stack);
    if (before) await context(a, scope).update(before);
    const updated = await context(a, scope).update(update);
    expect(updated.reservationStatus).toBe(status);
  });

  it.each(options)('%s: an invalid value is a 400 naming it, and nothing changes', async (option) => {
    const spec = PARAMETER_BY_NAME.get(wireName(option))!;
    const { options: update } = scenario(spec, INVALID[spec.type.kind]);
    const a = await assign(stack);
    const bad = spec.name === 'ReservationStatus' || spec.name === 'Instruction' ? { [option]: 'bogus' } : update;
    const error = await context(a, scope)
      .update(bad)
      .then(
        () => undefined,
        (e: unknown) => e as { status: number; code: number; message: string },
      );
    expect(error).toMatchObject({ status: 400, code: 20001 });
    expect(error!.message).toContain(spec.name);
    const after = await context(a, scope).fetch();
    expect(after.reservationStatus).toBe('pending');
  });
});

describe('documented refusals', () => {
  it('If-Match: a stale ETag is a 412, the current one is taken', async () => {
    const a = await assign(stack);
    await expect(context(a, 'task').update({ reservationStatus: 'accepted', ifMatch: '"2"' })).rejects.toMatchObject({ status: 412, code: 20412 });
    await expect(context(a, 'worker').update({ reservationStatus: 'accepted', ifMatch: '"1"' })).resolves.toMatchObject({ reservationStatus: 'accepted' });
    // More entity tags than one condition can compare: Twilio's 400, never the store's error.
    const b = await assign(stack);
    const many = Array.from({ length: 101 }, (_, i) => `"${i}"`).join(', ');
    await expect(context(b, 'task').update({ reservationStatus: 'accepted', ifMatch: many })).rejects.toMatchObject({
      status: 400,
      code: 20001,
      message: 'Invalid parameter If-Match: lists 101 entity tags; at most 100',
    });
    expect((await context(b, 'task').fetch()).reservationStatus).toBe('pending');
  });

  it('supervise needs an accepted reservation', async () => {
    const a = await assign(stack);
    const supervise = { instruction: 'supervise', supervisor: sid('WK'), supervisorMode: 'whisper' } as const;
    await expect(context(a, 'task').update(supervise)).rejects.toMatchObject({
      status: 400,
      message: `Reservation ${a.reservationSid} is not currently in an Accepted state`,
    });
  });

  it('an address falls back to the worker’s contact_uri, and is required without one', async () => {
    const withContact = await assign(stack);
    await expect(context(withContact, 'task').update({ instruction: 'dequeue', dequeueFrom: '+15550001' })).resolves.toMatchObject({
      reservationStatus: 'accepted',
    });
    for (const [options, parameter] of [
      [{ instruction: 'conference' }, 'To'],
      [{ instruction: 'dequeue', dequeueFrom: '+15550001' }, 'DequeueTo'],
      [{ instruction: 'call', callFrom: '+15550001', callUrl: 'https://example.com/twiml' }, 'CallTo'],
    ] as const) {
      const a = await assign(stack, { WorkerAttributes: JSON.stringify({ skills: ['support'] }) });
      await expect(context(a, 'task').update(options)).rejects.toMatchObject({ status: 400, message: expect.stringContaining(`${parameter}: is required`) });
      expect((await context(a, 'task').fetch()).reservationStatus).toBe('pending');
      const given = { ...options, [parameter[0]!.toLowerCase() + parameter.slice(1)]: 'client:bob' };
      await expect(context(a, 'task').update(given)).resolves.toBeDefined();
    }
  });
});
