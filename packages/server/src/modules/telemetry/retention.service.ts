import { sql } from 'kysely';
import { AppError } from '../../platform/errors.ts';
import { systemContext, type RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { forgetPartitions } from './events.repo.ts';
import { startIntervalJob } from '../../platform/interval-job.ts';

/**
 * Log retention (LOG-01). `events` is partitioned by UTC day and the partitions are shared by all
 * tenants, so a day is dropped whole, and only when EVERY tenant with events in it is past its own
 * retention for the whole day. Invariants:
 * - a tenant's retention is the longest LOG-01 term of its active agreements (as customer or MSP),
 *   never under 180 days unless that agreement records an override; no agreement: `defaultDays`;
 * - after a run an ingest batch either still holds all its events, or is expired and holds none.
 *   Seal verification checks the first kind and skips the content of the second, so it never
 *   reports a false break. A batch whose events span several days is the hard case:
 *   - if one of its days must be kept, its other days are kept too ("held", with the reason);
 *   - if all its days are past retention but only some are dropped (the rest held by another
 *     batch), it is expired and its few events in the held days are deleted with it.
 *   Holding never cascades (which would stop retention for good on a source whose batches cross
 *   midnight), and nothing deleted was still required by any tenant.
 */

const DAY_MS = 86_400_000;
/** The advisory's six months: keeping less needs an override recorded in the agreement. */
export const ADVISORY_FLOOR_DAYS = 180;
const PARTITION_RE = /^events_p(\d{4})(\d{2})(\d{2})$/;

export interface Requirement {
  orgId: string;
  days: number;
  /** default: no active agreement; agreement: its longest LOG-01 term; override: under 180, recorded. */
  basis: 'default' | 'agreement' | 'override';
  overridden: boolean;
  justification: string | null;
  agreementId: string | null;
  version: number | null;
}
type Term = Omit<Requirement, 'orgId' | 'basis'> & { orgIds: string[] };
/** One day partition: [start, end) in epoch ms. */
type Day = { name: string; day: string; start: number; end: number };
/** A tenant still needing a day, and until when. */
export type TenantNeed = { orgId: string; requiredDays: number; until: string };
export interface RetentionPlan {
  now: string;
  drop: { partition: string; day: string; tenants: { orgId: string; events: number }[] }[];
  /** Every other day, with why: the tenants that still need it, or the batch that holds it. */
  keep: { partition: string; day: string; reason: string; requiredBy: TenantNeed[] }[];
}
export type TenantRemoval = { orgId: string; daysDropped: string[]; eventsRemoved: number } & {
  batchesExpired: number;
  requiredDays: number;
  overridden: boolean;
};
export type RetentionRun = { dryRun: boolean; plan: RetentionPlan } & {
  dropped: string[];
  tenants: TenantRemoval[];
};

/** The LOG-01 retention term an active version sets (default when it has no LOG-01). */
function termOf(log01: unknown, defaultDays: number) {
  const c = (typeof log01 === 'string' ? JSON.parse(log01) : log01) as {
    parameters?: Record<string, unknown>;
    overrides?: { parameter: string; justification: string }[];
  } | null;
  const value = c?.parameters?.log_retention_days;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    return { days: defaultDays, overridden: false, justification: null };
  const o = c?.overrides?.find((x) => x.parameter === 'log_retention_days');
  if (value >= ADVISORY_FLOOR_DAYS || !o)
    return { days: Math.max(value, ADVISORY_FLOOR_DAYS), overridden: false, justification: null };
  return { days: value, overridden: true, justification: o.justification };
}

/** The retention term of every active agreement version (of the given organisations, or all). */
async function activeTerms(ex: Executor, defaultDays: number, orgIds?: string[]): Promise<Term[]> {
  // Only the LOG-01 element of the content leaves the database. An agreement that has ended keeps
  // its active version, and counts: keeping logs longer is always allowed, dropping them is not.
  const mine = orgIds
    ? sql`and (v.msp_org_id = any(${orgIds}::uuid[]) or v.customer_org_id = any(${orgIds}::uuid[]))`
    : sql``;
  const r = await sql<{ orgIds: string[]; agreementId: string; version: number; log01: unknown }>`
    select array[v.msp_org_id::text, v.customer_org_id::text] as "orgIds", v.agreement_id as "agreementId",
      v.version, (select c from jsonb_array_elements(v.content->'controls') c
        where c->>'controlId' = 'LOG-01' limit 1) as log01
    from agreement_versions v where v.state = 'active' ${mine}`.execute(ex);
  return r.rows.map(({ log01, ...x }) => ({
    ...x,
    version: Number(x.version),
    ...termOf(log01, defaultDays),
  }));
}

function requirementOf(orgId: string, terms: Term[], defaultDays: number): Requirement {
  // The longest term wins; of two equal ones, the one without an override.
  let best: Term | null = null;
  for (const t of terms.filter((x) => x.orgIds.includes(orgId)))
    if (!best || t.days > best.days || (t.days === best.days && best.overridden)) best = t;
  const { orgIds: _o, ...term } = best ?? { orgIds: [], days: defaultDays, overridden: false };
  const basis = !best ? 'default' : best.overridden ? 'override' : 'agreement';
  return { orgId, justification: null, agreementId: null, version: null, ...term, basis };
}

/** How long an organisation's logs must be kept; usable without the service (coverage). */
export async function requiredRetention(ex: Executor, orgId: string, defaultDays = ADVISORY_FLOOR_DAYS) {
  return requirementOf(orgId, await activeTerms(ex, defaultDays, [orgId]), defaultDays);
}

async function listPartitions(ex: Executor): Promise<Day[]> {
  const r = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'events'::regclass`.execute(ex);
  return r.rows
    .flatMap(({ name }) => {
      const m = PARTITION_RE.exec(name);
      if (!m) return [];
      const day = `${m[1]}-${m[2]}-${m[3]}`;
      const start = Date.parse(`${day}T00:00:00Z`);
      return [{ name, day, start, end: start + DAY_MS }];
    })
    .sort((a, b) => a.start - b.start);
}

/** Events per tenant in one partition (one pass over that partition only). */
async function tenantsIn(ex: Executor, p: Day): Promise<Map<string, number>> {
  const r = await sql<{ org_id: string; n: string | number }>`
    select org_id, count(*)::bigint as n from ${sql.table(p.name)} group by org_id`.execute(ex);
  return new Map(r.rows.map((x) => [x.org_id, Number(x.n)]));
}

export type RetentionService = ReturnType<typeof createRetentionService>;

export function createRetentionService(deps: { db: Db; audit: AuditService; defaultDays?: number }) {
  const { db, audit, defaultDays = ADVISORY_FLOOR_DAYS } = deps;
  if (!Number.isInteger(defaultDays) || defaultDays < ADVISORY_FLOOR_DAYS)
    throw new AppError(
      'validation_failed',
      `default log retention ${defaultDays} days is under the advisory's 180`,
    );
  const iso = (ms: number) => new Date(ms).toISOString();

  /**
   * Decides every partition. `only` (the run's second pass, under the lock) rescans just the days
   * the first pass found droppable; without it, every day older than the shortest retention any
   * tenant has is scanned (younger days cannot be dropped whoever has events in them).
   */
  async function decide(ex: Executor, now: Date, only?: Set<string>) {
    const t = now.getTime();
    const parts = await listPartitions(ex);
    const terms = await activeTerms(ex, defaultDays);
    const minDays = terms.reduce((m, x) => Math.min(m, x.days), defaultDays);
    const reqs = new Map<string, Requirement>();
    const req = (o: string) => reqs.get(o) ?? reqs.set(o, requirementOf(o, terms, defaultDays)).get(o)!;
    const need = (p: Day, o: string): TenantNeed => {
      const r = req(o);
      return { orgId: o, requiredDays: r.days, until: iso(p.end + r.days * DAY_MS) };
    };
    const plan: RetentionPlan = { now: now.toISOString(), drop: [], keep: [] };
    const keep = (p: Day, reason: string, requiredBy: TenantNeed[] = []) =>
      plan.keep.push({ partition: p.name, day: p.day, reason, requiredBy });
    const candidates = new Map<string, { p: Day; tenants: Map<string, number> }>();
    for (const p of parts) {
      if (only ? !only.has(p.name) : p.end >= t - minDays * DAY_MS) {
        keep(p, only ? 'not a candidate' : `younger than the shortest retention (${minDays} days)`);
        continue;
      }
      const tenants = await tenantsIn(ex, p);
      // Droppable only if the whole day (its end) is past every present tenant's retention.
      const needing = [...tenants.keys()].filter((o) => !(p.end < t - req(o).days * DAY_MS));
      if (needing.length === 0) candidates.set(p.day, { p, tenants });
      else
        keep(
          p,
          'a tenant with events in it still needs it',
          needing.map((o) => need(p, o)),
        );
    }
    // Batches spanning several days, of the tenants in candidate days (most batches span one day).
    const orgs = [...new Set([...candidates.values()].flatMap((c) => [...c.tenants.keys()]))];
    const cs = [...candidates.values()].map((c) => c.p);
    const multi = orgs.length
      ? (
          await sql<{ id: string; org_id: string; min_time: Date; max_time: Date }>`
          select id, org_id, min_time, max_time from ingest_batches
          where org_id = any(${orgs}::uuid[]) and expired_at is null
            and min_time < ${new Date(cs[cs.length - 1]!.end)} and max_time >= ${new Date(cs[0]!.start)}
            and (min_time at time zone 'UTC')::date <> (max_time at time zone 'UTC')::date`.execute(ex)
        ).rows
      : [];
    // The partitions each one's time range touches (conservative: it may have no event in some).
    const spans = multi.map((b) => {
      const [lo, hi] = [new Date(b.min_time).getTime(), new Date(b.max_time).getTime()];
      return { id: b.id, orgId: b.org_id, days: parts.filter((p) => p.start <= hi && p.end > lo) };
    });
    const held = new Map<string, { reason: string; orgId: string }>();
    for (const b of spans) {
      const kept = b.days.find((p) => !candidates.has(p.day));
      if (!kept) continue;
      for (const p of b.days)
        if (candidates.has(p.day) && !held.has(p.day))
          held.set(p.day, {
            orgId: b.orgId,
            reason: `held: batch ${b.id} of tenant ${b.orgId} spans to ${kept.day}, which is kept; dropping this day would cut the batch in two`,
          });
    }
    const drop = [...candidates.values()].filter((c) => !held.has(c.p.day));
    const dropped = new Set(drop.map((c) => c.p.day));
    // Batches expiring with the dropped days that also have events in a held day: deleted there.
    const trims = new Map<string, string[]>();
    for (const b of spans)
      if (b.days.every((p) => candidates.has(p.day)) && b.days.some((p) => dropped.has(p.day)))
        for (const p of b.days.filter((x) => held.has(x.day)))
          trims.set(p.name, [...(trims.get(p.name) ?? []), b.id]);
    for (const [day, h] of held)
      keep(candidates.get(day)!.p, h.reason, [need(candidates.get(day)!.p, h.orgId)]);
    for (const c of drop)
      plan.drop.push({
        partition: c.p.name,
        day: c.p.day,
        tenants: [...c.tenants].map(([orgId, events]) => ({ orgId, events })),
      });
    plan.keep.sort((a, b) => a.day.localeCompare(b.day));
    return { plan, orgs, drop, trims, req, candidateNames: new Set(cs.map((p) => p.name)) };
  }

  /** What a run at `now` would drop, and why every other day is kept. Changes nothing. */
  async function plan(now = new Date()): Promise<RetentionPlan> {
    return (await decide(db, now)).plan;
  }

  /**
   * Drops the planned days. The expensive scan runs unlocked; then, in one transaction holding
   * off inserts into `events` (all go through the parent, whose lock is enough; reads go on), the
   * candidate days are rescanned and decided again, so an event that arrived meanwhile for a tenant
   * that needs its day is never dropped. Batches are expired, partitions dropped and each affected
   * tenant's audit entry written together. Dropping nothing changes nothing: runs are idempotent.
   */
  async function run(ctx: RequestContext, now = new Date(), { dryRun = false } = {}): Promise<RetentionRun> {
    const first = await decide(db, now);
    if (dryRun || first.drop.length === 0) return { dryRun, plan: first.plan, dropped: [], tenants: [] };
    const done = await db.transaction().execute(async (tx) => {
      await sql`lock table only events in share row exclusive mode`.execute(tx);
      const d = await decide(tx, now, first.candidateNames);
      const out = new Map<string, TenantRemoval>();
      const of = (orgId: string) => {
        const r = d.req(orgId);
        const fresh = { orgId, daysDropped: [], eventsRemoved: 0, batchesExpired: 0, requiredDays: r.days };
        return out.get(orgId) ?? out.set(orgId, { ...fresh, overridden: r.overridden }).get(orgId)!;
      };
      if (d.drop.length === 0) return { dropped: [], tenants: [] };
      for (const [name, ids] of d.trims) {
        const r = await sql<{ org_id: string; n: number }>`
          with x as (delete from ${sql.table(name)} where batch_id = any(${ids}::uuid[]) returning org_id)
          select org_id, count(*)::int as n from x group by org_id`.execute(tx);
        for (const x of r.rows) of(x.org_id).eventsRemoved += x.n;
      }
      // Every unexpired batch whose time range meets a dropped day has all its days past retention
      // (else that day would be held): expire it. Same tenants and range test as `decide`.
      const starts = d.drop.map((c) => new Date(c.p.start).toISOString());
      const expired = await sql<{ org_id: string; n: number }>`
        with u as (update ingest_batches set expired_at = ${now}
          where org_id = any(${d.orgs}::uuid[]) and expired_at is null and min_time < ${new Date(d.drop[d.drop.length - 1]!.p.end)}
            and exists (select 1 from unnest(${starts}::timestamptz[]) as s(d) where min_time < s.d + interval '24 hours' and max_time >= s.d)
          returning org_id)
        select org_id, count(*)::int as n from u group by org_id`.execute(tx);
      for (const x of expired.rows) of(x.org_id).batchesExpired += x.n;
      for (const c of d.drop) {
        for (const [orgId, n] of c.tenants) {
          of(orgId).eventsRemoved += n;
          of(orgId).daysDropped.push(c.p.day);
        }
        await sql`drop table ${sql.table(c.p.name)}`.execute(tx);
      }
      for (const r of out.values())
        await audit.record(tx, ctx, {
          orgIds: [r.orgId],
          action: 'logs.retention_dropped',
          targetType: 'log_events',
          targetId: null,
          details: { ...r },
        });
      return { dropped: d.drop.map((c) => c.p.name), tenants: [...out.values()] };
    });
    forgetPartitions(db);
    return { dryRun, plan: first.plan, ...done };
  }

  return { requiredDays: (orgId: string) => requiredRetention(db, orgId, defaultDays), plan, run };
}

/**
 * Runs retention every `intervalMs` (first run after a minute at most) on an unref'd timer: it
 * never keeps the process alive, never overlaps itself, and a failure is logged and retried at
 * the next tick. `stop()` clears the timer and waits for a run in progress.
 */
export function startRetentionJob(
  service: Pick<RetentionService, 'run'>,
  {
    intervalMs = 3_600_000,
    logger,
    ctx = systemContext('system (log retention)'),
  }: { intervalMs?: number; logger: Pick<Logger, 'info' | 'error'>; ctx?: RequestContext },
): () => Promise<void> {
  const run = async () => {
    const r = await service.run(ctx, new Date());
    if (r.dropped.length)
      logger.info({ dropped: r.dropped, tenants: r.tenants }, 'log retention dropped day partitions');
  };
  return startIntervalJob(run, {
    intervalMs,
    firstAfterMs: Math.min(60_000, intervalMs),
    logger,
    what: 'log retention run',
  });
}
