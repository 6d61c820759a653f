import type { Executor } from '../../../platform/db/db.ts';

/** Reads an agreement parameter of the expected type, or throws (the check then reports an error). */
export function num(params: Record<string, unknown>, name: string): number {
  const v = params[name];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`parameter ${name} is not a number`);
  return v;
}

export function list(params: Record<string, unknown>, name: string): string[] {
  const v = params[name] ?? [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new Error(`parameter ${name} is not a list of strings`);
  return v as string[];
}

export const DAY_MS = 86_400_000;
export const days = (ms: number) => Math.floor(ms / DAY_MS);
export const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** pass when every requirement holds, fail when none does, partial in between. */
export function share(ok: number, of: number): 'pass' | 'partial' | 'fail' {
  return ok === of ? 'pass' : ok === 0 ? 'fail' : 'partial';
}

/**
 * When the organisation's newest logs arrived: the time the data of event-based checks was
 * collected. No delivery within the cadence makes their results stale (unknown), not pass.
 */
export async function lastDelivery(db: Executor, orgId: string): Promise<Date | null> {
  const r = await db
    .selectFrom('log_sources')
    .select((eb) => eb.fn.max('last_received_at').as('at'))
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  return r?.at ? new Date(r.at as Date) : null;
}
