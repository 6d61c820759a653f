import type { Executor } from '../../platform/db/db.ts';

/** Incidents, their linked alerts and recorded notifications; every query names the organisation. */
export interface PlaybookCopy {
  planId: string;
  planVersion: number;
  incidentType: string;
  title: string;
  steps: { text: string; role?: string | undefined }[];
}
export type StepsState = Record<string, { done: boolean; by: string; at: string }>;
export interface IncidentRow {
  id: string;
  org_id: string;
  title: string;
  description: string | null;
  severity: 'critical' | 'high' | 'medium' | 'low';
  status: 'open' | 'investigating' | 'contained' | 'recovered' | 'closed';
  detected_at: Date;
  declared_at: Date;
  declared_by_org_id: string | null;
  declared_by_label: string;
  affected_systems: string[];
  playbook: PlaybookCopy | null;
  steps_state: StepsState;
  root_cause: string | null;
  lessons_learned: string | null;
  closed_at: Date | null;
  updated_at: Date;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const parse = (r: Record<string, unknown>): IncidentRow =>
  ({
    ...r,
    affected_systems: json<string[]>(r.affected_systems),
    playbook: r.playbook === null ? null : json<PlaybookCopy>(r.playbook),
    steps_state: json<StepsState>(r.steps_state),
  }) as IncidentRow;

const COLS = [
  'id',
  'org_id',
  'title',
  'description',
  'severity',
  'status',
  'detected_at',
  'declared_at',
  'declared_by_org_id',
  'declared_by_label',
  'affected_systems',
  'playbook',
  'steps_state',
  'root_cause',
  'lessons_learned',
  'closed_at',
  'updated_at',
] as const;

export const incidentsRepo = {
  async list(db: Executor, orgId: string, status?: IncidentRow['status']): Promise<IncidentRow[]> {
    let q = db.selectFrom('ir_incidents').select(COLS).where('org_id', '=', orgId);
    if (status) q = q.where('status', '=', status);
    return (await q.orderBy('declared_at', 'desc').orderBy('id').execute()).map(parse);
  },
  async get(db: Executor, orgId: string, id: string, lock = false): Promise<IncidentRow | undefined> {
    let q = db.selectFrom('ir_incidents').select(COLS).where('org_id', '=', orgId).where('id', '=', id);
    if (lock) q = q.forUpdate();
    const r = await q.executeTakeFirst();
    return r ? parse(r) : undefined;
  },
  async insert(
    db: Executor,
    i: Omit<
      IncidentRow,
      'affected_systems' | 'playbook' | 'steps_state' | 'root_cause' | 'lessons_learned' | 'closed_at'
    > & {
      affected_systems: string[];
      playbook: PlaybookCopy | null;
      declared_by_user_id: string | null;
    },
  ) {
    await db
      .insertInto('ir_incidents')
      .values({
        ...i,
        affected_systems: JSON.stringify(i.affected_systems),
        playbook: i.playbook ? JSON.stringify(i.playbook) : null,
        steps_state: '{}',
        created_at: i.declared_at,
      })
      .execute();
  },
  async update(
    db: Executor,
    orgId: string,
    id: string,
    set: Partial<{
      title: string;
      description: string | null;
      severity: IncidentRow['severity'];
      status: IncidentRow['status'];
      detected_at: Date;
      affected_systems: string[];
      playbook: PlaybookCopy;
      steps_state: StepsState;
      root_cause: string;
      lessons_learned: string;
      closed_at: Date;
    }>,
    at: Date,
  ) {
    const { affected_systems, playbook, steps_state, ...rest } = set;
    await db
      .updateTable('ir_incidents')
      .set({
        ...rest,
        ...(affected_systems ? { affected_systems: JSON.stringify(affected_systems) } : {}),
        ...(playbook ? { playbook: JSON.stringify(playbook) } : {}),
        ...(steps_state ? { steps_state: JSON.stringify(steps_state) } : {}),
        updated_at: at,
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  },
  /** The tenant's own alerts among `ids` (another tenant's alert is simply not found). */
  async ownAlerts(db: Executor, orgId: string, ids: string[]) {
    if (ids.length === 0) return [];
    return db
      .selectFrom('alerts')
      .select(['id', 'rule_title', 'level', 'created_at'])
      .where('org_id', '=', orgId)
      .where('id', 'in', ids)
      .execute();
  },
  async linkedAlerts(db: Executor, orgId: string, incidentId: string) {
    return db
      .selectFrom('ir_incident_alerts as l')
      .innerJoin('alerts as a', (j) => j.onRef('a.id', '=', 'l.alert_id').onRef('a.org_id', '=', 'l.org_id'))
      .select(['l.alert_id', 'a.rule_title', 'a.level', 'a.status', 'l.linked_at'])
      .where('l.org_id', '=', orgId)
      .where('l.incident_id', '=', incidentId)
      .orderBy('l.linked_at')
      .orderBy('l.alert_id')
      .execute();
  },
  async link(db: Executor, orgId: string, incidentId: string, alertId: string, by: string, at: Date) {
    const r = await db
      .insertInto('ir_incident_alerts')
      .values({
        incident_id: incidentId,
        org_id: orgId,
        alert_id: alertId,
        linked_at: at,
        linked_by_label: by,
      })
      .onConflict((oc) => oc.columns(['incident_id', 'alert_id']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  },
  async notifications(db: Executor, orgId: string, incidentIds: string[]) {
    if (incidentIds.length === 0) return [];
    return db
      .selectFrom('ir_notifications')
      .select(['incident_id', 'recipient', 'notified_at', 'channel', 'note', 'recorded_by_label'])
      .where('org_id', '=', orgId)
      .where('incident_id', 'in', incidentIds)
      .orderBy('notified_at')
      .execute();
  },
  async insertNotification(
    db: Executor,
    n: {
      id: string;
      org_id: string;
      incident_id: string;
      recipient: string;
      notified_at: Date;
      channel: string;
      note: string | null;
      recorded_by_org_id: string | null;
      recorded_by_label: string;
      recorded_at: Date;
    },
  ) {
    await db.insertInto('ir_notifications').values(n).execute();
  },
};
