/**
 * The runtime as the local stack builds it, on the in-memory stores, with a fake clock, a
 * scheduler that records the timers armed and a sink that records every write's events: the
 * application layer in milliseconds, wired exactly as a handler sees it.
 */
import { loadConfig } from '#lib/config.ts';
import { memoryStores } from '#lib/store/memory/memory-stores.ts';
import { createRuntime, type Runtime, type RuntimeParts } from '#lib/runtime.ts';
import type { Stores } from '#lib/store/stores.ts';
import { FakeClock } from './clock.ts';
import { RecordingScheduler, RecordingSink } from './use-case-fixtures.ts';

export interface MemoryRuntime {
  readonly runtime: Runtime;
  readonly clock: FakeClock;
  readonly scheduler: RecordingScheduler;
  readonly sink: RecordingSink;
  /** The stores under the runtime's (which add events to every write to a task). */
  readonly stores: Stores;
}

/** A runtime of `loadConfig(env, 'local')` on fresh memory stores; `parts` adds to (or replaces) the test doubles. */
export function memoryRuntime(env: Record<string, string> = {}, parts: RuntimeParts = {}): MemoryRuntime {
  const clock = new FakeClock();
  const scheduler = new RecordingScheduler();
  const sink = new RecordingSink();
  const stores = memoryStores();
  const runtime = createRuntime(loadConfig(env, 'local'), { clock, scheduler, stores, eventSinks: [sink], ...parts });
  return { runtime, clock, scheduler, sink, stores };
}
