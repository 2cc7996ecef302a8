/**
 * If-Match (RFC 9110) as this API reads it, parsed once where the request comes in: `*` matches
 * any version; otherwise a comma-separated list of entity tags, one of which must name the
 * resource's version. A tag may be quoted or not and may be weak (`W/"3"`): clients and proxies
 * send all three, and the tag's value is what they mean. For a reservation or a task that value is
 * a version number, and a tag that is not one matches nothing; a worker's is a string of its own
 * (lib/domain/worker.ts).
 */
import { InvalidParameterError } from './errors.ts';

export interface IfMatch {
  /** The header as sent, for the 412's message. */
  readonly raw: string;
  readonly any: boolean;
  /** The tags' values that are version numbers. */
  readonly versions: readonly number[];
  /** Every tag's value, unquoted (`*` aside). */
  readonly tags: readonly string[];
}

/**
 * The most entity tags an If-Match may list: the store compares the version with each in one
 * condition (DynamoDB's IN takes at most 100 values), and no client has more versions to offer.
 */
export const MAX_IF_MATCH_TAGS = 100;

export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  const tags = [
    ...new Set(
      header.split(',').map((tag) =>
        tag
          .trim()
          .replace(/^W\//, '')
          .replace(/^"(.*)"$/, '$1'),
      ),
    ),
  ];
  if (tags.length > MAX_IF_MATCH_TAGS) throw new InvalidParameterError('If-Match', `lists ${tags.length} entity tags; at most ${MAX_IF_MATCH_TAGS}`);
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
