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
