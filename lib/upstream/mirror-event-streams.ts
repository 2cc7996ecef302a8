/**
 * Connected mode's second way in: Twilio Event Streams' CloudEvents, read from a Kinesis record,
 * applied by the same mirror as the event callbacks. An event is applied once per CloudEvent `id`
 * (lib/store/cloud-event-items.ts), and only for an account this deployment serves.
 *
 * What can never succeed is logged and skipped, so that a bad event is not retried forever: a
 * record that is not JSON, a CloudEvent without its fields, an event the mirror refuses as invalid,
 * another account's event. A store failure is thrown: the record is retried (the event source's
 * partial batch response), and its events already applied are skipped then by their markers. Logs
 * carry SIDs, types and ids only, never attributes (they may hold personal data).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Credentials } from '../credentials.ts';
import type { Clock } from '../domain/clock.ts';
import { InvalidParameterError } from '../domain/errors.ts';
import type { CloudEventMarks } from './ports.ts';
import { readCloudEvent, readKinesisData } from './upstream-event.ts';
import type { MirrorOutcome, UpstreamMirror } from './mirror.ts';

export type StreamedOutcome =
  | MirrorOutcome
  /** Its CloudEvent id was applied before: nothing done. */
  | 'duplicate'
  /** Not JSON, not a CloudEvent of the expected shape, or refused by the mirror as invalid. */
  | 'malformed'
  /** Of an account this deployment does not serve: dropped. */
  | 'foreign';

export interface EventStreamsConsumerOptions {
  readonly mirror: UpstreamMirror;
  readonly marks: CloudEventMarks;
  readonly credentials: Credentials;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class EventStreamsConsumer {
  constructor(private readonly options: EventStreamsConsumerOptions) {}

  /** Applies the CloudEvents of one Kinesis record (its base64 data); throws only what a retry may mend. */
  async consume(data: string, sequenceNumber: string): Promise<StreamedOutcome[]> {
    const { logger } = this.options;
    const read = readKinesisData(data);
    if ('problem' in read) {
      logger.warn('cloud event skipped', { sequenceNumber, problem: read.problem });
      return ['malformed'];
    }
    const outcomes: StreamedOutcome[] = [];
    // In order: a record's events are as the stream has them, and a retry finds the first ones marked.
    for (const event of read.events) outcomes.push(await this.#apply(event, sequenceNumber));
    return outcomes;
  }

  async #apply(cloudEvent: unknown, sequenceNumber: string): Promise<StreamedOutcome> {
    const { mirror, marks, credentials, clock, logger } = this.options;
    const read = readCloudEvent(cloudEvent);
    if (read.kind === 'ignored') return 'ignored';
    if (read.kind === 'malformed') {
      logger.warn('cloud event skipped', { sequenceNumber, problem: read.problem });
      return 'malformed';
    }
    const { id, event } = read;
    const mark = { accountSid: event.accountSid, workspaceSid: event.workspaceSid, id };
    const keys = { cloudEventId: id, eventType: event.type, accountSid: event.accountSid };
    if ((await credentials.authToken(event.accountSid)) === undefined) {
      logger.warn('cloud event of an account not served dropped', keys);
      return 'foreign';
    }
    if (await marks.applied(mark)) return 'duplicate';
    let outcome: MirrorOutcome;
    try {
      outcome = await mirror.apply(event);
    } catch (error) {
      if (!(error instanceof InvalidParameterError)) throw error;
      // The message names the field and the rule, never its value.
      logger.warn('cloud event skipped', { ...keys, sequenceNumber, problem: error.message });
      return 'malformed';
    }
    await marks.markApplied(mark, clock.now());
    return outcome;
  }
}
