/**
 * The service's own metrics (lib/telemetry/metrics.ts) as CloudWatch reads them: the namespace,
 * the metric's name, and the dimensions Powertools publishes it with (`service`, and a count's own
 * dimension with one of its values). The alarms and the dashboard use these, never a name typed twice.
 */
import type { Duration } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { SERVICE_NAME } from '#lib/logging.ts';
import { METRICS, METRICS_NAMESPACE, type CountedMetric, type DimensionValue, type MeasuredMetric } from '#lib/telemetry/metrics.ts';

/** How often `metric` was counted with `value` in each period. */
export function countOf<M extends CountedMetric>(metric: M, value: DimensionValue<M>, period: Duration): Metric {
  const spec = METRICS[metric];
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: spec.name,
    dimensionsMap: { service: SERVICE_NAME, [spec.dimension]: value },
    statistic: 'Sum',
    period,
    label: value,
  });
}

/** Every value of `metric`, one line each. */
export function countsOf(metric: CountedMetric, period: Duration): Metric[] {
  return METRICS[metric].values.map((value) => countOf(metric, value as never, period));
}

/** A measured metric, by the statistic it is read with (the catalogue's, unless given). */
export function measureOf(metric: MeasuredMetric, period: Duration, statistic: string = METRICS[metric].statistic): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRICS[metric].name,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period,
  });
}
