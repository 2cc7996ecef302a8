/**
 * Twilio SIDs: a two-letter prefix naming the resource type and 32 hex digits (OpenAPI patterns
 * accept either case; Twilio emits lowercase). We store and compare the canonical lowercase form
 * so that a SID typed in upper case still finds its record.
 */
import { randomBytes } from 'node:crypto';

export const SID_PREFIX = {
  account: 'AC',
  workspace: 'WS',
  workflow: 'WW',
  taskQueue: 'WQ',
  worker: 'WK',
  activity: 'WA',
  task: 'WT',
  reservation: 'WR',
  call: 'CA',
  apiKey: 'SK',
  event: 'EV',
} as const;

export type SidPrefix = (typeof SID_PREFIX)[keyof typeof SID_PREFIX];

const HEX32 = /^[0-9a-fA-F]{32}$/;

/** A fresh random SID, for the tools that play TaskRouter (npm run callback, the benchmark): the service never makes one. */
export function randomSid(prefix: SidPrefix): string {
  return prefix + randomBytes(16).toString('hex');
}

export function isSid(value: unknown, prefix: SidPrefix): value is string {
  return typeof value === 'string' && value.length === 34 && value.startsWith(prefix) && HEX32.test(value.slice(2));
}

/** The canonical form of a SID, or undefined when `value` is not a SID with that prefix. */
export function canonicalSid(value: unknown, prefix: SidPrefix): string | undefined {
  return isSid(value, prefix) ? prefix + value.slice(2).toLowerCase() : undefined;
}
