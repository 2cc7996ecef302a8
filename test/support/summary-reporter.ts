/**
 * Ends every run with one line `N passed, N failed`, the format CI reads. A test file that could
 * not run, an unhandled error and a skipped test (the project allows none) count as failures.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
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
    process.stdout.write(`${passed} passed, ${failed + skipped} failed\n`);
  }
}
