/** The stack's SQS queues, made one way. */
import type { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** A queue at rest encrypted, over TLS only. */
export function queue(
  scope: Construct,
  id: string,
  props: { retention: Duration; visibilityTimeout?: Duration; deadLetter?: Queue; maxReceiveCount?: number },
): Queue {
  return new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: props.retention,
    ...(props.visibilityTimeout && { visibilityTimeout: props.visibilityTimeout }),
    ...(props.deadLetter && { deadLetterQueue: { queue: props.deadLetter, maxReceiveCount: props.maxReceiveCount! } }),
  });
}
