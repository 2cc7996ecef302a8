/**
 * Which Chromium the browser tests get (test/support/browser.ts): CHROMIUM_PATH, else a system
 * one on PATH, else the one that comes through npm; CHROMIUM_SOURCE forces either. The order is
 * checked on fake environments and PATHs, launching nothing; then the npm Chromium is launched
 * for real, as on a machine without a browser, and must lay text out in its own fonts on its own
 * libraries.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseChromium, describeChromium, launchChromium } from '../support/browser.ts';
import { ensureNpmChromium, npmChromiumLocation } from '../support/npm-chromium.ts';

const ROOT = join(import.meta.dirname, '..', '..');
/** The version package.json pins, which names the cache folder. */
const PINNED = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies[
  '@sparticuz/chromium'
]!;

describe('choosing a Chromium', () => {
  let root: string;
  /** Folders for fake PATHs: one with `chromium`, one with `chromium-browser`, one with neither. */
  let withChromium: string;
  let withChromiumBrowser: string;
  let empty: string;
  let explicit: string;
  const npmBinary = () => npmChromiumLocation().executablePath;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'browser-source-'));
    const folder = (name: string, files: Record<string, number>) => {
      const dir = join(root, name);
      mkdirSync(dir);
      for (const [file, mode] of Object.entries(files)) writeFileSync(join(dir, file), '#!/bin/sh\nexit 1\n', { mode });
      return dir;
    };
    withChromium = folder('a', { chromium: 0o755 });
    withChromiumBrowser = folder('b', { 'chromium-browser': 0o755 });
    empty = folder('c', {});
    explicit = join(folder('d', { chrome: 0o755 }), 'chrome');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('takes CHROMIUM_PATH first, even with a Chromium on PATH', () => {
    expect(chooseChromium({ CHROMIUM_PATH: explicit, PATH: withChromium })).toEqual({
      source: 'CHROMIUM_PATH',
      path: explicit,
      reason: 'CHROMIUM_PATH is set',
    });
  });

  it('refuses a CHROMIUM_PATH that does not exist, rather than trying another', () => {
    expect(() => chooseChromium({ CHROMIUM_PATH: join(root, 'nowhere'), PATH: withChromium })).toThrow(/CHROMIUM_PATH=.*nowhere does not exist/);
  });

  it('takes chromium, then chromium-browser, from PATH as `command -v` would', () => {
    expect(chooseChromium({ PATH: `${empty}:${withChromium}` })).toMatchObject({ source: 'system', path: join(withChromium, 'chromium') });
    expect(chooseChromium({ PATH: withChromiumBrowser })).toMatchObject({ source: 'system', path: join(withChromiumBrowser, 'chromium-browser') });
    // chromium anywhere on PATH wins over chromium-browser earlier on it.
    expect(chooseChromium({ PATH: `${withChromiumBrowser}:${withChromium}` })).toMatchObject({ path: join(withChromium, 'chromium') });
  });

  it('passes over a chromium on PATH that is not an executable file', () => {
    const notExecutable = join(root, 'e');
    mkdirSync(notExecutable);
    writeFileSync(join(notExecutable, 'chromium'), '', { mode: 0o644 });
    const folderNamedChromium = join(root, 'f');
    mkdirSync(join(folderNamedChromium, 'chromium'), { recursive: true });
    expect(chooseChromium({ PATH: `${notExecutable}:${folderNamedChromium}:${withChromiumBrowser}` })).toMatchObject({
      source: 'system',
      path: join(withChromiumBrowser, 'chromium-browser'),
    });
  });

  it('falls back to the npm Chromium, inflated into .cache/, when there is no other', () => {
    const choice = chooseChromium({ PATH: empty });
    expect(choice).toEqual({ source: 'npm', path: npmBinary(), reason: 'no CHROMIUM_PATH, no chromium or chromium-browser on PATH' });
    expect(choice.path).toBe(join(ROOT, '.cache', `chromium-${PINNED}`, 'chromium'));
    expect(chooseChromium({ PATH: '' }).source).toBe('npm');
    expect(describeChromium(choice)).toBe(`npm @sparticuz/chromium ${PINNED}`);
  });

  it('CHROMIUM_SOURCE=npm takes the npm one over CHROMIUM_PATH and PATH', () => {
    expect(chooseChromium({ CHROMIUM_SOURCE: 'npm', CHROMIUM_PATH: explicit, PATH: withChromium })).toEqual({
      source: 'npm',
      path: npmBinary(),
      reason: 'CHROMIUM_SOURCE=npm',
    });
  });

  it('CHROMIUM_SOURCE=system never falls back to the npm one', () => {
    expect(chooseChromium({ CHROMIUM_SOURCE: 'system', PATH: withChromium })).toMatchObject({ source: 'system', path: join(withChromium, 'chromium') });
    expect(chooseChromium({ CHROMIUM_SOURCE: 'system', CHROMIUM_PATH: explicit, PATH: empty })).toMatchObject({ source: 'CHROMIUM_PATH' });
    expect(() => chooseChromium({ CHROMIUM_SOURCE: 'system', PATH: empty })).toThrow(
      /CHROMIUM_SOURCE=system, but there is no CHROMIUM_PATH and no chromium or chromium-browser on PATH: install Debian's chromium/,
    );
  });

  it('refuses an unknown CHROMIUM_SOURCE', () => {
    expect(() => chooseChromium({ CHROMIUM_SOURCE: 'chrome', PATH: withChromium })).toThrow(/CHROMIUM_SOURCE=chrome is not a source: use npm .* or system/);
  });

  it('describes a system or configured Chromium by its path', () => {
    expect(describeChromium(chooseChromium({ PATH: withChromium }))).toBe(`system ${join(withChromium, 'chromium')}`);
    expect(describeChromium(chooseChromium({ CHROMIUM_PATH: explicit }))).toBe(`CHROMIUM_PATH ${explicit}`);
  });
});

/** The memory maps of the processes running this binary (browser, zygotes, renderers, GPU). */
function mapsOf(binary: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readlinkSync(`/proc/${pid}/exe`) === binary) found.set(pid, readFileSync(`/proc/${pid}/maps`, 'utf8'));
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return found;
}

describe('the npm Chromium (CHROMIUM_SOURCE=npm)', () => {
  let server: Server;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(
        '<!doctype html><html lang="en"><title>npm Chromium</title><body style="font: 16px system-ui, sans-serif"><p><span id="text">Reservation console — rendered</span></p></body></html>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // The first launch on a machine inflates it (a few seconds), later ones find it in .cache/.
    browser = await launchChromium({ ...process.env, CHROMIUM_SOURCE: 'npm' });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('is the packaged Chromium, not the system one', () => {
    // @sparticuz/chromium's major version is its Chromium's.
    expect(browser.version().split('.')[0]).toBe(npmChromiumLocation().version.split('.')[0]);
  });

  it('lays out and renders text in its bundled font', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    const text = page.locator('#text');
    expect(await text.textContent()).toBe('Reservation console — rendered');
    // Without a font, text lays out zero pixels wide: fontconfig found nothing.
    const box = await text.boundingBox();
    expect(box?.width).toBeGreaterThan(100);
    expect(box?.height).toBeGreaterThan(10);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument');
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '#text' });
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    expect(fonts.map((font) => font.familyName)).toEqual(['Open Sans']);
    expect(fonts[0]!.glyphCount).toBe('Reservation console — rendered'.length);
    const screenshot = await page.screenshot();
    expect(screenshot.length).toBeGreaterThan(1000);
    await page.close();
  });

  it('runs on its own inflated libraries (LD_LIBRARY_PATH is its lib/ only), not the machine NSS', async () => {
    const npm = await ensureNpmChromium();
    expect(npm.env).toEqual({ LD_LIBRARY_PATH: join(npm.dir, 'lib'), FONTCONFIG_FILE: join(npm.dir, 'fonts.conf') });
    const processes = mapsOf(npm.executablePath);
    expect(processes.size).toBeGreaterThan(0);
    for (const [pid, maps] of processes) {
      const nss = [...new Set(maps.split('\n').flatMap((line) => /\s(\/\S*\/libnss3\.so)$/.exec(line)?.[1] ?? []))];
      expect(nss, `process ${pid}`).toEqual([join(npm.dir, 'lib', 'libnss3.so')]);
    }
  });
});
