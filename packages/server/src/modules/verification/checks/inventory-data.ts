import type { ImportKind } from '@accord/contracts';
import type { Executor } from '../../../platform/db/db.ts';
import { latestImport } from '../../inventory/kev.service.ts';
import type { EvidenceRef } from '../check.types.ts';

/**
 * A tenant's current snapshot of one inventory kind and the import it comes from: the import's
 * time is when the data was collected (`dataAt`), so a snapshot older than the control's cadence
 * makes the result stale. No import yet: `at` is null and the check has nothing in scope.
 */
export interface Snapshot<T> {
  items: T[];
  importId: string | null;
  at: Date | null;
}

export async function snapshotOf<T>(db: Executor, orgId: string, kind: ImportKind): Promise<Snapshot<T>> {
  const latest = await latestImport(db, orgId, kind);
  if (!latest) return { items: [], importId: null, at: null };
  const rows = await db
    .selectFrom('inventory_items')
    .select('data')
    .where('org_id', '=', orgId)
    .where('kind', '=', kind)
    .orderBy('item_key')
    .execute();
  return {
    items: rows.map((r) => (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as T),
    importId: latest.id,
    at: latest.at,
  };
}

/** The evidence of a snapshot: the import it rests on. */
export const importRef = (kind: ImportKind, s: Snapshot<unknown>): EvidenceRef[] =>
  s.importId
    ? [
        {
          type: 'import',
          id: s.importId,
          summary: `${kind} import of ${s.at!.toISOString()} (${s.items.length} item(s))`,
        },
      ]
    : [];

/** A set of names compared without case or surrounding blanks (exempt accounts, assets, tools). */
export function nameSet(names: string[]): { has(name: string | null | undefined): boolean } {
  const set = new Set(names.map((n) => n.trim().toLowerCase()));
  return { has: (n) => !!n && set.has(n.trim().toLowerCase()) };
}

/** The older of two collection times (a result resting on both is as old as the older). */
export const older = (a: Date | null, b: Date | null): Date | null =>
  !a || !b ? null : a.getTime() <= b.getTime() ? a : b;

/** The first `n` entries, the rest counted (evidence lists stay short). */
export const firstOf = <T>(xs: T[], n = 20) => xs.slice(0, n);

export const ms = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
};
