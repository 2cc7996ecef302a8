/**
 * The embedded DynamoDB engine of `npm start`: dynalite, in this process, in memory or in a
 * folder (DATA_DIR). Tests also start Amazon's DynamoDB Local (test/support/); both get their
 * table from the one definition in lib/store/table.ts.
 */
import dynalite from 'dynalite';
import { lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { HttpHandler } from '@smithy/protocol-http';
import { ConfigError } from '../config.ts';
import { STORAGE_FORMAT } from '../store/table.ts';
import { InProcessHandler, type RequestListener } from './in-process-handler.ts';

export interface DynamoDbEngine {
  readonly endpoint: string;
  /** The same engine without the socket: for the SDK clients of this process (in-process-handler.ts). */
  readonly handler: HttpHandler;
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
 * Written by the engine into every DATA_DIR it creates: only a folder that carries it is ever
 * emptied (--fresh) or opened with data in it, so a mistyped DATA_DIR costs nothing else.
 */
export const DATA_DIR_MARKER = 'taskrouter-data.json';

interface DataDirMarker {
  readonly engine: 'dynalite';
  /** lib/store/table.ts STORAGE_FORMAT of the data inside. */
  readonly format: number;
}

/** The files LevelDB (dynalite's store) writes, and the marker: nothing else is the engine's. */
const ENGINE_FILE = /^(CURRENT|LOCK|LOG|LOG\.old|MANIFEST-\d+|\d+\.(log|ldb|sst)|taskrouter-data\.json)$/;

function readMarker(dataDir: string): DataDirMarker | undefined {
  try {
    const marker = JSON.parse(readFileSync(join(dataDir, DATA_DIR_MARKER), 'utf8')) as Partial<DataDirMarker>;
    return marker.engine === 'dynalite' && Number.isInteger(marker.format) ? (marker as DataDirMarker) : undefined;
  } catch {
    return undefined;
  }
}

function writeMarker(dataDir: string): void {
  const marker: DataDirMarker = { engine: 'dynalite', format: STORAGE_FORMAT };
  writeFileSync(join(dataDir, DATA_DIR_MARKER), `${JSON.stringify(marker)}\n`);
}

/**
 * Checks a DATA_DIR this process holds before the engine opens it: empty (it becomes the
 * engine's), or marked as the engine's with data of this version's storage format. With `fresh`,
 * a marked folder is emptied of the engine's own files, and of nothing else.
 */
function prepareDataDir(dataDir: string, fresh: boolean): void {
  const entries = readdirSync(dataDir).filter((name) => name !== DATA_DIR_LOCK);
  const marker = readMarker(dataDir);
  if (entries.length > 0 && marker === undefined) {
    throw new ConfigError(
      'DATA_DIR',
      `${dataDir} holds files that are not the embedded engine's (it has no ${DATA_DIR_MARKER}): nothing was ${fresh ? 'deleted' : 'opened'}; choose an empty folder, or delete an old DATA_DIR yourself`,
    );
  }
  if (fresh) {
    for (const name of entries) {
      if (ENGINE_FILE.test(name) && lstatSync(join(dataDir, name)).isFile()) rmSync(join(dataDir, name), { force: true });
    }
  } else if (marker !== undefined && marker.format !== STORAGE_FORMAT) {
    throw new ConfigError(
      'DATA_DIR',
      `${dataDir} holds data in storage format ${marker.format}, and this version reads format ${STORAGE_FORMAT}: choose another folder, or empty this one (DATA_DIR=${dataDir} npm run invoke -- health events/health.json --fresh)`,
    );
  }
  writeMarker(dataDir);
}

export interface DynaliteOptions {
  /** Keep the data in this folder (one process at a time); unset: in memory. */
  readonly dataDir?: string | undefined;
  /** Start from an empty DATA_DIR (npm run invoke --fresh): the engine's files are deleted once this process holds it. */
  readonly fresh?: boolean;
}

export async function startDynalite(options: DynaliteOptions = {}): Promise<DynamoDbEngine> {
  const { dataDir } = options;
  const unlock = dataDir !== undefined ? lockDataDir(dataDir) : () => {};
  if (dataDir !== undefined) {
    try {
      prepareDataDir(dataDir, options.fresh === true);
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
  const handler = new InProcessHandler(server.listeners('request')[0] as RequestListener);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    handler,
    close: async () => {
      // The calls this process has in the engine are answered before its store closes.
      await handler.close();
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => {
          unlock();
          if (error) reject(error);
          else resolve();
        });
      });
    },
  };
}
