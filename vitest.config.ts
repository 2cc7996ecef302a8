import { defineConfig } from 'vitest/config';
import { join } from 'node:path';
import { AWS_CLIENTS } from './infra/bundling.ts';

const AWS_HTTP_HANDLER = join(import.meta.dirname, 'infra', 'shims', 'aws-sdk', 'http-handler.ts');

/**
 * The test tiers, each starting only what it needs (npm test runs them all, npm run test:unit the
 * first): `unit` the domain and the use cases on the in-memory stores, no engine, no server;
 * `engines` everything on a real DynamoDB engine (dynalite in process, and Amazon's DynamoDB Local,
 * started once by the global setup); `browser` the console and the benchmark harness in Chromium;
 * `infra` the CDK stack, the bundles and the type-check; `aws-clients` the engine tests that reach
 * the AWS clients most, run again with the SDK packages swapped for the bundles' own clients
 * (infra/shims/aws-sdk), as a deployed function runs them.
 */
const UNIT = [
  'test/unit/**/*.test.ts',
  'test/domain/**/*.test.ts',
  'test/config.test.ts',
  'test/events/event-model.test.ts',
  'test/store/group-commit.test.ts',
  'test/store/store-contract.test.ts',
  'test/timeouts/eventbridge-scheduler.test.ts',
  'test/upstream/taskrouter-client.test.ts',
];
const BROWSER = ['test/console/**/*.test.ts', 'test/bench/**/*.test.ts'];
const INFRA = ['test/infra/**/*.test.ts', 'test/typecheck.test.ts'];
/** Unit files that also hold for the real engines: the store contract runs on all three. */
const BOTH = ['test/store/store-contract.test.ts'];
/** The store's contract, its faults and bounds, and the HTTP API end to end, through the bundles' AWS clients. */
const AWS_CLIENT_TESTS = [
  'test/store/store-contract.test.ts',
  'test/reliability/store-faults.test.ts',
  'test/runtime/aws-clients.test.ts',
  'test/http/reservations-api.test.ts',
];

export default defineConfig({
  test: {
    setupFiles: ['test/support/setup-env.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Handlers log a JSON line per request: show logs of failing tests only. Powertools' dev
    // mode writes through the global console, which is what vitest captures.
    silent: 'passed-only',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_DEV: 'true' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, env: { STORE_ENGINES: 'memory' } } },
      {
        extends: true,
        test: {
          name: 'engines',
          include: ['test/**/*.test.ts'],
          exclude: [...UNIT.filter((f) => !BOTH.includes(f)), ...BROWSER, ...INFRA],
          globalSetup: ['test/support/global-setup.ts'],
          env: { STORE_ENGINES: 'dynalite,DynamoDB Local' },
        },
      },
      {
        extends: true,
        // The SDK's HTTP handler too, where a test builds one to put faults in front of: the
        // bundles' clients bring their own (infra/shims/aws-sdk/http-handler.ts).
        resolve: { alias: { ...AWS_CLIENTS, '@smithy/node-http-handler': AWS_HTTP_HANDLER } },
        test: {
          name: 'aws-clients',
          include: AWS_CLIENT_TESTS,
          globalSetup: ['test/support/global-setup.ts'],
          env: { STORE_ENGINES: 'dynalite,DynamoDB Local', TEST_PROJECT: 'aws-clients' },
        },
      },
      { extends: true, test: { name: 'browser', include: BROWSER } },
      { extends: true, test: { name: 'infra', include: INFRA } },
    ],
  },
});
