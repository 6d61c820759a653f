import type { Db } from '../../../platform/db/db.ts';
import { assessmentsRepo } from '../../suppliers/assessments.repo.ts';
import { registerState, type SupplierState } from '../../suppliers/register-state.ts';
import { suppliersRepo } from '../../suppliers/suppliers.repo.ts';
import type { RegisterRow, SignoffRow, SupplierRow } from '../../suppliers/suppliers.types.ts';
import type { CheckInput } from '../check.types.ts';

/** What the supply chain checks read of an agreement's MSP: the same for all its customers. */
export interface MspSupplyChain {
  name: string | null;
  register: RegisterRow | null;
  /** The active entries the MSP publishes to its customers. */
  published: SupplierRow[];
  /** Those entries with their assessments and treatments (SCR-02). */
  publishedStates: SupplierState[];
  /** Sign-offs of the published entries' assessments awaiting sign-off. */
  signoffs: SignoffRow[];
}

const cache = new WeakMap<Db, Map<string, Promise<MspSupplyChain>>>();

async function readMsp(db: Db, mspOrgId: string, now: Date): Promise<MspSupplyChain> {
  const org = await db.selectFrom('orgs').select('name').where('id', '=', mspOrgId).executeTakeFirst();
  const state = await registerState(db, mspOrgId, now);
  const publishedStates = state.suppliers.filter((s) => s.supplier.published);
  const awaiting = publishedStates.flatMap((s) =>
    s.inProgress?.status === 'submitted' ? [s.inProgress.id] : [],
  );
  return {
    name: org?.name ?? null,
    register: state.register,
    published: publishedStates.map((s) => s.supplier),
    publishedStates,
    signoffs: await assessmentsRepo.signoffs(db, mspOrgId, awaiting),
  };
}

/**
 * The MSP's side, read once for all its agreements evaluated at the same instant (a run shares its
 * `now`), so a portfolio costs a few queries per MSP rather than per customer. Keyed by database
 * handle too; a failed read is not remembered.
 */
export function mspSupplyChain(input: CheckInput): Promise<MspSupplyChain> {
  let byKey = cache.get(input.db);
  if (!byKey) cache.set(input.db, (byKey = new Map()));
  const key = `${input.mspOrgId}|${input.now.getTime()}`;
  let hit = byKey.get(key);
  if (!hit) {
    if (byKey.size > 64) byKey.clear();
    hit = readMsp(input.db, input.mspOrgId, input.now);
    hit.catch(() => byKey.delete(key));
    byKey.set(key, hit);
  }
  return hit;
}

/** The customer's active entries and its register row (no row: no register, one query). */
export async function customerRegister(input: CheckInput) {
  const register = (await suppliersRepo.register(input.db, input.customerOrgId)) ?? null;
  return { register, entries: register ? await suppliersRepo.list(input.db, input.customerOrgId) : [] };
}
