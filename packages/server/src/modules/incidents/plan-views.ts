import type { PlanKind } from '@accord/contracts';
import type { Executor } from '../../platform/db/db.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';
import { peopleOf } from './ir-access.ts';
import { approvalsNeeded, missingForApproval, peopleRefs } from './plan-rules.ts';
import { plansRepo, type PlanRow, type VersionRow } from './plans.repo.ts';

/** Read models of plans, shared by the plans service, incidents, exercises and the IRP checks. */
const DAY_MS = 86_400_000;

/** A plan's current approved version, for incidents (playbooks), exercises and the IRP checks. */
export async function approvedPlan(db: Executor, orgId: string, kind: PlanKind) {
  const plan = await plansRepo.byKind(db, orgId, kind);
  if (!plan) return null;
  const versions = await plansRepo.versions(db, orgId, [plan.id]);
  const approved = versions.find((v) => v.state === 'approved');
  if (!approved) return null;
  const reviews = (await plansRepo.reviews(db, orgId, [plan.id])).filter(
    (r) => r.version === approved.version,
  );
  const lastReview = reviews.length ? new Date(reviews[reviews.length - 1]!.reviewed_at) : null;
  const approvedAt = new Date(approved.approved_at!);
  return {
    plan,
    version: approved,
    lastReviewedAt: lastReview && lastReview > approvedAt ? lastReview : approvedAt,
    firstApprovedAt: (await plansRepo.firstApproved(db, orgId, [plan.id])).get(plan.id) ?? approvedAt,
  };
}

/** A version as the API shows it: approvals, what approval still needs, the people it names. */
export async function versionView(ex: Executor, kind: PlanKind, v: VersionRow) {
  const people = await peopleOf(
    ex,
    v.org_id,
    peopleRefs(v.content).map((r) => r.userId),
  );
  const approvals = await plansRepo.approvals(ex, v.org_id, v.plan_id, v.version);
  return {
    planId: v.plan_id,
    orgId: v.org_id,
    kind,
    version: v.version,
    state: v.state,
    digest: v.digest,
    content: v.content,
    createdBy: v.created_by_label,
    createdAt: iso(v.created_at),
    updatedAt: iso(v.updated_at),
    approvedAt: isoOrNull(v.approved_at),
    approvalsNeeded: approvalsNeeded(v.org_id, v.content, people),
    approvals: approvals.map((a) => ({
      orgId: a.org_id,
      userLabel: a.user_label,
      digest: a.digest,
      approvedAt: iso(a.approved_at),
    })),
    missing: v.state === 'draft' ? missingForApproval(kind, v.content, people) : [],
    people: [...people.values()],
  };
}

/** Plans as the API shows them: versions in force and open, review and exercise dates. */
export async function planViews(ex: Executor, orgId: string, plans: PlanRow[]) {
  const ids = plans.map((p) => p.id);
  const [versions, reviews, first, held] = await Promise.all([
    plansRepo.versions(ex, orgId, ids),
    plansRepo.reviews(ex, orgId, ids),
    plansRepo.firstApproved(ex, orgId, ids),
    plansRepo.lastHeld(ex, orgId, ids),
  ]);
  return plans.map((p) => {
    const mine = versions.filter((v) => v.plan_id === p.id);
    const approved = mine.find((v) => v.state === 'approved') ?? null;
    const draft = mine.find((v) => v.state === 'draft') ?? null;
    const rs = reviews.filter((r) => r.plan_id === p.id);
    const lastReview = approved
      ? Math.max(
          new Date(approved.approved_at!).getTime(),
          ...rs.filter((r) => r.version === approved.version).map((r) => new Date(r.reviewed_at).getTime()),
        )
      : null;
    const cadence = (approved ?? draft)?.content.exerciseCadenceDays ?? null;
    const lastHeld = held.get(p.id) ?? null;
    const start = lastHeld ?? first.get(p.id) ?? null;
    return {
      id: p.id,
      orgId: p.org_id,
      kind: p.kind,
      title: (approved ?? draft ?? mine[mine.length - 1])?.content.title ?? p.kind,
      approvedVersion: approved?.version ?? null,
      draftVersion: draft?.version ?? null,
      approvedAt: isoOrNull(approved?.approved_at),
      lastReviewedAt: lastReview ? iso(new Date(lastReview)) : null,
      exercise: {
        cadenceDays: cadence,
        lastHeldAt: isoOrNull(lastHeld),
        nextDueBy: start && cadence ? iso(new Date(start.getTime() + cadence * DAY_MS)) : null,
      },
      reviews: rs.map((r) => ({
        version: r.version,
        note: r.note,
        by: r.reviewed_by_label,
        at: iso(r.reviewed_at),
      })),
    };
  });
}
