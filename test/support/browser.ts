/**
 * Real headless Chromium for the console's tests and benchmark, driven by playwright-core (which
 * downloads no browser of its own). Which one, first match wins:
 *
 * 1. CHROMIUM_PATH, a Chromium or Chrome binary (it must exist);
 * 2. a system Chromium: `chromium` or `chromium-browser` on PATH (Debian's package, which .ci/run
 *    installs);
 * 3. the Chromium that comes through npm, @sparticuz/chromium (test/support/npm-chromium.ts),
 *    inflated into .cache/ on first use, so a machine with only Node.js needs nothing else.
 *
 * CHROMIUM_SOURCE=npm takes the npm one whatever else there is (CI proves both ways with it);
 * CHROMIUM_SOURCE=system refuses to fall back to it. A missing browser fails the test with a
 * message saying what to do: no console test is ever skipped.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { ACCOUNT_SID, AUTH_TOKEN } from './fixtures.ts';
import { ensureNpmChromium, NPM_CHROMIUM_PACKAGE, npmChromiumLocation } from './npm-chromium.ts';

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

const SYSTEM_NAMES = ['chromium', 'chromium-browser'];

export interface ChromiumChoice {
  /** CHROMIUM_PATH, a system Chromium found on PATH, or the npm one. */
  readonly source: 'CHROMIUM_PATH' | 'system' | 'npm';
  /** The binary (for npm, where it is or will be inflated). */
  readonly path: string;
  /** Why this one. */
  readonly reason: string;
}

/** The first executable file of that name in PATH's folders, as `command -v` finds it. */
function onPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not there, or not executable: the next folder.
    }
  }
  return undefined;
}

const INSTALL_ONE = "install Debian's chromium (`sudo apt-get install chromium`, as .ci/run does) or set CHROMIUM_PATH to a Chromium or Chrome binary";

function npmChoice(reason: string): ChromiumChoice {
  try {
    return { source: 'npm', path: npmChromiumLocation().executablePath, reason };
  } catch (error) {
    throw new Error(
      `Chromium was not found: the console tests need a real browser (${reason}), and ${(error as Error).message}. To fix: ${INSTALL_ONE}, or (on Linux x64) run npm install, which brings ${NPM_CHROMIUM_PACKAGE}.`,
    );
  }
}

/** Which Chromium the tests use in this environment, and why. Nothing is inflated or launched. */
export function chooseChromium(env: NodeJS.ProcessEnv = process.env): ChromiumChoice {
  const forced = env['CHROMIUM_SOURCE'] ?? '';
  if (forced !== '' && forced !== 'npm' && forced !== 'system') {
    throw new Error(
      `CHROMIUM_SOURCE=${forced} is not a source: use npm (the Chromium that comes through npm) or system (CHROMIUM_PATH or PATH's), or leave it unset`,
    );
  }
  if (forced === 'npm') return npmChoice('CHROMIUM_SOURCE=npm');
  const configured = env['CHROMIUM_PATH'];
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH=${configured} does not exist`);
    return { source: 'CHROMIUM_PATH', path: configured, reason: 'CHROMIUM_PATH is set' };
  }
  for (const name of SYSTEM_NAMES) {
    const found = onPath(name, env['PATH'] ?? '');
    if (found) return { source: 'system', path: found, reason: `${name} is on PATH` };
  }
  if (forced === 'system') {
    throw new Error(
      `CHROMIUM_SOURCE=system, but there is no CHROMIUM_PATH and no chromium or chromium-browser on PATH: ${INSTALL_ONE}, or unset CHROMIUM_SOURCE to use the npm one.`,
    );
  }
  return npmChoice('no CHROMIUM_PATH, no chromium or chromium-browser on PATH');
}

/** One line for the benchmark's report: `npm @sparticuz/chromium 143.0.4`, `system /usr/bin/chromium`, … */
export function describeChromium(choice: ChromiumChoice = chooseChromium()): string {
  return choice.source === 'npm' ? `npm ${NPM_CHROMIUM_PACKAGE} ${npmChromiumLocation().version}` : `${choice.source} ${choice.path}`;
}

/** Launches the Chromium {@link chooseChromium} picks in `env` (CHROMIUM_SOURCE, CHROMIUM_PATH, PATH). */
export async function launchChromium(env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
  const choice = chooseChromium(env);
  if (choice.source !== 'npm') return chromium.launch({ executablePath: choice.path, args: CHROMIUM_ARGS, timeout: 60_000 });
  const npm = await ensureNpmChromium();
  // playwright-core gives the browser exactly this environment, not ours plus it.
  const inherited = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  try {
    return await chromium.launch({ executablePath: npm.executablePath, args: CHROMIUM_ARGS, env: { ...inherited, ...npm.env }, timeout: 60_000 });
  } catch (error) {
    throw new Error(
      `The npm Chromium (${npm.executablePath}, chosen because ${choice.reason}) did not start (${INSTALL_ONE} instead): ${(error as Error).message}`,
    );
  }
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
 * axe-core on the page as it is (WCAG 2.x A and AA rules and best practices, with WCAG 2.2's
 * target size: every control at least 24 by 24 px, or that far from the next). The source is
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
    const result = await w.axe.run(document, { resultTypes: ['violations'], rules: { 'target-size': { enabled: true } } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/** Serious or critical: the accessibility violations the console may never have. */
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
