/**
 * DATA_DIR holds the embedded engine's data between runs, for one process at a time: a second
 * `npm start` or `npm run invoke` on the same folder is told who holds it, at start-up, instead
 * of dynalite failing later with "Database is closed".
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ConfigError } from '#lib/config.ts';
import { DATA_DIR_LOCK, DATA_DIR_MARKER, startDynalite } from '#lib/local/dynamodb-engine.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import { STORAGE_FORMAT } from '#lib/store/table.ts';

const dirs: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'data-dir-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

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

it('empties a folder for a fresh start only once it holds it', async () => {
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
});

it('never deletes or opens a folder the engine did not mark as its own, LevelDB-looking or not', async () => {
  // Another program's LevelDB store beside a document and a folder of photos.
  const notOurs = fresh();
  writeFileSync(join(notOurs, 'CURRENT'), 'MANIFEST-000002\n');
  writeFileSync(join(notOurs, 'MANIFEST-000002'), 'theirs');
  writeFileSync(join(notOurs, 'notes.txt'), 'mine');
  mkdirSync(join(notOurs, 'photos'));
  writeFileSync(join(notOurs, 'photos', 'cat.jpg'), 'meow');
  for (const options of [{ fresh: true }, {}]) {
    await expect(startDynalite({ dataDir: notOurs, ...options })).rejects.toThrow(`has no ${DATA_DIR_MARKER}`);
  }
  expect(readdirSync(notOurs).sort()).toEqual(['CURRENT', 'MANIFEST-000002', 'notes.txt', 'photos']);
  expect(readFileSync(join(notOurs, 'photos', 'cat.jpg'), 'utf8')).toBe('meow');
  expect(readFileSync(join(notOurs, 'CURRENT'), 'utf8')).toBe('MANIFEST-000002\n');
});

it('deletes only the engine’s own files from its folder, and refuses data of another storage format', async () => {
  const dataDir = fresh();
  const engine = await startDynalite({ dataDir });
  await ensureTable(engine.endpoint, 'kept');
  await engine.close();
  expect(JSON.parse(readFileSync(join(dataDir, DATA_DIR_MARKER), 'utf8'))).toEqual({ engine: 'dynalite', format: STORAGE_FORMAT });
  // Someone left their own things in it.
  writeFileSync(join(dataDir, 'notes.txt'), 'mine');
  mkdirSync(join(dataDir, '000009.ldb'));
  writeFileSync(join(dataDir, '000009.ldb', 'keep.txt'), 'a folder, not a LevelDB file');
  const again = await startDynalite({ dataDir, fresh: true });
  await again.close();
  expect(readFileSync(join(dataDir, 'notes.txt'), 'utf8')).toBe('mine');
  expect(readFileSync(join(dataDir, '000009.ldb', 'keep.txt'), 'utf8')).toBe('a folder, not a LevelDB file');

  writeFileSync(join(dataDir, DATA_DIR_MARKER), JSON.stringify({ engine: 'dynalite', format: STORAGE_FORMAT - 1 }));
  await expect(startDynalite({ dataDir })).rejects.toThrow(
    `holds data in storage format ${STORAGE_FORMAT - 1}, and this version reads format ${STORAGE_FORMAT}: choose another folder, or empty this one (DATA_DIR=${dataDir} npm run invoke -- health events/health.json --fresh)`,
  );
  const emptied = await startDynalite({ dataDir, fresh: true });
  await emptied.close();
  expect(JSON.parse(readFileSync(join(dataDir, DATA_DIR_MARKER), 'utf8')).format).toBe(STORAGE_FORMAT);
});
