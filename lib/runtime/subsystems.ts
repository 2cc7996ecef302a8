/**
 * The parts of the runtime beyond the reservation path, each a module of its own that the core
 * (core.ts) builds from when given it. Locally every part is imported (lib/runtime.ts). Deployed, a
 * function imports at init only the parts its configuration, binds and `uses` (lib/functions.ts)
 * call for (lambda.ts): esbuild puts a module reached only through `import()` in a chunk of its
 * own, so a function's cold start never compiles nor evaluates the others (the assignment
 * callback's: no SQS or EventBridge client, no upstream, lifecycle or statistics reads).
 */
import type { Config } from '../config.ts';
import type { FunctionSpec } from '../functions.ts';
import type * as Connected from './connected.ts';
import type * as Delivery from './delivery.ts';
import type * as Lifecycle from './lifecycle.ts';
import type * as Statistics from './statistics.ts';

export interface Subsystems {
  readonly connected?: typeof Connected;
  readonly delivery?: typeof Delivery;
  readonly lifecycle?: typeof Lifecycle;
  readonly statistics?: typeof Statistics;
}

export type SubsystemName = keyof Subsystems;

const IMPORTS: { readonly [N in SubsystemName]: () => Promise<NonNullable<Subsystems[N]>> } = {
  connected: () => import('./connected.ts'),
  delivery: () => import('./delivery.ts'),
  lifecycle: () => import('./lifecycle.ts'),
  statistics: () => import('./statistics.ts'),
};

/** The parts a deployed function needs: what its configuration, binds and `uses` call for. */
export function subsystemsOf(config: Config, spec: Pick<FunctionSpec, 'binds' | 'uses'>): SubsystemName[] {
  const uses = spec.uses ?? [];
  const names: SubsystemName[] = [];
  if (config.upstreamUrl !== undefined) names.push('connected');
  if (
    spec.binds.eventDelivery !== undefined ||
    spec.binds.eventBus === true ||
    config.eventDeliveryQueueUrl !== undefined ||
    config.eventBusName !== undefined ||
    (config.eventsFrom === 'write' && config.eventCallbackUrl !== undefined)
  ) {
    names.push('delivery');
  }
  if (uses.includes('lifecycle') || uses.includes('taskUpdates') || uses.includes('workerUpdates')) names.push('lifecycle');
  if (uses.includes('statistics')) names.push('statistics');
  return names;
}

export async function loadSubsystems(names: readonly SubsystemName[]): Promise<Subsystems> {
  const loaded = await Promise.all(names.map(async (name) => [name, await IMPORTS[name]()] as const));
  return Object.fromEntries(loaded) as Subsystems;
}
