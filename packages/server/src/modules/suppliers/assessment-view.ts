import { SIGNOFF_FUNCTIONS, type SignoffFunction } from '@accord/contracts';
import type { Executor } from '../../platform/db/db.ts';
import { assessmentsRepo } from './assessments.repo.ts';
import { suppliersRepo } from './suppliers.repo.ts';
import { dueAtOf, reassessmentDaysOf } from './register-state.ts';
import { riskOf, treatmentLate, type Risk } from './risk.ts';
import type {
  AssessmentRow,
  SignoffRow,
  StoredAnswer,
  SupplierRow,
  TreatmentRow,
} from './suppliers.types.ts';

/** An assessment with everything the API shows of it. */
export interface AssessmentView {
  row: AssessmentRow;
  supplier: SupplierRow;
  questions: (AssessmentRow['questions'][number] & { answer: StoredAnswer | null })[];
  summary: {
    questions: number;
    answered: number;
    yes: number;
    partial: number;
    no: number;
    notApplicable: number;
  };
  inherent: Risk | null;
  residual: Risk | null;
  treatments: (TreatmentRow & { late: boolean })[];
  signoffs: (SignoffRow & { current: boolean })[];
  missingSignoffs: SignoffFunction[];
  reassessmentDueAt: Date | null;
}

/** The functions that have signed the assessment's current revision. */
export const signedFunctions = (a: AssessmentRow, signoffs: SignoffRow[]) =>
  new Set(
    signoffs.filter((s) => s.assessment_id === a.id && s.revision === a.revision).map((s) => s.function),
  );

export function summaryOf(a: AssessmentRow) {
  const answers = a.questions.map((q) => a.answers[q.controlId]?.answer).filter((x) => x !== undefined);
  const count = (v: string) => answers.filter((x) => x === v).length;
  return {
    questions: a.questions.length,
    answered: answers.length,
    yes: count('yes'),
    partial: count('partial'),
    no: count('no'),
    notApplicable: count('not_applicable'),
  };
}

/** Builds the views of assessments of one organisation (their supplier, treatments and sign-offs). */
export async function assessmentViews(
  db: Executor,
  orgId: string,
  rows: AssessmentRow[],
  now: Date,
): Promise<AssessmentView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((a) => a.id);
  const [suppliers, treatments, signoffs, register] = await Promise.all([
    suppliersRepo.list(db, orgId, true),
    assessmentsRepo.treatments(db, orgId, ids),
    assessmentsRepo.signoffs(db, orgId, ids),
    suppliersRepo.register(db, orgId),
  ]);
  const days = reassessmentDaysOf(register);
  return rows.map((a) => {
    const supplier = suppliers.find((s) => s.id === a.supplier_id)!;
    const signed = signedFunctions(a, signoffs);
    return {
      row: a,
      supplier,
      questions: a.questions.map((q) => ({ ...q, answer: a.answers[q.controlId] ?? null })),
      summary: summaryOf(a),
      inherent: riskOf(a.inherent_likelihood, a.inherent_impact),
      residual: riskOf(a.residual_likelihood, a.residual_impact),
      treatments: treatments
        .filter((t) => t.assessment_id === a.id)
        .map((t) => ({ ...t, late: treatmentLate(t, now) })),
      signoffs: signoffs
        .filter((s) => s.assessment_id === a.id)
        .map((s) => ({ ...s, current: s.revision === a.revision })),
      missingSignoffs: SIGNOFF_FUNCTIONS.filter((f) => !signed.has(f)),
      reassessmentDueAt: a.completed_at ? dueAtOf(a.completed_at, days[supplier.criticality]) : null,
    };
  });
}
