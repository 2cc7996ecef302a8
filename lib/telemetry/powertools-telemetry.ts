/**
 * The Telemetry port on Powertools Metrics: CloudWatch's Embedded Metric Format, one JSON line on
 * stdout per metric document, turned into metrics by CloudWatch Logs with no call on the request
 * path. The handlers publish what a function counted when it ends (Powertools' logMetrics
 * middleware, lib/handlers/instrumentation.ts), so a batch of counts is one line.
 *
 * An EMF document gives every metric in it the same dimensions, so a count lands on an instance of
 * its own dimension value (`Outcome=refused`), made the first time that value is counted and kept:
 * the catalogue bounds them to a few dozen. What has no dimension, and each function's ColdStart
 * count, goes on `metrics`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
// First: it decides the X-Ray SDK's mode, which the SDK reads as Tracer imports it.
import './xray-mode.ts';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from '../logging.ts';
import { METRICS, METRICS_NAMESPACE, type CountedMetric, type DimensionValue, type MeasuredMetric } from './metrics.ts';
import type { Telemetry } from './telemetry.ts';

export class PowertoolsTelemetry implements Telemetry {
  /** The measured metrics, and the ColdStart count of the function that flushes it. */
  readonly metrics: Metrics;
  /** One instance per dimension value counted so far: it grows as values are first counted. */
  readonly counted: Metrics[] = [];
  readonly #byValue = new Map<string, Metrics>();
  /**
   * X-Ray, through Powertools Tracer: on in Lambda with active tracing, off anywhere else (it
   * turns itself off outside Lambda, where AWS_EXECUTION_ENV is unset, and with
   * POWERTOOLS_TRACE_ENABLED=false), so npm start and the tests need no daemon and print nothing.
   */
  readonly tracer: Tracer;
  readonly #notices: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

  constructor(logger: Logger) {
    // Powertools warns at every flush of an instance that counted nothing, which here is most
    // instances at most flushes: its notices go to the debug level, its errors stay errors.
    this.#notices = {
      debug: (...args) => logger.debug(String(args[0])),
      info: (...args) => logger.debug(String(args[0])),
      warn: (...args) => logger.debug(String(args[0])),
      error: (...args) => logger.error(String(args[0])),
    };
    this.metrics = this.#instance();
    this.tracer = new Tracer({ serviceName: SERVICE_NAME });
  }

  count<M extends CountedMetric>(metric: M, value: DimensionValue<M>): void {
    const spec = METRICS[metric];
    const key = `${spec.dimension}=${value}`;
    let instance = this.#byValue.get(key);
    if (!instance) {
      instance = this.#instance({ [spec.dimension]: value });
      this.#byValue.set(key, instance);
      this.counted.push(instance);
    }
    instance.addMetric(spec.name, spec.unit, 1);
    // The outcome on the invocation's trace, to find the traces of refusals or parked deliveries:
    // an annotation is indexed (a metadata entry is not), and the value is a bounded word.
    this.tracer.putAnnotation(spec.name, value);
  }

  measure(metric: MeasuredMetric, value: number): void {
    const spec = METRICS[metric];
    this.metrics.addMetric(spec.name, spec.unit, value);
  }

  #instance(defaultDimensions?: Record<string, string>): Metrics {
    return new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: SERVICE_NAME,
      logger: this.#notices,
      ...(defaultDimensions && { defaultDimensions }),
    });
  }
}
