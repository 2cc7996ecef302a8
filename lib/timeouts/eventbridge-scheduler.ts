/**
 * One EventBridge Scheduler one-time schedule per reservation, invoking the reservation-timeout
 * function with the reservation's keys. A schedule is left in place when its reservation is
 * answered: it deletes itself after it fires (ActionAfterCompletion DELETE) and the function then
 * finds nothing to do, which costs less than a Scheduler call on every accept.
 */
import { ConflictException, CreateScheduleCommand, type CreateScheduleCommandInput, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { TimeoutScheduleConfig } from '../config.ts';
import { timerName, type ReservationTimer, type TimeoutEvent, type TimeoutScheduler } from './scheduler.ts';

/** After the deadline, the timer keeps trying this long, then goes to the dead-letter queue. */
export const TIMER_MAXIMUM_EVENT_AGE_SECONDS = 300;
export const TIMER_MAXIMUM_RETRY_ATTEMPTS = 10;

/**
 * `at()` takes whole seconds and Scheduler fires to the minute, so the timer is set for the first
 * whole minute at or after the deadline: it never fires before it.
 */
export function atExpression(deadline: number): string {
  const minute = Math.ceil(deadline / 60_000) * 60_000;
  return `at(${new Date(minute).toISOString().slice(0, 19)})`;
}

export function createScheduleInput(config: TimeoutScheduleConfig, timer: ReservationTimer): CreateScheduleCommandInput {
  const event: TimeoutEvent = {
    accountSid: timer.accountSid,
    workspaceSid: timer.workspaceSid,
    taskSid: timer.taskSid,
    reservationSid: timer.reservationSid,
    ...(timer.kind && { kind: timer.kind }),
    ...(timer.activitySid && { activitySid: timer.activitySid }),
  };
  return {
    Name: timerName(timer),
    GroupName: config.groupName,
    ScheduleExpression: atExpression(timer.deadline),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    ClientToken: timerName(timer),
    Target: {
      Arn: config.functionArn,
      RoleArn: config.roleArn,
      Input: JSON.stringify(event),
      RetryPolicy: { MaximumEventAgeInSeconds: TIMER_MAXIMUM_EVENT_AGE_SECONDS, MaximumRetryAttempts: TIMER_MAXIMUM_RETRY_ATTEMPTS },
      DeadLetterConfig: { Arn: config.deadLetterQueueArn },
    },
  };
}

export class EventBridgeTimeoutScheduler implements TimeoutScheduler {
  constructor(
    private readonly client: Pick<SchedulerClient, 'send'>,
    private readonly config: TimeoutScheduleConfig,
  ) {}

  async schedule(timer: ReservationTimer): Promise<void> {
    try {
      await this.client.send(new CreateScheduleCommand(createScheduleInput(this.config, timer)));
    } catch (error) {
      // The schedule exists: a repeated callback armed this reservation's timer before.
      if (!(error instanceof ConflictException)) throw error;
    }
  }
}
