/**
 * How every function is bundled, declared once: the CDK function construct bundles with these
 * options (esbuild, run locally at synth), and the cold-start benchmark (bench/) builds the very
 * same bundles.
 *
 * One ESM entry, `index.mjs`, plus chunks: esbuild's code splitting puts what a function reaches
 * only through `import()` in chunks of their own. The entry carries the handler's own code; the
 * runtime (the AWS clients) is imported when the runtime is built, which a deployed function
 * does during Lambda's init phase (lib/handlers/lambda-handler.ts), with only the runtime's
 * subsystems the function needs (lib/runtime/subsystems.ts); the others, and the SDK's rarely
 * used credential providers (SSO, STS, INI files) where the environment carries the credentials,
 * as Lambda's does, are never loaded at all. DynamoDB, Secrets Manager and Scheduler are reached
 * with the bundles' own clients, not the SDK's (AWS_CLIENTS below).
 */
import type { BuildOptions } from 'esbuild';
import { join } from 'node:path';

/**
 * What esbuild emits for a CommonJS `require()` it could not resolve at build time: an ESM bundle
 * has no `require`, so that call would throw when reached unless the file defines one
 * (REQUIRE_BANNER).
 */
export const UNRESOLVED_REQUIRE = 'Dynamic require of';

/**
 * The X-Ray SDK under Powertools Tracer is CommonJS and requires Node's built-in modules (http,
 * events, async_hooks…), which esbuild leaves to a `require` an ES module does not have. Every
 * output file defines one that returns the built-in module (process.getBuiltinModule: Node 22,
 * and 20.16 on), without importing node:module for createRequire. Only built-ins reach it: with
 * nothing external, esbuild resolves every other require at build time or fails the build.
 */
export const REQUIRE_BANNER = 'const require=(id)=>process.getBuiltinModule(id);';

/** The file Lambda loads: its handler is `index.handler`. */
export const ENTRY_FILE = 'index.mjs';
export const HANDLER = 'index.handler';

/**
 * The AWS SDK packages a function's code imports, bundled as the small clients of
 * infra/shims/aws-sdk (its README says why): the same names, classes and errors, the SDK's
 * middleware stack for Powertools Tracer to instrument, the SDK's HTTP handler, retries and
 * endpoints, at a fraction of the SDK's start-up. The source, the tests and `npm start` run the SDK
 * itself; the `aws-clients` test project runs the engine tests through these.
 */
export const AWS_CLIENTS: Readonly<Record<string, string>> = {
  '@aws-sdk/client-dynamodb': join(import.meta.dirname, 'shims', 'aws-sdk', 'client-dynamodb.ts'),
  '@aws-sdk/lib-dynamodb': join(import.meta.dirname, 'shims', 'aws-sdk', 'lib-dynamodb.ts'),
  '@aws-sdk/client-secrets-manager': join(import.meta.dirname, 'shims', 'aws-sdk', 'client-secrets-manager.ts'),
  '@aws-sdk/client-scheduler': join(import.meta.dirname, 'shims', 'aws-sdk', 'client-scheduler.ts'),
};

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
    /** Names and lines for stack traces, read only with NODE_OPTIONS=--enable-source-maps (infra/function.ts); not the sources. */
    sourcemap: true,
    sourcesContent: false,
    /** Prefer the ES module builds of dependencies: smaller, and tree-shaken. */
    mainFields: ['module', 'main'],
    /**
     * Nothing external but bowser: the AWS SDK is bundled, at the version our lockfile pins.
     * Bowser parses a browser's user agent, imported only by the SDK's browser build of its
     * user-agent provider (Node uses another): never loaded here, a chunk of 33 KB in every bundle.
     */
    external: ['bowser'],
    alias: {
      ...AWS_CLIENTS,
      /** `semver` (29 KB) for the one function its importers call: infra/shims/semver-gte.cjs says why. */
      semver: join(import.meta.dirname, 'shims', 'semver-gte.cjs'),
      /** The default credential chain, reduced to its link that applies in Lambda: infra/shims/credentials-from-env.ts says why. */
      '@aws-sdk/credential-provider-node': join(import.meta.dirname, 'shims', 'credentials-from-env.ts'),
      /** The X-Ray SDK's context store on AsyncLocalStorage rather than async_hooks: infra/shims/cls-context.cjs says why. */
      'cls-hooked/context': join(import.meta.dirname, 'shims', 'cls-context.cjs'),
    },
    banner: { js: REQUIRE_BANNER },
    legalComments: 'none',
    logLevel: 'warning',
  };
}
