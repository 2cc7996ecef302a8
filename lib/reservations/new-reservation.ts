/**
 * One way to build the reservation TaskRouter announces, whether it comes as an assignment
 * callback (standalone or connected) or, connected, as the first event that names it: the task's
 * creation from its age, the deadline from the timeout, the worker's contact_uri (where To, CallTo
 * and DequeueTo fall back).
 */
import { contactUriOf } from '../domain/assignment-callback.ts';
import type { ReservationAction } from '../domain/instructions.ts';
import type { LifecyclePolicy } from '../domain/lifecycle-policy.ts';
import type { TaskScope } from '../domain/scope.ts';
import type { NewReservation } from './ports.ts';

/** What TaskRouter says of a reservation when it makes one. */
export interface Assignment {
  readonly task: TaskScope & {
    readonly workflowSid: string;
    readonly taskQueueSid: string;
    /** JSON, as TaskRouter sends it. */
    readonly attributes: string;
    readonly priority: number;
    /** Seconds since TaskRouter created the task. */
    readonly age: number;
  };
  readonly reservationSid: string;
  readonly workerSid: string;
  readonly workerName: string | null;
  /** JSON, as TaskRouter sends it, and its values. */
  readonly workerAttributes: string;
  readonly workerAttributeValues: Readonly<Record<string, unknown>>;
  /** The task's attributes' values (lifecycle rules match on them). */
  readonly taskAttributeValues: Readonly<Record<string, unknown>>;
}

export interface Recording {
  /** When TaskRouter made it (the callback's arrival, or the event's timestamp). */
  readonly at: number;
  readonly timeoutSeconds: number;
  readonly maxRejections: number;
  /** The policy's instruction, applied in the same write. */
  readonly action?: ReservationAction;
  /** The assignment callback's answer (`{}` when none is given). */
  readonly answer: string;
  /** Recorded even on a task already accepted or canceled (TaskRouter decided it: connected mode, or a callback the record cannot instruct). */
  readonly evenIfClosed?: true;
  /** The policy's lifecycle rules: the first that matches is the reservation's for life. */
  readonly lifecycle?: LifecyclePolicy;
}

/** The lifecycle rule a reservation gets when it is created, as it keeps it: its name and its wrap-up limit. */
export function lifecycleOf(policy: LifecyclePolicy | undefined, assignment: Assignment): NewReservation['lifecycle'] {
  const rule = policy?.ruleFor({
    taskQueueSid: assignment.task.taskQueueSid,
    workflowSid: assignment.task.workflowSid,
    task: assignment.taskAttributeValues,
    worker: assignment.workerAttributeValues,
  });
  if (!rule) return undefined;
  return { name: rule.name, ...(rule.wrapUpSeconds !== undefined && { wrapUpMs: rule.wrapUpSeconds * 1000 }) };
}

export function newReservationFrom(assignment: Assignment, recording: Recording): NewReservation {
  const { task } = assignment;
  const contactUri = contactUriOf(assignment.workerAttributeValues);
  const lifecycle = lifecycleOf(recording.lifecycle, assignment);
  return {
    task: {
      accountSid: task.accountSid,
      workspaceSid: task.workspaceSid,
      taskSid: task.taskSid,
      workflowSid: task.workflowSid,
      taskQueueSid: task.taskQueueSid,
      attributes: task.attributes,
      priority: task.priority,
      createdAt: recording.at - task.age * 1000,
    },
    reservationSid: assignment.reservationSid,
    workerSid: assignment.workerSid,
    workerName: assignment.workerName,
    workerAttributes: assignment.workerAttributes,
    ...(contactUri !== undefined && { contactUri }),
    deadline: recording.at + recording.timeoutSeconds * 1000,
    maxRejections: recording.maxRejections,
    ...(recording.action && { action: recording.action }),
    answer: recording.answer,
    ...(recording.evenIfClosed && { evenIfClosed: true }),
    ...(lifecycle && { lifecycle }),
  };
}
