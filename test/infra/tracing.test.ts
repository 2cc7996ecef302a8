/**
 * Active tracing as a deployed function runs it: a function bundled with infra/bundling.ts (and so
 * with its shims, the X-Ray SDK's context store among them) started with Lambda's environment and
 * a sampled trace header, its segments caught where the X-Ray daemon would listen. The handler's
 * subsegment carries the outcome's annotation, and what it opens (its own subsegment across an
 * await, the store call) is nested under it.
 */
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ENTRY_FILE, esbuildOptions } from '../../infra/bundling.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const out = mkdtempSync(join(tmpdir(), 'infra-tracing-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Subsegment {
  readonly id: string;
  readonly name: string;
  readonly parent_id?: string;
  readonly trace_id?: string;
  readonly annotations?: Record<string, unknown>;
  readonly subsegments?: readonly Subsegment[];
  readonly aws?: { readonly operation?: string };
}

describe('active tracing in a bundle', () => {
  it('sends the handler subsegment with its outcome, and nests what the handler opened under it', async () => {
    await build({ ...esbuildOptions(join(ROOT, 'test', 'fixtures', 'traced', 'function.ts'), out), absWorkingDir: ROOT });
    const daemon = createSocket('udp4');
    const sent: Subsegment[] = [];
    daemon.on('message', (message) => sent.push(JSON.parse(message.toString().split('\n')[1]!) as Subsegment));
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    // The store: answers every call as DynamoDB answers a PutItem.
    const store = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => store.listen(0, '127.0.0.1', resolve));
    const traceId = '1-6751c000-0123456789abcdef01234567';
    try {
      const script = `
        const { handler } = await import(${JSON.stringify(join(out, ENTRY_FILE))});
        const result = await handler({}, { functionName: 'traced', awsRequestId: 'test', getRemainingTimeInMillis: () => 3000 });
        if (result.statusCode !== 200) process.exit(1);
        // The segments leave over UDP as they close: a moment for the last to go.
        setTimeout(() => process.exit(0), 200);
      `;
      await run(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          PATH: process.env['PATH'],
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
          AWS_LAMBDA_FUNCTION_NAME: 'traced',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(store.address() as AddressInfo).port}`,
          LAMBDA_TASK_ROOT: out,
          _HANDLER: 'index.handler',
          _X_AMZN_TRACE_ID: `Root=${traceId};Parent=0123456789abcdef;Sampled=1`,
          AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
          AWS_XRAY_CONTEXT_MISSING: 'RUNTIME_ERROR',
          POWERTOOLS_METRICS_DISABLED: 'true',
        },
        timeout: 20_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      daemon.close();
      await new Promise((resolve) => store.close(resolve));
    }
    const handler = sent.find((segment) => segment.name === '## index.handler');
    expect(handler, JSON.stringify(sent)).toBeDefined();
    expect(handler!.trace_id).toBe(traceId);
    expect(handler!.parent_id).toBe('0123456789abcdef');
    expect(handler!.annotations).toMatchObject({ CallbacksAnswered: 'none' });
    // Each subsegment is sent on its own or within its parent: either way, under the handler's.
    const under = (segment: Subsegment, parent: string): readonly [Subsegment, string][] => [
      [segment, parent],
      ...(segment.subsegments ?? []).flatMap((child) => under(child, segment.id)),
    ];
    const all = sent.flatMap((segment) => under(segment, segment.parent_id ?? ''));
    const parentOf = (name: string) => all.find(([segment]) => segment.name === name)?.[1];
    expect(parentOf('own')).toBe(handler!.id);
    expect(all.find(([segment]) => segment.aws?.operation === 'PutItem')?.[1]).toBe(handler!.id);
  });
});
