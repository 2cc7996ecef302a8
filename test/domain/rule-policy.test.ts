import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '#lib/config.ts';
import { parseAssignmentCallback, type AssignmentCallback } from '#lib/domain/assignment-callback.ts';
import { PolicyError, parsePolicy } from '#lib/domain/rule-policy.ts';
import { loadAssignmentPolicy } from '#lib/policy-file.ts';
import { callback } from '../support/fixtures.ts';

const POLICIES = join(import.meta.dirname, '..', '..', 'policies');

function assignment(overrides: Partial<Record<string, string>> = {}): AssignmentCallback {
  return parseAssignmentCallback(new Map(Object.entries(callback(overrides).params).map(([k, v]) => [k, [v]])));
}

const withTask = (task: object, worker: object = { contact_uri: 'client:doug' }, extra: Partial<Record<string, string>> = {}) =>
  assignment({ TaskAttributes: JSON.stringify(task), WorkerAttributes: JSON.stringify(worker), ...extra });

describe('loading a policy', () => {
  it.each([
    [{}, 'policy: rules must be a list'],
    [{ rules: 'all', lifecycle: [] }, 'policy: rules must be a list'],
    [{ lifecycle: [{ name: 'voice', wrapUpSeconds: 0 }] }, 'lifecycle rule 1 ("voice"): wrapUpSeconds must be a whole number of seconds from 1 to 86400'],
    [{ rules: [], extra: 1 }, 'policy: extra is not a policy field'],
    [{ rules: [1] }, 'rule 1: rule must be an object'],
    [{ rules: [{ name: 'a', instruction: { instruction: 'accept' }, when: {} }] }, 'rule 1 ("a"): when is not a rule field'],
    [
      { rules: [{ instruction: { instruction: 'teleport' } }] },
      'rule 1: instruction.instruction must be one of accept, reject, conference, dequeue, call, redirect',
    ],
    [{ rules: [{ instruction: { instruction: 'supervise' } }] }, 'instruction.instruction must be one of'],
    [{ rules: [{ instruction: 'accept' }] }, 'rule 1: instruction must be an object'],
    [
      {
        rules: [
          { instruction: { instruction: 'accept' } },
          { name: 'vip', instruction: { instruction: 'call', from: '+1', url: 'https://x.example', timeout: 1000 } },
        ],
      },
      'rule 2 ("vip"): instruction.timeout must be an integer from 1 to 999',
    ],
    [{ rules: [{ instruction: { instruction: 'call', from: '+1' } }] }, 'rule 1: instruction.url is required by the call instruction'],
    [{ rules: [{ instruction: { instruction: 'dequeue', to: 'client:a' } }] }, 'rule 1: instruction.from is required by the dequeue instruction'],
    [
      { rules: [{ instruction: { instruction: 'redirect', call_sid: 'CA1', url: 'https://x.example' } }] },
      'rule 1: instruction.call_sid must be a SID starting with CA',
    ],
    [{ rules: [{ instruction: { instruction: 'conference', tiemout: 5 } }] }, 'rule 1: instruction.tiemout is not a parameter of the conference instruction'],
    [{ rules: [{ instruction: { instruction: 'conference', beep: 'sometimes' } }] }, 'instruction.beep must be one of true, false, onEnter, onExit'],
    [
      { rules: [{ instruction: { instruction: 'dequeue', from: '+1', status_callback_events: 'initiated,hung-up' } }] },
      'instruction.status_callback_events must be a list of initiated, ringing, answered, completed',
    ],
    [{ rules: [{ instruction: { instruction: 'reject', activity_sid: 'WAnope' } }] }, 'instruction.activity_sid must be a SID starting with WA'],
    [
      { rules: [{ instruction: { instruction: 'conference', from: '{{caller.number}}' } }] },
      'instruction.from has a template that is not {{task.<attribute>}}',
    ],
    [{ rules: [{ match: { queue: 'WQ1' }, instruction: { instruction: 'accept' } }] }, 'rule 1: match.queue is not a match field'],
    [{ rules: [{ match: { taskQueueSid: 'WQ1' }, instruction: { instruction: 'accept' } }] }, 'rule 1: match.taskQueueSid must be a WQ SID'],
    [
      { rules: [{ match: { task: { type: { like: 'v%' } } }, instruction: { instruction: 'accept' } }] },
      'rule 1: match.task.type has an unknown operator "like"',
    ],
    [{ rules: [{ match: { worker: { skills: { in: 'a' } } }, instruction: { instruction: 'accept' } }] }, 'match.worker.skills "in" takes a list'],
  ])('refuses %j naming the rule and field', (json, message) => {
    expect(() => parsePolicy(json)).toThrow(PolicyError);
    expect(() => parsePolicy(json)).toThrow(message);
  });

  it('takes lifecycle rules alone: no assignment rule, so every callback is answered {}', () => {
    const policy = parsePolicy({ lifecycle: [{ name: 'voice', match: { task: { type: 'voice' } }, wrapUpSeconds: 60 }] });
    expect(policy.decide(withTask({ type: 'voice' }))).toEqual({ answer: {} });
    expect(policy.lifecycle?.rule('voice')?.wrapUpSeconds).toBe(60);
  });

  it('turns a missing, unreadable or invalid file into a configuration error naming ASSIGNMENT_POLICY', () => {
    expect(() => loadAssignmentPolicy(join(POLICIES, 'missing.json'))).toThrow(ConfigError);
    expect(() => loadAssignmentPolicy(join(POLICIES, 'missing.json'))).toThrow(/ASSIGNMENT_POLICY .*missing\.json: cannot be read \(ENOENT\)/);
    expect(() => loadAssignmentPolicy(join(import.meta.dirname, 'rule-policy.test.ts'))).toThrow(/is not valid JSON/);
  });

  it('answers {} with the bundled default, as with no ASSIGNMENT_POLICY at all', () => {
    const a = assignment();
    expect(loadAssignmentPolicy(join(POLICIES, 'default.json')).decide(a)).toEqual({ answer: {} });
    expect(loadAssignmentPolicy(undefined).decide(a)).toEqual({ answer: {} });
  });
});

describe('matching', () => {
  const accept = { instruction: { instruction: 'accept' } };
  const decides = (match: object, a: AssignmentCallback) => parsePolicy({ rules: [{ name: 'r', match, ...accept }] }).decide(a).rule === 'r';

  it('takes the first rule that matches, in order', () => {
    const policy = parsePolicy({
      rules: [
        { name: 'first', match: { task: { type: 'chat' } }, instruction: { instruction: 'reject' } },
        { name: 'second', match: { task: { type: 'voice' } }, ...accept },
        { name: 'third', ...accept },
      ],
    });
    expect(policy.decide(withTask({ type: 'voice' })).rule).toBe('second');
    expect(policy.decide(withTask({ type: 'email' })).rule).toBe('third');
  });

  it('matches queue and workflow SIDs, one or a list', () => {
    const a = assignment();
    expect(decides({ taskQueueSid: a.taskQueueSid }, a)).toBe(true);
    expect(decides({ taskQueueSid: [`WQ${'0'.repeat(32)}`, a.taskQueueSid.toUpperCase().replace(/^WQ/, 'WQ')] }, a)).toBe(true);
    expect(decides({ taskQueueSid: `WQ${'0'.repeat(32)}` }, a)).toBe(false);
    expect(decides({ workflowSid: a.workflowSid, taskQueueSid: a.taskQueueSid }, a)).toBe(true);
    expect(decides({ workflowSid: `WW${'0'.repeat(32)}` }, a)).toBe(false);
  });

  it.each([
    [{ type: 'voice' }, { type: 'voice', priority: 1 }, true],
    [{ type: 'voice' }, { type: 'chat' }, false],
    [{ 'customer.tier': 'gold' }, { customer: { tier: 'gold' } }, true],
    [{ 'customer.tier': 'gold' }, { customer: 'gold' }, false],
    [{ language: { in: ['es', 'pt'] } }, { language: 'pt' }, true],
    [{ language: { in: ['es', 'pt'] } }, { language: 'en' }, false],
    [{ call_sid: { exists: true } }, { call_sid: 'CA1' }, true],
    [{ call_sid: { exists: false } }, { call_sid: 'CA1' }, false],
    [{ type: { not: 'voice' } }, { type: 'chat' }, true],
    [{ tags: 'urgent' }, { tags: ['new', 'urgent'] }, true],
    [{ tags: { not: 'urgent' } }, { tags: ['new'] }, true],
    [{ count: 3 }, { count: 3 }, true],
    [{ count: 3 }, { count: '3' }, false],
    [{ customer: { in: [{ tier: 'gold', id: 7 }] } }, { customer: { id: 7, tier: 'gold' } }, true],
    [{ customer: { in: [{ tier: 'gold' }] } }, { customer: { tier: 'gold', id: 7 } }, false],
    [{ route: ['a', 'b'] }, { route: ['a', 'b'] }, true],
    [{ route: ['a', 'b'] }, { route: ['b', 'a'] }, false],
  ])('task condition %j on attributes %j: %s', (conditions, attributes, expected) => {
    expect(decides({ task: conditions }, withTask(attributes))).toBe(expected);
  });

  it('gives no match, never a stack overflow, for an attribute nested far deeper than any policy value', () => {
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    const policy = parsePolicy({ rules: [{ name: 'r', match: { task: { type: { in: ['voice', ['x']] } } }, ...accept }] });
    const a = assignment({ TaskAttributes: `{"type":${deep(30_000)}}` });
    expect(policy.decide(a)).toEqual({ answer: {} });
    const objects = assignment({ TaskAttributes: `{"type":${'{"a":'.repeat(30_000)}1${'}'.repeat(30_000)}}` });
    expect(decides({ task: { type: 'voice' } }, objects)).toBe(false);
    expect(decides({ task: { type: [[['x']]] } }, assignment({ TaskAttributes: `{"type":${deep(30_000)}}` }))).toBe(false);
  });

  it('compares a worker attribute with a task attribute through a template', () => {
    const match = { worker: { skills: { not: '{{task.required_skill}}' } } };
    expect(decides(match, withTask({ required_skill: 'billing' }, { skills: ['support'] }))).toBe(true);
    expect(decides(match, withTask({ required_skill: 'billing' }, { skills: ['billing'] }))).toBe(false);
  });
});

describe('rendering the instruction', () => {
  it('fills templates with attribute values, keeping the type of a whole template', () => {
    const policy = parsePolicy({
      rules: [
        {
          instruction: {
            instruction: 'call',
            from: '{{task.to}}',
            url: 'https://x.example/{{task.kind}}/twiml',
            timeout: '{{task.ring}}',
            accept: '{{task.auto}}',
          },
        },
      ],
    });
    const decision = policy.decide(withTask({ to: '+15550001111', kind: 'vip', ring: 15, auto: true }));
    expect(decision.answer).toEqual({ instruction: 'call', from: '+15550001111', url: 'https://x.example/vip/twiml', accept: true, timeout: 15 });
    expect(decision.action).toMatchObject({
      transition: 'accept',
      instruction: { name: 'call', params: { CallFrom: '+15550001111', CallAccept: true, CallTimeout: 15, CallRecord: 'do-not-record' } },
    });
  });

  it('leaves out what an attribute does not give, so `to` falls back to the worker’s contact_uri', () => {
    const policy = parsePolicy({ rules: [{ instruction: { instruction: 'conference', to: '{{worker.phone}}', from: '{{task.from}}' } }] });
    const decision = policy.decide(withTask({ from: '+1555' }, { contact_uri: 'client:doug' }));
    expect(decision.answer).toEqual({ instruction: 'conference', from: '+1555' });
    expect(decision.action?.transition).toBe('accept');
  });

  it('gives no instruction (and says why) when a rule cannot be rendered for this callback', () => {
    const policy = parsePolicy({ rules: [{ name: 'c', instruction: { instruction: 'conference', timeout: '{{task.ring}}' } }] });
    const noContact = policy.decide(withTask({}, {}));
    expect(noContact).toMatchObject({ rule: 'c', answer: {}, unrendered: expect.stringMatching(/^rule 1 \("c"\): instruction\.to is required .*contact_uri/) });
    expect(noContact.action).toBeUndefined();
    expect(policy.decide(withTask({ ring: 5000 })).unrendered).toMatch(/instruction\.timeout must be an integer from 1 to 999/);
  });

  it('sends list parameters as TaskRouter’s comma-separated strings', () => {
    const policy = parsePolicy({ rules: [{ instruction: { instruction: 'dequeue', from: '+1', status_callback_events: ['answered', 'completed'] } }] });
    expect(policy.decide(withTask({})).answer).toEqual({ instruction: 'dequeue', from: '+1', status_callback_events: 'answered,completed' });
  });
});

describe('the example policies', () => {
  const load = (name: string) => loadAssignmentPolicy(join(POLICIES, name));

  it('voice-conference.json: a voice task joins a conference showing the caller’s number', () => {
    const decision = load('voice-conference.json').decide(withTask({ type: 'voice', from: '+14155550100', call_sid: `CA${'1'.repeat(32)}` }));
    expect(decision.answer).toEqual({
      instruction: 'conference',
      from: '+14155550100',
      timeout: 20,
      end_conference_on_exit: true,
      status_callback_event: 'initiated,ringing,answered,completed',
    });
    expect(decision.action?.transition).toBe('accept');
    expect(load('voice-conference.json').decide(withTask({ type: 'chat' })).answer).toEqual({});
  });

  it('vip-call.json: the VIP queue’s tasks are called and accepted', () => {
    const decision = load('vip-call.json').decide(withTask({}, { contact_uri: 'client:vip-agent' }, { TaskQueueSid: `WQ${'f'.repeat(32)}` }));
    expect(decision.answer).toEqual({
      instruction: 'call',
      from: '+15005550006',
      url: 'https://example.com/twiml/vip-agent',
      accept: true,
      record: 'record-from-answer',
      timeout: 20,
    });
    expect(decision.action?.transition).toBe('accept');
    expect(load('vip-call.json').decide(withTask({})).answer).toEqual({});
  });

  it('require-skill.json: workers lacking the required skill are rejected, others accept', () => {
    const policy = load('require-skill.json');
    expect(policy.decide(withTask({ required_skill: 'spanish' }, { skills: ['english'] })).answer).toEqual({ instruction: 'reject' });
    expect(policy.decide(withTask({ required_skill: 'spanish' }, { skills: ['english', 'spanish'] })).answer).toEqual({ instruction: 'accept' });
    expect(policy.decide(withTask({}, {})).answer).toEqual({ instruction: 'accept' });
  });
});
