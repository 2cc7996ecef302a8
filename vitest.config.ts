import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup-env.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Handlers log a JSON line per request: show logs of failing tests only. Powertools' dev
    // mode writes through the global console, which is what vitest captures.
    silent: 'passed-only',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_DEV: 'true' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
