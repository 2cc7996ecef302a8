/**
 * The bundles' stand-in for cls-hooked's context store (infra/shims/cls-context.cjs) answers what
 * cls-hooked answers in the ways the X-Ray SDK uses it: a context entered outside any run (the
 * Lambda facade segment) seen everywhere, `run` and `bind` carrying theirs across awaits and
 * timers, child contexts inheriting, and nothing seen where no context is active.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

interface Namespace {
  set(key: string, value: unknown): unknown;
  get(key: string): unknown;
  run(fn: (context: object) => void): object;
  runAndReturn<T>(fn: (context: object) => T): T;
  bind<F extends (...args: never[]) => unknown>(fn: F, context?: object): F;
  enter(context: object): void;
  createContext(): object;
}
interface Store {
  createNamespace(name: string): Namespace;
  getNamespace(name: string): Namespace | undefined;
  destroyNamespace(name: string): void;
}

const IMPLEMENTATIONS: Record<string, Store> = {
  'cls-hooked': require('cls-hooked/context') as Store,
  shim: require('../../infra/shims/cls-context.cjs') as Store,
};

const turn = () => new Promise((resolve) => setTimeout(resolve, 1));

/** What each implementation answers, in the order the X-Ray SDK's uses would ask. */
async function observe(store: Store): Promise<unknown[]> {
  const seen: unknown[] = [];
  const ns = store.createNamespace('observed');
  try {
    seen.push(ns.get('segment'));
    seen.push(
      (() => {
        try {
          ns.set('segment', 'nowhere');
          return 'set';
        } catch (error) {
          return (error as Error).message;
        }
      })(),
    );
    // As the SDK's Lambda init: a context entered once, outside any run, holding the facade.
    ns.enter(ns.createContext());
    ns.set('segment', 'facade');
    seen.push(ns.get('segment'));
    await turn();
    seen.push(ns.get('segment'));
    // As the handler middleware: the current segment swapped and swapped back, seen after awaits.
    ns.set('segment', 'handler');
    await turn();
    seen.push(ns.get('segment'));
    ns.set('segment', 'facade');
    // As captureFunc and the HTTP patcher: a run whose context follows its promises and timers.
    const ran = new Promise<unknown[]>((resolve) => {
      ns.run(() => {
        ns.set('segment', 'subsegment');
        const inner: unknown[] = [ns.get('segment')];
        setTimeout(async () => {
          inner.push(ns.get('segment'));
          await turn();
          inner.push(ns.get('segment'));
          resolve(inner);
        }, 1);
      });
    });
    seen.push(...(await ran));
    seen.push(ns.get('segment'));
    // A child context inherits what its parent holds, and shadows it without changing it.
    seen.push(
      ns.runAndReturn(() => {
        ns.set('segment', 'parent');
        const child = ns.createContext() as Record<string, unknown>;
        const inherited = child['segment'];
        child['segment'] = 'child';
        return [inherited, ns.get('segment')];
      }),
    );
    // bind: the bound function sees the context it was bound in, called from anywhere.
    const bound = ns.runAndReturn(() => {
      ns.set('segment', 'bound');
      return ns.bind(() => ns.get('segment'));
    });
    seen.push(bound(), ns.get('segment'));
    const explicit = ns.createContext() as Record<string, unknown>;
    explicit['segment'] = 'explicit';
    seen.push(ns.bind(() => ns.get('segment'), explicit)());
    // An error thrown inside a run leaves the context as it was.
    try {
      ns.run(() => {
        ns.set('segment', 'failing');
        throw new Error('failed');
      });
    } catch {
      seen.push(ns.get('segment'));
    }
    seen.push(store.getNamespace('observed') === ns);
    return seen;
  } finally {
    store.destroyNamespace('observed');
  }
}

describe('cls-context shim', () => {
  it('answers what cls-hooked answers, in the ways the X-Ray SDK uses it', async () => {
    const expected = await observe(IMPLEMENTATIONS['cls-hooked']!);
    expect(expected).toEqual([
      undefined,
      'No context available. ns.run() or ns.bind() must be called first.',
      'facade',
      'facade',
      'handler',
      'subsegment',
      'subsegment',
      'subsegment',
      'facade',
      ['parent', 'parent'],
      'bound',
      'facade',
      'explicit',
      'facade',
      true,
    ]);
    expect(await observe(IMPLEMENTATIONS['shim']!)).toEqual(expected);
  });
});
