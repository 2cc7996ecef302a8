/**
 * What an operator must hear about: the assignment callback failing or nearing Twilio's 5-second
 * deadline (TaskRouter then falls back or cancels), the API answering 5xx or slowly, reservation timers
 * that could not be delivered, event callbacks parked, task writes whose events the stream
 * reader could not store or is late with, reservation events the lifecycle function gave up on, timers the timeout
 * function failed on, connected mode's upstream failures, unsettled updates and failing sweeps,
 * and (with Event Streams) streamed events the mirror could not apply.
 * Optionally mailed through an SNS topic.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IAlarmAction, type IMetric, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { countOf, measureOf } from './service-metrics.ts';

export interface ReservationAlarmsProps {
  readonly callback: IFunction;
  readonly stage: HttpStage;
  readonly deadLetterQueue: IQueue;
  /** Timers the timeout function failed on after Lambda's retries. */
  readonly timerFailureQueue: IQueue;
  readonly events: {
    readonly streamReader: IFunction;
    readonly deliveryDeadLetterQueue: IQueue;
    readonly streamFailureQueue: IQueue;
    /** Reservation events the lifecycle function failed on after every retry. */
    readonly lifecycleFailureQueue?: IQueue | undefined;
  };
  /** Connected mode: the upstream's failures and the updates left unsettled are watched too. */
  readonly connected: boolean;
  /** Connected mode: the sweep, whose failures would otherwise leave the unsettled updates' measure unpublished (and its alarm quiet). */
  readonly sweep?: IFunction;
  /** With Event Streams: batches of the stream the consumer failed on every retry. */
  readonly eventStreamsFailureQueue?: IQueue;
  readonly email: string | undefined;
}

const PERIOD = Duration.minutes(5);

export class ReservationAlarms extends Construct {
  /** Every alarm, for the dashboard. */
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ReservationAlarmsProps) {
    super(scope, id);
    const action = props.email === undefined ? undefined : this.emailAction(props.email);
    const alarm = (
      name: string,
      description: string,
      metric: IMetric,
      threshold: number,
      comparison: ComparisonOperator,
      /** Periods looked at, and how many of them must breach: one of one unless told. */
      { periods = 1, breaching = 1 }: { periods?: number; breaching?: number } = {},
    ) => {
      const created = new Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: comparison,
        evaluationPeriods: periods,
        datapointsToAlarm: breaching,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (action) created.addAlarmAction(action);
      this.alarms.push(created);
    };
    const atLeast = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    /** Any message in a queue that only failures fill. */
    const queued = (name: string, description: string, queue: IQueue) =>
      alarm(name, description, queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }), 1, atLeast);
    /** Any error of a function. */
    const failed = (name: string, description: string, fn: IFunction) =>
      alarm(name, description, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), 1, atLeast);
    failed('CallbackErrors', 'The assignment callback function failed (TaskRouter gets no instruction)', props.callback);
    alarm(
      'CallbackDuration',
      "The assignment callback's p99 duration is above 1 s (Twilio waits 5 s at most)",
      props.callback.metricDuration({ period: PERIOD, statistic: 'p99' }),
      1_000,
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );
    alarm('ApiServerErrors', 'The API answered 5xx', props.stage.metricServerError({ period: PERIOD, statistic: 'Sum' }), 1, atLeast);
    // A route answers after one to three store calls (tens of milliseconds warm, about a second
    // from a cold start): a p99 over 2 s is the store throttling or a function at its limit, and
    // agent desktops wait for it (an accept a desktop gave up on may still have happened). At low
    // traffic a period's p99 is its slowest request, and one slow read (a cold start, a 30-day
    // statistics read whose roll-ups are being made) is no trouble: two periods of three.
    alarm(
      'ApiLatency',
      "The API's p99 latency was above 2 s in two of the last three 5-minute periods: agent desktops wait that long for their reads and updates",
      props.stage.metricLatency({ period: PERIOD, statistic: 'p99' }),
      2_000,
      ComparisonOperator.GREATER_THAN_THRESHOLD,
      { periods: 3, breaching: 2 },
    );
    queued(
      'UndeliveredTimers',
      'Reservation timers could not be delivered and wait in the dead-letter queue (their reservations still time out on read)',
      props.deadLetterQueue,
    );
    queued(
      'UnhandledTimers',
      "Reservation timers the timeout function failed on after Lambda's retries: the wrap-up completion, the timeout's worker move or the attention flag did not happen (the message holds the timer's event; a timed-out reservation still reads as timed out)",
      props.timerFailureQueue,
    );
    queued(
      'ParkedEventCallbacks',
      'Event callbacks failed for over an hour and are parked in the dead-letter queue (the events are stored: GET …/Events serves them)',
      props.events.deliveryDeadLetterQueue,
    );
    queued(
      'UnreadTaskWrites',
      "Stream batches the event reader failed on every retry: those writes' events are not stored until recovered",
      props.events.streamFailureQueue,
    );
    failed('EventReaderErrors', 'The publish-events function failed', props.events.streamReader);
    alarm(
      'EventReaderLag',
      "The stream reader is over 5 minutes behind the table's writes: events, their callbacks and the lifecycle's reactions to them come that late",
      props.events.streamReader.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum' }),
      5 * 60_000,
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );
    if (props.events.lifecycleFailureQueue) {
      queued(
        'UnhandledLifecycleEvents',
        "Reservation events the lifecycle function failed on after every retry: their rules' moves, wrap-up and attention timers did not happen (the message holds the event)",
        props.events.lifecycleFailureQueue,
      );
    }
    if (props.connected) {
      alarm(
        'UpstreamFailures',
        'The upstream TaskRouter left outcomes unknown (5xx, time-outs, lost connections) or did not answer reads: the sweep settles them',
        new MathExpression({
          expression: 'FILL(forwardsUnknown, 0) + FILL(readsFailed, 0)',
          usingMetrics: { forwardsUnknown: countOf('forwards', 'unknown', PERIOD), readsFailed: countOf('upstreamReads', 'failed', PERIOD) },
          period: PERIOD,
          label: 'Forwards unknown + upstream reads failed',
        }),
        1,
        atLeast,
      );
      if (props.eventStreamsFailureQueue) {
        queued(
          'UnappliedStreamedEvents',
          "Event Streams batches the consumer failed on every retry: the queue's messages name their shard and sequence numbers, readable from the stream for 24 hours",
          props.eventStreamsFailureQueue,
        );
      }
      alarm(
        'UnsettledUpdates',
        'Forwarded updates still unsettled five minutes on: TaskRouter has not answered reads of them',
        measureOf('unsettledForwards', PERIOD),
        1,
        atLeast,
      );
      if (props.sweep) {
        // A sweep that throws publishes no measure, which the alarm above reads as no news.
        failed('SweepErrors', 'The upstream sweep failed: updates left unsettled are not settled, and the UnsettledUpdates alarm is not fed', props.sweep);
      }
    }
  }

  private emailAction(email: string): IAlarmAction {
    const topic = new Topic(this, 'Topic', { displayName: 'TaskRouter reservations alarms', enforceSSL: true });
    topic.addSubscription(new EmailSubscription(email));
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key, and a customer managed key for alarm names and metric values (no customer data) is not worth its cost.',
    });
    return new SnsAction(topic);
  }
}
