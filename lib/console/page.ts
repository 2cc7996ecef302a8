/**
 * The console page as it is served: the one HTML document lib/console/build.ts makes, and the
 * headers that go with it. The Content-Security-Policy allows exactly the page's own inline script
 * and style (by their sha256) and requests to its own origin, nothing else; the ETag lets a browser
 * revalidate the page with a 304 instead of downloading it again.
 *
 * No esbuild here: this module runs in the deployed console function, which reads the page that
 * the stack built at synth and copied into its bundle.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.ts';

export interface ConsolePage {
  readonly html: string;
  readonly etag: string;
  readonly contentSecurityPolicy: string;
}

/** The page's inline elements: one `<style>` and one `<script>`, without attributes (build.ts writes them so). */
const INLINE = /<(script|style)>([\s\S]*?)<\/\1>/g;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');

/**
 * `default-src 'none'` and then only what the page uses: its inline script and style by hash,
 * `fetch` to the REST API on its own origin, its data: favicon. No base, no form posts (forms are
 * sent by the script), no framing (clickjacking).
 */
export function contentSecurityPolicy(html: string): string {
  const hashes = { script: [] as string[], style: [] as string[] };
  for (const [, tag, body] of html.matchAll(INLINE)) hashes[tag as 'script' | 'style'].push(`'sha256-${sha256(body!)}'`);
  if (hashes.script.length !== 1 || hashes.style.length !== 1) {
    throw new Error(`the console page must have exactly one inline <script> and one <style>, found ${hashes.script.length} and ${hashes.style.length}`);
  }
  return [
    "default-src 'none'",
    `script-src ${hashes.script[0]}`,
    `style-src ${hashes.style[0]}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function servedPage(html: string): ConsolePage {
  return { html, etag: `"${createHash('sha256').update(html, 'utf8').digest('base64url').slice(0, 32)}"`, contentSecurityPolicy: contentSecurityPolicy(html) };
}

/** CONSOLE_PAGE: the built page, read once per container. */
export function readConsolePage(path: string): ConsolePage {
  let html: string;
  try {
    html = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('CONSOLE_PAGE', `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return servedPage(html);
  } catch (error) {
    throw new ConfigError('CONSOLE_PAGE', `${path}: ${(error as Error).message}`);
  }
}

/** RFC 9110 If-None-Match: `*`, or a list of (possibly weak) tags, one of which is ours. */
export function notModified(page: ConsolePage, ifNoneMatch: string | undefined): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '');
    return t === '*' || t === page.etag;
  });
}

/**
 * The headers of the page and of its 304. `no-cache`: a browser keeps the page but asks each
 * time, so a deploy reaches every open tab's next load; the ETag makes the asking cheap.
 */
export function pageHeaders(page: ConsolePage): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': page.contentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
    ETag: page.etag,
  };
}
