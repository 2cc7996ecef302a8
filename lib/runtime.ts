/**
 * The runtime with every subsystem: what the local stack, `npm run invoke`, the tests and the
 * benchmarks build (runtime/core.ts describes it). Deployed functions build theirs through
 * runtime/lambda.ts, which imports only the subsystems a function needs: nothing a bundle loads
 * imports this module.
 */
import type { Config } from './config.ts';
import * as connected from './runtime/connected.ts';
import { createRuntimeWith, type Runtime, type RuntimeParts } from './runtime/core.ts';
import * as delivery from './runtime/delivery.ts';
import * as lifecycle from './runtime/lifecycle.ts';
import * as statistics from './runtime/statistics.ts';

export type { Runtime, RuntimeParts, Upstream } from './runtime/core.ts';

const ALL = { connected, delivery, lifecycle, statistics };

export function createRuntime(config: Config, parts: RuntimeParts = {}): Runtime {
  return createRuntimeWith(ALL, config, parts);
}
