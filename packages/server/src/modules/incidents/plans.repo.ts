import { sql } from 'kysely';
import type { PlanContent, PlanKind } from '@accord/contracts';
import type { Executor } from '../../platform/db/db.ts';

/** Plans, their versions, approvals and reviews. Every read and write names the organisation. */
export interface PlanRow {
  id: string;
  org_id: string;
  kind: PlanKind;
  created_at: Date;
}
export interface VersionRow {
  plan_id: string;
  org_id: string;
  version: number;
  state: 'draft' | 'approved' | 'superseded';
  content: PlanContent;
  digest: string;
  created_by_label: string;
  created_at: Date;
  updated_at: Date;
  approved_at: Date | null;
}
export interface ApprovalRow {
  org_id: string;
  user_label: string;
  digest: string;
  approved_at: Date;
}

const parse = (r: Record<string, unknown>) =>
  ({ ...r, content: typeof r.content === 'string' ? JSON.parse(r.content) : r.content }) as VersionRow;
const VERSION_COLS = [
  'plan_id',
  'org_id',
  'version',
  'state',
  'content',
  'digest',
  'created_by_label',
  'created_at',
  'updated_at',
  'approved_at',
] as const;

export const plansRepo = {
  async plans(db: Executor, orgId: string): Promise<PlanRow[]> {
    return db
      .selectFrom('ir_plans')
      .select(['id', 'org_id', 'kind', 'created_at'])
      .where('org_id', '=', orgId)
      .orderBy('kind')
      .execute();
  },
  async plan(db: Executor, orgId: string, planId: string, lock = false): Promise<PlanRow | undefined> {
    let q = db
      .selectFrom('ir_plans')
      .select(['id', 'org_id', 'kind', 'created_at'])
      .where('org_id', '=', orgId)
      .where('id', '=', planId);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  },
  async byKind(db: Executor, orgId: string, kind: PlanKind): Promise<PlanRow | undefined> {
    return db
      .selectFrom('ir_plans')
      .select(['id', 'org_id', 'kind', 'created_at'])
      .where('org_id', '=', orgId)
      .where('kind', '=', kind)
      .executeTakeFirst();
  },
  async insertPlan(
    db: Executor,
    p: { id: string; org_id: string; kind: PlanKind; created_by_label: string },
  ) {
    await db.insertInto('ir_plans').values(p).execute();
  },
  async versions(db: Executor, orgId: string, planIds: string[]): Promise<VersionRow[]> {
    if (planIds.length === 0) return [];
    const rows = await db
      .selectFrom('ir_plan_versions')
      .select(VERSION_COLS)
      .where('org_id', '=', orgId)
      .where('plan_id', 'in', planIds)
      .orderBy('plan_id')
      .orderBy('version')
      .execute();
    return rows.map(parse);
  },
  async version(
    db: Executor,
    orgId: string,
    planId: string,
    version: number,
  ): Promise<VersionRow | undefined> {
    const r = await db
      .selectFrom('ir_plan_versions')
      .select(VERSION_COLS)
      .where('org_id', '=', orgId)
      .where('plan_id', '=', planId)
      .where('version', '=', version)
      .executeTakeFirst();
    return r ? parse(r) : undefined;
  },
  async insertVersion(
    db: Executor,
    v: {
      plan_id: string;
      org_id: string;
      version: number;
      content: PlanContent;
      digest: string;
      created_by_org_id: string | null;
      created_by_user_id: string | null;
      created_by_label: string;
      created_at: Date;
    },
  ) {
    await db
      .insertInto('ir_plan_versions')
      .values({ ...v, state: 'draft', content: JSON.stringify(v.content), updated_at: v.created_at })
      .execute();
  },
  async updateDraft(
    db: Executor,
    orgId: string,
    planId: string,
    version: number,
    content: PlanContent,
    digest: string,
    at: Date,
  ) {
    await db
      .updateTable('ir_plan_versions')
      .set({ content: JSON.stringify(content), digest, updated_at: at })
      .where('org_id', '=', orgId)
      .where('plan_id', '=', planId)
      .where('version', '=', version)
      .where('state', '=', 'draft')
      .execute();
  },
  /** Makes `version` the approved one; the previously approved version becomes superseded. */
  async approve(db: Executor, orgId: string, planId: string, version: number, at: Date) {
    await db
      .updateTable('ir_plan_versions')
      .set({ state: 'superseded', superseded_at: at })
      .where('org_id', '=', orgId)
      .where('plan_id', '=', planId)
      .where('state', '=', 'approved')
      .execute();
    await db
      .updateTable('ir_plan_versions')
      .set({ state: 'approved', approved_at: at, updated_at: at })
      .where('org_id', '=', orgId)
      .where('plan_id', '=', planId)
      .where('version', '=', version)
      .where('state', '=', 'draft')
      .execute();
  },
  async approvals(db: Executor, orgId: string, planId: string, version: number): Promise<ApprovalRow[]> {
    return db
      .selectFrom('ir_plan_approvals')
      .select(['org_id', 'user_label', 'digest', 'approved_at'])
      .where('plan_org_id', '=', orgId)
      .where('plan_id', '=', planId)
      .where('version', '=', version)
      .orderBy('approved_at')
      .execute();
  },
  async insertApproval(
    db: Executor,
    a: {
      plan_id: string;
      version: number;
      org_id: string;
      plan_org_id: string;
      digest: string;
      user_id: string | null;
      user_label: string;
      approved_at: Date;
    },
  ) {
    await db.insertInto('ir_plan_approvals').values(a).execute();
  },
  async reviews(db: Executor, orgId: string, planIds: string[]) {
    if (planIds.length === 0) return [];
    return db
      .selectFrom('ir_plan_reviews')
      .select(['plan_id', 'version', 'note', 'reviewed_by_label', 'reviewed_at'])
      .where('org_id', '=', orgId)
      .where('plan_id', 'in', planIds)
      .orderBy('reviewed_at')
      .execute();
  },
  async insertReview(
    db: Executor,
    r: {
      id: string;
      plan_id: string;
      org_id: string;
      version: number;
      note: string;
      reviewed_by_org_id: string | null;
      reviewed_by_user_id: string | null;
      reviewed_by_label: string;
      reviewed_at: Date;
    },
  ) {
    await db.insertInto('ir_plan_reviews').values(r).execute();
  },
  /** When each plan was first approved (the start of its exercise cadence when never exercised). */
  async firstApproved(db: Executor, orgId: string, planIds: string[]): Promise<Map<string, Date>> {
    if (planIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('ir_plan_versions')
      .select((eb) => ['plan_id', eb.fn.min('approved_at').as('at')])
      .where('org_id', '=', orgId)
      .where('plan_id', 'in', planIds)
      .where('approved_at', 'is not', null)
      .groupBy('plan_id')
      .execute();
    return new Map(rows.map((r) => [r.plan_id, new Date(r.at as Date)]));
  },
  /** When each plan was last exercised (held or closed exercises). */
  async lastHeld(db: Executor, orgId: string, planIds: string[]): Promise<Map<string, Date>> {
    if (planIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('ir_exercises')
      .select((eb) => ['plan_id', eb.fn.max('held_at').as('at')])
      .where('org_id', '=', orgId)
      .where('plan_id', 'in', planIds)
      .where('status', 'in', ['held', 'closed'])
      .groupBy('plan_id')
      .execute();
    return new Map(rows.filter((r) => r.at).map((r) => [r.plan_id, new Date(r.at as Date)]));
  },
  async nextVersion(db: Executor, orgId: string, planId: string): Promise<number> {
    const r = await db
      .selectFrom('ir_plan_versions')
      .select(sql<number>`coalesce(max(version), 0)::int`.as('v'))
      .where('org_id', '=', orgId)
      .where('plan_id', '=', planId)
      .executeTakeFirst();
    return (r?.v ?? 0) + 1;
  },
};
