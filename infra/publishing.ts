/**
 * TaskRouter events, deployed: the table's stream read by the publish-events function (task items
 * and workers' own items only, partial batch responses, bisected retries, then an on-failure
 * queue), the custom EventBridge bus, the event callbacks' delivery queue read by the
 * publish-event-callbacks function, with its dead-letter queue for deliveries that failed for over
 * an hour, the rule that hands each reservation event to the lifecycle function, and the bus's
 * archive, from which a day can be replayed onto the bus.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { type Archive, EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTIONS } from '#lib/functions.ts';
import { ACTIVITY_SORT_KEY, TABLE, TASK_PREFIX, WORKER_PREFIX } from '#lib/store/table.ts';
import { EVENT_SOURCE, LIFECYCLE_SOURCE } from '#lib/domain/events.ts';
import { MAX_RECEIVES } from '#lib/publishing/sqs-callback-queue.ts';
import { queue } from './queue.ts';
import type { ReservationTable } from './table.ts';

export interface TaskRouterEventsProps {
  readonly table: ReservationTable;
  /** Reads the table's stream. */
  readonly streamReader: LambdaFunction;
  /** Reads the delivery queue. */
  readonly deliverer: LambdaFunction;
  /** How long the bus's archive keeps events, in days; 0: indefinitely. */
  readonly archiveRetentionDays?: number;
}

export class TaskRouterEvents extends Construct {
  readonly bus: EventBus;
  /** Every event put on the bus, kept for replay (`aws events start-replay`). */
  readonly archive: Archive;
  readonly deliveryQueue: Queue;
  /** Callbacks that failed for over an hour: parked here (an alarm watches it). */
  readonly deliveryDeadLetterQueue: Queue;
  /** Stream batches that failed every retry: their events are not stored (an alarm watches it). */
  readonly streamFailureQueue: Queue;
  /** Reservation events the lifecycle function failed on after every retry (an alarm watches it). */
  subscriberFailureQueue: Queue | undefined;

  constructor(scope: Construct, id: string, props: TaskRouterEventsProps) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', {
      description: 'TaskRouter events of the reservation service (source taskrouter-reservations, detail-type the event type)',
    });

    const days = props.archiveRetentionDays ?? 365;
    this.archive = this.bus.archive('Archive', {
      description: `Every event of the reservation service (TaskRouter's and its own news), kept ${days === 0 ? 'indefinitely' : `${days} days`} for replay`,
      // Both of the service's sources: its TaskRouter events, and its news of reservations needing attention.
      eventPattern: { source: [EVENT_SOURCE, LIFECYCLE_SOURCE] },
      ...(days > 0 && { retention: Duration.days(days) }),
    });

    this.deliveryDeadLetterQueue = queue(this, 'DeliveryDeadLetterQueue', { retention: Duration.days(14) });
    this.deliveryQueue = queue(this, 'DeliveryQueue', {
      retention: Duration.days(4),
      // Six times the function's timeout (AWS's advice for an SQS event source); failures set their own, longer.
      visibilityTimeout: Duration.seconds(6 * FUNCTIONS['publish-event-callbacks'].timeoutSeconds),
      deadLetter: this.deliveryDeadLetterQueue,
      maxReceiveCount: MAX_RECEIVES,
    });
    this.streamFailureQueue = queue(this, 'StreamFailureQueue', { retention: Duration.days(14) });
    for (const dlq of [this.deliveryDeadLetterQueue, this.streamFailureQueue]) {
      Validations.of(dlq).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself a dead-letter (or on-failure) queue: one behind it would have nobody to read it; an alarm watches its depth.',
      });
    }

    props.streamReader.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        bisectBatchOnError: true,
        retryAttempts: 10,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.streamFailureQueue),
        // Only task items and workers' own items have events.
        filters: [
          FilterCriteria.filter({ dynamodb: { Keys: { [TABLE.partitionKey]: { S: FilterRule.beginsWith(TASK_PREFIX) } } } }),
          FilterCriteria.filter({
            dynamodb: { Keys: { [TABLE.partitionKey]: { S: FilterRule.beginsWith(WORKER_PREFIX) }, [TABLE.sortKey]: { S: [ACTIVITY_SORT_KEY] } } },
          }),
        ],
      }),
    );
    Validations.of(props.streamReader.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "dynamodb:ListStreams, which Lambda's DynamoDB event source needs, has no resource to scope it to (AWS); the stream's records are read under grants on this table's stream alone.",
    });
    props.deliverer.addEventSource(new SqsEventSource(this.deliveryQueue, { batchSize: 10, reportBatchItemFailures: true }));
  }

  /**
   * Hands each reservation event on the bus to a function (the lifecycle's), asynchronously: a
   * failed invocation is retried twice by Lambda (EventBridge retries its own delivery for a day),
   * then parked in a failure queue.
   */
  subscribe(fn: LambdaFunction): void {
    const failures = queue(this, 'SubscriberFailureQueue', { retention: Duration.days(14) });
    Validations.of(failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself an on-failure queue: one behind it would have nobody to read it; an alarm watches its depth.',
    });
    this.subscriberFailureQueue = failures;
    fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(failures) });
    new Rule(this, 'ReservationEventsRule', {
      description: "Hands this service's reservation events to the lifecycle function",
      eventBus: this.bus,
      eventPattern: { source: [EVENT_SOURCE], detailType: [{ prefix: 'reservation.' }] as unknown as string[] },
      targets: [new LambdaTarget(fn, { deadLetterQueue: failures, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });
  }

  /** Lets a function put events on the bus: EVENT_BUS_NAME and PutEvents on this bus alone. */
  bindBus(fn: LambdaFunction): void {
    fn.addEnvironment('EVENT_BUS_NAME', this.bus.eventBusName);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }));
  }

  /** Lets a function queue event callbacks (`send`) or deliver them (`consume`, with the event source's own grants). */
  bindDeliveryQueue(fn: LambdaFunction, use: 'send' | 'consume'): void {
    fn.addEnvironment('EVENT_DELIVERY_QUEUE_URL', this.deliveryQueue.queueUrl);
    fn.addToRolePolicy(
      new PolicyStatement({ actions: [use === 'send' ? 'sqs:SendMessage' : 'sqs:ChangeMessageVisibility'], resources: [this.deliveryQueue.queueArn] }),
    );
  }
}
