/**
 * Cold start to first answer: what a quiet contact centre's first callback waits for. A new `node`
 * process imports the assignment callback's bundle with a deployed function's environment (so its
 * runtime is built, as in Lambda's init phase) and answers one signed callback, against a local
 * engine and the fake Secrets Manager and Scheduler of fake-aws.ts; against a new `node` process
 * doing the same with the minimal function of minimal-function.ts, which builds the AWS SDK's
 * clients at init and makes the same AWS calls: the SDK's own cost. The callback's bundle reaches
 * AWS with its own small clients instead (infra/shims/aws-sdk), so the ratio is what a cold
 * callback waits for against what the same calls cost with the SDK and nothing else: below 1.0,
 * the bundle's clients save more than our code and tracing cost. A third side, the same minimal
 * function with the tracing our functions carry (minimal-traced-function.ts), says how much of
 * that is tracing.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { type BuildOptions, build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assignmentCallback } from '#functions/assignment-callback.ts';
import { loadConfig, type TimeoutScheduleConfig } from '#lib/config.ts';
import { startDynalite } from '#lib/local/dynamodb-engine.ts';
import { localLambdaContext } from '#lib/local/lambda-context.ts';
import { createRuntime } from '#lib/runtime.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import { createScheduleInput } from '#lib/timeouts/eventbridge-scheduler.ts';
import { AWS_CLIENTS, ENTRY_FILE, esbuildOptions } from '../infra/bundling.ts';
import { assignment, callbackEvent, type Assignment } from './events.ts';
import { startFakeAws } from './fake-aws.ts';
import { alternate, ratioOf, type Ratio } from './stats.ts';
import { recordStoreCalls, withSids, type StoreCall } from './store-calls.ts';

const ROOT = join(import.meta.dirname, '..');

export interface FirstAnswerOptions {
  readonly rounds: number;
  /** Process starts per round, each side. */
  readonly starts: number;
}

export interface FirstAnswerResult {
  /** Ours / the minimal function's, from process start to the answer. */
  readonly ratio: Ratio;
  /** Ours / the traced floor's: what our code costs beyond the SDK and X-Ray tracing. */
  readonly tracedRatio: Ratio;
  /** Milliseconds per start in the last round. */
  readonly ownMs: number;
  readonly minimalMs: number;
  readonly tracedMs: number;
}

/**
 * The deployed environment the callback runs with here: `environment` (the stack's, with values
 * that need no network) and the SDK's endpoints pointed at this machine.
 */
export interface FirstAnswerEnvironment {
  readonly environment: Readonly<Record<string, string>>;
  readonly accountSid: string;
  readonly authToken: string;
  readonly schedule: TimeoutScheduleConfig;
}

/** Imports a bundle, calls its handler once with BENCH_EVENT, exits: the same script for both sides. */
const RUNNER = (entry: string) => `
const { handler } = await import(${JSON.stringify(entry)});
const context = { functionName: 'assignment-callback', awsRequestId: 'bench', getRemainingTimeInMillis: () => 4000 };
const result = await handler(JSON.parse(process.env.BENCH_EVENT ?? '{}'), context);
if (result?.statusCode !== 200) {
  process.stderr.write('answered ' + JSON.stringify(result) + '\\n');
  process.exit(1);
}
process.exit(0);
`;

/** Runs `node -e script` once, without blocking this process (it serves the engine), and returns its wall time. */
function timeStart(script: string, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve(ms);
      else reject(new Error(`a first answer exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

/** What the callback sends to the store, recorded from it with the deployed wiring (its events leave through the stream). */
async function recordCallback(endpoint: string, tableName: string, env: FirstAnswerEnvironment): Promise<{ template: Assignment; calls: StoreCall[] }> {
  const config = loadConfig(
    { TABLE_NAME: tableName, DYNAMODB_ENDPOINT: endpoint, TWILIO_ACCOUNT_SID: env.accountSid, TWILIO_AUTH_TOKEN: env.authToken },
    'local',
  );
  const documentClient = createDocumentClient({ endpoint });
  const calls: StoreCall[] = [];
  recordStoreCalls(
    documentClient,
    () => true,
    (call) => calls.push(call),
  );
  // Silent: its log lines and metric documents would land in the benchmark's table. The metrics
  // are built when first used, in the handler: off until it has answered.
  const logger = new Logger({ logLevel: 'SILENT' });
  const metricsOff = process.env['POWERTOOLS_METRICS_DISABLED'];
  process.env['POWERTOOLS_METRICS_DISABLED'] = 'true';
  const runtime = createRuntime({ ...config, eventsFrom: 'stream' }, { documentClient, logger, scheduler: { schedule: async () => {} } });
  try {
    const template = assignment(env.accountSid);
    const handler = assignmentCallback.createHandler(runtime);
    const response = await handler(callbackEvent(template, config.publicBaseUrl, env.authToken), localLambdaContext('bench', 4));
    if (response.statusCode !== 200) throw new Error(`the recorded callback answered ${response.statusCode}`);
    return { template, calls };
  } finally {
    if (metricsOff === undefined) delete process.env['POWERTOOLS_METRICS_DISABLED'];
    else process.env['POWERTOOLS_METRICS_DISABLED'] = metricsOff;
    runtime.close();
    documentClient.destroy();
  }
}

/**
 * A floor is bundled as the stack bundles a function, less the source maps and less the bundles'
 * own AWS clients (infra/shims/aws-sdk): it carries nothing of ours, and it is the yardstick of
 * what the AWS SDK itself costs, so it builds the SDK's clients.
 */
function floorOptions(entry: string, outdir: string): BuildOptions {
  const options = esbuildOptions(entry, outdir);
  const alias = Object.fromEntries(Object.entries(options.alias ?? {}).filter(([name]) => !(name in AWS_CLIENTS)));
  return { ...options, alias, sourcemap: false, absWorkingDir: ROOT };
}

export async function measureFirstAnswer(callbackDir: string, env: FirstAnswerEnvironment, options: FirstAnswerOptions): Promise<FirstAnswerResult> {
  const work = mkdtempSync(join(tmpdir(), 'bench-first-answer-'));
  const engine = await startDynalite();
  const aws = await startFakeAws(env.authToken);
  try {
    const minimalDir = join(work, 'minimal');
    const tracedDir = join(work, 'minimal-traced');
    await build(floorOptions(join(ROOT, 'bench', 'minimal-function.ts'), minimalDir));
    await build(floorOptions(join(ROOT, 'bench', 'minimal-traced-function.ts'), tracedDir));
    const tableName = 'bench-first-answer';
    await ensureTable(engine.endpoint, tableName);
    const { template, calls } = await recordCallback(engine.endpoint, tableName, env);
    const base: Record<string, string> = {
      ...env.environment,
      TABLE_NAME: tableName,
      AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint,
      AWS_ENDPOINT_URL_SCHEDULER: aws.endpoint,
    };
    const publicBaseUrl = env.environment['PUBLIC_BASE_URL']!;
    const own = () => {
      const event = callbackEvent(assignment(env.accountSid), publicBaseUrl, env.authToken);
      return timeStart(RUNNER(join(callbackDir, ENTRY_FILE)), { ...base, BENCH_EVENT: JSON.stringify(event) });
    };
    // The minimal function has no source maps to read: NODE_OPTIONS, if set, is the callback's own setting.
    const { NODE_OPTIONS: _sourceMaps, ...minimalBase } = base;
    const floor = (dir: string) => {
      const fresh = assignment(env.accountSid);
      const { accountSid, workspace, task, reservation } = { accountSid: env.accountSid, ...fresh.sids };
      const schedule = createScheduleInput(env.schedule, {
        accountSid,
        workspaceSid: workspace,
        taskSid: task,
        reservationSid: reservation,
        deadline: Date.now() + 120_000,
      });
      const store = calls.map((call) => withSids(call, template.sids, fresh.sids));
      return timeStart(RUNNER(join(dir, ENTRY_FILE)), { ...minimalBase, BENCH_CALLS: JSON.stringify({ store, schedule }) });
    };
    const last = { ownMs: 0, minimalMs: 0, tracedMs: 0 };
    // Each round's own and traced times, the warm-up's first, to pair them as alternate() pairs ours with the minimal's.
    const ownTimes: number[] = [];
    const tracedTimes: number[] = [];
    const starts = async (one: () => Promise<number>) => {
      let total = 0;
      for (let i = 0; i < options.starts; i++) total += await one();
      return total / options.starts;
    };
    const before = { secrets: aws.calls.get('GetSecretValue') ?? 0, schedules: aws.calls.get('CreateSchedule') ?? 0 };
    const ratio = await alternate(
      options.rounds,
      async () => {
        last.ownMs = await starts(own);
        ownTimes.push(last.ownMs);
        return last.ownMs;
      },
      async () => {
        last.tracedMs = await starts(() => floor(tracedDir));
        tracedTimes.push(last.tracedMs);
        last.minimalMs = await starts(() => floor(minimalDir));
        return last.minimalMs;
      },
    );
    const tracedRatio = ratioOf(ownTimes.slice(1).map((ms, round) => ms / tracedTimes[round + 1]!));
    // The three sides read the secret once and armed one timer per start.
    const startsMade = 3 * options.starts * (options.rounds + 1);
    if ((aws.calls.get('GetSecretValue') ?? 0) - before.secrets !== startsMade || (aws.calls.get('CreateSchedule') ?? 0) - before.schedules !== startsMade) {
      throw new Error(`the two sides did not make the same AWS calls: ${JSON.stringify(Object.fromEntries(aws.calls))} for ${startsMade} starts`);
    }
    return { ratio, tracedRatio, ...last };
  } finally {
    await aws.close();
    await engine.close();
    rmSync(work, { recursive: true, force: true });
  }
}
