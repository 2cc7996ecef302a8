/**
 * What the use cases tell an operator, in the words of the metric catalogue (metrics.ts): a count
 * of something that happened, split by one of a handful of values, or a measured value. Deployed
 * and locally, Powertools Metrics publishes them (powertools-telemetry.ts); where tracing is on,
 * a count is also the outcome annotated on the invocation's trace (Powertools Tracer).
 */
import type { CountedMetric, DimensionValue, MeasuredMetric } from './metrics.ts';

export interface Telemetry {
  count<M extends CountedMetric>(metric: M, value: DimensionValue<M>): void;
  measure(metric: MeasuredMetric, value: number): void;
}
