/**
 * Ends every run with one line `N passed, N failed`, the format CI reads. A test file that could
 * not run, an unhandled error and a skipped test (the project allows none) count as failures. It
 * also scans every line the tests logged for the PII the tests plant (test/support/pii.ts), and
 * every metric document logged for a dimension that is a SID or holds PII: a find fails the run,
 * counted as one more failed check.
 */
import type { UserConsoleLog } from 'vitest';
import type { Reporter, TestModule } from 'vitest/node';
import { dimensionProblems, plantedIn } from './pii.ts';

export default class SummaryReporter implements Reporter {
  #logLines = 0;
  readonly #leaks: string[] = [];

  onUserConsoleLog(log: UserConsoleLog): void {
    this.#logLines += log.content.split('\n').length;
    for (const value of plantedIn(log.content)) {
      if (this.#leaks.length < 20) this.#leaks.push(`${value} in: ${log.content.slice(0, 300)}`);
    }
    for (const problem of dimensionProblems(log.content)) {
      if (this.#leaks.length < 20) this.#leaks.push(`metric ${problem}`);
    }
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of modules) {
      let ran = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        ran++;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (module.state() === 'failed' && ran === 0) failed++;
    }
    if (skipped > 0) process.stdout.write(`${skipped} skipped or pending (counted as failed: no test may be left skipped)\n`);
    const leaked = this.#leaks.length > 0 ? 1 : 0;
    process.stdout.write(
      leaked
        ? `log scan FAILED: planted PII or credentials in the logs:\n  ${this.#leaks.join('\n  ')}\n`
        : `log scan: ${this.#logLines} logged lines, no planted PII or credentials\n`,
    );
    if (leaked) process.exitCode = 1;
    process.stdout.write(`${passed} passed, ${failed + skipped + leaked} failed\n`);
  }
}
