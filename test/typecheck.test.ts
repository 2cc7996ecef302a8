/**
 * The whole project type-checks (strict), as part of `npm test`: the Node side with tsconfig.json,
 * the console's browser script with its own (DOM, no Node types: nothing Node-only reaches the page).
 */
import ts from 'typescript';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

it.each([
  ['tsconfig.json', ROOT],
  ['lib/console/browser/tsconfig.json', join(ROOT, 'lib', 'console', 'browser')],
])(
  'type-checks with %s',
  (file, dir) => {
    const read = ts.readConfigFile(join(ROOT, file), ts.sys.readFile);
    const config = ts.parseJsonConfigFileContent(read.config, ts.sys, dir);
    expect(config.fileNames.length).toBeGreaterThan(0);
    const program = ts.createProgram(config.fileNames, config.options);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n') + (d.file ? ` (${d.file.fileName})` : ''));
    expect(diagnostics).toEqual([]);
  },
  120_000,
);
