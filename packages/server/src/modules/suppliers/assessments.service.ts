import { randomUUID } from 'node:crypto';
import type { UpdateAssessmentBody } from '@accord/contracts';
import type { z } from 'zod';
import { requirePermission } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import { evidenceRepo } from '../evidence/evidence.repo.ts';
import { assessmentsRepo, type AssessmentPatch } from './assessments.repo.ts';
import { assessmentViews, summaryOf, type AssessmentView } from './assessment-view.ts';
import { questionnaireOf } from './questionnaire.ts';
import { riskOf } from './risk.ts';
import { registerAccess } from './suppliers-access.ts';
import { suppliersRepo } from './suppliers.repo.ts';
import type { AssessmentRow, StoredAnswer, StoredEvidence } from './suppliers.types.ts';
import { createTreatments } from './treatments.ts';
import { createSignoffs } from './signoffs.ts';

export type UpdateInput = z.infer<typeof UpdateAssessmentBody>;
export type AssessmentsService = ReturnType<typeof createAssessmentsService>;

interface Issue {
  path: (string | number)[];
  message: string;
}
const refuse = (issues: Issue[]) =>
  new AppError(
    'validation_failed',
    `the assessment was not changed: ${issues.map((i) => `${i.path.join('/')}: ${i.message}`).join('; ')}`,
    { issues },
  );

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

  /** Checks cited evidence: each id must be evidence of an agreement the organisation is party to. */
  async function evidenceOf(tx: Executor, orgId: string, input: UpdateInput, issues: Issue[]) {
    const ids = [
      ...new Set(
        (input.answers ?? []).flatMap((a) =>
          a.evidence.flatMap((e) => ('evidenceId' in e ? [e.evidenceId] : [])),
        ),
      ),
    ];
    const items = await evidenceRepo.itemsById(tx, orgId, ids);
    const revisions = await evidenceRepo.revisions(
      tx,
      orgId,
      items.map((i) => i.id),
    );
    const titles = new Map(revisions.map((r) => [r.evidence_id, r.title])); // the last revision wins
    (input.answers ?? []).forEach((a, i) =>
      a.evidence.forEach((e, j) => {
        if ('evidenceId' in e && !titles.has(e.evidenceId))
          issues.push({
            path: ['answers', i, 'evidence', j, 'evidenceId'],
            message: `evidence ${e.evidenceId} is not evidence of an agreement of this organisation`,
          });
      }),
    );
    return titles;
  }

  /** Answers (merged by question), scores and rationale of a draft. */
  async function update(
    ctx: RequestContext,
    orgId: string,
    id: string,
    input: UpdateInput,
    now = new Date(),
  ) {
    return db.transaction().execute(async (tx) => {
      const a = await forChange(tx, ctx, orgId, id);
      mustBeDraft(a, 'change it');
      const issues: Issue[] = [];
      const questions = new Set(a.questions.map((q) => q.controlId));
      const seen = new Set<string>();
      (input.answers ?? []).forEach((ans, i) => {
        if (!questions.has(ans.controlId))
          issues.push({
            path: ['answers', i, 'controlId'],
            message: `${ans.controlId} is not a question of this assessment`,
          });
        else if (seen.has(ans.controlId))
          issues.push({ path: ['answers', i, 'controlId'], message: `${ans.controlId} is answered twice` });
        seen.add(ans.controlId);
      });
      const titles = await evidenceOf(tx, orgId, input, issues);
      const inherent =
        input.inherent ??
        (a.inherent_likelihood ? { likelihood: a.inherent_likelihood, impact: a.inherent_impact! } : null);
      const residual =
        input.residual ??
        (a.residual_likelihood ? { likelihood: a.residual_likelihood, impact: a.residual_impact! } : null);
      const ri = inherent && riskOf(inherent.likelihood, inherent.impact);
      const rr = residual && riskOf(residual.likelihood, residual.impact);
      if (ri && rr && rr.score > ri.score)
        issues.push({
          path: [input.residual ? 'residual' : 'inherent'],
          message: `the residual risk (${rr.likelihood}x${rr.impact} = ${rr.score}) cannot exceed the inherent risk (${ri.likelihood}x${ri.impact} = ${ri.score}): treatment lowers a risk`,
        });
      if (issues.length) throw refuse(issues);

      const answers = { ...a.answers };
      for (const ans of input.answers ?? [])
        answers[ans.controlId] = {
          answer: ans.answer,
          comment: ans.comment ?? null,
          evidence: ans.evidence.map((e): StoredEvidence =>
            'evidenceId' in e ? { evidenceId: e.evidenceId, title: titles.get(e.evidenceId) ?? null } : e,
          ),
          answeredBy: ctx.actor.label,
          answeredAt: now.toISOString(),
        } satisfies StoredAnswer;
      const patch: AssessmentPatch = {
        ...(input.answers ? { answers } : {}),
        ...(input.inherent
          ? { inherent_likelihood: input.inherent.likelihood, inherent_impact: input.inherent.impact }
          : {}),
        ...(input.residual
          ? { residual_likelihood: input.residual.likelihood, residual_impact: input.residual.impact }
          : {}),
        ...(input.rationale !== undefined ? { rationale: input.rationale } : {}),
      };
      await assessmentsRepo.update(tx, orgId, id, patch, now);
      await suppliersRepo.touch(tx, orgId, now);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'supplier_assessment.updated',
        targetType: 'supplier_assessment',
        targetId: id,
        before: a,
        after: patch,
        details: {
          supplierId: a.supplier_id,
          answered: (input.answers ?? []).map((x) => `${x.controlId}=${x.answer}`),
          ...(ri ? { inherent: ri.score } : {}),
          ...(rr ? { residual: rr.score } : {}),
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
    update,
    submit,
    reopen,
    get,
    list,
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
