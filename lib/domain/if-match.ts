/**
 * If-Match (RFC 9110) as this API reads it, parsed once where the request comes in: `*` matches
 * any version; otherwise a comma-separated list of entity tags, one of which must name the
 * resource's version. A tag may be quoted or not and may be weak (`W/"3"`): clients and proxies
 * send all three, and the tag's value is what they mean. For a reservation or a task that value is
 * a version number, and a tag that is not one matches nothing; a worker's is a string of its own
 * (lib/domain/worker.ts).
 */
export interface IfMatch {
  /** The header as sent, for the 412's message. */
  readonly raw: string;
  readonly any: boolean;
  /** The tags' values that are version numbers. */
  readonly versions: readonly number[];
  /** Every tag's value, unquoted (`*` aside). */
  readonly tags: readonly string[];
}

export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  const tags = header.split(',').map((tag) =>
    tag
      .trim()
      .replace(/^W\//, '')
      .replace(/^"(.*)"$/, '$1'),
  );
  return {
    raw: header,
    any: tags.includes('*'),
    versions: tags.filter((tag) => /^\d{1,15}$/.test(tag)).map(Number),
    tags: tags.filter((tag) => tag !== '*'),
  };
}

export function ifMatchSatisfied(ifMatch: IfMatch, version: number): boolean {
  return ifMatch.any || ifMatch.versions.includes(version);
}

/** A version as an HTTP entity tag. */
export function entityTag(version: number): string {
  return `"${version}"`;
}
