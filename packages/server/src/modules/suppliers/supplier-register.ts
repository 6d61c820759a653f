import { randomUUID } from 'node:crypto';
import type { Criticality } from '@accord/contracts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/db.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { assessmentsRepo } from './assessments.repo.ts';
import { reassessmentDaysOf } from './register-state.ts';
import { riskOf } from './risk.ts';
import { registerAccess } from './suppliers-access.ts';
import { suppliersRepo } from './suppliers.repo.ts';
import type { AssessmentRow } from './suppliers.types.ts';

/** The register as a whole: its summary, reviews, reassessment cadence, and what MSPs publish. */
export function createRegisterOps({ db, audit }: { db: Db; audit: AuditService }) {
  /** The register as a whole: last review and change, the reassessment cadence, counts. */
  async function register(ctx: RequestContext, orgId: string) {
    await registerAccess(db, ctx, orgId, 'suppliers:read');
    const [reg, all, reviews] = await Promise.all([
      suppliersRepo.register(db, orgId),
      suppliersRepo.list(db, orgId, true),
      suppliersRepo.reviews(db, orgId),
    ]);
    const active = all.filter((s) => !s.retired_at);
    return {
      orgId,
      register: reg ?? null,
      reassessmentDays: reassessmentDaysOf(reg),
      counts: {
        active: active.length,
        critical: active.filter((s) => s.criticality === 'critical').length,
        published: active.filter((s) => s.published).length,
        retired: all.length - active.length,
      },
      reviews,
    };
  }

  async function setReassessmentDays(
    ctx: RequestContext,
    orgId: string,
    days: Partial<Record<Criticality, number>>,
    now = new Date(),
  ) {
    await db.transaction().execute(async (tx) => {
      await registerAccess(tx, ctx, orgId, 'suppliers:manage', { write: true });
      const before = reassessmentDaysOf(await suppliersRepo.register(tx, orgId));
      const after = { ...before, ...days };
      await suppliersRepo.setReassessmentDays(tx, orgId, after, now);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'supplier_register.cadence_set',
        targetType: 'supplier_register',
        targetId: orgId,
        before,
        after,
        details: { reassessmentDays: after },
      });
    });
    return register(ctx, orgId);
  }

  /** Records that the register was reviewed (SCR-01: days since the last review). */
  async function review(ctx: RequestContext, orgId: string, note: string | undefined, now = new Date()) {
    await db.transaction().execute(async (tx) => {
      await registerAccess(tx, ctx, orgId, 'suppliers:manage', { write: true });
      const id = randomUUID();
      await suppliersRepo.recordReview(tx, orgId, {
        id,
        at: now,
        userId: ctx.actor.userId,
        label: ctx.actor.label,
        note: note ?? null,
      });
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'supplier_register.reviewed',
        targetType: 'supplier_register',
        targetId: orgId,
        details: { reviewId: id, ...(note ? { note } : {}) },
      });
    });
    return register(ctx, orgId);
  }

  /**
   * What MSPs publish of their own suppliers and sub-processors. A customer sees the entries of every
   * MSP it has an active relationship with; an MSP sees its own (also when it reads through one of its
   * customers: never a co-MSP's list).
   */
  async function published(ctx: RequestContext, orgId: string) {
    const { org, access } = await registerAccess(db, ctx, orgId, 'suppliers:read');
    let msps: string[];
    if (org.kind === 'msp') msps = [org.id];
    else if (access === 'managed') msps = [ctx.orgId!];
    else
      msps = (
        await db
          .selectFrom('relationships')
          .select('msp_org_id')
          .where('customer_org_id', '=', org.id)
          .where('status', '=', 'active')
          .execute()
      ).map((r) => r.msp_org_id);
    const rows = await suppliersRepo.publishedBy(db, msps);
    const names = new Map(
      msps.length
        ? (await db.selectFrom('orgs').select(['id', 'name']).where('id', 'in', msps).execute()).map((o) => [
            o.id,
            o.name,
          ])
        : [],
    );
    // Each MSP's latest complete assessment of each entry: when, and the residual band it found.
    const assessed = new Map<string, AssessmentRow>();
    for (const msp of msps)
      for (const a of await assessmentsRepo.list(
        db,
        msp,
        rows.filter((r) => r.org_id === msp).map((r) => r.id),
      ))
        if (a.status === 'complete') assessed.set(a.supplier_id, a); // oldest first: the last one wins
    return rows.map((r) => {
      const a = assessed.get(r.id);
      return {
        row: r,
        msp: { id: r.org_id, name: names.get(r.org_id) ?? '' },
        lastAssessedAt: a?.completed_at ?? null,
        residualBand: a ? (riskOf(a.residual_likelihood, a.residual_impact)?.band ?? null) : null,
      };
    });
  }

  return { register, setReassessmentDays, review, published };
}
