/**
 * The Lambda entry point of a function, awaited at the top of its module. Deployed, the runtime
 * (the AWS SDK clients, the configuration, the policy) is built during Lambda's init phase, so that
 * a bad configuration fails there with the variable's name in the log; elsewhere (tests and
 * benchmarks that import a function) only when first called. The runtime module is imported
 * dynamically: the bundle evaluates the SDK only when a runtime is built, never on a bare import,
 * and then only the subsystems the function needs (lib/runtime/lambda.ts).
 */
import type { Context } from 'aws-lambda';
import type { FunctionName } from '../functions.ts';
import type { Runtime } from '../runtime/core.ts';

/** A function of lib/functions.ts bound to its implementation: `createHandler` gives the handler for a runtime. */
export interface LambdaFunction<E, R> {
  readonly name: FunctionName;
  readonly createHandler: (runtime: Runtime) => (event: E, context: Context) => Promise<R>;
}

export async function lambdaHandler<E, R>(fn: LambdaFunction<E, R>): Promise<(event: E, context: Context) => Promise<R>> {
  let handler: Promise<(event: E, context: Context) => Promise<R>> | undefined;
  const build = () => {
    handler ??= import('../runtime/lambda.ts').then(async ({ lambdaRuntime }) => fn.createHandler(await lambdaRuntime(fn.name)));
    return handler;
  };
  if (process.env['AWS_LAMBDA_FUNCTION_NAME'] !== undefined) await build();
  return async (event, context) => (await build())(event, context);
}
