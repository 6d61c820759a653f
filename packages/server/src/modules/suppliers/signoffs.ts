import { SIGNOFF_FUNCTIONS, type SignoffBody } from '@accord/contracts';
import type { z } from 'zod';
import type { RequestContext } from '../../platform/context.ts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import { assessmentsRepo } from './assessments.repo.ts';
import type { AssessmentDeps } from './assessments.service.ts';
import { signedFunctions } from './assessment-view.ts';
import { registerAccess } from './suppliers-access.ts';
import { suppliersRepo } from './suppliers.repo.ts';
import { actingMember } from './treatments.ts';

/**
 * The three-function sign-off. An assessment is complete only when security, legal and procurement
 * have each signed its current revision, each by a named member of the organisation whose function
 * is that one. API tokens and the system cannot sign: a sign-off is a person's.
 */
export function createSignoffs({ db, audit, one }: AssessmentDeps) {
  async function signoff(
    ctx: RequestContext,
    orgId: string,
    assessmentId: string,
    input: z.infer<typeof SignoffBody>,
    now = new Date(),
  ) {
    return db.transaction().execute(async (tx) => {
      await registerAccess(tx, ctx, orgId, 'suppliers:signoff', { write: true });
      const a = await assessmentsRepo.get(tx, orgId, assessmentId, true);
      if (!a) throw notFound('supplier assessment', assessmentId);
      if (ctx.actor.kind !== 'user' || !ctx.actor.userId)
        throw new AppError(
          'forbidden',
          'a sign-off is given by a named member signed in as themselves, not by an API token or the system',
        );
      const member = await actingMember(tx, orgId, ctx.actor.userId, now);
      if (!member) throw new AppError('forbidden', 'only a member of the organisation signs its assessments');
      if (member.function !== input.function)
        throw new AppError(
          'forbidden',
          `a ${input.function} sign-off needs a member whose function is ${input.function}; ${member.email}'s function is ${member.function ?? 'not set'}`,
        );
      if (a.status === 'draft')
        throw invalidState(`assessment ${assessmentId} is a draft: it is signed off once submitted`);
      if (a.status === 'complete') throw invalidState(`assessment ${assessmentId} is already complete`);
      const signoffs = await assessmentsRepo.signoffs(tx, orgId, [assessmentId]);
      const current = signoffs.filter((s) => s.revision === a.revision);
      const same = current.find((s) => s.function === input.function);
      if (same)
        throw new AppError(
          'conflict',
          `${input.function} has already signed revision ${a.revision} of assessment ${assessmentId} (${same.signed_by})`,
        );
      if (current.some((s) => s.user_id === member.user_id))
        throw new AppError(
          'conflict',
          `${member.email} has already signed revision ${a.revision} for another function`,
        );
      await assessmentsRepo.insertSignoff(tx, orgId, {
        assessment_id: assessmentId,
        revision: a.revision,
        function: input.function,
        user_id: member.user_id,
        signed_by: member.email,
        comment: input.comment ?? null,
        signed_at: now,
      });
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'supplier_assessment.signed_off',
        targetType: 'supplier_assessment',
        targetId: assessmentId,
        details: {
          supplierId: a.supplier_id,
          function: input.function,
          revision: a.revision,
          signedBy: member.email,
          ...(input.comment ? { comment: input.comment } : {}),
        },
      });
      const signed = new Set([...signedFunctions(a, signoffs), input.function]);
      if (SIGNOFF_FUNCTIONS.every((f) => signed.has(f))) {
        await assessmentsRepo.update(tx, orgId, assessmentId, { status: 'complete', completed_at: now }, now);
        await audit.record(tx, ctx, {
          orgIds: [orgId],
          action: 'supplier_assessment.completed',
          targetType: 'supplier_assessment',
          targetId: assessmentId,
          details: {
            supplierId: a.supplier_id,
            revision: a.revision,
            residual: (a.residual_likelihood ?? 0) * (a.residual_impact ?? 0),
          },
        });
      }
      await suppliersRepo.touch(tx, orgId, now);
      return one(tx, orgId, (await assessmentsRepo.get(tx, orgId, assessmentId))!, now);
    });
  }

  return { signoff };
}
