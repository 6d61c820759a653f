import type { Criticality, RiskBand } from '@accord/contracts';

/**
 * The documented 5x5 risk matrix (docs/supply-chain.md): likelihood and impact are each scored 1 to
 * 5, the risk score is their product (1 to 25), and the score falls in one of four bands.
 */
export const LIKELIHOOD_LABELS = ['rare', 'unlikely', 'possible', 'likely', 'almost certain'] as const;
export const IMPACT_LABELS = ['negligible', 'minor', 'moderate', 'major', 'severe'] as const;

/** The lowest score of each band: 1-4 low, 5-9 medium, 10-16 high, 20-25 critical. */
export const BAND_FLOORS: readonly [RiskBand, number][] = [
  ['critical', 20],
  ['high', 10],
  ['medium', 5],
  ['low', 1],
];

export interface Risk {
  likelihood: number;
  impact: number;
  score: number;
  band: RiskBand;
}

export function bandOf(score: number): RiskBand {
  if (!Number.isInteger(score) || score < 1 || score > 25)
    throw new RangeError(`a risk score is 1 to 25 on the 5x5 matrix, not ${score}`);
  return BAND_FLOORS.find(([, floor]) => score >= floor)![0];
}

/** A risk from its two scores, or null when either is missing. Scores outside 1-5 throw. */
export function riskOf(likelihood: number | null, impact: number | null): Risk | null {
  if (likelihood === null || impact === null) return null;
  for (const [what, v] of [
    ['likelihood', likelihood],
    ['impact', impact],
  ] as const)
    if (!Number.isInteger(v) || v < 1 || v > 5)
      throw new RangeError(`${what} is 1 to 5 on the 5x5 matrix, not ${v}`);
  const score = likelihood * impact;
  return { likelihood, impact, score, band: bandOf(score) };
}

/** How much a supplier's criticality weighs in the ranked view (priority = residual score x weight). */
export const CRITICALITY_WEIGHT: Record<Criticality, number> = { critical: 4, high: 3, medium: 2, low: 1 };

/**
 * The residual score assumed for a supplier nobody has scored yet: the worst on the matrix, so an
 * unknown risk is never ranked below a known one of the same criticality.
 */
export const UNASSESSED_SCORE = 25;

/** Days an assessment stays current, by criticality, unless the organisation sets its own. */
export const DEFAULT_REASSESSMENT_DAYS: Record<Criticality, number> = {
  critical: 180,
  high: 365,
  medium: 730,
  low: 1095,
};

export const DAY_MS = 86_400_000;

/** The UTC calendar day of a time, YYYY-MM-DD. */
export const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/** A treatment is late when it is open after its due date, or was done after it. */
export function treatmentLate(
  t: { status: string; due_date: string; closed_at: Date | null },
  now: Date,
): boolean {
  if (t.status === 'open') return dayOf(now) > t.due_date;
  if (t.status === 'done') return !!t.closed_at && dayOf(new Date(t.closed_at)) > t.due_date;
  return false;
}
