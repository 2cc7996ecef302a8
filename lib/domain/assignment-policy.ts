/**
 * The assignment policy's contract: for each assignment callback, an instruction or none (`{}`, the
 * reservation left pending for the REST API). Rules and their file format live in rule-policy.ts,
 * the file is read by lib/policy-file.ts.
 */
import type { AssignmentCallback } from './assignment-callback.ts';
import type { ReservationAction } from './instructions.ts';
import type { LifecyclePolicy } from './lifecycle-policy.ts';

export interface AssignmentDecision {
  /** The rule that matched, for logs. */
  readonly rule?: string;
  /** What the instruction does to the reservation; none leaves it pending. */
  readonly action?: ReservationAction;
  /** TaskRouter's snake_case instruction JSON, or `{}`. */
  readonly answer: Readonly<Record<string, unknown>>;
  /** Why the matching rule gave no instruction for this callback (a template it could not fill). */
  readonly unrendered?: string;
}

export interface AssignmentPolicy {
  decide(callback: AssignmentCallback): AssignmentDecision;
  /** The policy file's lifecycle rules (lib/domain/lifecycle-policy.ts), when it has any. */
  readonly lifecycle?: LifecyclePolicy;
}

/** Answers `{}`: the reservation stays pending for the REST API (the default policy). */
export const ANSWER_LATER: AssignmentPolicy = { decide: () => ({ answer: {} }) };
