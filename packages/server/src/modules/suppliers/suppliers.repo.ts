import { sql } from 'kysely';
import type { Criticality } from '@accord/contracts';
import type { Executor } from '../../platform/db/db.ts';
import { json, type RegisterRow, type SupplierRow } from './suppliers.types.ts';

const day = (col: 'contract_start' | 'contract_end') =>
  sql<string | null>`to_char(${sql.ref(col)}, 'YYYY-MM-DD')`.as(col);
const COLS = [
  'id',
  'org_id',
  'name',
  'kind',
  'msp_org_id',
  'services',
  'products',
  'privileged_access',
  'access_description',
  'data_categories',
  'criticality',
  'published',
  'notes',
  'created_at',
  'updated_at',
  'retired_at',
  'retired_reason',
] as const;

type Raw = Omit<SupplierRow, 'services' | 'products' | 'data_categories'> & {
  services: unknown;
  products: unknown;
  data_categories: unknown;
};
const parse = (r: Raw): SupplierRow => ({
  ...r,
  services: json<string[]>(r.services),
  products: json<string[]>(r.products),
  data_categories: json<string[]>(r.data_categories),
});

/** What a create or an update writes (lists as JSON text). */
export interface SupplierValues {
  name: string;
  kind: SupplierRow['kind'];
  msp_org_id: string | null;
  services: string;
  products: string;
  privileged_access: boolean;
  access_description: string | null;
  data_categories: string;
  contract_start: string | null;
  contract_end: string | null;
  criticality: Criticality;
  published: boolean;
  notes: string | null;
}

/**
 * The supplier registers. Every method takes the owning organisation first and filters by it; the
 * service has already decided the caller may reach that organisation.
 */
export const suppliersRepo = {
  async list(db: Executor, orgId: string, includeRetired = false): Promise<SupplierRow[]> {
    let q = db.selectFrom('suppliers').select([...COLS, day('contract_start'), day('contract_end')]);
    q = q.where('org_id', '=', orgId);
    if (!includeRetired) q = q.where('retired_at', 'is', null);
    return ((await q.orderBy('name').orderBy('id').execute()) as Raw[]).map(parse);
  },
  async get(db: Executor, orgId: string, id: string, lock = false): Promise<SupplierRow | undefined> {
    let q = db
      .selectFrom('suppliers')
      .select([...COLS, day('contract_start'), day('contract_end')])
      .where('org_id', '=', orgId)
      .where('id', '=', id);
    if (lock) q = q.forUpdate();
    const r = (await q.executeTakeFirst()) as Raw | undefined;
    return r && parse(r);
  },
  /** The active entry of that name (any case), other than `exceptId`. */
  async activeNamed(db: Executor, orgId: string, name: string, exceptId?: string) {
    let q = db
      .selectFrom('suppliers')
      .select('id')
      .where('org_id', '=', orgId)
      .where('retired_at', 'is', null)
      .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()));
    if (exceptId) q = q.where('id', '<>', exceptId);
    return q.executeTakeFirst();
  },
  async insert(db: Executor, orgId: string, id: string, v: SupplierValues, at: Date): Promise<void> {
    await db
      .insertInto('suppliers')
      .values({ id, org_id: orgId, ...v, created_at: at, updated_at: at })
      .execute();
  },
  async update(db: Executor, orgId: string, id: string, v: SupplierValues, at: Date): Promise<void> {
    await db
      .updateTable('suppliers')
      .set({ ...v, updated_at: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  },
  async retire(db: Executor, orgId: string, id: string, reason: string, at: Date): Promise<void> {
    await db
      .updateTable('suppliers')
      .set({ retired_at: at, retired_reason: reason, published: false, updated_at: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  },
  /** The active entries the given MSPs publish to their customers. */
  async publishedBy(db: Executor, mspOrgIds: string[]): Promise<SupplierRow[]> {
    if (mspOrgIds.length === 0) return [];
    const rows = await db
      .selectFrom('suppliers')
      .select([...COLS, day('contract_start'), day('contract_end')])
      .where('org_id', 'in', mspOrgIds)
      .where('published', '=', true)
      .where('retired_at', 'is', null)
      .orderBy('name')
      .orderBy('id')
      .execute();
    return (rows as Raw[]).map(parse);
  },

  async register(db: Executor, orgId: string): Promise<RegisterRow | undefined> {
    const r = await db
      .selectFrom('supplier_registers')
      .selectAll()
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return r && { ...r, reassessment_days: r.reassessment_days && json(r.reassessment_days) };
  },
  /**
   * Records that something in the register changed at `at` (the verification scheduler re-runs the
   * supply chain checks after it); `published` also when the part shown to customers changed.
   */
  async touch(db: Executor, orgId: string, at: Date, published = false): Promise<void> {
    // Never moves back: a change recorded with an earlier time (an import of history) keeps the later one.
    const later = (col: 'changed_at' | 'published_changed_at') =>
      sql<Date>`greatest(${sql.ref(`supplier_registers.${col}`)}, ${sql.ref(`excluded.${col}`)})`;
    await db
      .insertInto('supplier_registers')
      .values({ org_id: orgId, changed_at: at, published_changed_at: published ? at : null })
      .onConflict((oc) =>
        oc
          .column('org_id')
          .doUpdateSet(
            published
              ? { changed_at: later('changed_at'), published_changed_at: later('published_changed_at') }
              : { changed_at: later('changed_at') },
          ),
      )
      .execute();
  },
  async setReassessmentDays(db: Executor, orgId: string, days: Record<string, number>, at: Date) {
    await this.touch(db, orgId, at);
    await db
      .updateTable('supplier_registers')
      .set({ reassessment_days: JSON.stringify(days) })
      .where('org_id', '=', orgId)
      .execute();
  },
  async recordReview(
    db: Executor,
    orgId: string,
    r: { id: string; at: Date; userId: string | null; label: string; note: string | null },
  ): Promise<void> {
    await db
      .insertInto('supplier_register_reviews')
      .values({
        id: r.id,
        org_id: orgId,
        reviewed_at: r.at,
        user_id: r.userId,
        actor_label: r.label,
        note: r.note,
      })
      .execute();
    // A review confirms the published list too (SCR-03: days since the MSP's vendor list was updated).
    await this.touch(db, orgId, r.at, true);
    await db
      .updateTable('supplier_registers')
      .set({ reviewed_at: r.at, reviewed_by: r.label })
      .where('org_id', '=', orgId)
      .execute();
  },
  async reviews(db: Executor, orgId: string, limit = 10) {
    return db
      .selectFrom('supplier_register_reviews')
      .select(['reviewed_at', 'actor_label', 'note'])
      .where('org_id', '=', orgId)
      .orderBy('reviewed_at', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
  },
  /** The registers of several organisations (a customer's and its MSP's, for the checks). */
  async registers(db: Executor, orgIds: string[]): Promise<RegisterRow[]> {
    if (orgIds.length === 0) return [];
    const rows = await db
      .selectFrom('supplier_registers')
      .selectAll()
      .where('org_id', 'in', orgIds)
      .execute();
    return rows.map((r) => ({ ...r, reassessment_days: r.reassessment_days && json(r.reassessment_days) }));
  },
};
