import type { AssessmentView } from './assessment-view.ts';
import type { Ranked } from './register-state.ts';
import type { SupplierRow, TreatmentRow } from './suppliers.types.ts';
import { treatmentLate } from './risk.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';

/** The API's shapes (packages/contracts/src/suppliers.ts) of the module's rows and views. */
export const toSupplier = (s: SupplierRow) => ({
  id: s.id,
  orgId: s.org_id,
  name: s.name,
  kind: s.kind,
  mspOrgId: s.msp_org_id,
  services: s.services,
  products: s.products,
  privilegedAccess: s.privileged_access,
  accessDescription: s.access_description,
  dataCategories: s.data_categories,
  contractStart: s.contract_start,
  contractEnd: s.contract_end,
  criticality: s.criticality,
  published: s.published,
  notes: s.notes,
  createdAt: iso(s.created_at),
  updatedAt: iso(s.updated_at),
  retiredAt: isoOrNull(s.retired_at),
  retiredReason: s.retired_reason,
});

export const toTreatment = (t: TreatmentRow, now = new Date()) => ({
  id: t.id,
  assessmentId: t.assessment_id,
  supplierId: t.supplier_id,
  type: t.type,
  description: t.description,
  owner: { userId: t.owner_user_id, name: t.owner_name, email: t.owner_email },
  dueDate: t.due_date,
  status: t.status,
  late: treatmentLate(t, now),
  closedAt: isoOrNull(t.closed_at),
  closedNote: t.closed_note,
  createdAt: iso(t.created_at),
});

export const toAssessment = (v: AssessmentView) => ({
  id: v.row.id,
  orgId: v.row.org_id,
  supplierId: v.row.supplier_id,
  supplierName: v.supplier.name,
  revision: v.row.revision,
  status: v.row.status,
  catalogVersion: v.row.catalog_version,
  questions: v.questions.map((q) => ({
    controlId: q.controlId,
    group: q.group,
    title: q.title,
    objective: q.objective,
    answer: q.answer && {
      answer: q.answer.answer,
      comment: q.answer.comment,
      evidence: q.answer.evidence.map((e) =>
        e.evidenceId
          ? { evidenceId: e.evidenceId, title: e.title }
          : { url: e.url!, title: e.title ?? e.url! },
      ),
      answeredBy: q.answer.answeredBy,
      answeredAt: q.answer.answeredAt,
    },
  })),
  summary: v.summary,
  inherent: v.inherent,
  residual: v.residual,
  rationale: v.row.rationale,
  treatments: v.treatments.map((t) => toTreatment(t)),
  signoffs: v.signoffs.map((s) => ({
    function: s.function,
    userId: s.user_id,
    signedBy: s.signed_by,
    revision: s.revision,
    current: s.current,
    comment: s.comment,
    signedAt: iso(s.signed_at),
  })),
  missingSignoffs: v.missingSignoffs,
  createdBy: v.row.created_by_label,
  createdAt: iso(v.row.created_at),
  submittedAt: isoOrNull(v.row.submitted_at),
  completedAt: isoOrNull(v.row.completed_at),
  reassessmentDueAt: isoOrNull(v.reassessmentDueAt),
});

export const toRanked = (r: Ranked, now = new Date()) => ({
  rank: r.rank,
  priority: r.priority,
  supplier: {
    id: r.state.supplier.id,
    name: r.state.supplier.name,
    kind: r.state.supplier.kind,
    criticality: r.state.supplier.criticality,
    privilegedAccess: r.state.supplier.privileged_access,
    published: r.state.supplier.published,
  },
  inherent: r.inherent,
  residual: r.residual,
  basis: r.basis,
  assessment: {
    state: r.state.state,
    lastCompletedId: r.state.lastComplete?.id ?? null,
    lastCompletedAt: isoOrNull(r.state.lastComplete?.completed_at),
    dueAt: isoOrNull(r.state.dueAt),
    inProgress: r.state.inProgress ? { id: r.state.inProgress.id, status: r.state.inProgress.status } : null,
  },
  openTreatments: r.openTreatments.map((t) => toTreatment(t, now)),
  lateTreatments: r.lateTreatments,
});
