import type { Check } from '../check.types.ts';
import { log01, log02, log03, log04 } from './logging.checks.ts';
import { mfa01, net02, net04 } from './access.checks.ts';

/** Every check Accord runs, by control id. A control without one is verified by attestation only. */
export const CHECKS: ReadonlyMap<string, Check> = new Map(
  [log01, log02, log03, log04, mfa01, net02, net04].map((c) => [c.controlId, c]),
);
