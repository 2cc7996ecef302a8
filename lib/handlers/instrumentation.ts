/**
 * What every function is wrapped in, whatever its trigger, declared once for apiFunction and
 * eventFunction: its invocation traced (Powertools Tracer: a subsegment for the handler, its
 * cold start and outcome as annotations; off outside Lambda), and the metrics it counted
 * published when it ends, whether it answered or failed (Powertools' logMetrics), with its cold
 * start counted by function name.
 */
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { Runtime } from '../runtime.ts';

export function instrumentation(runtime: Pick<Runtime, 'telemetry'>): MiddlewareObj[] {
  const { telemetry } = runtime;
  return [
    // Not the response: a callback's answer and a resource's JSON carry the task's attributes,
    // which traces must not hold any more than logs do.
    captureLambdaHandler(telemetry.tracer, { captureResponse: false }),
    logMetrics(telemetry.metrics, { captureColdStartMetric: true }),
    // The instances of the counts' dimension values, as they are now and as they are added later.
    logMetrics(telemetry.counted),
  ];
}
