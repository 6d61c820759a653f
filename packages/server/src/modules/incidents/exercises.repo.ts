import type { Executor } from '../../platform/db/db.ts';

/** Exercises, participants and findings; every query names the organisation. */
export interface ExerciseRow {
  id: string;
  org_id: string;
  plan_id: string;
  plan_version: number | null;
  kind: 'tabletop' | 'live';
  title: string;
  scenario: string;
  scheduled_for: Date;
  status: 'scheduled' | 'held' | 'closed' | 'cancelled';
  held_at: Date | null;
  summary: string | null;
  cancel_reason: string | null;
  closed_at: Date | null;
}
export interface ParticipantRow {
  exercise_id: string;
  user_id: string;
  party_org_id: string;
  role: string | null;
  attended: boolean | null;
  name: string;
  email: string;
}

const COLS = [
  'id',
  'org_id',
  'plan_id',
  'plan_version',
  'kind',
  'title',
  'scenario',
  'scheduled_for',
  'status',
  'held_at',
  'summary',
  'cancel_reason',
  'closed_at',
] as const;

export const exercisesRepo = {
  async list(db: Executor, orgId: string): Promise<ExerciseRow[]> {
    return db
      .selectFrom('ir_exercises')
      .select(COLS)
      .where('org_id', '=', orgId)
      .orderBy('scheduled_for', 'desc')
      .orderBy('id')
      .execute();
  },
  async get(db: Executor, orgId: string, id: string, lock = false): Promise<ExerciseRow | undefined> {
    let q = db.selectFrom('ir_exercises').select(COLS).where('org_id', '=', orgId).where('id', '=', id);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  },
  async insert(
    db: Executor,
    e: Omit<ExerciseRow, 'held_at' | 'summary' | 'cancel_reason' | 'closed_at'> & {
      created_by_label: string;
      created_at: Date;
    },
  ) {
    await db
      .insertInto('ir_exercises')
      .values({ ...e, updated_at: e.created_at })
      .execute();
  },
  async update(
    db: Executor,
    orgId: string,
    id: string,
    set: Partial<Pick<ExerciseRow, 'status' | 'held_at' | 'summary' | 'cancel_reason' | 'closed_at'>>,
    at: Date,
  ) {
    await db
      .updateTable('ir_exercises')
      .set({ ...set, updated_at: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  },
  async participants(db: Executor, orgId: string, exerciseIds: string[]): Promise<ParticipantRow[]> {
    if (exerciseIds.length === 0) return [];
    return db
      .selectFrom('ir_exercise_participants as p')
      .innerJoin('users as u', 'u.id', 'p.user_id')
      .select(['p.exercise_id', 'p.user_id', 'p.party_org_id', 'p.role', 'p.attended', 'u.name', 'u.email'])
      .where('p.org_id', '=', orgId)
      .where('p.exercise_id', 'in', exerciseIds)
      .orderBy('u.email')
      .execute();
  },
  async upsertParticipant(
    db: Executor,
    p: {
      exercise_id: string;
      org_id: string;
      user_id: string;
      party_org_id: string;
      role: string | null;
      attended: boolean | null;
    },
  ) {
    await db
      .insertInto('ir_exercise_participants')
      .values(p)
      .onConflict((oc) => oc.columns(['exercise_id', 'user_id']).doUpdateSet({ attended: p.attended }))
      .execute();
  },
  async findings(db: Executor, orgId: string, exerciseId: string) {
    return db
      .selectFrom('ir_findings')
      .select(['id', 'title', 'detail', 'severity', 'recorded_by_label', 'recorded_at'])
      .where('org_id', '=', orgId)
      .where('exercise_id', '=', exerciseId)
      .orderBy('recorded_at')
      .orderBy('id')
      .execute();
  },
  async insertFinding(
    db: Executor,
    f: {
      id: string;
      org_id: string;
      exercise_id: string;
      title: string;
      detail: string;
      severity: 'critical' | 'high' | 'medium' | 'low';
      recorded_by_label: string;
      recorded_at: Date;
    },
  ) {
    await db.insertInto('ir_findings').values(f).execute();
  },
};
