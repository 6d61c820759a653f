import type { Criticality } from '@accord/contracts';
import type { Executor } from '../../platform/db/db.ts';
import { assessmentsRepo } from './assessments.repo.ts';
import { suppliersRepo } from './suppliers.repo.ts';
import type { AssessmentRow, RegisterRow, SupplierRow, TreatmentRow } from './suppliers.types.ts';
import {
  CRITICALITY_WEIGHT,
  DAY_MS,
  DEFAULT_REASSESSMENT_DAYS,
  UNASSESSED_SCORE,
  riskOf,
  treatmentLate,
  type Risk,
} from './risk.ts';

/** Where a supplier stands: its latest complete assessment, one in progress, and its treatments. */
export interface SupplierState {
  supplier: SupplierRow;
  lastComplete: AssessmentRow | null;
  inProgress: AssessmentRow | null;
  /** When the latest complete assessment stops being current (null: never assessed). */
  dueAt: Date | null;
  state: 'current' | 'overdue' | 'never';
  /** Every treatment of every assessment of the supplier. */
  treatments: TreatmentRow[];
}

export interface RegisterState {
  register: RegisterRow | null;
  reassessmentDays: Record<Criticality, number>;
  suppliers: SupplierState[];
}

export const reassessmentDaysOf = (r: RegisterRow | null | undefined): Record<Criticality, number> => ({
  ...DEFAULT_REASSESSMENT_DAYS,
  ...(r?.reassessment_days ?? {}),
});

/** When a complete assessment of a supplier of this criticality stops being current. */
export const dueAtOf = (completedAt: Date, days: number) =>
  new Date(new Date(completedAt).getTime() + days * DAY_MS);

/**
 * Reads one organisation's register with its assessments and treatments. Every write to a register
 * records itself in `supplier_registers` first, so an organisation without that row has no register
 * at all and costs one query (most tenants of a portfolio check, until they start one).
 */
export async function registerState(db: Executor, orgId: string, now: Date): Promise<RegisterState> {
  const register = await suppliersRepo.register(db, orgId);
  const days = reassessmentDaysOf(register);
  if (!register) return { register: null, reassessmentDays: days, suppliers: [] };
  const [suppliers, assessments, treatments] = await Promise.all([
    suppliersRepo.list(db, orgId),
    assessmentsRepo.list(db, orgId),
    assessmentsRepo.treatments(db, orgId),
  ]);
  return {
    register,
    reassessmentDays: days,
    suppliers: suppliers.map((s) => {
      const mine = assessments.filter((a) => a.supplier_id === s.id);
      const complete = mine.filter((a) => a.status === 'complete');
      const lastComplete =
        complete
          .sort((a, b) => new Date(a.completed_at!).getTime() - new Date(b.completed_at!).getTime())
          .at(-1) ?? null;
      const dueAt = lastComplete ? dueAtOf(lastComplete.completed_at!, days[s.criticality]) : null;
      return {
        supplier: s,
        lastComplete,
        inProgress: mine.find((a) => a.status !== 'complete') ?? null,
        dueAt,
        state: !dueAt ? 'never' : dueAt.getTime() < now.getTime() ? 'overdue' : 'current',
        treatments: treatments.filter((t) => t.supplier_id === s.id),
      };
    }),
  };
}

export interface Ranked {
  state: SupplierState;
  rank: number;
  priority: number;
  basis: 'assessed' | 'assessment_in_progress' | 'unassessed';
  inherent: Risk | null;
  residual: Risk | null;
  openTreatments: TreatmentRow[];
  lateTreatments: number;
}

const inherentOf = (a: AssessmentRow | null) => (a ? riskOf(a.inherent_likelihood, a.inherent_impact) : null);
const residualOf = (a: AssessmentRow | null) => (a ? riskOf(a.residual_likelihood, a.residual_impact) : null);
const STATE_ORDER = { never: 0, overdue: 1, current: 2 } as const;

/**
 * The ranked view: priority = residual score x criticality weight, highest first. The residual
 * score is the latest complete assessment's; without one, the score of the assessment in progress
 * (residual, else inherent); without any, the worst score (an unknown risk is not a small one).
 * Ties: higher criticality, then never assessed or overdue first, then more late treatments, then
 * more open treatments, then the name.
 */
export function rank(states: SupplierState[], now: Date): Ranked[] {
  const scored = states.map((st) => {
    const fromProgress = residualOf(st.inProgress) ?? inherentOf(st.inProgress);
    const basis: Ranked['basis'] = st.lastComplete
      ? 'assessed'
      : fromProgress
        ? 'assessment_in_progress'
        : 'unassessed';
    const score =
      basis === 'assessed'
        ? residualOf(st.lastComplete)!.score
        : basis === 'assessment_in_progress'
          ? fromProgress!.score
          : UNASSESSED_SCORE;
    const open = st.treatments.filter((t) => t.status === 'open');
    return {
      state: st,
      rank: 0,
      priority: score * CRITICALITY_WEIGHT[st.supplier.criticality],
      basis,
      inherent: inherentOf(st.lastComplete ?? st.inProgress),
      residual: residualOf(st.lastComplete ?? st.inProgress),
      openTreatments: open,
      lateTreatments: open.filter((t) => treatmentLate(t, now)).length,
    };
  });
  scored.sort(
    (a, b) =>
      b.priority - a.priority ||
      CRITICALITY_WEIGHT[b.state.supplier.criticality] - CRITICALITY_WEIGHT[a.state.supplier.criticality] ||
      STATE_ORDER[a.state.state] - STATE_ORDER[b.state.state] ||
      b.lateTreatments - a.lateTreatments ||
      b.openTreatments.length - a.openTreatments.length ||
      a.state.supplier.name.localeCompare(b.state.supplier.name) ||
      a.state.supplier.id.localeCompare(b.state.supplier.id),
  );
  return scored.map((r, i) => ({ ...r, rank: i + 1 }));
}
