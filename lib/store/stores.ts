/**
 * The store's adapters, one per item family, each implementing the port its user declares:
 * tasks (lib/reservations/ports.ts, lib/upstream/ports.ts), forward marks, workers (with their own
 * forward marks), events
 * (lib/publishing/ports.ts), the inbox and the CloudEvent marks (lib/upstream/ports.ts), the
 * attention flags (lib/lifecycle/ports.ts) and the statistics (lib/statistics/ports.ts).
 * `dynamoDbStores` builds them on one document client and table; lib/store/memory/ builds the
 * same set in memory for the fast tests.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TaskStore, WorkerStore } from '../reservations/ports.ts';
import type { EventStore, ReservationWorkers } from '../publishing/ports.ts';
import type { StatisticsStore } from '../statistics/ports.ts';
import type { CloudEventMarks, ForwardMarks as ForwardMarksPort, InboxStore, ObservedRecords, WorkerForwardMarks } from '../upstream/ports.ts';
import type { AttentionStore } from '../lifecycle/ports.ts';
import { AttentionItems } from './attention-items.ts';
import { CloudEventItems } from './cloud-event-items.ts';
import { EventItems } from './event-items.ts';
import { ForwardMarks } from './forward-marks.ts';
import { tableBatches } from './group-commit.ts';
import { InboxItems } from './inbox-items.ts';
import { StatisticsItems } from './statistics-items.ts';
import { TaskItems } from './task-items.ts';
import { WorkerItems } from './worker-items.ts';

export interface Stores {
  readonly tasks: TaskStore & ObservedRecords;
  readonly marks: ForwardMarksPort;
  readonly workers: WorkerStore & ReservationWorkers & WorkerForwardMarks;
  readonly events: EventStore;
  readonly inbox: InboxStore;
  readonly cloudEvents: CloudEventMarks;
  readonly attention: AttentionStore;
  readonly statistics: StatisticsStore;
}

export interface DynamoDbStoreSettings {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionDays: number;
}

export function dynamoDbStores(base: DynamoDbStoreSettings): Stores {
  // One group commit for the table: the families that put unconditioned items share its batches.
  const settings = { ...base, batches: tableBatches(base.client, base.tableName) };
  return {
    tasks: new TaskItems(settings),
    marks: new ForwardMarks(settings),
    workers: new WorkerItems(settings),
    events: new EventItems(settings),
    inbox: new InboxItems(settings),
    cloudEvents: new CloudEventItems(settings),
    attention: new AttentionItems(settings),
    statistics: new StatisticsItems(settings),
  };
}
