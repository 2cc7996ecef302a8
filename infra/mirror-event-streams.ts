/**
 * Twilio Event Streams into AWS (`-c eventStreams=true`, connected mode): the Kinesis stream its
 * Kinesis sink writes to, the role Twilio's AWS account assumes to write there (with the
 * ExternalId, so that no other Twilio customer can point a sink at it), and the event-streams
 * function reading it: partial batch responses, bisected retries, then the batch's place in the
 * stream parked in an on-failure queue an alarm watches.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccountPrincipal, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The AWS account Twilio Event Streams assumes sink roles from (Twilio's Kinesis quickstart script). */
export const TWILIO_EVENT_STREAMS_ACCOUNT = '177261743968';

export interface EventStreamsProps {
  readonly consumer: LambdaFunction;
  readonly externalId: string;
}

export class EventStreamsIngest extends Construct {
  readonly stream: Stream;
  /** The role the Sink's `role_arn` names. */
  readonly twilioRole: Role;
  /** Batches that failed every retry: where in the stream they are (Lambda parks that, not the records). */
  readonly failureQueue: Queue;

  constructor(scope: Construct, id: string, props: EventStreamsProps) {
    super(scope, id);
    // One provisioned shard (1,000 records or 1 MB a second in) is far above one contact
    // centre's TaskRouter events, at about a third of an on-demand stream's fixed cost. It holds a
    // day of records on their way to the table, and of those the failure queue names (read them
    // first): deleted with the stack or when Event Streams is turned off, where CDK's default would
    // keep it, and its shard's bill, for good.
    this.stream = new Stream(this, 'Stream', {
      streamMode: StreamMode.PROVISIONED,
      shardCount: 1,
      retentionPeriod: Duration.hours(24),
      encryption: StreamEncryption.MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.twilioRole = new Role(this, 'TwilioRole', {
      description: 'Assumed by Twilio Event Streams (its Kinesis sink) to put TaskRouter events on the stream',
      assumedBy: new AccountPrincipal(TWILIO_EVENT_STREAMS_ACCOUNT),
      externalIds: [props.externalId],
      maxSessionDuration: Duration.hours(1),
    });
    // What the sink does with the role (Twilio's quickstart): put records, and read the shards and limits to do so.
    this.twilioRole.addToPolicy(
      new PolicyStatement({ actions: ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:ListShards'], resources: [this.stream.streamArn] }),
    );
    this.twilioRole.addToPolicy(new PolicyStatement({ actions: ['kinesis:DescribeLimits'], resources: ['*'] }));
    Validations.of(this.twilioRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'kinesis:DescribeLimits, which the Twilio Kinesis sink calls, reads the account’s shard limits and has no resource to scope it to (AWS); the writes are granted on this stream alone.',
    });

    this.failureQueue = new Queue(this, 'FailureQueue', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination: one behind it would have nobody to read it; an alarm watches its depth.',
    });

    props.consumer.addEventSource(
      new KinesisEventSource(this.stream, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        bisectBatchOnError: true,
        retryAttempts: 10,
        // Well inside the stream's 24 hours, so the parked batch can still be read from it.
        maxRecordAge: Duration.hours(1),
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.failureQueue),
      }),
    );
  }
}
