/**
 * The Chromium that comes through npm, for a machine without one: @sparticuz/chromium ships a
 * chrome-headless-shell build (made for AWS Lambda) inside its tarball, brotli-compressed, with
 * what Amazon Linux lacks for it: bin/al2023.tar.br (NSS, NSPR, expat), bin/swiftshader.tar.br
 * (the software GL it loads even with --disable-gpu) and bin/fonts.tar.br (Open Sans).
 *
 * Its own executablePath() is not used: it inflates into os.tmpdir() with nothing to stop two
 * processes inflating at once (a half-written /tmp/chromium counts as done), and outside Lambda it
 * neither inflates the libraries nor sets LD_LIBRARY_PATH, so on a bare Debian the binary would
 * not start without libnss3. We inflate all four, once, into .cache/chromium-<version>/ (staged in
 * a sibling folder, then renamed into place, so parallel test workers never see half of it), and
 * hand back the environment the binary needs. The package is never imported: its entry point
 * rewrites process.env when it believes it runs on Lambda.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createBrotliDecompress } from 'node:zlib';

export const NPM_CHROMIUM_PACKAGE = '@sparticuz/chromium';

const ROOT = join(import.meta.dirname, '..', '..');
const execFileAsync = promisify(execFile);

/**
 * Only fonts.conf tells the binary's own fontconfig where fonts are: with none, every glyph is
 * missing and text lays out zero pixels wide. Only the bundled Open Sans, so text renders the same
 * whatever fonts the machine has. Absolute paths (fontconfig takes a relative cachedir from the
 * working directory), so it is rewritten when the project folder has moved.
 */
const fontsConf = (dir: string) => `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>${join(dir, 'fonts')}</dir>
  <cachedir>${join(dir, 'fonts-cache')}</cachedir>
</fontconfig>
`;

/** Writes fonts.conf for the folder it is in, unless it already says that (a rename, so no reader sees half). */
function writeFontsConf(dir: string): void {
  const file = join(dir, 'fonts.conf');
  const wanted = fontsConf(dir);
  if (existsSync(file) && readFileSync(file, 'utf8') === wanted) return;
  const partial = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}.partial`;
  writeFileSync(partial, wanted);
  renameSync(partial, file);
}

export interface NpmChromiumLocation {
  /** The package's version, e.g. 143.0.4 (its Chromium is 143.x). */
  readonly version: string;
  /** Where the package keeps the compressed files. */
  readonly bin: string;
  /** The folder it is inflated into, and the binary in it. */
  readonly dir: string;
  readonly executablePath: string;
}

export interface NpmChromium extends NpmChromiumLocation {
  /** What to add to the browser's environment: its libraries, its fonts. */
  readonly env: Readonly<Record<string, string>>;
}

/** Where the npm Chromium is (or will be) inflated; nothing is written. */
export function npmChromiumLocation(): NpmChromiumLocation {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`${NPM_CHROMIUM_PACKAGE} ships a Chromium for Linux x64 only (this is ${process.platform}-${process.arch})`);
  }
  let entry: string;
  try {
    // The package exports only its entry point, not package.json; resolving it runs nothing.
    entry = createRequire(import.meta.url).resolve(NPM_CHROMIUM_PACKAGE);
  } catch {
    throw new Error(`${NPM_CHROMIUM_PACKAGE} is not installed`);
  }
  const packageDir = join(dirname(entry), '..', '..');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const dir = join(ROOT, '.cache', `chromium-${version}`);
  return { version, bin: join(packageDir, 'bin'), dir, executablePath: join(dir, 'chromium') };
}

async function inflateFile(source: string, target: string): Promise<void> {
  await pipeline(createReadStream(source), createBrotliDecompress(), createWriteStream(target, { mode: 0o755 }));
}

/**
 * A .tar.br into a folder, through a plain .tar next to it: tar (Debian's is always there; Node
 * has no tar reader) stops reading at the archive's end marker, so a pipe into it breaks early.
 */
async function inflateTar(source: string, into: string): Promise<void> {
  const plain = join(into, `${basename(source, '.br')}.partial`);
  try {
    await pipeline(createReadStream(source), createBrotliDecompress(), createWriteStream(plain));
    await execFileAsync('tar', ['-x', '--no-same-owner', '-f', plain, '-C', into]);
  } finally {
    rmSync(plain, { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Staging folders a killed run left (each is ~210 MB); a live process's may still be filling. */
function removeAbandonedStaging(parent: string, version: string): void {
  const prefix = `chromium-${version}.inflating-`;
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && !isRunning(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

async function inflate(location: NpmChromiumLocation): Promise<void> {
  const parent = dirname(location.dir);
  mkdirSync(parent, { recursive: true });
  removeAbandonedStaging(parent, location.version);
  const stage = mkdtempSync(join(parent, `chromium-${location.version}.inflating-${process.pid}-`));
  try {
    await Promise.all([
      inflateFile(join(location.bin, 'chromium.br'), join(stage, 'chromium')),
      // Chromium loads libEGL, libGLESv2 and Vulkan from its own folder.
      inflateTar(join(location.bin, 'swiftshader.tar.br'), stage),
      // lib/: libnss3 and what it needs, which a bare Debian lacks.
      inflateTar(join(location.bin, 'al2023.tar.br'), stage),
      // fonts/Open_Sans/, and a fonts.conf for Lambda's paths that ours replaces.
      inflateTar(join(location.bin, 'fonts.tar.br'), stage),
    ]);
    // mkdtemp made it private; the browser is no secret, and another user may run the tests.
    chmodSync(stage, 0o755);
    try {
      renameSync(stage, location.dir);
    } catch (error) {
      // Another worker got there first: its copy is as good as ours.
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(location.executablePath)) throw error;
    }
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

let ready: Promise<NpmChromium> | undefined;

/**
 * The npm Chromium, inflated on first use (a few seconds; later runs find it in .cache/), with the
 * environment to launch it in. LD_LIBRARY_PATH is its own lib/ only: its NSS, not whatever the
 * machine has.
 */
export function ensureNpmChromium(): Promise<NpmChromium> {
  ready ??= (async () => {
    const location = npmChromiumLocation();
    if (!existsSync(location.executablePath)) await inflate(location);
    writeFontsConf(location.dir);
    return { ...location, env: { LD_LIBRARY_PATH: join(location.dir, 'lib'), FONTCONFIG_FILE: join(location.dir, 'fonts.conf') } };
  })();
  ready.catch(() => (ready = undefined));
  return ready;
}
