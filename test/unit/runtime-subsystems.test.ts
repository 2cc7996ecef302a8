/**
 * Deployed, a function's runtime is built from the subsystems its configuration, binds and `uses`
 * call for (lib/runtime/subsystems.ts), and nothing else is imported: a getter whose subsystem was
 * left out throws at request time. These tests hold the declarations to the handlers that rely on
 * them, and the loading to the declarations.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { FUNCTIONS, type FunctionName, type FunctionSpec, type RuntimeUse } from '#lib/functions.ts';
import { createRuntimeWith } from '#lib/runtime/core.ts';
import { loadSubsystems, subsystemsOf, type SubsystemName } from '#lib/runtime/subsystems.ts';
import { memoryStores } from '#lib/store/memory/memory-stores.ts';
import { deployedConfig } from '../support/deployed-config.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NAMES = Object.keys(FUNCTIONS) as FunctionName[];
const USES: readonly RuntimeUse[] = ['lifecycle', 'taskUpdates', 'workerUpdates', 'statistics'];

const deployed = deployedConfig;

const spec = (name: FunctionName): FunctionSpec => FUNCTIONS[name];

describe("a function's subsystems", () => {
  it.each(NAMES)('%s declares in `uses` every getter beyond the reservation path its handler calls', (name) => {
    const source = readFileSync(join(ROOT, 'functions', `${name}.ts`), 'utf8');
    const called = USES.filter((use) => source.includes(`runtime.${use}`));
    expect([...(spec(name).uses ?? [])].sort()).toEqual(called.sort());
  });

  it('loads none for the assignment callback: no connected mode, no delivery, lifecycle or statistics reads', () => {
    expect(subsystemsOf(deployed('assignment-callback'), spec('assignment-callback'))).toEqual([]);
  });

  it('loads what the configuration and binds call for', () => {
    const upstream = { TASKROUTER_UPSTREAM_URL: 'https://taskrouter.twilio.com' };
    expect(subsystemsOf(deployed('assignment-callback', upstream), spec('assignment-callback'))).toEqual(['connected']);
    expect(subsystemsOf(deployed('publish-events'), spec('publish-events'))).toEqual(['delivery']);
    expect(subsystemsOf(deployed('publish-event-callbacks'), spec('publish-event-callbacks'))).toEqual(['delivery']);
    expect(subsystemsOf(deployed('reservation-timeout'), spec('reservation-timeout'))).toEqual(['delivery', 'lifecycle']);
    expect(subsystemsOf(deployed('update-task'), spec('update-task'))).toEqual(['lifecycle']);
    expect(subsystemsOf(deployed('statistics'), spec('statistics'))).toEqual(['statistics']);
    // Locally events are sent from the process that wrote them.
    const local = loadConfig({ EVENT_CALLBACK_URL: 'https://example.com/events' }, 'local');
    expect(subsystemsOf(local, { binds: {} })).toEqual(['delivery']);
  });

  it.each(NAMES.filter((name) => spec(name).uses !== undefined))('%s builds every getter it declares from the subsystems it loads', async (name) => {
    const config = deployed(name);
    const runtime = createRuntimeWith(await loadSubsystems(subsystemsOf(config, spec(name))), config, {
      stores: memoryStores(),
      scheduler: { schedule: async () => {} },
    });
    for (const use of spec(name).uses ?? []) expect(runtime[use], use).toBeDefined();
  });

  it('throws, naming the subsystem, when a getter is used where its subsystem was not loaded', async () => {
    const config = deployed('get-task');
    const loaded: SubsystemName[] = subsystemsOf(config, spec('get-task'));
    const runtime = createRuntimeWith(await loadSubsystems(loaded), config, { stores: memoryStores() });
    expect(() => runtime.lifecycle).toThrow(/lifecycle subsystem is not loaded/);
    expect(() => runtime.statistics).toThrow(/statistics subsystem is not loaded/);
    expect(() => runtime.callbackDelivery).toThrow(/delivery subsystem is not loaded/);
  });
});
