/**
 * `npx cdk synth` as a newcomer runs it: offline, no credentials, bundling with the local esbuild;
 * with connected mode and Event Streams on, so that the stack has every function to bundle
 * (standalone leaves three out: stack.test.ts). Then each bundle is started the way Lambda starts it, with the environment the
 * template gives it: the module loads and the runtime builds at init.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, bindsOf, type FunctionName } from '#lib/functions.ts';
import { REQUIRE_BANNER, UNRESOLVED_REQUIRE } from '../../infra/bundling.ts';
import { DEFAULT_STACK_NAME } from '../../infra/settings.ts';
import { BUNDLED_CONSOLE_FILE, BUNDLED_POLICY_FILE, functionId } from '../../infra/stack.ts';
import { buildConsoleHtml } from '#lib/console/build.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const MAX_BUNDLE_BYTES = 700 * 1024;

interface LambdaResource {
  readonly Type: string;
  readonly Metadata: { readonly 'aws:cdk:path': string };
  readonly Properties: { readonly Code: { readonly S3Key: string }; readonly Environment: { readonly Variables: Record<string, unknown> } };
}

const out = mkdtempSync(join(tmpdir(), 'infra-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Function name → its asset directory and environment, from the synthesized template. */
const bundles = new Map<FunctionName, { dir: string; environment: Record<string, unknown> }>();

beforeAll(async () => {
  const connected = [
    '-c',
    'taskrouterUpstreamUrl=https://taskrouter.twilio.com',
    '-c',
    'eventStreams=true',
    '-c',
    `eventStreamsExternalId=${'f00d'.repeat(20)}`,
  ];
  await run(join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--output', out, ...connected], {
    cwd: ROOT,
    // No account, no region, no instance metadata to ask: what a laptop without AWS set up has.
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], AWS_EC2_METADATA_DISABLED: 'true' },
    timeout: 170_000,
  });
  const template = JSON.parse(readFileSync(join(out, `${DEFAULT_STACK_NAME}.template.json`), 'utf8')) as { Resources: Record<string, LambdaResource> };
  const paths = Object.fromEntries((Object.keys(FUNCTIONS) as FunctionName[]).map((name) => [`${DEFAULT_STACK_NAME}/${functionId(name)}/Resource`, name]));
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const name = paths[resource.Metadata['aws:cdk:path']];
    if (name === undefined) throw new Error(`unexpected function ${resource.Metadata['aws:cdk:path']}`);
    bundles.set(name, {
      dir: join(out, `asset.${resource.Properties.Code.S3Key.replace(/\.zip$/, '')}`),
      environment: resource.Properties.Environment.Variables,
    });
  }
}, 180_000);

const filesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile());

/** Loads a bundle as Lambda does (init phase included) and, given an event, calls its handler. */
async function start(name: FunctionName, event?: unknown): Promise<unknown> {
  const { dir, environment } = bundles.get(name)!;
  // CloudFormation resolves the references at deploy time; plausible stand-ins here.
  const stand: Record<string, string> = { PUBLIC_BASE_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com', TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}` };
  const env = Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, typeof v === 'string' ? v : (stand[k] ?? `resolved-${k}`)]));
  if (env['ASSIGNMENT_POLICY'] !== undefined) env['ASSIGNMENT_POLICY'] = join(dir, BUNDLED_POLICY_FILE);
  if (env['CONSOLE_PAGE'] !== undefined) env['CONSOLE_PAGE'] = join(dir, BUNDLED_CONSOLE_FILE);
  const script = `
    const { handler } = await import(${JSON.stringify(join(dir, 'index.mjs'))});
    const event = ${JSON.stringify(event ?? null)};
    const context = { functionName: ${JSON.stringify(name)}, awsRequestId: 'r', getRemainingTimeInMillis: () => 3000 };
    const result = event === null ? 'loaded' : await handler(event, context);
    process.stdout.write('\\nRESULT ' + JSON.stringify(result) + '\\n');`;
  const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    env: { ...env, PATH: process.env['PATH'], AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_NAME: name, AWS_EC2_METADATA_DISABLED: 'true' },
    cwd: dir,
    timeout: 30_000,
  });
  return JSON.parse(stdout.split('\nRESULT ').at(-1)!);
}

describe('npx cdk synth', () => {
  it('bundles every function: an index.mjs within the size budget, each that decides by the policy with it', () => {
    expect([...bundles.keys()].sort()).toEqual(Object.keys(FUNCTIONS).sort());
    for (const [name, { dir }] of bundles) {
      const files = filesUnder(dir);
      expect(files, name).toContain('index.mjs');
      const bytes = files.filter((f) => f.endsWith('.mjs')).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
      expect(bytes, name).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
      // Every function that decides by the policy (assignment, lifecycle rules, available activities) carries the same file.
      expect(files.includes(BUNDLED_POLICY_FILE), name).toBe(bindsOf(name).policy === true);
      expect(files.includes(BUNDLED_CONSOLE_FILE), name).toBe(name === 'console');
    }
    const callback = bundles.get('assignment-callback')!.dir;
    // An ESM bundle has no `require`: a CommonJS require esbuild left to run time would throw when
    // reached, unless the file defines one first (the built-ins of the X-Ray SDK).
    for (const [name, { dir }] of bundles) {
      for (const file of filesUnder(dir).filter((f) => f.endsWith('.mjs'))) {
        const code = readFileSync(join(dir, file), 'utf8');
        if (code.includes(UNRESOLVED_REQUIRE)) expect(code.startsWith(REQUIRE_BANNER), `${name}/${file}`).toBe(true);
      }
    }
    expect(readFileSync(join(callback, BUNDLED_POLICY_FILE), 'utf8')).toBe(readFileSync(join(ROOT, 'policies', 'default.json'), 'utf8'));
    // The page built at synth is the page npm start serves.
    expect(readFileSync(join(bundles.get('console')!.dir, BUNDLED_CONSOLE_FILE), 'utf8')).toBe(buildConsoleHtml());
  });

  it('produces bundles that start with the environment the stack gives them', async () => {
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) expect(await start(name), name).toBe('loaded');
  }, 120_000);

  /** An API Gateway v2 event of a GET, as the API sends it to a function. */
  const getEvent = (path: string, headers: Record<string, string> = {}) => ({
    version: '2.0',
    routeKey: `GET ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', ...headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: `GET ${path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
  });

  it('produces a console function that serves the page it was bundled with, and a 304 for its ETag', async () => {
    const page = (await start('console', getEvent('/console'))) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(page).toMatchObject({ statusCode: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: buildConsoleHtml() });
    expect(page.headers['Content-Security-Policy']).toMatch(/^default-src 'none'; script-src 'sha256-/);
    expect(await start('console', getEvent('/console', { 'if-none-match': page.headers['ETag']! }))).toMatchObject({ statusCode: 304, body: '' });
  }, 30_000);

  it('produces a health function that answers', async () => {
    const event = {
      version: '2.0',
      routeKey: 'GET /health',
      rawPath: '/health',
      rawQueryString: '',
      headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com' },
      requestContext: {
        accountId: '123456789012',
        apiId: 'abc123',
        domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
        domainPrefix: 'abc123',
        http: { method: 'GET', path: '/health', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
        requestId: 'r',
        routeKey: 'GET /health',
        stage: '$default',
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
      },
      isBase64Encoded: false,
    };
    expect(await start('health', event)).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: 'ok' }) });
  }, 30_000);
});
