/**
 * Every event on the EventBridge custom bus: `source` taskrouter-reservations, `detail-type` the
 * event type, `detail` the Event resource JSON. PutEvents takes 10 entries a call and can fail
 * entry by entry: only the failed ones are sent again, a few times, then the call fails (the stream
 * retries the write's events, so a receiver may see one twice).
 */
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { eventJson } from '../domain/representations.ts';
import { EVENT_SOURCE, type TaskRouterEvent } from '../domain/events.ts';
import type { EventSink } from './ports.ts';

const ENTRIES_PER_CALL = 10;
const ATTEMPTS = 4;

/** The entry of one event: what a rule matches on (`source`, `detail-type`, `detail`). */
export function busEntry(event: TaskRouterEvent, busName: string, baseUrl: string): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: EVENT_SOURCE,
    DetailType: event.type,
    Detail: JSON.stringify(eventJson(event, baseUrl)),
    Time: new Date(event.at),
    Resources: [],
  };
}

export class EventBridgePublisher implements EventSink {
  readonly name = 'EventBridge bus';

  constructor(
    private readonly client: Pick<EventBridgeClient, 'send'>,
    private readonly busName: string,
    private readonly baseUrl: string,
    private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async deliver(events: readonly TaskRouterEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += ENTRIES_PER_CALL) {
      let entries = events.slice(i, i + ENTRIES_PER_CALL).map((e) => busEntry(e, this.busName, this.baseUrl));
      for (let attempt = 1; entries.length > 0; attempt++) {
        if (attempt > ATTEMPTS) throw new Error(`EventBridge refused ${entries.length} event(s) after ${ATTEMPTS} attempts`);
        if (attempt > 1) await this.wait(100 * 2 ** attempt);
        const { Entries = [], FailedEntryCount = 0 } = await this.client.send(new PutEventsCommand({ Entries: entries }));
        entries = FailedEntryCount === 0 ? [] : entries.filter((_, k) => Entries[k]?.ErrorCode !== undefined);
      }
    }
  }
}
