/**
 * What a function's cold start loads: its entry and, at init, the runtime chunk with the files
 * they import statically. The subsystems it does not need are chunks reached only through
 * `import()` (lib/runtime/subsystems.ts), which the assignment callback never loads.
 */
import { build, type Metafile } from 'esbuild';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENTRY_FILE, esbuildOptions } from '../../infra/bundling.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** The source files in the outputs a cold start loads: the entry, the runtime chunk, and what they import statically. */
async function loadedAtInit(name: string): Promise<{ inputs: Set<string>; dynamic: Set<string> }> {
  const result = await build({
    ...esbuildOptions(join(ROOT, 'functions', `${name}.ts`), join(ROOT, 'bench', '.out', 'split-test')),
    absWorkingDir: ROOT,
    metafile: true,
    write: false,
  });
  const outputs: Metafile['outputs'] = result.metafile.outputs;
  const loaded = new Set<string>();
  const visit = (output: string) => {
    if (loaded.has(output)) return;
    loaded.add(output);
    for (const imported of outputs[output]!.imports) if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  const entry = Object.keys(outputs).find((output) => output.endsWith(`/${ENTRY_FILE}`))!;
  visit(entry);
  // The runtime chunk: what the entry imports dynamically from lib/runtime/lambda.ts.
  const runtime = Object.entries(outputs).find(([, output]) => output.entryPoint === 'lib/runtime/lambda.ts')!;
  visit(runtime[0]);
  const inputs = new Set([...loaded].flatMap((output) => Object.keys(outputs[output]!.inputs)));
  const dynamic = new Set(Object.values(outputs).flatMap((output) => (output.entryPoint ? [output.entryPoint] : [])));
  return { inputs, dynamic };
}

describe('bundle splitting', () => {
  it("loads none of the AWS SDK's clients, no upstream, lifecycle or statistics reads in the assignment callback", async () => {
    const { inputs, dynamic } = await loadedAtInit('assignment-callback');
    const unused = [...inputs].filter((input) =>
      /lib\/(upstream|lifecycle)\/|lib\/statistics\/statistics-service|lib\/runtime\/(connected|delivery|lifecycle|statistics)\.ts|@aws-sdk\/(client-[^/]+|lib-dynamodb|core)\/|@smithy\/(core|node-http-handler)\//.test(
        input,
      ),
    );
    expect(unused).toEqual([]);
    // What it does load: the store, the scheduler and Secrets Manager (the bundles' own clients,
    // none of the SDK's), and tracing.
    for (const needed of [
      'lib/reservations/service.ts',
      'infra/shims/aws-sdk/client-dynamodb.ts',
      'infra/shims/aws-sdk/client-scheduler.ts',
      'infra/shims/aws-sdk/client-secrets-manager.ts',
      'aws-xray-sdk-core/',
    ]) {
      expect(
        [...inputs].some((input) => input.includes(needed)),
        needed,
      ).toBe(true);
    }
    for (const part of ['connected', 'delivery', 'lifecycle', 'statistics']) expect(dynamic.has(`lib/runtime/${part}.ts`), part).toBe(true);
  });
});
