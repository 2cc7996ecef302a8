/**
 * Real headless Chromium for the console's tests and benchmark: Debian's `chromium` package
 * (`.ci/run` installs it) driven by playwright-core, which downloads no browser of its own.
 * CHROMIUM_PATH picks another binary. A missing browser fails the test with a message saying how
 * to install one: no console test is ever skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { ACCOUNT_SID, AUTH_TOKEN } from './fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** Flags for a container without a GPU or network: nothing phones home, nothing waits for it. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['CHROMIUM_PATH'];
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH=${configured} does not exist`);
    return configured;
  }
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // Not on PATH: try the next name.
    }
  }
  throw new Error(
    "Chromium was not found: the console tests need a real browser. Install Debian's package (`sudo apt-get install chromium`, as .ci/run does) or set CHROMIUM_PATH to a Chromium or Chrome binary.",
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, timeout: 60_000 });
}

export interface ConsoleSession {
  readonly username?: string;
  readonly secret?: string;
  readonly workspace: string;
}

/**
 * A browser context whose tabs start signed in (the session the sign-in form would store), and a
 * record of every Content-Security-Policy violation the page reports.
 */
export async function signedInContext(browser: Browser, session: ConsoleSession | null, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'Europe/Berlin', ...options });
  await context.addInitScript(
    ([stored]) => {
      const w = window as unknown as { cspViolations: string[] };
      w.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
      if (stored && !sessionStorage.getItem('taskrouter-console')) sessionStorage.setItem('taskrouter-console', stored);
    },
    [session && JSON.stringify({ username: session.username ?? ACCOUNT_SID, secret: session.secret ?? AUTH_TOKEN, workspace: session.workspace })] as const,
  );
  return context;
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly string[];
}

/**
 * axe-core on the page as it is (WCAG 2.x A and AA rules and best practices). The source is
 * evaluated through the DevTools protocol, which the page's CSP does not govern, so the page is
 * checked under its own policy.
 */
export async function axe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const w = window as unknown as {
      axe: {
        run: (
          context: Document,
          options: unknown,
        ) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }>;
      };
    };
    const result = await w.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/** Serious or critical: what the console may never have (SPEC §13). */
export const serious = (violations: readonly AxeViolation[]) => violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');

/**
 * Where screenshots go: test/.out/console (ignored by git) on every run, or docs/ with
 * CONSOLE_SCREENSHOTS=docs (`npm run screenshots`), for the README.
 */
export function screenshotPath(name: string): string {
  const dir = process.env['CONSOLE_SCREENSHOTS'] === 'docs' ? join(ROOT, 'docs') : join(ROOT, 'test', '.out', 'console');
  mkdirSync(dir, { recursive: true });
  return join(dir, `console-${name}.png`);
}
