import { randomUUID } from 'node:crypto';
import type { CloseTreatmentBody, TreatmentBody } from '@accord/contracts';
import type { z } from 'zod';
import type { RequestContext } from '../../platform/context.ts';
import type { Executor } from '../../platform/db/db.ts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import { usersRepo } from '../users/users.repo.ts';
import { assessmentsRepo } from './assessments.repo.ts';
import type { AssessmentDeps } from './assessments.service.ts';
import { dayOf } from './risk.ts';
import { suppliersRepo } from './suppliers.repo.ts';

const invalid = (message: string, path: string) =>
  new AppError('validation_failed', message, { issues: [{ path: [path], message }] });

/**
 * A member who can own a treatment or sign: an active, unexpired membership of the organisation.
 * Auditors only read, so they own nothing.
 */
export async function actingMember(tx: Executor, orgId: string, userId: string, now: Date) {
  const m = await usersRepo.member(tx, orgId, userId);
  if (!m || m.status !== 'active' || (m.expires_at && new Date(m.expires_at).getTime() <= now.getTime()))
    return null;
  return m;
}

/** Treatments: decided while the assessment is a draft (they are part of what is signed), closed any time. */
export function createTreatments({ db, audit, forChange, one, mustBeDraft }: AssessmentDeps) {
  async function addTreatment(
    ctx: RequestContext,
    orgId: string,
    assessmentId: string,
    input: z.infer<typeof TreatmentBody>,
    now = new Date(),
  ) {
    return db.transaction().execute(async (tx) => {
      const a = await forChange(tx, ctx, orgId, assessmentId);
      mustBeDraft(a, 'add a treatment');
      const owner = await actingMember(tx, orgId, input.ownerUserId, now);
      if (!owner || owner.role === 'auditor')
        throw invalid(
          `ownerUserId ${input.ownerUserId} is not a member of this organisation who can own a treatment`,
          'ownerUserId',
        );
      if (input.dueDate < dayOf(now))
        throw invalid(
          `dueDate ${input.dueDate} is in the past: a treatment is due today or later`,
          'dueDate',
        );
      const id = randomUUID();
      await assessmentsRepo.insertTreatment(tx, orgId, {
        id,
        assessment_id: assessmentId,
        supplier_id: a.supplier_id,
        type: input.type,
        description: input.description,
        owner_user_id: owner.user_id,
        due_date: input.dueDate,
        created_by_label: ctx.actor.label,
        created_at: now,
      });
      await suppliersRepo.touch(tx, orgId, now);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'supplier_treatment.added',
        targetType: 'supplier_assessment',
        targetId: assessmentId,
        after: input,
        details: {
          treatmentId: id,
          supplierId: a.supplier_id,
          type: input.type,
          owner: owner.email,
          dueDate: input.dueDate,
        },
      });
      return one(tx, orgId, a, now);
    });
  }

  async function closeTreatment(
    ctx: RequestContext,
    orgId: string,
    assessmentId: string,
    treatmentId: string,
    input: z.infer<typeof CloseTreatmentBody>,
    now = new Date(),
  ) {
    return db.transaction().execute(async (tx) => {
      const a = await forChange(tx, ctx, orgId, assessmentId);
      const t = await assessmentsRepo.treatment(tx, orgId, assessmentId, treatmentId, true);
      if (!t) throw notFound(`treatment of assessment ${assessmentId}`, treatmentId);
      if (t.status !== 'open') throw invalidState(`treatment ${treatmentId} is already ${t.status}`);
      await assessmentsRepo.closeTreatment(tx, orgId, treatmentId, {
        status: input.status,
        note: input.note,
        by: ctx.actor.label,
        at: now,
      });
      await suppliersRepo.touch(tx, orgId, now);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: `supplier_treatment.${input.status}`,
        targetType: 'supplier_assessment',
        targetId: assessmentId,
        details: {
          treatmentId,
          supplierId: a.supplier_id,
          dueDate: t.due_date,
          onTime: dayOf(now) <= t.due_date,
          note: input.note,
        },
      });
      return one(tx, orgId, a, now);
    });
  }

  return { addTreatment, closeTreatment };
}
