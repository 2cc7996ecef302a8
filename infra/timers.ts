/**
 * Reservation timers: a schedule group for the per-reservation one-time schedules, the role
 * EventBridge Scheduler assumes to fire them (it may invoke the timeout function and write to the
 * dead-letter queue, nothing else), the queue for events it could not deliver, and the queue for
 * those the timeout function failed on. Scheduler invokes the function asynchronously: its retry
 * policy and dead-letter queue cover only the delivery, and once Lambda has taken the event a
 * function error is retried by Lambda (twice), then the event goes to the failure queue instead of
 * being dropped.
 */
import { ArnFormat, Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TIMEOUT_SCHEDULE_VARIABLES } from '#lib/config.ts';
import { queue } from './queue.ts';

export interface ReservationTimersProps {
  /** The reservation-timeout function, the only target of the schedules. */
  readonly target: IFunction;
  /**
   * Its fixed name: connected, the timeout function arms timers too (a later check of a
   * reservation still pending upstream), and its own ARN in its environment must not be a
   * reference to itself.
   */
  readonly targetName: string;
}

export class ReservationTimers extends Construct {
  readonly group: ScheduleGroup;
  readonly deadLetterQueue: Queue;
  /** Timers the timeout function failed on after Lambda's retries (a store or upstream failure): the message holds the timer's event. */
  readonly failureQueue: Queue;
  readonly schedulerRole: Role;
  readonly #targetArn: string;

  constructor(scope: Construct, id: string, props: ReservationTimersProps) {
    super(scope, id);
    this.#targetArn = Stack.of(this).formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: props.targetName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // Its timers mean nothing without the stack, and a retained group's fixed name would block
    // deploying the stack again.
    this.group = new ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });

    this.deadLetterQueue = queue(this, 'DeadLetterQueue', { retention: Duration.days(14) });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is the dead-letter queue (of the reservation timers' schedules); a queue for it would have nobody to read it.",
    });

    this.failureQueue = queue(this, 'FailureQueue', { retention: Duration.days(14) });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is itself an on-failure queue (the timeout function's): one behind it would have nobody to read it; an alarm watches its depth.",
    });
    props.target.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(this.failureQueue) });

    // Only the schedules of this group, in this account, may use the role (the confused-deputy
    // guard): Scheduler names the schedule's group as the source when it assumes the role.
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID, 'aws:SourceArn': this.group.scheduleGroupArn } },
      }),
      description: 'EventBridge Scheduler fires reservation timers: invokes the reservation-timeout function',
    });
    this.schedulerRole.addToPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.target.functionArn] }));
    this.schedulerRole.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));
  }

  /** ARN pattern of the group's schedules (named after their reservations: lib/timeouts/scheduler.ts). */
  get scheduleArns(): string {
    return Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.group.scheduleGroupName}/*` });
  }

  /**
   * Lets a function arm timers: it creates schedules in the group and hands them the scheduler
   * role; the four TIMEOUT_* variables tell it where (lib/config.ts).
   */
  bindArmer(fn: LambdaFunction): void {
    const env = {
      [TIMEOUT_SCHEDULE_VARIABLES.groupName]: this.group.scheduleGroupName,
      [TIMEOUT_SCHEDULE_VARIABLES.functionArn]: this.#targetArn,
      [TIMEOUT_SCHEDULE_VARIABLES.roleArn]: this.schedulerRole.roleArn,
      [TIMEOUT_SCHEDULE_VARIABLES.deadLetterQueueArn]: this.deadLetterQueue.queueArn,
    };
    for (const [name, value] of Object.entries(env)) fn.addEnvironment(name, value);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['scheduler:CreateSchedule'], resources: [this.scheduleArns] }));
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    // The statement lands in the role's policy, a sibling of the function.
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${this.iamFindingResource()}]`,
      reason:
        'One schedule per reservation, named rt-<ReservationSid>-<digest of its account, workspace and task> (lib/timeouts): the names are only known at run time, so the grant is every schedule of this group and no other.',
    });
  }

  /** How cdk-nag spells the schedule ARN pattern in its finding id. */
  private iamFindingResource(): string {
    return `arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.group.scheduleGroupName}/*`;
  }
}
