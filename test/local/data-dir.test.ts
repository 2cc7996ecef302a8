/**
 * DATA_DIR holds the embedded engine's data between runs, for one process at a time: a second
 * `npm start` or `npm run invoke` on the same folder is told who holds it, at start-up, instead
 * of dynalite failing later with "Database is closed".
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ConfigError } from '#lib/config.ts';
import { DATA_DIR_LOCK, ensureTable, startDynalite } from '#lib/local/dynamodb-engine.ts';

const dirs: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'data-dir-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

it('refuses a second process on the same folder, naming the holder', async () => {
  const dataDir = fresh();
  const first = await startDynalite({ dataDir });
  try {
    expect(readFileSync(join(dataDir, DATA_DIR_LOCK), 'utf8')).toBe(String(process.pid));
    const second = startDynalite({ dataDir });
    await expect(second).rejects.toBeInstanceOf(ConfigError);
    await expect(second).rejects.toThrow(`DATA_DIR ${dataDir} is in use by process ${process.pid}`);
  } finally {
    await first.close();
  }
});

it('lets the folder go on close, and keeps its data for the next process', async () => {
  const dataDir = fresh();
  const first = await startDynalite({ dataDir });
  await ensureTable(first.endpoint, 'kept');
  await first.close();
  expect(() => readFileSync(join(dataDir, DATA_DIR_LOCK))).toThrow();
  const second = await startDynalite({ dataDir });
  try {
    const client = new DynamoDBClient({ endpoint: second.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['kept']);
    client.destroy();
  } finally {
    await second.close();
  }
});

it('takes over a lock left by a process that died', async () => {
  const dataDir = fresh();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(join(dataDir, DATA_DIR_LOCK), dead.stdout);
  const engine = await startDynalite({ dataDir });
  try {
    expect(readFileSync(join(dataDir, DATA_DIR_LOCK), 'utf8')).toBe(String(process.pid));
  } finally {
    await engine.close();
  }
});

it('empties a folder for a fresh start only once it holds it, and only if it is the engine’s', async () => {
  const dataDir = fresh();
  const first = await startDynalite({ dataDir });
  await ensureTable(first.endpoint, 'kept');
  // Held by another: refused before anything is deleted.
  await expect(startDynalite({ dataDir, fresh: true })).rejects.toThrow('is in use by process');
  await first.close();
  const again = await startDynalite({ dataDir, fresh: true });
  const client = new DynamoDBClient({ endpoint: again.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
  client.destroy();
  await again.close();

  const notOurs = fresh();
  writeFileSync(join(notOurs, 'notes.txt'), 'mine');
  await expect(startDynalite({ dataDir: notOurs, fresh: true })).rejects.toThrow("does not hold the embedded engine's data");
  expect(readFileSync(join(notOurs, 'notes.txt'), 'utf8')).toBe('mine');
  expect(() => readFileSync(join(notOurs, DATA_DIR_LOCK))).toThrow();
});
