/** The whole project type-checks (strict), as part of `npm test`. */
import ts from 'typescript';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('type-checks with tsconfig.json', () => {
  const root = join(import.meta.dirname, '..');
  const file = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const config = ts.parseJsonConfigFileContent(file.config, ts.sys, root);
  const program = ts.createProgram(config.fileNames, config.options);
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n') + (d.file ? ` (${d.file.fileName})` : ''));
  expect(diagnostics).toEqual([]);
}, 120_000);
