/**
 * The news that a reservation needs attention. Deployed, it is put on the EventBridge bus with this
 * service's own source, `taskrouter-reservations.lifecycle`, and detail-type
 * `reservation.needs-attention`: it is not a TaskRouter event, so it is never stored as one, never
 * listed by the Event resource and never POSTed as an event callback. Locally (no bus) it is logged.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LIFECYCLE_SOURCE } from '../domain/events.ts';
import { workspaceUrl } from '../domain/representations.ts';
import type { AttentionItem, AttentionNotices } from './ports.ts';
import { attentionFacts } from './representations.ts';

export const NEEDS_ATTENTION = 'reservation.needs-attention';

/** The detail of the news: which reservation, since when, and where to read it. */
export function attentionDetail(item: AttentionItem, reservationStatus: string, baseUrl: string) {
  const task = `${workspaceUrl(baseUrl, item.workspaceSid)}/Tasks/${item.taskSid}`;
  return { ...attentionFacts(item, reservationStatus, item.flaggedAt), url: `${task}/Reservations/${item.reservationSid}` };
}

export class EventBridgeAttentionNotices implements AttentionNotices {
  constructor(
    private readonly client: Pick<EventBridgeClient, 'send'>,
    private readonly busName: string,
    private readonly baseUrl: string,
  ) {}

  async notify(item: AttentionItem, reservationStatus: 'accepted' | 'wrapping'): Promise<void> {
    const { FailedEntryCount = 0, Entries = [] } = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: LIFECYCLE_SOURCE,
            DetailType: NEEDS_ATTENTION,
            Detail: JSON.stringify(attentionDetail(item, reservationStatus, this.baseUrl)),
            Time: new Date(item.flaggedAt),
            Resources: [],
          },
        ],
      }),
    );
    // Thrown, the timer is delivered again: the flag is there, its news not yet marked sent.
    if (FailedEntryCount > 0) throw new Error(`EventBridge refused the attention news: ${Entries[0]?.ErrorCode ?? 'unknown error'}`);
  }
}

/** The local stack's: a warning in the log (the flag itself is listed by the console and the API). */
export class LoggedAttentionNotices implements AttentionNotices {
  constructor(
    private readonly logger: Logger,
    private readonly baseUrl: string,
  ) {}

  async notify(item: AttentionItem, reservationStatus: 'accepted' | 'wrapping'): Promise<void> {
    this.logger.warn(NEEDS_ATTENTION, { detail: attentionDetail(item, reservationStatus, this.baseUrl) });
  }
}
