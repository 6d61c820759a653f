import type { Executor } from '../../platform/db/db.ts';
import type { OrgKind } from '@accord/contracts';

export interface OrgRow {
  id: string;
  name: string;
  kind: OrgKind;
  created_at: Date;
}
export interface RelationshipView {
  id: string;
  msp_org_id: string;
  msp_name: string;
  customer_org_id: string;
  customer_name: string;
  status: 'invited' | 'active' | 'ended';
  created_at: Date;
  activated_at: Date | null;
  ended_at: Date | null;
}

function relationships(db: Executor) {
  return db
    .selectFrom('relationships as r')
    .innerJoin('orgs as m', 'm.id', 'r.msp_org_id')
    .innerJoin('orgs as c', 'c.id', 'r.customer_org_id')
    .select([
      'r.id',
      'r.msp_org_id',
      'm.name as msp_name',
      'r.customer_org_id',
      'c.name as customer_name',
      'r.status',
      'r.created_at',
      'r.activated_at',
      'r.ended_at',
    ]);
}

export const orgsRepo = {
  async insert(db: Executor, org: { id: string; name: string; kind: OrgKind }): Promise<OrgRow> {
    return (await db.insertInto('orgs').values(org).returningAll().executeTakeFirstOrThrow()) as OrgRow;
  },
  async get(db: Executor, id: string): Promise<OrgRow | undefined> {
    return (await db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst()) as
      OrgRow | undefined;
  },
  async listAll(db: Executor): Promise<OrgRow[]> {
    return (await db.selectFrom('orgs').selectAll().orderBy('name').execute()) as OrgRow[];
  },
  /** Relationships the organisation is a party to (as MSP or as customer). */
  async listRelationships(db: Executor, orgId: string): Promise<RelationshipView[]> {
    return relationships(db)
      .where((eb) => eb.or([eb('r.msp_org_id', '=', orgId), eb('r.customer_org_id', '=', orgId)]))
      .orderBy('r.created_at')
      .execute();
  },
  /** A relationship the organisation is a party to; undefined (-> 404) for anyone else's. */
  async getRelationship(
    db: Executor,
    orgId: string,
    id: string,
    lock = false,
  ): Promise<RelationshipView | undefined> {
    let q = relationships(db)
      .where('r.id', '=', id)
      .where((eb) => eb.or([eb('r.msp_org_id', '=', orgId), eb('r.customer_org_id', '=', orgId)]));
    if (lock) q = q.forUpdate('r');
    return q.executeTakeFirst();
  },
  async getRelationshipById(db: Executor, id: string): Promise<RelationshipView | undefined> {
    return relationships(db).where('r.id', '=', id).executeTakeFirst();
  },
  async openRelationship(db: Executor, mspOrgId: string, customerOrgId: string) {
    return db
      .selectFrom('relationships')
      .selectAll()
      .where('msp_org_id', '=', mspOrgId)
      .where('customer_org_id', '=', customerOrgId)
      .where('status', '<>', 'ended')
      .executeTakeFirst();
  },
  async insertRelationship(
    db: Executor,
    r: { id: string; msp_org_id: string; customer_org_id: string; status: 'invited' | 'active' },
  ) {
    await db
      .insertInto('relationships')
      .values({ ...r, activated_at: r.status === 'active' ? new Date() : null })
      .execute();
  },
  async setRelationshipStatus(db: Executor, id: string, status: 'active' | 'ended'): Promise<void> {
    await db
      .updateTable('relationships')
      .set(status === 'active' ? { status, activated_at: new Date() } : { status, ended_at: new Date() })
      .where('id', '=', id)
      .execute();
  },
};
