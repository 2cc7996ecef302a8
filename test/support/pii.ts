/**
 * PII planted in the tests' requests (phone numbers, contact URIs, attribute values) and the
 * credentials they use. The summary reporter scans every log line of a run for these, and fails the
 * run on any: PII is never logged in clear.
 */
import { LOCAL_AUTH_TOKEN } from '#lib/config.ts';

export const PLANTED_PII = [
  // In the fixtures' attributes and in the instructions the tests send.
  '+15551234567',
  '+14155550100',
  '+15550001111',
  'client:doug',
  'client:alice',
  'client:bob',
  'client:vip-agent',
  'pii-attribute-7c3e',
  // Credentials and signatures: the tests' auth token and the secrets they try.
  LOCAL_AUTH_TOKEN,
  'not-the-token',
] as const;

/** The planted values a text contains. */
export function plantedIn(text: string): string[] {
  return PLANTED_PII.filter((value) => text.includes(value));
}

/** A TaskRouter SID (`WR…`, `AC…`): never a metric dimension's value. */
const SID = /^[A-Z]{2}[0-9a-f]{32}$/;

/**
 * The metric documents (CloudWatch's Embedded Metric Format: JSON with `_aws`) in `text`, one a
 * line as Powertools writes them.
 */
export function metricDocuments(text: string): Record<string, unknown>[] {
  const documents: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"_aws"')) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (typeof parsed['_aws'] === 'object') documents.push(parsed);
    } catch {
      // Not a metric document of its own (a log line quoting one): the PII scan covers it.
    }
  }
  return documents;
}

/** The dimensions of a metric document with their values. */
export function dimensionsOf(document: Record<string, unknown>): [string, unknown][] {
  const directives = (document['_aws'] as { CloudWatchMetrics?: { Dimensions?: string[][] }[] }).CloudWatchMetrics ?? [];
  const names = new Set(directives.flatMap((d) => (d.Dimensions ?? []).flat()));
  return [...names].map((name) => [name, document[name]]);
}

/** What is wrong with the dimensions of the metric documents in `text`: a SID, planted PII, a value that is no string. */
export function dimensionProblems(text: string): string[] {
  const problems: string[] = [];
  for (const document of metricDocuments(text)) {
    for (const [name, value] of dimensionsOf(document)) {
      if (typeof value !== 'string') problems.push(`dimension ${name} is ${JSON.stringify(value)}`);
      else if (SID.test(value)) problems.push(`dimension ${name} is a SID: ${value}`);
      else if (plantedIn(value).length > 0) problems.push(`dimension ${name} holds planted PII: ${value}`);
    }
  }
  return problems;
}
