/**
 * What the bundles use of `semver`: `gte(a, b)` on plain release versions. Its only importers in a
 * function's bundle are cls-hooked (Node's version against 8.0.0) and the X-Ray SDK's patcher of the
 * AWS SDK v2 (never loaded here); the whole package is 29 KB minified, more than the size budget's
 * margin (infra/bundling.ts aliases it to this file). A pre-release or build suffix is ignored.
 */
function parts(version) {
  return String(version)
    .replace(/^v/, '')
    .split(/[-+]/)[0]
    .split('.')
    .map((n) => Number.parseInt(n, 10) || 0);
}

function gte(a, b) {
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

module.exports = { gte };
