import { randomUUID } from 'node:crypto';
import { PlanContent, type PlanKind } from '@accord/contracts';
import { digestOf } from '../../platform/canonical-json.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Executor } from '../../platform/db/db.ts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import { agreedHours, agreedParam } from './deadlines.ts';
import { auditIr, irTenant, peopleOf, requirePeople, touch, type IrDeps, type Person } from './ir-access.ts';
import { renderPlanHtml, renderPlanMarkdown } from './plan-export.ts';
import { planTemplate } from './plan-template.ts';
import { contentErrors, missingForApproval, peopleRefs, approvalsNeeded } from './plan-rules.ts';
import { planViews, versionView } from './plan-views.ts';
import { plansRepo } from './plans.repo.ts';

export type PlansService = ReturnType<typeof createPlansService>;

/**
 * Incident response and recovery plans, one of each kind per organisation. A plan has versions:
 * one draft at a time (edited in place), approved when every party named in it (and the owner)
 * approved the exact content by its digest, and then immutable; a later approval supersedes it.
 * Drafting needs ir:manage, approving and reviewing ir:approve (admins of either party).
 */
export function createPlansService({ db, audit }: IrDeps) {
  function parseContent(c: unknown): PlanContent {
    const r = PlanContent.safeParse(c);
    if (!r.success)
      throw new AppError('validation_failed', 'the plan content is not valid', { issues: r.error.issues });
    const errors = contentErrors(r.data);
    if (errors.length) throw new AppError('bad_request', errors.join('; '), { errors });
    return r.data;
  }

  /** Checks every person named resolves, and the MSP contact of a customer's plan is from its MSP. */
  async function checkPeople(tx: Executor, orgId: string, c: PlanContent): Promise<Map<string, Person>> {
    const people = await requirePeople(tx, orgId, peopleRefs(c));
    const org = await tx.selectFrom('orgs').select('kind').where('id', '=', orgId).executeTakeFirstOrThrow();
    c.roles.forEach((r, i) => {
      if (r.role === 'msp_contact' && org.kind === 'customer' && people.get(r.userId)!.orgId === orgId)
        throw new AppError(
          'bad_request',
          `roles[${i}] (msp_contact): user ${r.userId} is a member of the customer, not of its MSP`,
        );
    });
    return people;
  }

  async function loadPlan(ex: Executor, orgId: string, planId: string, lock = false) {
    const p = await plansRepo.plan(ex, orgId, planId, lock);
    if (!p) throw notFound('plan', planId);
    return p;
  }

  async function list(ctx: RequestContext, orgId: string) {
    await irTenant(db, ctx, orgId, 'ir:read');
    return planViews(db, orgId, await plansRepo.plans(db, orgId));
  }

  async function get(ctx: RequestContext, orgId: string, planId: string) {
    await irTenant(db, ctx, orgId, 'ir:read');
    return (await planViews(db, orgId, [await loadPlan(db, orgId, planId)]))[0]!;
  }

  async function version(ctx: RequestContext, orgId: string, planId: string, n: number) {
    await irTenant(db, ctx, orgId, 'ir:read');
    const p = await loadPlan(db, orgId, planId);
    const v = await plansRepo.version(db, orgId, planId, n);
    if (!v) throw notFound(`version ${n} of plan`, planId);
    return versionView(db, p.kind, v);
  }

  async function create(
    ctx: RequestContext,
    orgId: string,
    input: { kind: PlanKind; content?: unknown },
    now = new Date(),
  ) {
    await irTenant(db, ctx, orgId, 'ir:manage');
    const template = planTemplate(
      input.kind,
      await agreedHours(db, orgId),
      await agreedParam(db, orgId, 'IRP-02', 'exercise_interval_days'),
    );
    const content = parseContent(input.content ?? template);
    return db.transaction().execute(async (tx) => {
      const existing = await plansRepo.byKind(tx, orgId, input.kind);
      if (existing)
        throw new AppError(
          'conflict',
          `organisation ${orgId} already has a ${input.kind} plan (${existing.id}): edit its draft`,
        );
      await checkPeople(tx, orgId, content);
      const id = randomUUID();
      await plansRepo.insertPlan(tx, {
        id,
        org_id: orgId,
        kind: input.kind,
        created_by_label: ctx.actor.label,
      });
      await plansRepo.insertVersion(tx, {
        plan_id: id,
        org_id: orgId,
        version: 1,
        content,
        digest: digestOf(content),
        created_by_org_id: ctx.orgId,
        created_by_user_id: ctx.actor.userId,
        created_by_label: ctx.actor.label,
        created_at: now,
      });
      await auditIr(audit, tx, ctx, orgId, {
        action: 'ir_plan.created',
        targetType: 'ir_plan',
        targetId: id,
        after: content,
        details: { kind: input.kind, version: 1 },
      });
      await touch(tx, orgId, 'ir_plans', now);
      return versionView(tx, input.kind, (await plansRepo.version(tx, orgId, id, 1))!);
    });
  }

  /** Replaces the draft's content, or opens a new draft (the next version) when there is none. */
  async function updateDraft(
    ctx: RequestContext,
    orgId: string,
    planId: string,
    raw: unknown,
    now = new Date(),
  ) {
    await irTenant(db, ctx, orgId, 'ir:manage');
    const content = parseContent(raw);
    const digest = digestOf(content);
    return db.transaction().execute(async (tx) => {
      const p = await loadPlan(tx, orgId, planId, true);
      await checkPeople(tx, orgId, content);
      const versions = await plansRepo.versions(tx, orgId, [planId]);
      const draft = versions.find((v) => v.state === 'draft');
      let n: number;
      if (draft) {
        n = draft.version;
        await plansRepo.updateDraft(tx, orgId, planId, n, content, digest, now);
      } else {
        n = await plansRepo.nextVersion(tx, orgId, planId);
        await plansRepo.insertVersion(tx, {
          plan_id: planId,
          org_id: orgId,
          version: n,
          content,
          digest,
          created_by_org_id: ctx.orgId,
          created_by_user_id: ctx.actor.userId,
          created_by_label: ctx.actor.label,
          created_at: now,
        });
      }
      await auditIr(audit, tx, ctx, orgId, {
        action: 'ir_plan.draft_updated',
        targetType: 'ir_plan',
        targetId: planId,
        before: draft?.content,
        after: content,
        details: { version: n, digest },
      });
      await touch(tx, orgId, 'ir_plans', now);
      return versionView(tx, p.kind, (await plansRepo.version(tx, orgId, planId, n))!);
    });
  }

  /**
   * The caller's organisation approves the draft's exact content (by digest). The version becomes
   * the approved one when the plan's owner and every party named in it have approved that digest.
   */
  async function approve(
    ctx: RequestContext,
    orgId: string,
    planId: string,
    n: number,
    digest: string,
    now = new Date(),
  ) {
    await irTenant(db, ctx, orgId, 'ir:approve');
    const party = ctx.orgId;
    if (!party) throw new AppError('forbidden', 'a plan is approved by a member of one of its parties');
    return db.transaction().execute(async (tx) => {
      const p = await loadPlan(tx, orgId, planId, true);
      const v = await plansRepo.version(tx, orgId, planId, n);
      if (!v) throw notFound(`version ${n} of plan`, planId);
      if (v.state !== 'draft')
        throw invalidState(`version ${n} of plan ${planId} is ${v.state}; it cannot change`);
      if (v.digest !== digest)
        throw new AppError(
          'digest_mismatch',
          `version ${n} of plan ${planId} has digest ${v.digest}, not ${digest}: read it again before approving`,
        );
      const people = await peopleOf(
        tx,
        orgId,
        peopleRefs(v.content).map((r) => r.userId),
        now,
      );
      const missing = missingForApproval(p.kind, v.content, people);
      if (missing.length)
        throw invalidState(`version ${n} of plan ${planId} cannot be approved: ${missing.join('; ')}`, {
          missing,
        });
      const needed = approvalsNeeded(orgId, v.content, people);
      if (!needed.includes(party))
        throw new AppError(
          'forbidden',
          `your organisation is not a party to plan ${planId}: ${needed.join(', ')} approve it`,
        );
      const prior = await plansRepo.approvals(tx, orgId, planId, n);
      if (prior.some((a) => a.org_id === party && a.digest === digest))
        throw new AppError('conflict', `your organisation already approved version ${n} of plan ${planId}`);
      await plansRepo.insertApproval(tx, {
        plan_id: planId,
        version: n,
        org_id: party,
        plan_org_id: orgId,
        digest,
        user_id: ctx.actor.userId,
        user_label: ctx.actor.label,
        approved_at: now,
      });
      const approvedBy = new Set([...prior.filter((a) => a.digest === digest).map((a) => a.org_id), party]);
      const complete = needed.every((o) => approvedBy.has(o));
      if (complete) await plansRepo.approve(tx, orgId, planId, n, now);
      await auditIr(audit, tx, ctx, orgId, {
        action: complete ? 'ir_plan.approved' : 'ir_plan.approval_recorded',
        targetType: 'ir_plan',
        targetId: planId,
        details: { version: n, digest, awaiting: needed.filter((o) => !approvedBy.has(o)) },
      });
      await touch(tx, orgId, 'ir_plans', now);
      return versionView(tx, p.kind, (await plansRepo.version(tx, orgId, planId, n))!);
    });
  }

  /** Confirms the approved version is still right (resets its review age without a new version). */
  async function review(ctx: RequestContext, orgId: string, planId: string, note: string, now = new Date()) {
    await irTenant(db, ctx, orgId, 'ir:approve');
    await db.transaction().execute(async (tx) => {
      await loadPlan(tx, orgId, planId, true);
      const approved = (await plansRepo.versions(tx, orgId, [planId])).find((v) => v.state === 'approved');
      if (!approved) throw invalidState(`plan ${planId} has no approved version to review`);
      const id = randomUUID();
      await plansRepo.insertReview(tx, {
        id,
        plan_id: planId,
        org_id: orgId,
        version: approved.version,
        note,
        reviewed_by_org_id: ctx.orgId,
        reviewed_by_user_id: ctx.actor.userId,
        reviewed_by_label: ctx.actor.label,
        reviewed_at: now,
      });
      await auditIr(audit, tx, ctx, orgId, {
        action: 'ir_plan.reviewed',
        targetType: 'ir_plan',
        targetId: planId,
        details: { version: approved.version, note },
      });
      await touch(tx, orgId, 'ir_plans', now);
    });
    return get(ctx, orgId, planId);
  }

  /** A version as a printable document (the hard copy kept off-line). */
  async function exportVersion(
    ctx: RequestContext,
    orgId: string,
    planId: string,
    n: number,
    format: 'markdown' | 'html',
  ) {
    const v = await version(ctx, orgId, planId, n);
    const org = await db.selectFrom('orgs').select('name').where('id', '=', orgId).executeTakeFirstOrThrow();
    const orgNames = new Map(
      (
        await db
          .selectFrom('orgs')
          .select(['id', 'name'])
          .where('id', 'in', [orgId, ...v.people.map((p) => p.orgId)])
          .execute()
      ).map((o) => [o.id, o.name]),
    );
    const agreed = await agreedHours(db, orgId);
    const doc = { ...v, orgName: org.name, orgNames, agreed };
    return format === 'html' ? renderPlanHtml(doc) : renderPlanMarkdown(doc);
  }

  return { list, get, version, create, updateDraft, approve, review, exportVersion };
}
