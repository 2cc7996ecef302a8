/**
 * GET /console over HTTP: one self-contained page under a strict Content-Security-Policy, cached by
 * ETag, its forms generated from the parameter table; and how it is configured (CONSOLE_PAGE
 * deployed, built by npm start locally).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consolePage } from '#functions/console.ts';
import { ConfigError, LOCAL_WORKSPACE_SID, loadConfig } from '#lib/config.ts';
import { buildConsoleHtml, consoleData } from '#lib/console/build.ts';
import { readConsolePage } from '#lib/console/page.ts';
import { INSTRUCTIONS, STATUS_UPDATES } from '#lib/domain/instructions.ts';
import { PARAMETERS } from '#lib/domain/parameters.ts';
import { RESERVATION_STATUSES } from '#lib/domain/state-machine.ts';
import { EVENT_TYPES } from '#lib/domain/events.ts';
import { MAX_WRAP_UP_SECONDS } from '#lib/domain/lifecycle-policy.ts';
import { MAX_REASON_LENGTH } from '#lib/domain/task-change.ts';
import type { LocalStack } from '#lib/local/server.ts';
import { createRuntime } from '#lib/runtime.ts';
import { startStack } from '../support/fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MAX_PAGE_BYTES = 150 * 1024;

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

const inline = (html: string, tag: 'script' | 'style') => [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

describe('GET /console', () => {
  it('serves the page without credentials: HTML, a CSP that allows only its own inline script and style, nosniff, no referrer, no cookie', async () => {
    const response = await fetch(`${stack.url}/console`);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('set-cookie')).toBeNull();
    const [script, ...moreScripts] = inline(html, 'script');
    const [style, ...moreStyles] = inline(html, 'style');
    expect([moreScripts, moreStyles]).toEqual([[], []]);
    expect(response.headers.get('content-security-policy')!.split('; ')).toEqual([
      "default-src 'none'",
      `script-src ${sha256(script!)}`,
      `style-src ${sha256(style!)}`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]);
    expect(html).toBe(buildConsoleHtml());
  });

  it('answers a matching If-None-Match with 304 and no body, and anything else with the page', async () => {
    const etag = (await fetch(`${stack.url}/console`)).headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{32}"$/);
    for (const tag of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await fetch(`${stack.url}/console`, { headers: { 'If-None-Match': tag } });
      expect(response.status, tag).toBe(304);
      expect(response.headers.get('etag')).toBe(etag);
      expect(await response.text()).toBe('');
    }
    const other = await fetch(`${stack.url}/console`, { headers: { 'If-None-Match': '"stale"' } });
    expect(other.status).toBe(200);
  });

  it(`weighs at most ${MAX_PAGE_BYTES / 1024} KB and loads nothing from anywhere else: no external script, style, font, image or frame`, () => {
    const html = buildConsoleHtml();
    expect(Buffer.byteLength(html)).toBeLessThanOrEqual(MAX_PAGE_BYTES);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|<iframe|@import|@font-face/i);
    // Every src, href and url(): a fragment, or a data: URI (the favicon).
    const references = [...html.matchAll(/\b(?:src|href)="([^"]*)"|url\(([^)]*)\)/g)].map((m) => m[1] ?? m[2]!);
    expect(references.length).toBeGreaterThan(0);
    expect(references.filter((r) => !r.startsWith('#') && !r.startsWith('data:'))).toEqual([]);
  });

  it('has forms for every status update and instruction, with every parameter of the table, as the table declares it', () => {
    const data = consoleData();
    expect(data.reservationStatuses).toEqual(RESERVATION_STATUSES);
    expect(data.statusUpdates.map((a) => a.value)).toEqual(Object.keys(STATUS_UPDATES));
    const forms = [...data.statusUpdates, ...data.instructions];
    // accept and reject are the ReservationStatus forms; every other instruction has a form of its own.
    expect(data.instructions.map((a) => a.value).sort()).toEqual(
      Object.keys(INSTRUCTIONS)
        .filter((n) => !['accept', 'reject'].includes(n))
        .sort(),
    );
    for (const parameter of PARAMETERS.filter((p) => p.instruction !== undefined)) {
      const form = forms.find((f) => f.value === parameter.instruction || STATUS_UPDATES[f.value] === parameter.instruction)!;
      const field = form.fields.find((f) => f.name === parameter.name);
      expect(field, parameter.name).toMatchObject({ kind: parameter.type.kind });
      expect(field!.default, parameter.name).toEqual(parameter.default);
      const instruction = INSTRUCTIONS[parameter.instruction!];
      expect(field!.required === true, parameter.name).toBe(instruction.required?.includes(parameter.name) === true);
      expect(field!.contact === true, parameter.name).toBe(instruction.contact === parameter.name);
      expect(field!.accepts === true, parameter.name).toBe(instruction.acceptWith === parameter.name);
    }
    expect(forms.flatMap((f) => f.fields).length).toBe(PARAMETERS.filter((p) => p.instruction !== undefined).length);
    // …and the page carries them: each name is in the built script.
    const html = buildConsoleHtml();
    for (const parameter of PARAMETERS.filter((p) => p.instruction !== undefined)) expect(html, parameter.name).toContain(`"${parameter.name}"`);
  });

  it("states the domain's own limits in the lifecycle forms' hints: a Task update's Reason, a wrap-up's ExtendSeconds", () => {
    expect(consoleData()).toMatchObject({ maxReasonLength: MAX_REASON_LENGTH, maxWrapUpSeconds: MAX_WRAP_UP_SECONDS });
  });

  it("offers the Event resource's declared types in the events view's type filter", () => {
    expect(consoleData().eventTypes).toEqual(Object.keys(EVENT_TYPES));
    const html = buildConsoleHtml();
    for (const type of Object.keys(EVENT_TYPES)) expect(html, type).toContain(`"${type}"`);
  });
});

describe('configuration', () => {
  it('reads CONSOLE_PAGE once, and refuses one that cannot be read, naming the variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-page-'));
    try {
      const file = join(dir, 'console.html');
      writeFileSync(file, buildConsoleHtml());
      expect(readConsolePage(file).html).toBe(buildConsoleHtml());
      expect(() => readConsolePage(join(dir, 'missing.html'))).toThrow(/CONSOLE_PAGE .*missing\.html: cannot be read \(ENOENT\)/);
      writeFileSync(file, '<html><script>a</script><script>b</script></html>');
      expect(() => readConsolePage(file)).toThrow(ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to build the console handler without a page', () => {
    const runtime = createRuntime(loadConfig({}, 'local'));
    try {
      expect(() => consolePage.createHandler(runtime)).toThrow(/CONSOLE_PAGE is required/);
    } finally {
      runtime.close();
    }
  });

  it('npm start prints the console URL, and it serves the page', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'lib', 'local', 'main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], PORT: '0', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('listening on')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${out}`)));
      });
      const base = /base URL {6}(\S+)/.exec(out)![1]!;
      const line = out.split('\n').find((l) => l.startsWith('  console'));
      expect(line).toBe(`  console       ${base}/console#/${LOCAL_WORKSPACE_SID}   (sign in with the account SID and auth token below)`);
      const response = await fetch(`${base}/console`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(buildConsoleHtml());
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});
