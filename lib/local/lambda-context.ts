import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Detach } from '../domain/in-flight.ts';

/** The Lambda context a local invocation gets, with the remaining time of a real one. */
export function localLambdaContext(functionName: string, timeoutSeconds: number): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Runs one local invocation: `invoke(context)` inside its own invocation scope, when the process has them. */
export type LocalInvoker = <T>(context: Context, invoke: (context: Context) => Promise<T>) => Promise<T>;

const unscoped: LocalInvoker = (context, invoke) => invoke(context);
let invoker: Promise<LocalInvoker> | undefined;

/**
 * npm start runs every function in one process, several invocations at a time. Powertools Logger
 * keeps an invocation's Lambda context (function_name, request id) and the keys it appends (a
 * reservation's SID) in state shared by the process, unless it runs where Lambda itself runs
 * several invocations in one process (AWS_LAMBDA_MAX_CONCURRENCY set): there it keeps them per
 * invocation, in the runtime's InvokeStore (`globalThis.awslambda.InvokeStore`, on
 * AsyncLocalStorage), in which the runtime runs each invocation. Without this, one request's log
 * lines name another's function and lose their keys when another request ends.
 *
 * The store is a process-wide singleton that the AWS SDK creates on its first request, in a
 * single-invocation form (one current context, never cleared) unless AWS_LAMBDA_MAX_CONCURRENCY is
 * set by then. So this asks for the concurrent form before the stack makes any request, and
 * checks that it got it (a process that made requests earlier, as a test runner may, has the
 * other form): only then does it set AWS_LAMBDA_MAX_CONCURRENCY, which Powertools reads on every
 * log line, and run invocations in scopes. Otherwise invocations run as before.
 */
export function localInvoker(): Promise<LocalInvoker> {
  invoker ??= (async () => {
    const store = await InvokeStore.getInstanceAsync(true);
    const probe = {};
    const scoped = store.run(probe, () => store.getContext() === probe) && !store.hasContext();
    if (!scoped) return unscoped;
    // Lambda sets it to the environment's maximum of concurrent invocations; Powertools only asks whether it is set.
    process.env['AWS_LAMBDA_MAX_CONCURRENCY'] ??= '64';
    return (context, invoke) => store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, () => invoke(context));
  })();
  return invoker;
}

/**
 * Work that outlives the invocation which started it (an event's delivery and its retries, the
 * lifecycle's rules, the mirror's applies) runs outside every invocation's scope, as deployed it
 * runs in functions of its own: what it logs carries no finished request's function or keys, and
 * what it counts lands where no invocation's end publishes it, so the local server publishes
 * that after each invocation (PowertoolsTelemetry.publishStored). Without this, those counts went
 * into the scope of a request that had already published its own, and were lost.
 *
 * Bound to the asynchronous context it is called in: call it outside any invocation (at start-up).
 */
export function outsideInvocations(): Detach {
  return AsyncResource.bind(<T>(work: () => Promise<T>) => work());
}
