/**
 * CloudWatch metrics as log lines (the Embedded Metric Format): a log item that carries `_aws`
 * becomes a metric of the namespace, with no API call on the request path. The stack's alarms
 * watch these (infra/alarms.ts).
 */
export const METRICS_NAMESPACE = 'TaskRouterReservations';

export const METRICS = {
  /** Forwarded updates, deadline checks and sweeps whose upstream call left the outcome unknown. */
  upstreamFailures: 'UpstreamFailures',
  /** Forwarded updates still unsettled five minutes after they were forwarded. */
  longUnsettled: 'UnsettledOverFiveMinutes',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** The attributes that make a log item carry these counts as metrics. */
export function emf(values: Partial<Record<MetricName, number>>, at = Date.now()): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [[]], Metrics: Object.keys(values).map((name) => ({ Name: name, Unit: 'Count' })) }],
    },
    ...values,
  };
}
