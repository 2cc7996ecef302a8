/**
 * How every function is bundled, declared once: the CDK function construct bundles with these
 * options (esbuild, run locally at synth), and the cold-start benchmark (bench/) builds the very
 * same bundles.
 *
 * One ESM entry, `index.mjs`, plus chunks: esbuild's code splitting puts what a function reaches
 * only through `import()` in chunks of their own. The entry carries the handler's own code; the
 * runtime (the AWS SDK clients) is imported when the runtime is built, which a deployed function
 * does during Lambda's init phase (lib/http/api-function.ts), and the SDK's rarely used
 * credential providers (SSO, STS, INI files) are never loaded at all where the environment
 * carries the credentials, as Lambda's does.
 */
import type { BuildOptions } from 'esbuild';

/**
 * What esbuild emits for a CommonJS `require()` it could not resolve at build time: an ESM bundle
 * has no `require`, so that call would throw when reached. With the ES module builds of our
 * dependencies there is none (a test checks every bundle for it), and so no
 * `createRequire` banner either: importing node:module on every cold start costs milliseconds.
 */
export const UNRESOLVED_REQUIRE = 'Dynamic require of';

/** The file Lambda loads: its handler is `index.handler`. */
export const ENTRY_FILE = 'index.mjs';
export const HANDLER = 'index.handler';

/**
 * The esbuild options of one function: `entryPoint` (functions/<name>.ts) into `outdir`, which
 * receives index.mjs, chunks/*.mjs and their source maps.
 */
export function esbuildOptions(entryPoint: string, outdir: string): BuildOptions {
  return {
    entryPoints: { index: entryPoint },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    /** The Lambda runtime: NODEJS_22_X. */
    target: 'node22',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    minify: true,
    /** Names and lines for stack traces (NODE_OPTIONS=--enable-source-maps), not the sources. */
    sourcemap: true,
    sourcesContent: false,
    /** Prefer the ES module builds of dependencies: smaller, and tree-shaken. */
    mainFields: ['module', 'main'],
    /** Nothing external: the AWS SDK is bundled, at the version our lockfile pins. */
    external: [],
    legalComments: 'none',
    logLevel: 'warning',
  };
}
