/**
 * The engines the store contract suite runs on: the in-memory stores (lib/store/memory), dynalite
 * and Amazon's DynamoDB Local. Which of them a run takes is the vitest project's (STORE_ENGINES:
 * `memory` in the unit tier, the two DynamoDB engines in the engine tier; all three unset).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { memoryStores } from '#lib/store/memory/memory-stores.ts';
import { dynamoDbStores, type Stores } from '#lib/store/stores.ts';

export interface RunningStores {
  readonly stores: Stores;
  /** Another set of stores on the same data, remembering nothing this one learnt (another process's). */
  again(): Stores;
  /** The DynamoDB engines' client and table, for checks of the items themselves. */
  readonly raw?: { readonly client: DynamoDBDocumentClient; readonly tableName: string };
  stop(): Promise<void>;
}

export interface StoreEngine {
  readonly name: string;
  start(): Promise<RunningStores>;
}

const MEMORY: StoreEngine = {
  name: 'memory',
  async start() {
    const stores = memoryStores();
    return { stores, again: () => stores, stop: async () => undefined };
  },
};

async function dynamoDb(name: string): Promise<StoreEngine> {
  const { ENGINES, freshStore } = await import('./engines.ts');
  const engine = ENGINES.find((e) => e.name === name)!;
  return {
    name,
    async start() {
      const running = await engine.start();
      const { stores, client, tableName } = await freshStore(running.endpoint);
      return {
        stores,
        again: () => dynamoDbStores({ client, tableName, retentionDays: 7 }),
        raw: { client, tableName },
        stop: async () => {
          client.destroy();
          await running.stop();
        },
      };
    },
  };
}

const wanted = (process.env['STORE_ENGINES'] ?? 'memory,dynalite,DynamoDB Local').split(',').map((n) => n.trim());

export const STORE_ENGINES: readonly StoreEngine[] = [
  ...(wanted.includes('memory') ? [MEMORY] : []),
  ...(await Promise.all(['dynalite', 'DynamoDB Local'].filter((n) => wanted.includes(n)).map(dynamoDb))),
];
