/**
 * The deployed runtime of a function, from the environment the stack sets, built once per
 * container during Lambda's init (lib/handlers/lambda-handler.ts): the subsystems its
 * configuration, binds and `uses` call for are imported (subsystems.ts), what it binds is built
 * (prepare), and so is each getter it declares in `uses`, so that its first request pays for
 * nothing init could have done.
 */
import { loadConfig } from '../config.ts';
import { FUNCTIONS, type FunctionName, type FunctionSpec, type RuntimeUse } from '../functions.ts';
import { createRuntimeWith, type Runtime } from './core.ts';
import { loadSubsystems, subsystemsOf } from './subsystems.ts';

const runtimes = new Map<FunctionName, Promise<Runtime>>();

async function build(name: FunctionName): Promise<Runtime> {
  const spec: FunctionSpec = FUNCTIONS[name];
  const config = loadConfig(process.env, 'lambda', spec.binds);
  const runtime = createRuntimeWith(await loadSubsystems(subsystemsOf(config, spec)), config);
  runtime.prepare(spec.binds);
  // A getter builds its part on first use: each the function declares, built now.
  for (const use of spec.uses ?? []) void runtime[use satisfies RuntimeUse];
  return runtime;
}

export function lambdaRuntime(name: FunctionName): Promise<Runtime> {
  let runtime = runtimes.get(name);
  if (!runtime) {
    runtime = build(name);
    runtimes.set(name, runtime);
  }
  return runtime;
}
