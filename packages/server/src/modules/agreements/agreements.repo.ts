import type { Executor } from '../../platform/db/db.ts';
import type { AgreementContent } from '@accord/contracts';

export type VersionState = 'draft' | 'proposed' | 'active' | 'superseded' | 'rejected' | 'withdrawn';

export interface AgreementRow {
  id: string;
  msp_org_id: string;
  customer_org_id: string;
  title: string;
  created_at: Date;
  updated_at: Date;
  ended_at: Date | null;
}
export interface VersionRow {
  id: string;
  agreement_id: string;
  version: number;
  state: VersionState;
  content: AgreementContent;
  digest: string | null;
  created_by_org_id: string;
  created_at: Date;
  proposed_at: Date | null;
  activated_at: Date | null;
  note: string | null;
}
export interface AcceptanceRow {
  version_id: string;
  party: 'msp' | 'customer';
  org_id: string;
  user_id: string | null;
  user_label: string;
  digest: string;
  accepted_at: Date;
}

const V_COLS = [
  'id',
  'agreement_id',
  'version',
  'state',
  'content',
  'digest',
  'created_by_org_id',
  'created_at',
  'proposed_at',
  'activated_at',
  'note',
] as const;

const parse = (r: Record<string, unknown>): VersionRow =>
  ({ ...r, content: typeof r.content === 'string' ? JSON.parse(r.content) : r.content }) as VersionRow;

/**
 * Every read takes the caller's organisation and returns only agreements it is a party to; an MSP
 * sees them only while its relationship with the customer is active. `orgId` null = operator.
 */
export const agreementsRepo = {
  scoped(db: Executor, orgId: string | null) {
    let q = db.selectFrom('agreements as a').selectAll('a');
    if (orgId !== null) {
      q = q.where((eb) =>
        eb.or([
          eb('a.customer_org_id', '=', orgId),
          eb.and([
            eb('a.msp_org_id', '=', orgId),
            eb.exists(
              eb
                .selectFrom('relationships as r')
                .select('r.id')
                .whereRef('r.msp_org_id', '=', 'a.msp_org_id')
                .whereRef('r.customer_org_id', '=', 'a.customer_org_id')
                .where('r.status', '=', 'active'),
            ),
          ]),
        ]),
      );
    }
    return q;
  },
  async get(db: Executor, orgId: string | null, id: string, lock = false): Promise<AgreementRow | undefined> {
    let q = this.scoped(db, orgId).where('a.id', '=', id);
    if (lock) q = q.forUpdate('a');
    return q.executeTakeFirst() as Promise<AgreementRow | undefined>;
  },
  async list(db: Executor, orgId: string | null): Promise<AgreementRow[]> {
    return this.scoped(db, orgId).orderBy('a.created_at').execute() as Promise<AgreementRow[]>;
  },
  async insert(db: Executor, a: { id: string; msp_org_id: string; customer_org_id: string; title: string }) {
    await db.insertInto('agreements').values(a).execute();
  },
  async touch(db: Executor, id: string, title?: string) {
    await db
      .updateTable('agreements')
      .set({ updated_at: new Date(), ...(title ? { title } : {}) })
      .where('id', '=', id)
      .execute();
  },
  /** Versions of agreements already authorised by the caller (ids come from a scoped read). */
  async versions(db: Executor, agreementIds: string[]): Promise<VersionRow[]> {
    if (agreementIds.length === 0) return [];
    const rows = await db
      .selectFrom('agreement_versions')
      .select(V_COLS)
      .where('agreement_id', 'in', agreementIds)
      .orderBy('version')
      .execute();
    return rows.map(parse);
  },
  async version(db: Executor, agreementId: string, version: number): Promise<VersionRow | undefined> {
    const r = await db
      .selectFrom('agreement_versions')
      .select(V_COLS)
      .where('agreement_id', '=', agreementId)
      .where('version', '=', version)
      .executeTakeFirst();
    return r ? parse(r) : undefined;
  },
  async insertVersion(
    db: Executor,
    v: {
      id: string;
      agreement_id: string;
      msp_org_id: string;
      customer_org_id: string;
      version: number;
      content: AgreementContent;
      created_by_org_id: string;
      created_by_user_id: string | null;
      note: string | null;
    },
  ) {
    await db
      .insertInto('agreement_versions')
      .values({ ...v, state: 'draft', content: JSON.stringify(v.content) })
      .execute();
  },
  async updateDraftContent(db: Executor, versionId: string, content: AgreementContent, note: string | null) {
    await db
      .updateTable('agreement_versions')
      .set({ content: JSON.stringify(content), note })
      .where('id', '=', versionId)
      .where('state', '=', 'draft')
      .execute();
  },
  async setState(db: Executor, versionId: string, state: VersionState, extra: { digest?: string } = {}) {
    const now = new Date();
    await db
      .updateTable('agreement_versions')
      .set({
        state,
        ...(extra.digest ? { digest: extra.digest } : {}),
        ...(state === 'proposed' ? { proposed_at: now } : {}),
        ...(state === 'active' ? { activated_at: now } : {}),
        ...(['superseded', 'rejected', 'withdrawn'].includes(state) ? { closed_at: now } : {}),
      })
      .where('id', '=', versionId)
      .execute();
  },
  async acceptances(db: Executor, versionIds: string[]): Promise<AcceptanceRow[]> {
    if (versionIds.length === 0) return [];
    return db
      .selectFrom('agreement_acceptances')
      .selectAll()
      .where('version_id', 'in', versionIds)
      .orderBy('accepted_at')
      .execute() as Promise<AcceptanceRow[]>;
  },
  async insertAcceptance(db: Executor, a: Omit<AcceptanceRow, 'accepted_at'>) {
    await db.insertInto('agreement_acceptances').values(a).execute();
  },
};
