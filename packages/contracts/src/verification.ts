import { z } from 'zod';

export const CONTROL_STATUSES = ['pass', 'fail', 'partial', 'unknown', 'error'] as const;
const Status = z.enum(CONTROL_STATUSES);
const Ts = z.string();

export const VerificationEvidence = z.object({
  type: z.string(),
  id: z.string().optional(),
  summary: z.string(),
});

/** One control of an agreement as verification sees it now. */
export const ControlStatus = z.object({
  controlId: z.string(),
  owner: z.string(),
  verification: z.string(),
  cadence: z.string(),
  /** Whether Accord evaluates it from data (else it rests on attestation). */
  checked: z.boolean(),
  status: Status,
  reason: z.string(),
  observed: z.record(z.unknown()),
  expected: z.record(z.unknown()),
  evidence: z.array(VerificationEvidence),
  /** When the data behind the result was collected. */
  dataAt: Ts.nullable(),
  evaluatedAt: Ts.nullable(),
  changedAt: Ts.nullable(),
});

export const ControlHistoryEntry = z.object({
  kind: z.enum(['change', 'daily']),
  day: z.string(),
  status: Status,
  previousStatus: Status.nullable(),
  reason: z.string(),
  observed: z.record(z.unknown()),
  expected: z.record(z.unknown()),
  evidence: z.array(VerificationEvidence),
  dataAt: Ts.nullable(),
  evaluatedAt: Ts,
});
export const ControlHistoryQuery = z.object({
  kind: z.enum(['change', 'daily']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const VerificationRun = z.object({ evaluated: z.number().int(), drifts: z.number().int() });

export const PortfolioAgreement = z.object({
  agreementId: z.string().uuid(),
  title: z.string(),
  customer: z.object({ id: z.string().uuid(), name: z.string() }),
  msp: z.object({ id: z.string().uuid(), name: z.string() }),
  counts: z.record(z.number().int()),
  controls: z.array(z.object({ controlId: z.string(), status: Status, changedAt: Ts.nullable() })),
});
export const Portfolio = z.object({ agreements: z.array(PortfolioAgreement) });
