import { sql } from 'kysely';
import { AppError } from '../../platform/errors.ts';
import { requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/db.ts';
import { requiredRetention, type Requirement } from './retention.service.ts';
import { isSilent, type SourceRow } from './sources.service.ts';

/**
 * Log coverage (LOG-01 evidence): per source, how far back its events go, how many arrived each
 * day of a recent window, which whole days are missing, and whether it has gone silent; per
 * tenant, how many days of events the store holds against the retention it must keep.
 *
 * Oldest and newest events per source come from the tenant's unexpired ingest batches: retention
 * leaves a batch either whole or expired and empty (retention.service.ts), so their time ranges
 * are exactly the events held, without scanning events. The tenant's oldest event is read from
 * `events` itself (first row of the (org_id, time) index): proof the store can produce it.
 */

const DAY_MS = 86_400_000;
const MAX_WINDOW_DAYS = 366;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const isoOrNull = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

export interface SourceCoverage {
  sourceId: string;
  name: string;
  kind: string;
  expectedIntervalMinutes: number;
  disabled: boolean;
  oldestEvent: string | null;
  newestEvent: string | null;
  eventsHeld: number;
  lastReceivedAt: string | null;
  /** No delivery within the expected interval (disabled sources are never silent). */
  silent: boolean;
  /** Every day of the window, oldest first, zeros included. */
  perDay: { day: string; events: number }[];
  /**
   * Whole days in the window, from the source's first event to yesterday, without a single event;
   * null when the source is not expected daily (interval over a day). Today is left to `silent`.
   */
  gapDays: string[] | null;
  /** The oldest event reaches back to the retention, or to the source's registration if younger. */
  historyComplete: boolean;
}
export interface Coverage {
  orgId: string;
  now: string;
  windowDays: number;
  sources: SourceCoverage[];
  tenant: {
    oldestEvent: string | null;
    daysHeld: number;
    requiredDays: number;
    requirement: Requirement;
    /** The store holds (and produced) an event at least `requiredDays` old. */
    reachesRequired: boolean;
    sourcesMissingHistory: number;
  };
}

export type CoverageService = ReturnType<typeof createCoverageService>;

export function createCoverageService({
  db,
  retention,
}: {
  db: Db;
  /** The retention service's requiredDays; by default computed here with the 180-day default. */
  retention?: { requiredDays(orgId: string): Promise<Requirement> };
}) {
  async function coverage(
    ctx: RequestContext,
    orgId: string,
    now = new Date(),
    { days = 30 }: { days?: number } = {},
  ): Promise<Coverage> {
    await requireTenant(db, ctx, orgId, 'logs:read');
    if (!Number.isInteger(days) || days < 1 || days > MAX_WINDOW_DAYS)
      throw new AppError('validation_failed', `the window must be 1 to ${MAX_WINDOW_DAYS} days, not ${days}`);
    const t = now.getTime();
    const today = Date.parse(`${dayOf(t)}T00:00:00Z`);
    const from = today - (days - 1) * DAY_MS; // the window: `days` UTC days ending with today
    const window = Array.from({ length: days }, (_, i) => dayOf(from + i * DAY_MS));

    const sources = await db
      .selectFrom('log_sources')
      .select([
        'id',
        'kind',
        'name',
        'expected_interval_minutes',
        'created_at',
        'disabled_at',
        'last_received_at',
      ])
      .where('org_id', '=', orgId)
      .orderBy('name')
      .execute();
    const held = await sql<{ source_id: string; oldest: Date; newest: Date; n: string | number }>`
      select source_id, min(min_time) as oldest, max(max_time) as newest, sum(event_count)::bigint as n
      from ingest_batches where org_id = ${orgId} and expired_at is null group by source_id`.execute(db);
    // Bounded by the window on `time`: only the window's partitions are read, through the index.
    const daily = await sql<{ source_id: string; day: string; n: number }>`
      select source_id, to_char(time at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as n
      from events where org_id = ${orgId} and time >= ${new Date(from)} and time < ${new Date(today + DAY_MS)}
      group by 1, 2`.execute(db);
    const first = await sql<{ time: Date }>`
      select time from events where org_id = ${orgId} order by time limit 1`.execute(db);
    const requirement = await (retention ? retention.requiredDays(orgId) : requiredRetention(db, orgId));

    const requiredFrom = t - requirement.days * DAY_MS;
    const heldBy = new Map(held.rows.map((r) => [r.source_id, r]));
    const counts = new Map(daily.rows.map((r) => [`${r.source_id} ${r.day}`, r.n]));
    const todayDay = dayOf(today);
    const out: SourceCoverage[] = sources.map((s) => {
      const h = heldBy.get(s.id);
      const oldest = h ? new Date(h.oldest).getTime() : null;
      const perDay = window.map((day) => ({ day, events: counts.get(`${s.id} ${day}`) ?? 0 }));
      const firstDay = oldest === null ? null : dayOf(oldest);
      const gapDays =
        s.expected_interval_minutes > 1440
          ? null
          : firstDay === null
            ? []
            : perDay.filter((d) => d.events === 0 && d.day >= firstDay && d.day < todayDay).map((d) => d.day);
      const expectedFrom = Math.max(requiredFrom, new Date(s.created_at).getTime());
      return {
        sourceId: s.id,
        name: s.name,
        kind: s.kind,
        expectedIntervalMinutes: s.expected_interval_minutes,
        disabled: s.disabled_at !== null,
        oldestEvent: isoOrNull(h?.oldest),
        newestEvent: isoOrNull(h?.newest),
        eventsHeld: h ? Number(h.n) : 0,
        lastReceivedAt: isoOrNull(s.last_received_at),
        silent: isSilent(s as SourceRow, t),
        perDay,
        gapDays,
        historyComplete: oldest !== null && oldest <= expectedFrom,
      };
    });
    const oldest = first.rows[0] ? new Date(first.rows[0].time).getTime() : null;
    return {
      orgId,
      now: now.toISOString(),
      windowDays: days,
      sources: out,
      tenant: {
        oldestEvent: oldest === null ? null : new Date(oldest).toISOString(),
        daysHeld: oldest === null ? 0 : Math.max(0, Math.floor((t - oldest) / DAY_MS)),
        requiredDays: requirement.days,
        requirement,
        reachesRequired: oldest !== null && oldest <= requiredFrom,
        sourcesMissingHistory: out.filter((s) => !s.historyComplete && !s.disabled).length,
      },
    };
  }

  return { coverage };
}
