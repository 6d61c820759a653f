import type { UpdateAssessmentBody } from '@accord/contracts';
import type { z } from 'zod';
import type { RequestContext } from '../../platform/context.ts';
import type { Executor } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { evidenceRepo } from '../evidence/evidence.repo.ts';
import { assessmentsRepo, type AssessmentPatch } from './assessments.repo.ts';
import type { AssessmentDeps } from './assessments.service.ts';
import { riskOf } from './risk.ts';
import { suppliersRepo } from './suppliers.repo.ts';
import type { StoredAnswer, StoredEvidence } from './suppliers.types.ts';

export type UpdateInput = z.infer<typeof UpdateAssessmentBody>;

interface Issue {
  path: (string | number)[];
  message: string;
}
/** Every problem of an update at once, each with where (the body path) and why; nothing is stored. */
const refuse = (issues: Issue[]) =>
  new AppError(
    'validation_failed',
    `the assessment was not changed: ${issues.map((i) => `${i.path.join('/')}: ${i.message}`).join('; ')}`,
    { issues },
  );

/** Answers (with evidence), scores and rationale of a draft assessment. */
export function createAnswers({ db, audit, forChange, one, mustBeDraft }: AssessmentDeps) {
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

  return { update };
}
