/**
 * One CloudWatch dashboard for the operator: the alarms' states, the service's own metrics (every
 * entry of the catalogue, lib/telemetry/metrics.ts, a graph each), then the health of what it runs
 * on: each function's errors, duration, throttles and concurrency, the table's consumed capacity,
 * throttles and latency, the API's errors and latency.
 *
 * Built from the tables, never from names typed here: a function added to lib/functions.ts, a
 * metric added to the catalogue or an alarm added to infra/alarms.ts is on the dashboard with no
 * change to this file.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  type IWidget,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Operation, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { METRICS, type CountedMetric, type MeasuredMetric } from '#lib/telemetry/metrics.ts';
import { countsOf, measureOf } from './service-metrics.ts';
import { TABLE_ACTIONS } from './table.ts';

export interface ReservationDashboardProps {
  /** Every function of the stack, by name. */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly table: Table;
  readonly stage: HttpStage;
  readonly alarms: readonly IAlarm[];
  /** Connected mode: the catalogue's connected-only metrics are shown too. */
  readonly connected: boolean;
}

const PERIOD = Duration.minutes(5);
/** Wide enough for a dozen lines and their legend; CloudWatch's grid is 24 units wide. */
const WIDTH = 12;
const HEIGHT = 6;

/** `CallbacksAnswered` → `Callbacks answered`. */
const words = (name: string) => name.replace(/(?<=[a-z])(?=[A-Z])/g, ' ').replace(/(?<= )[A-Z](?=[a-z])/g, (c) => c.toLowerCase());

/** The DynamoDB operations the functions may call (their grants), which CloudWatch reports latency and throttles for. */
const OPERATIONS = [...new Set<string>([...TABLE_ACTIONS.read, ...TABLE_ACTIONS.write])].map((action) => action.replace('dynamodb:', '') as Operation);

export class ReservationDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ReservationDashboardProps) {
    super(scope, id);
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const row = (title: string, widgets: IWidget[]) => {
      this.dashboard.addWidgets(new TextWidget({ markdown: `## ${title}`, width: 24, height: 1 }));
      for (let i = 0; i < widgets.length; i += 2) this.dashboard.addWidgets(...widgets.slice(i, i + 2));
    };
    const graph = (title: string, left: IMetric[], options: { stacked?: boolean } = {}) =>
      new GraphWidget({ title, left, width: WIDTH, height: HEIGHT, period: PERIOD, ...options });

    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 3 }));

    const service = (Object.keys(METRICS) as (keyof typeof METRICS)[])
      .filter((key) => props.connected || !('connected' in METRICS[key]))
      .map((key) => {
        const spec = METRICS[key];
        return 'dimension' in spec
          ? graph(`${words(spec.name)} by ${spec.dimension.toLowerCase()}`, countsOf(key as CountedMetric, PERIOD), { stacked: true })
          : graph(`${words(spec.name)} (${spec.statistic})`, [measureOf(key as MeasuredMetric, PERIOD)]);
      });
    row('Reservations', service);

    const functions = Object.entries(props.functions);
    const perFunction = (metric: (fn: IFunction) => Metric) => functions.map(([name, fn]) => metric(fn).with({ label: name, period: PERIOD }));
    row('Functions', [
      graph(
        'Errors',
        perFunction((fn) => fn.metricErrors({ statistic: Stats.SUM })),
      ),
      graph(
        'Duration (p99, ms)',
        perFunction((fn) => fn.metricDuration({ statistic: Stats.p(99) })),
      ),
      graph(
        'Throttles',
        perFunction((fn) => fn.metricThrottles({ statistic: Stats.SUM })),
      ),
      graph(
        'Concurrent executions (maximum)',
        perFunction((fn) => fn.metric('ConcurrentExecutions', { statistic: Stats.MAXIMUM })),
      ),
    ]);

    const { table } = props;
    const perOperation = (metricName: string, statistic: string) =>
      OPERATIONS.map(
        (operation) =>
          new Metric({
            namespace: 'AWS/DynamoDB',
            metricName,
            dimensionsMap: { TableName: table.tableName, Operation: operation },
            statistic,
            period: PERIOD,
            label: operation,
          }),
      );
    row('Table', [
      graph('Consumed capacity units', [
        table.metricConsumedReadCapacityUnits({ statistic: Stats.SUM, period: PERIOD, label: 'read' }),
        table.metricConsumedWriteCapacityUnits({ statistic: Stats.SUM, period: PERIOD, label: 'write' }),
      ]),
      graph('Throttled requests', [
        new MathExpression({
          expression: `SUM([${OPERATIONS.map((_, i) => `t${i}`).join(',')}])`,
          usingMetrics: Object.fromEntries(perOperation('ThrottledRequests', Stats.SUM).map((metric, i) => [`t${i}`, metric])),
          period: PERIOD,
          label: 'throttled requests',
        }),
        table.metricSystemErrorsForOperations({ operations: OPERATIONS, period: PERIOD, label: 'system errors' }),
      ]),
      graph('Request latency (p99, ms)', perOperation('SuccessfulRequestLatency', Stats.p(99))),
    ]);

    const { stage } = props;
    row('API', [
      graph('Requests and errors', [
        stage.metricCount({ statistic: Stats.SUM, period: PERIOD, label: 'requests' }),
        stage.metricClientError({ statistic: Stats.SUM, period: PERIOD, label: '4xx' }),
        stage.metricServerError({ statistic: Stats.SUM, period: PERIOD, label: '5xx' }),
      ]),
      graph('Latency (ms)', [
        stage.metricLatency({ statistic: Stats.p(50), period: PERIOD, label: 'p50' }),
        stage.metricLatency({ statistic: Stats.p(99), period: PERIOD, label: 'p99' }),
      ]),
    ]);
  }
}
