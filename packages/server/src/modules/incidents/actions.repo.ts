import { sql } from 'kysely';
import type { Executor } from '../../platform/db/db.ts';

/** Follow-up actions of incidents and exercises; every query names the organisation. */
export interface ActionRow {
  id: string;
  org_id: string;
  source_type: 'incident' | 'exercise';
  source_id: string;
  title: string;
  owner_user_id: string;
  owner_org_id: string;
  owner_name: string;
  owner_email: string;
  due_date: string;
  priority: 'high' | 'medium' | 'low';
  status: 'open' | 'done' | 'cancelled';
  created_at: Date;
  completed_at: Date | null;
}

function base(db: Executor, orgId: string) {
  return db
    .selectFrom('ir_actions as a')
    .innerJoin('users as u', 'u.id', 'a.owner_user_id')
    .select([
      'a.id',
      'a.org_id',
      'a.source_type',
      'a.source_id',
      'a.title',
      'a.owner_user_id',
      'a.owner_org_id',
      'u.name as owner_name',
      'u.email as owner_email',
      sql<string>`to_char(a.due_date, 'YYYY-MM-DD')`.as('due_date'),
      'a.priority',
      'a.status',
      'a.created_at',
      'a.completed_at',
    ])
    .where('a.org_id', '=', orgId);
}

export const actionsRepo = {
  async list(
    db: Executor,
    orgId: string,
    f: { status?: string; overdueOn?: string; source?: { type: string; id: string } } = {},
  ): Promise<ActionRow[]> {
    let q = base(db, orgId);
    if (f.status) q = q.where('a.status', '=', f.status as ActionRow['status']);
    if (f.overdueOn)
      q = q.where('a.status', '=', 'open').where(sql<boolean>`a.due_date < ${f.overdueOn}::date`);
    if (f.source)
      q = q
        .where('a.source_type', '=', f.source.type as ActionRow['source_type'])
        .where('a.source_id', '=', f.source.id);
    return q.orderBy('a.due_date').orderBy('a.created_at').execute() as Promise<ActionRow[]>;
  },
  async get(db: Executor, orgId: string, id: string, lock = false): Promise<ActionRow | undefined> {
    if (lock)
      await db
        .selectFrom('ir_actions')
        .select('id')
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .forUpdate()
        .execute();
    return base(db, orgId).where('a.id', '=', id).executeTakeFirst() as Promise<ActionRow | undefined>;
  },
  async insert(
    db: Executor,
    a: {
      id: string;
      org_id: string;
      source_type: 'incident' | 'exercise';
      source_id: string;
      title: string;
      owner_user_id: string;
      owner_org_id: string;
      due_date: string;
      priority: 'high' | 'medium' | 'low';
      created_by_label: string;
      created_at: Date;
    },
  ) {
    await db
      .insertInto('ir_actions')
      .values({ ...a, status: 'open', updated_at: a.created_at })
      .execute();
  },
  async update(
    db: Executor,
    orgId: string,
    id: string,
    set: Partial<{
      status: 'open' | 'done' | 'cancelled';
      owner_user_id: string;
      owner_org_id: string;
      due_date: string;
      priority: 'high' | 'medium' | 'low';
      completed_at: Date | null;
    }>,
    at: Date,
  ) {
    await db
      .updateTable('ir_actions')
      .set({ ...set, updated_at: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  },
};
