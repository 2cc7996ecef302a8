/** The bundles' stand-in for `semver` (infra/shims/semver-gte.cjs) answers `gte` as semver does for the versions it is asked about. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const shim = createRequire(import.meta.url)('../../infra/shims/semver-gte.cjs') as { gte(a: string, b: string): boolean };

describe('semver-gte shim', () => {
  it.each([
    ['22.11.0', '8.0.0', true],
    ['8.0.0', '8.0.0', true],
    ['7.10.1', '8.0.0', false],
    ['20.20.2', '20.3.0', true],
    ['2.1600.0', '2.7.15', true],
    ['2.7.14', '2.7.15', false],
    ['v10.0.0', '9.9.9', true],
    ['8.0.0-rc.1', '8.0.1', false],
  ] as const)('gte(%s, %s) is %s', (a, b, expected) => {
    expect(shim.gte(a, b)).toBe(expected);
  });
});
