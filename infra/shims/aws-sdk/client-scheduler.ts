/**
 * The bundles' `@aws-sdk/client-scheduler` (README.md beside this file says why): the client and
 * CreateSchedule (`POST /schedules/{Name}`), on EventBridge Scheduler's REST JSON API. As with the
 * SDK, a schedule sent without a ClientToken gets a new one for that send, which its retried
 * attempts share, so that they cannot create it twice.
 */
import { randomUUID } from 'node:crypto';
import { Client, type ClientConfig, exception, type Service } from './core.ts';
import { RestJsonCommand } from './protocols.ts';

/** Every error Scheduler answers, modelled or not, as with the SDK's. */
export { ServiceException as SchedulerServiceException } from './core.ts';

export class ConflictException extends exception('ConflictException', 'client') {}
export class ResourceNotFoundException extends exception('ResourceNotFoundException', 'client') {}
export class ValidationException extends exception('ValidationException', 'client') {}
export class ServiceQuotaExceededException extends exception('ServiceQuotaExceededException', 'client') {}
export class ThrottlingException extends exception('ThrottlingException', 'client') {}
export class InternalServerException extends exception('InternalServerException', 'server') {}

const SERVICE: Service = {
  clientName: 'SchedulerClient',
  endpointEnv: 'SCHEDULER',
  endpointPrefix: 'scheduler',
  retryDelayBaseMs: 50,
  defaultMaxAttempts: 3,
  signingName: 'scheduler',
  errors: { ConflictException, ResourceNotFoundException, ValidationException, ServiceQuotaExceededException, ThrottlingException, InternalServerException },
};

export class SchedulerClient extends Client {
  constructor(config: ClientConfig = {}) {
    super(SERVICE, config);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the schedule's input, typed where it is built (against the SDK's types)
type ScheduleInput = Record<string, any> & { readonly Name: string; readonly ClientToken?: string };

export class CreateScheduleCommand extends RestJsonCommand<ScheduleInput, { readonly ScheduleArn: string }> {
  readonly commandName = 'CreateScheduleCommand';
  protected readonly method = 'POST';
  protected readonly path = '/schedules/{Name}';
  override marshal(input: ScheduleInput): object {
    return { ...input, ClientToken: input.ClientToken ?? randomUUID() };
  }
}
