/**
 * Cold start: every function bundled exactly as the CDK stack bundles it (infra/bundling.ts),
 * then `node` importing the assignment callback's bundle with a deployed function's environment
 * (so its runtime is built, as in Lambda's init phase) against `node` starting bare; the cold
 * start to the first answer (first-answer.ts); and the size of each bundle.
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS, type FunctionName } from '#lib/functions.ts';
import { ENTRY_FILE, HANDLER, esbuildOptions } from '../infra/bundling.ts';
import { FUNCTION_ENVIRONMENT } from '../infra/function.ts';
import { measureFirstAnswer, type FirstAnswerResult } from './first-answer.ts';
import { alternate, type Ratio } from './stats.ts';

const ROOT = join(import.meta.dirname, '..');

export interface ColdStartOptions {
  readonly rounds: number;
  /** Process starts per round, each side. */
  readonly starts: number;
}

export interface ColdStartResult {
  /** The cold-start figure: `node` importing the callback's bundle / `node` starting bare. */
  readonly ratio: Ratio;
  /** Milliseconds per start in the last round. */
  readonly importMs: number;
  readonly bareMs: number;
  /**
   * Not a target, reported so the figure above hides nothing: the same import with a deployed
   * function's environment, where the module builds its runtime (the SDK clients, the
   * configuration) before it resolves, as in Lambda's init phase.
   */
  readonly init: { readonly ratio: Ratio; readonly importMs: number; readonly bareMs: number };
  /** A new process's first answer to a signed callback, against the minimal function's (first-answer.ts). */
  readonly firstAnswer: FirstAnswerResult;
  /** Bytes of each function's code: its entry and its chunks, source maps aside. */
  readonly sizes: Record<FunctionName, number>;
  /** Bytes of each function's entry alone: what a bare import loads. */
  readonly entrySizes: Record<FunctionName, number>;
}

export const BENCH_ACCOUNT_SID = `AC${'0'.repeat(32)}`;
export const BENCH_AUTH_TOKEN = 'bench0auth0token0000000000000000';
export const SCHEDULE = {
  groupName: 'bench',
  functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:reservation-timeout',
  roleArn: 'arn:aws:iam::000000000000:role/bench',
  deadLetterQueueArn: 'arn:aws:sqs:us-east-1:000000000000:bench',
};

/** A deployed function's environment, as the stack sets it, with values that need no network at init. */
export const LAMBDA_ENV = {
  ...FUNCTION_ENVIRONMENT,
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  AWS_LAMBDA_FUNCTION_NAME: 'assignment-callback',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  // A new execution environment on demand: Powertools counts and annotates a cold start only then.
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  // Lambda's name for the handler, which Tracer names the handler's subsegment after.
  _HANDLER: HANDLER,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  TABLE_NAME: 'bench',
  TWILIO_ACCOUNT_SID: BENCH_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
  PUBLIC_BASE_URL: 'https://bench.execute-api.us-east-1.amazonaws.com',
  // The stack copies the policy file into the callback's bundle.
  ASSIGNMENT_POLICY: join(ROOT, 'policies', 'default.json'),
  TIMEOUT_SCHEDULE_GROUP: SCHEDULE.groupName,
  TIMEOUT_FUNCTION_ARN: SCHEDULE.functionArn,
  TIMEOUT_SCHEDULE_ROLE_ARN: SCHEDULE.roleArn,
  TIMEOUT_DEAD_LETTER_QUEUE_ARN: SCHEDULE.deadLetterQueueArn,
  // Active tracing, as Lambda runs it: the X-Ray SDK in its Lambda mode, the invocation's trace
  // header (sampled), and segments sent over UDP to a daemon address (no daemon: they are dropped).
  LAMBDA_TASK_ROOT: ROOT,
  _X_AMZN_TRACE_ID: 'Root=1-6751c000-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1',
  AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
  AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
};

export async function bundleFunctions(outdir: string): Promise<Record<FunctionName, string>> {
  const dirs = {} as Record<FunctionName, string>;
  for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
    dirs[name] = join(outdir, name);
    await build({ ...esbuildOptions(join(ROOT, 'functions', `${name}.ts`), dirs[name]), absWorkingDir: ROOT });
  }
  return dirs;
}

function codeBytes(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.mjs')) bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return bytes;
}

function timeStarts(starts: number, args: readonly string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  for (let i = 0; i < starts; i++) {
    const run = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr.toString().slice(-2000)}`);
  }
  return (performance.now() - started) / starts;
}

export async function measureColdStart(options: ColdStartOptions): Promise<ColdStartResult> {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  try {
    const dirs = await bundleFunctions(outdir);
    const each = (size: (dir: string) => number) =>
      Object.fromEntries(Object.entries(dirs).map(([name, dir]) => [name, size(dir)])) as Record<FunctionName, number>;
    const sizes = each(codeBytes);
    const entrySizes = each((dir) => statSync(join(dir, ENTRY_FILE)).size);
    // No side inherits the bench's own NODE_OPTIONS (tsx's loader). Node 20 here, Node 22 in
    // Lambda: the SDK's warning about Node 20 would be noise on one side only.
    const base = { PATH: process.env['PATH'] ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const importArgs = ['--input-type=module', '-e', `await import(${JSON.stringify(join(dirs['assignment-callback'], ENTRY_FILE))})`];
    const bareArgs = ['-e', '0'];
    const measure = async (env: NodeJS.ProcessEnv) => {
      const last = { importMs: 0, bareMs: 0 };
      const ratio = await alternate(
        options.rounds,
        async () => (last.importMs = timeStarts(options.starts, importArgs, env)),
        async () => (last.bareMs = timeStarts(options.starts, bareArgs, base)),
      );
      return { ratio, ...last };
    };
    const plain = await measure(base);
    const init = await measure({ ...base, ...LAMBDA_ENV });
    const firstAnswer = await measureFirstAnswer(
      dirs['assignment-callback'],
      { environment: { ...base, ...LAMBDA_ENV }, accountSid: BENCH_ACCOUNT_SID, authToken: BENCH_AUTH_TOKEN, schedule: SCHEDULE },
      options,
    );
    return { ...plain, init, firstAnswer, sizes, entrySizes };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
