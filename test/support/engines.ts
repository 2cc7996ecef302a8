/**
 * The DynamoDB engines every store test runs on: dynalite (the embedded default) and Amazon's
 * DynamoDB Local (started once by global-setup.ts).
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { startDynalite } from '#lib/local/dynamodb-engine.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { dynamoDbStores } from '#lib/store/stores.ts';

export interface Engine {
  readonly name: string;
  start(): Promise<{ endpoint: string; stop(): Promise<void> }>;
}

export const ENGINES: readonly Engine[] = [
  {
    name: 'dynalite',
    async start() {
      const engine = await startDynalite();
      return { endpoint: engine.endpoint, stop: () => engine.close() };
    },
  },
  {
    name: 'DynamoDB Local',
    async start() {
      return { endpoint: inject('dynamodbLocalEndpoint'), stop: async () => undefined };
    },
  },
];

/** A fresh table on a running engine, with the stores on it and their client. */
export async function freshStore(endpoint: string, retentionDays = 7) {
  const tableName = `t${randomBytes(6).toString('hex')}`;
  await ensureTable(endpoint, tableName);
  const client = createDocumentClient({ endpoint });
  return { stores: dynamoDbStores({ client, tableName, retentionDays }), client, tableName };
}
