/**
 * The embedded DynamoDB engine of `npm start`: dynalite, in this process, in memory or in a
 * folder (DATA_DIR). Tests also start Amazon's DynamoDB Local (test/support/); both get their
 * table from the one definition in lib/store/table.ts.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ConfigError } from '../config.ts';
import { createTableInput } from '../store/table.ts';

export interface DynamoDbEngine {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Held in a DATA_DIR while a process uses it: the process's pid. */
export const DATA_DIR_LOCK = 'taskrouter.lock';

/**
 * One process at a time may open a DATA_DIR: LevelDB locks its folder, and dynalite, refused,
 * throws out of its request handler later ("Database is closed"). Checked first, with a message
 * that says who holds it; a lock left by a process that has died is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lock = join(dataDir, DATA_DIR_LOCK);
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
      throw new ConfigError('DATA_DIR', `${dataDir} is in use by process ${holder} (npm start or npm run invoke): stop it, or choose another folder`);
    }
    rmSync(lock, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Empties a DATA_DIR this process holds, but only one that is the engine's (a LevelDB store, or
 * nothing yet): a mistyped DATA_DIR must never cost anything else.
 */
function emptyDataDir(dataDir: string): void {
  const entries = readdirSync(dataDir).filter((name) => name !== DATA_DIR_LOCK);
  if (entries.length > 0 && !entries.includes('CURRENT')) {
    throw new ConfigError('DATA_DIR', `${dataDir} does not hold the embedded engine's data (no LevelDB CURRENT file); not emptying it`);
  }
  for (const name of entries) rmSync(join(dataDir, name), { recursive: true, force: true });
}

export interface DynaliteOptions {
  /** Keep the data in this folder (one process at a time); unset: in memory. */
  readonly dataDir?: string | undefined;
  /** Start from an empty DATA_DIR (npm run invoke --fresh): emptied once this process holds it. */
  readonly fresh?: boolean;
}

export async function startDynalite(options: DynaliteOptions = {}): Promise<DynamoDbEngine> {
  const { dataDir } = options;
  const unlock = dataDir !== undefined ? lockDataDir(dataDir) : () => {};
  if (dataDir !== undefined && options.fresh) {
    try {
      emptyDataDir(dataDir);
    } catch (error) {
      unlock();
      throw error;
    }
  }
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(dataDir !== undefined && { path: dataDir }) });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    unlock();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => {
          unlock();
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}

/** Creates the table unless it exists (a persisted DATA_DIR keeps it), and waits until it is active. */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    for (let attempt = 0; ; attempt++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') return;
      if (attempt > 100) throw new Error(`table ${tableName} did not become active`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    client.destroy();
  }
}
