/**
 * The parameter table, parameter by parameter: a valid value, each kind of invalid value, the
 * default and the bounds, all derived from the declared type so that no parameter is missed; and
 * the table against Twilio's OpenAPI update bodies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '#lib/domain/errors.ts';
import { INSTRUCTIONS, instructionAction, parametersOf, updateAction } from '#lib/domain/instructions.ts';
import { INSTRUCTION_NAMES, PARAMETERS, PII_PARAMETER_NAMES, parseParameter, readUpdateParameters, type ParameterSpec } from '#lib/domain/parameters.ts';
import { invalid, valid } from '../support/parameter-samples.ts';

describe.each(PARAMETERS.map((p) => [p.name, p] as const))('%s', (_name, spec: ParameterSpec) => {
  it.each(valid(spec.type))('accepts %j', (raw, parsed) => {
    expect(parseParameter(spec, raw)).toEqual(parsed);
    expect(readUpdateParameters(new Map([[spec.name, raw]]), 'task').get(spec.name)).toEqual(parsed);
  });

  it.each(invalid(spec.type))('refuses %j with a 400 naming it', (...raw) => {
    const read = () => readUpdateParameters(new Map([[spec.name, raw]]), 'task');
    expect(read).toThrow(InvalidParameterError);
    expect(read).toThrow(new RegExp(`^Invalid parameter ${spec.name}: `));
  });

  if (spec.default !== undefined) {
    it(`defaults to ${JSON.stringify(spec.default)}, a valid value, recorded with the ${spec.instruction} instruction`, () => {
      const raw = Array.isArray(spec.default) ? (spec.default as string[]) : [String(spec.default)];
      expect(parseParameter(spec, raw)).toEqual(spec.default);
      const name = spec.instruction!;
      const required = new Map<string, string>(
        (INSTRUCTIONS[name].required ?? []).map((r) => [r, valid(PARAMETERS.find((p) => p.name === r)!.type)[0]![0][0]!]),
      );
      const values = readUpdateParameters(new Map([...required].map(([k, v]) => [k, [v]])), 'task');
      expect(instructionAction(name, values, 'client:alice').instruction?.params[spec.name]).toEqual(spec.default);
    });
  }
});

describe('the table', () => {
  const oai = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'openapi', 'twilio_taskrouter_v1.json'), 'utf8'));
  const body = (path: string) => {
    const schema = oai.paths[path].post.requestBody.content['application/x-www-form-urlencoded'].schema;
    return Object.keys(schema.properties ?? oai.components.schemas[schema.$ref.split('/').pop()].properties);
  };

  it('declares exactly the 54 parameters of the task-scoped update body, and the worker-scoped body without the supervise ones', () => {
    const task = body('/v1/Workspaces/{WorkspaceSid}/Tasks/{TaskSid}/Reservations/{Sid}');
    expect(task).toHaveLength(54);
    expect(PARAMETERS.map((p) => p.name).sort()).toEqual([...task].sort());
    const worker = body('/v1/Workspaces/{WorkspaceSid}/Workers/{WorkerSid}/Reservations/{Sid}');
    expect(
      PARAMETERS.filter((p) => !p.taskScopeOnly)
        .map((p) => p.name)
        .sort(),
    ).toEqual([...worker].sort());
  });

  it("marks as PII what Twilio's documentation marks, and the SIP credentials", () => {
    for (const name of ['To', 'From', 'CallTo', 'CallFrom', 'DequeueTo', 'DequeueFrom', 'SipAuthPassword']) expect(PII_PARAMETER_NAMES.has(name)).toBe(true);
    for (const name of ['ReservationStatus', 'CallUrl', 'RedirectCallSid', 'Timeout']) expect(PII_PARAMETER_NAMES.has(name)).toBe(false);
  });

  it('gives every instruction parameter a distinct snake_case key in callback JSON', () => {
    for (const name of INSTRUCTION_NAMES) {
      const keys = parametersOf(name).map((p) => p.callbackKey);
      expect(keys.every((k) => k && /^[a-z][a-z_]*$/.test(k))).toBe(true);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it('ignores unknown parameters, takes the Worker SDK’s plural DequeueStatusCallbackEvents, and leaves the supervise ones out of worker-scoped updates', () => {
    const values = readUpdateParameters(
      new Map([
        ['Nonsense', ['1']],
        ['DequeueStatusCallbackEvents', ['answered', 'completed']],
        ['Supervisor', ['']],
      ]),
      'worker',
    );
    expect([...values]).toEqual([['DequeueStatusCallbackEvent', ['answered', 'completed']]]);
  });

  it('refuses the supervise instruction on a worker’s reservation, saying where it is taken', () => {
    const supervise = new Map([
      ['Instruction', ['supervise']],
      ['Supervisor', [`WK${'1'.repeat(32)}`]],
      ['SupervisorMode', ['monitor']],
    ]);
    expect(() => readUpdateParameters(supervise, 'worker')).toThrow(
      "Invalid parameter Instruction: supervise is taken only on the task's reservation (/Tasks/{TaskSid}/Reservations/{Sid}): a worker's reservation takes no Supervisor or SupervisorMode",
    );
    expect(readUpdateParameters(supervise, 'task').get('Instruction')).toBe('supervise');
  });
});

describe('updates', () => {
  const values = (params: Record<string, string | string[]>) =>
    readUpdateParameters(new Map(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])), 'task');

  it.each([
    [{ ReservationStatus: 'accepted' }, { transition: 'accept' }],
    [
      { ReservationStatus: 'rejected', WorkerActivitySid: `WA${'1'.repeat(32)}` },
      { transition: 'reject', activitySid: `WA${'1'.repeat(32)}` },
    ],
    [{ ReservationStatus: 'wrapping' }, { transition: 'wrap' }],
    [{ ReservationStatus: 'completed' }, { transition: 'complete' }],
    [{ Instruction: 'Conference' }, { transition: 'accept', needsContactUri: 'To' }],
    [{ Instruction: 'conference', To: 'client:a' }, { transition: 'accept' }],
    [
      { Instruction: 'dequeue', DequeueFrom: '+1' },
      { transition: 'accept', needsContactUri: 'DequeueTo' },
    ],
    [{ Instruction: 'call', CallFrom: '+1', CallUrl: 'https://x.example', CallTo: 'client:a' }, { transition: 'instruct' }],
    [{ Instruction: 'call', CallFrom: '+1', CallUrl: 'https://x.example', CallTo: 'client:a', CallAccept: 'true' }, { transition: 'accept' }],
    [{ Instruction: 'redirect', RedirectCallSid: `CA${'1'.repeat(32)}`, RedirectUrl: 'https://x.example' }, { transition: 'instruct' }],
    [{ Instruction: 'redirect', RedirectCallSid: `CA${'1'.repeat(32)}`, RedirectUrl: 'https://x.example', RedirectAccept: 'true' }, { transition: 'accept' }],
    [{ Instruction: 'supervise', Supervisor: `WK${'1'.repeat(32)}`, SupervisorMode: 'monitor' }, { transition: 'supervise' }],
  ])('%j → %j', (params, expected) => {
    expect(updateAction(values(params))).toMatchObject(expected);
  });

  it.each([
    [{}, 'ReservationStatus'],
    [{ ReservationStatus: 'pending' }, 'ReservationStatus'],
    [{ ReservationStatus: 'canceled' }, 'ReservationStatus'],
    [{ Instruction: 'dequeue' }, 'DequeueFrom'],
    [{ Instruction: 'call', CallFrom: '+1' }, 'CallUrl'],
    [{ Instruction: 'call', CallUrl: 'https://x.example' }, 'CallFrom'],
    [{ Instruction: 'redirect', RedirectUrl: 'https://x.example' }, 'RedirectCallSid'],
    [{ Instruction: 'redirect', RedirectCallSid: `CA${'1'.repeat(32)}` }, 'RedirectUrl'],
    [{ Instruction: 'supervise', SupervisorMode: 'barge' }, 'Supervisor'],
  ])('%j is a 400 naming %s', (params, parameter) => {
    expect(() => updateAction(values(params))).toThrow(new RegExp(`^Invalid parameter ${parameter}: `));
  });
});
