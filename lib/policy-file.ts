/** ASSIGNMENT_POLICY: the policy file, read and checked once at start-up (cold start when deployed). */
import { readFileSync } from 'node:fs';
import { ConfigError } from './config.ts';
import { ANSWER_LATER, type AssignmentPolicy } from './domain/assignment-policy.ts';
import { PolicyError, parsePolicy } from './domain/rule-policy.ts';

export function loadAssignmentPolicy(path: string | undefined): AssignmentPolicy {
  if (path === undefined) return ANSWER_LATER;
  const fail = (detail: string) => new ConfigError('ASSIGNMENT_POLICY', `${path}: ${detail}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`is not valid JSON (${(error as Error).message})`);
  }
  try {
    return parsePolicy(json);
  } catch (error) {
    if (error instanceof PolicyError) throw fail(error.message);
    throw error;
  }
}
