/**
 * In-process figures, run in a child process (its handlers log to a stdout nobody reads):
 * - the assignment callback handler, warm, on the embedded engine, against the same store calls
 *   it makes, recorded from it and issued bare through the SDK (no handler, no middleware);
 * - the store calls of each operation, counted against its budget (BUDGETS in bench/run.ts).
 */
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { assignmentCallback } from '#functions/assignment-callback.ts';
import { getReservation } from '#functions/get-reservation.ts';
import { listReservations } from '#functions/list-reservations.ts';
import { updateReservation } from '#functions/update-reservation.ts';
import { loadConfig } from '#lib/config.ts';
import type { ApiHandler } from '#lib/handlers/api-function.ts';
import { startDynalite } from '#lib/local/dynamodb-engine.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import { localLambdaContext } from '#lib/local/lambda-context.ts';
import { createRuntime } from '#lib/runtime.ts';
import { createDocumentClient, createDynamoDbClient } from '#lib/store/client.ts';
import { LocalTimeoutScheduler } from '#lib/timeouts/local-scheduler.ts';
import type { ReservationTimer } from '#lib/timeouts/scheduler.ts';
import { randomSid as sid } from '#lib/domain/sid.ts';
import { apiEvent, assignment, basicAuthHeader, callbackEvent, type Assignment } from './events.ts';
import { alternate, type Ratio } from './stats.ts';
import { LOCAL_SUFFIX, countCalls, recordStoreCalls, withSids, type CallCount, type OperationSids, type StoreCall } from './store-calls.ts';

export interface InProcessOptions {
  readonly rounds: number;
  /** Callbacks per round. */
  readonly iterations: number;
}

export interface InProcessResult {
  readonly callback: { readonly ratio: Ratio; readonly handlerMs: number; readonly bareMs: number };
  readonly storeCalls: Record<string, CallCount & { readonly schedules: number }>;
  /** What a callback and an accept send to the store, for the bare HTTP server to replay. */
  readonly templates: Templates;
}

export interface Template {
  readonly sids: OperationSids;
  readonly calls: readonly StoreCall[];
}

export interface Templates {
  readonly callback: Template;
  readonly accept: Template;
}

const COMMANDS = { UpdateItemCommand, PutItemCommand, GetItemCommand, QueryCommand, DeleteItemCommand, BatchWriteItemCommand } as const;

export function send(client: DynamoDBClient, call: StoreCall) {
  const Command = COMMANDS[call.command as keyof typeof COMMANDS] as unknown as new (input: unknown) => Parameters<DynamoDBClient['send']>[0];
  return client.send(new Command(call.input));
}

export async function measureInProcess(options: InProcessOptions): Promise<InProcessResult> {
  const engine = await startDynalite();
  const tableName = 'bench-in-process';
  await ensureTable(engine.endpoint, tableName);
  // The reservation path's own store calls: what counting the events adds locally is the statistics' own figure (--only=statistics).
  const config = loadConfig({ PORT: '3000', TABLE_NAME: tableName, DYNAMODB_ENDPOINT: engine.endpoint, STATISTICS: 'off' }, 'local');
  const documentClient = createDocumentClient({ endpoint: engine.endpoint });
  const bare = createDynamoDbClient({ endpoint: engine.endpoint });
  const calls: StoreCall[] = [];
  let recording = false;
  recordStoreCalls(
    documentClient,
    () => recording,
    (call) => calls.push(call),
  );
  const local = new LocalTimeoutScheduler();
  let schedules = 0;
  const scheduler = {
    schedule: (timer: ReservationTimer) => {
      schedules++;
      return local.schedule(timer);
    },
  };
  // npm start's wiring: each write's events stored in the same request. And the deployed one,
  // where they leave through the table's stream: the budget is the deployed request path's.
  const runtime = createRuntime(config, { documentClient, scheduler });
  const deployed = createRuntime({ ...config, eventsFrom: 'stream' }, { documentClient, scheduler });
  const token = config.authToken!;
  const auth = basicAuthHeader(config.accountSid, token);
  const handlersOf = (r: typeof runtime) => ({
    callback: assignmentCallback.createHandler(r),
    update: updateReservation.createHandler(r),
    get: getReservation.createHandler(r),
    list: listReservations.createHandler(r),
  });
  const { callback } = handlersOf(runtime);
  const invoke = (handler: ApiHandler, event: ReturnType<typeof apiEvent>) => handler(event, localLambdaContext('bench', 30));

  async function record(run: () => Promise<{ statusCode: number }>) {
    calls.length = 0;
    schedules = 0;
    recording = true;
    const response = await run();
    recording = false;
    if (response.statusCode >= 300) throw new Error(`bench operation answered ${response.statusCode}`);
    return [...calls];
  }
  const assigned = async () => {
    const a = assignment(config.accountSid);
    await invoke(callback, callbackEvent(a, config.publicBaseUrl, token));
    return a;
  };
  const taskPath = (a: Assignment) => `/v1/Workspaces/${a.sids.workspace}/Tasks/${a.sids.task}/Reservations`;
  const workerPath = (a: Assignment) => `/v1/Workspaces/${a.sids.workspace}/Workers/${a.sids.worker}/Reservations`;

  const storeCalls: InProcessResult['storeCalls'] = {};
  const count = async (name: string, run: () => Promise<{ statusCode: number }>) => {
    const recorded = await record(run);
    storeCalls[name] = { ...countCalls(recorded), schedules };
    return recorded;
  };

  /** Every operation's store calls with one wiring; `suffix` names the rows. */
  const countAll = async (handlers: ReturnType<typeof handlersOf>, suffix: string) => {
    const { callback: call, update, get, list } = handlers;
    const template = assignment(config.accountSid);
    const templateCalls = await count(`callback${suffix}`, () => invoke(call, callbackEvent(template, config.publicBaseUrl, token)));
    const accept = await assigned();
    const acceptCalls = await count(`accept${suffix}`, () =>
      invoke(update, apiEvent('POST', `${taskPath(accept)}/${accept.sids.reservation}`, { form: { ReservationStatus: 'accepted' }, headers: auth })),
    );
    const reject = await assigned();
    await count(`reject${suffix}`, () =>
      invoke(update, apiEvent('POST', `${taskPath(reject)}/${reject.sids.reservation}`, { form: { ReservationStatus: 'rejected' }, headers: auth })),
    );
    const move = await assigned();
    await count(`reject with WorkerActivitySid${suffix}`, () =>
      invoke(
        update,
        apiEvent('POST', `${taskPath(move)}/${move.sids.reservation}`, {
          form: { ReservationStatus: 'rejected', WorkerActivitySid: sid('WA') },
          headers: auth,
        }),
      ),
    );
    if (suffix === '') {
      const read = await assigned();
      await count('fetch', () => invoke(get, apiEvent('GET', `${taskPath(read)}/${read.sids.reservation}`, { headers: auth })));
      await count('fetch, worker-scoped', () => invoke(get, apiEvent('GET', `${workerPath(read)}/${read.sids.reservation}`, { headers: auth })));
      await count('list page', () => invoke(list, apiEvent('GET', taskPath(read), { headers: auth })));
      await count('list page, worker-scoped', () => invoke(list, apiEvent('GET', workerPath(read), { headers: auth })));
    }
    return { template, templateCalls, accept, acceptCalls };
  };
  await countAll(handlersOf(deployed), '');
  const { template, templateCalls, accept, acceptCalls } = await countAll(handlersOf(runtime), LOCAL_SUFFIX);

  // The callback, warm, against its own store calls issued bare.
  let handlerMs = 0;
  let bareMs = 0;
  const project = async () => {
    const events = Array.from({ length: options.iterations }, () => callbackEvent(assignment(config.accountSid), config.publicBaseUrl, token));
    const started = performance.now();
    for (const event of events) {
      const response = await invoke(callback, event);
      if (response.statusCode !== 200) throw new Error(`callback answered ${response.statusCode}`);
    }
    handlerMs = (performance.now() - started) / options.iterations;
    return handlerMs;
  };
  const floor = async () => {
    const batches = Array.from({ length: options.iterations }, () => {
      const fresh = assignment(config.accountSid).sids;
      return templateCalls.map((call) => withSids(call, template.sids, fresh));
    });
    const started = performance.now();
    for (const batch of batches) for (const call of batch) await send(bare, call);
    bareMs = (performance.now() - started) / options.iterations;
    return bareMs;
  };
  const ratio = await alternate(options.rounds, project, floor);

  local.close();
  runtime.close();
  deployed.close();
  bare.destroy();
  await engine.close();
  return {
    callback: { ratio, handlerMs, bareMs },
    storeCalls,
    templates: { callback: { sids: template.sids, calls: templateCalls }, accept: { sids: accept.sids, calls: acceptCalls } },
  };
}

// Run as a child of bench/run.ts: options in, result out over IPC.
if (process.send && process.argv[2] === '--child') {
  process.once('message', (options: InProcessOptions) => {
    measureInProcess(options).then(
      (result) => process.send!({ result }, () => process.exit(0)),
      (error: Error) => process.send!({ error: error.stack ?? error.message }, () => process.exit(1)),
    );
  });
}
