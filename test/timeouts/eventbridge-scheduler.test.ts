/**
 * The AWS Scheduler adapter. The control plane cannot run here, so the client is replaced by one
 * that records what would be sent, and the test checks that exact request.
 */
import { ConflictException, CreateScheduleCommand, SchedulerServiceException } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { EventBridgeTimeoutScheduler, atExpression } from '#lib/timeouts/eventbridge-scheduler.ts';
import { timerName } from '#lib/timeouts/scheduler.ts';

const config = {
  groupName: 'taskrouter-reservation-timeouts',
  functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:reservation-timeout',
  roleArn: 'arn:aws:iam::123456789012:role/scheduler-invokes-timeout',
  deadLetterQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:timeouts-dlq',
};
const timer = {
  accountSid: `AC${'1'.repeat(32)}`,
  workspaceSid: `WS${'2'.repeat(32)}`,
  taskSid: `WT${'3'.repeat(32)}`,
  reservationSid: `WR${'4'.repeat(32)}`,
  deadline: Date.UTC(2026, 10, 24, 9, 30, 15, 250),
};

function recordingClient(fail?: Error) {
  const sent: unknown[] = [];
  return {
    sent,
    client: {
      send: async (command: unknown) => {
        sent.push(command);
        if (fail) throw fail;
        return {};
      },
    },
  };
}

describe('EventBridge Scheduler timers', () => {
  it('send one CreateSchedule per reservation: deterministic name, at() the deadline, OFF window, DELETE after, retries, DLQ', async () => {
    const { sent, client } = recordingClient();
    await new EventBridgeTimeoutScheduler(client as never, config).schedule(timer);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(CreateScheduleCommand);
    expect((sent[0] as CreateScheduleCommand).input).toEqual({
      Name: timerName(timer),
      GroupName: 'taskrouter-reservation-timeouts',
      ScheduleExpression: 'at(2026-11-24T09:31:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      ClientToken: timerName(timer),
      Target: {
        Arn: config.functionArn,
        RoleArn: config.roleArn,
        Input: JSON.stringify({ accountSid: timer.accountSid, workspaceSid: timer.workspaceSid, taskSid: timer.taskSid, reservationSid: timer.reservationSid }),
        RetryPolicy: { MaximumEventAgeInSeconds: 300, MaximumRetryAttempts: 10 },
        DeadLetterConfig: { Arn: config.deadLetterQueueArn },
      },
    });
  });

  it('never fire before the deadline: at() is the first whole minute at or after it', () => {
    expect(atExpression(Date.UTC(2026, 0, 1, 0, 0, 0, 0))).toBe('at(2026-01-01T00:00:00)');
    expect(atExpression(Date.UTC(2026, 0, 1, 0, 0, 0, 1))).toBe('at(2026-01-01T00:01:00)');
    expect(atExpression(Date.UTC(2026, 11, 31, 23, 59, 30))).toBe('at(2027-01-01T00:00:00)');
  });

  it('treat an existing schedule as armed (a repeated callback) and pass other failures on', async () => {
    const conflict = new ConflictException({ message: 'Schedule already exists', Message: 'Schedule already exists', $metadata: {} });
    await expect(new EventBridgeTimeoutScheduler(recordingClient(conflict).client as never, config).schedule(timer)).resolves.toBeUndefined();
    const throttled = new SchedulerServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'slow down', $metadata: {} });
    await expect(new EventBridgeTimeoutScheduler(recordingClient(throttled).client as never, config).schedule(timer)).rejects.toBe(throttled);
  });

  it('name each timer after its reservation and its scope: another account naming the same SIDs gets a timer of its own', () => {
    const name = timerName(timer);
    // Scheduler's limits: Name ^[0-9a-zA-Z-_.]+$ and ClientToken ^[a-zA-Z0-9-_]{1,64}$.
    expect(name).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
    expect(name).toContain(timer.reservationSid);
    expect(timerName({ ...timer })).toBe(name);
    const others = [
      { accountSid: `AC${'9'.repeat(32)}` },
      { workspaceSid: `WS${'9'.repeat(32)}` },
      { taskSid: `WT${'9'.repeat(32)}` },
      { deadline: timer.deadline + 60_000 },
    ].map((o) => timerName({ ...timer, ...o }));
    expect(new Set([name, ...others]).size).toBe(5);
  });
});
