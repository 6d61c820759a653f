import { randomUUID } from 'node:crypto';
import { requirePermission } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import { assessmentsRepo } from './assessments.repo.ts';
import { assessmentViews, summaryOf, type AssessmentView } from './assessment-view.ts';
import { questionnaireOf } from './questionnaire.ts';
import { registerAccess } from './suppliers-access.ts';
import { suppliersRepo } from './suppliers.repo.ts';
import type { AssessmentRow } from './suppliers.types.ts';
import { createTreatments } from './treatments.ts';
import { createAnswers } from './assessment-answers.ts';
import { createSignoffs } from './signoffs.ts';

export type AssessmentsService = ReturnType<typeof createAssessmentsService>;

export function createAssessmentsService({
  db,
  audit,
  catalog,
}: {
  db: Db;
  audit: AuditService;
  catalog: Pick<CatalogService, 'catalog'>;
}) {
  const one = async (tx: Executor, orgId: string, a: AssessmentRow, now: Date) =>
    (await assessmentViews(tx, orgId, [a], now))[0]!;

  /** Loads an assessment to change it (locked), after the caller's access to the register. */
  async function forChange(tx: Executor, ctx: RequestContext, orgId: string, id: string) {
    await registerAccess(tx, ctx, orgId, 'suppliers:manage', { write: true });
    const a = await assessmentsRepo.get(tx, orgId, id, true);
    if (!a) throw notFound('supplier assessment', id);
    return a;
  }
  const mustBeDraft = (a: AssessmentRow, what: string) => {
    if (a.status === 'complete')
      throw invalidState(`assessment ${a.id} is complete and signed off: start a reassessment to ${what}`);
    if (a.status === 'submitted')
      throw invalidState(`assessment ${a.id} awaits sign-off: reopen it to ${what}`);
  };

  /** The questionnaire new assessments are built from (the loaded catalog's supplier questions). */
  function questionnaire(ctx: RequestContext) {
    requirePermission(ctx, 'suppliers:read');
    return questionnaireOf(catalog.catalog);
  }

  async function start(ctx: RequestContext, orgId: string, supplierId: string, now = new Date()) {
    return db.transaction().execute(async (tx) => {
      await registerAccess(tx, ctx, orgId, 'suppliers:manage', { write: true });
      const s = await suppliersRepo.get(tx, orgId, supplierId, true);
      if (!s) throw notFound('supplier', supplierId);
      if (s.retired_at) throw invalidState(`supplier ${supplierId} was retired; it is not assessed any more`);
      const open = await assessmentsRepo.openFor(tx, orgId, supplierId);
      if (open)
        throw new AppError(
          'conflict',
          `supplier ${supplierId} already has an assessment in progress (${open.id})`,
          {
            assessmentId: open.id,
          },
        );
      const q = questionnaireOf(catalog.catalog);
      const id = randomUUID();
      await assessmentsRepo.insert(tx, orgId, {
        id,
        supplier_id: supplierId,
        catalog_version: q.catalogVersion,
        questions: q.questions,
        created_by_user_id: ctx.actor.userId,
        created_by_label: ctx.actor.label,
        at: now,
      });
      await suppliersRepo.touch(tx, orgId, now);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'supplier_assessment.started',
        targetType: 'supplier_assessment',
        targetId: id,
        details: {
          supplierId,
          supplier: s.name,
          questions: q.questions.length,
          catalogVersion: q.catalogVersion,
        },
      });
      return one(tx, orgId, (await assessmentsRepo.get(tx, orgId, id))!, now);
    });
  }

  /** Freezes a draft for sign-off: every question answered, both risks scored, a treatment decided. */
  async function submit(ctx: RequestContext, orgId: string, id: string, now = new Date()) {
    return db.transaction().execute(async (tx) => {
      const a = await forChange(tx, ctx, orgId, id);
      mustBeDraft(a, 'submit it again');
      const unanswered = a.questions.filter((q) => !a.answers[q.controlId]).map((q) => q.controlId);
      const treatments = await assessmentsRepo.treatments(tx, orgId, [id]);
      const missing = [
        ...(unanswered.length
          ? [`${unanswered.length} unanswered question(s): ${unanswered.join(', ')}`]
          : []),
        ...(a.inherent_likelihood === null ? ['no inherent risk score'] : []),
        ...(a.residual_likelihood === null ? ['no residual risk score'] : []),
        ...(treatments.length === 0 ? ['no treatment (accept, mitigate, transfer or avoid)'] : []),
      ];
      if (missing.length)
        throw invalidState(`assessment ${id} is not ready for sign-off: ${missing.join('; ')}`, {
          unanswered,
        });
      await assessmentsRepo.update(tx, orgId, id, { status: 'submitted', submitted_at: now }, now);
      await suppliersRepo.touch(tx, orgId, now);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'supplier_assessment.submitted',
        targetType: 'supplier_assessment',
        targetId: id,
        details: { supplierId: a.supplier_id, revision: a.revision, ...summaryOf(a) },
      });
      return one(tx, orgId, (await assessmentsRepo.get(tx, orgId, id))!, now);
    });
  }

  /** Back to draft for changes: a new revision, so the sign-offs given so far no longer count. */
  async function reopen(ctx: RequestContext, orgId: string, id: string, reason: string, now = new Date()) {
    return db.transaction().execute(async (tx) => {
      const a = await forChange(tx, ctx, orgId, id);
      if (a.status !== 'submitted')
        throw invalidState(
          a.status === 'draft'
            ? `assessment ${id} is a draft already`
            : `assessment ${id} is complete and signed off: start a reassessment instead`,
        );
      const revision = a.revision + 1;
      await assessmentsRepo.update(tx, orgId, id, { status: 'draft', submitted_at: null, revision }, now);
      await suppliersRepo.touch(tx, orgId, now);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'supplier_assessment.reopened',
        targetType: 'supplier_assessment',
        targetId: id,
        details: { supplierId: a.supplier_id, revision, reason },
      });
      return one(tx, orgId, (await assessmentsRepo.get(tx, orgId, id))!, now);
    });
  }

  async function get(
    ctx: RequestContext,
    orgId: string,
    id: string,
    now = new Date(),
  ): Promise<AssessmentView> {
    await registerAccess(db, ctx, orgId, 'suppliers:read');
    const a = await assessmentsRepo.get(db, orgId, id);
    if (!a) throw notFound('supplier assessment', id);
    return one(db, orgId, a, now);
  }

  /** A supplier's assessments, newest first. */
  async function list(ctx: RequestContext, orgId: string, supplierId: string, now = new Date()) {
    await registerAccess(db, ctx, orgId, 'suppliers:read');
    if (!(await suppliersRepo.get(db, orgId, supplierId))) throw notFound('supplier', supplierId);
    const rows = await assessmentsRepo.list(db, orgId, [supplierId]);
    return (await assessmentViews(db, orgId, rows, now)).reverse();
  }

  const deps = { db, audit, forChange, one, mustBeDraft };
  return {
    questionnaire,
    start,
    submit,
    reopen,
    get,
    list,
    ...createAnswers(deps),
    ...createTreatments(deps),
    ...createSignoffs(deps),
  };
}

export interface AssessmentDeps {
  db: Db;
  audit: AuditService;
  forChange(tx: Executor, ctx: RequestContext, orgId: string, id: string): Promise<AssessmentRow>;
  one(tx: Executor, orgId: string, a: AssessmentRow, now: Date): Promise<AssessmentView>;
  mustBeDraft(a: AssessmentRow, what: string): void;
}
