import { sql } from 'kysely';
import { AppError } from '../../platform/errors.ts';
import { requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/db.ts';
import { contentHashOf, sealOf, GENESIS_SEAL } from './ingest.service.ts';
import { eventsOfBatch, fromDb, type DbEvent, type StoredEventRow } from './events.repo.ts';

export interface LogsVerification {
  ok: boolean;
  batches: number;
  events: number;
  firstBrokenSeq: number | null;
  reason: string | null;
}

export interface EventFilter {
  from?: string | undefined;
  to?: string | undefined;
  sourceId?: string | undefined;
  class?: string | undefined;
  activity?: string | undefined;
  outcome?: string | undefined;
  reason?: string | undefined;
  user?: string | undefined;
  srcIp?: string | undefined;
  dstIp?: string | undefined;
  isMsp?: 'true' | 'false' | undefined;
  q?: string | undefined;
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string | undefined;
}

const encodeCursor = (e: StoredEventRow) => Buffer.from(`${e.time}|${e.id}`).toString('base64url');
function decodeCursor(c: string): { time: string; id: string } {
  const [time, id] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  if (!time || !id || Number.isNaN(Date.parse(time)) || !/^\d+$/.test(id)) {
    throw new AppError('validation_failed', 'the cursor is not one this API gave out');
  }
  return { time, id };
}

export type LogsService = ReturnType<typeof createLogsService>;

export function createLogsService({ db }: { db: Db }) {
  /**
   * Recomputes the tenant's seal chain from the stored events (optionally only batches whose events
   * fall in [from, to]) and names the first batch that was altered, lost events, gained events, or
   * does not link to its predecessor; events belonging to no sealed batch are reported too.
   */
  async function verify(
    ctx: RequestContext,
    orgId: string,
    range: { from?: string; to?: string } = {},
  ): Promise<LogsVerification> {
    await requireTenant(db, ctx, orgId, 'logs:read');
    return verifyStoredLogs(db, orgId, range);
  }

  async function search(
    ctx: RequestContext,
    orgId: string,
    f: EventFilter,
  ): Promise<{ events: StoredEventRow[]; nextCursor: string | null }> {
    await requireTenant(db, ctx, orgId, 'logs:read');
    let q = db.selectFrom('events').selectAll().where('org_id', '=', orgId);
    if (f.from) q = q.where('time', '>=', new Date(f.from));
    if (f.to) q = q.where('time', '<', new Date(f.to));
    if (f.sourceId) q = q.where('source_id', '=', f.sourceId);
    if (f.class) q = q.where('class', '=', f.class);
    if (f.activity) q = q.where('activity', '=', f.activity);
    if (f.outcome) q = q.where('outcome', '=', f.outcome);
    if (f.reason) q = q.where('reason', '=', f.reason);
    if (f.user) q = q.where('username', '=', f.user);
    if (f.srcIp) q = q.where('src_ip', '=', f.srcIp);
    if (f.dstIp) q = q.where('dst_ip', '=', f.dstIp);
    if (f.isMsp) q = q.where('is_msp', '=', f.isMsp === 'true');
    if (f.q) q = q.where('raw', 'ilike', `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    if (f.cursor) {
      const c = decodeCursor(f.cursor);
      const op = f.order === 'desc' ? '<' : '>';
      q = q.where(sql<boolean>`(time, id) ${sql.raw(op)} (${c.time}::timestamptz, ${c.id}::bigint)`);
    }
    const rows = await q
      .orderBy('time', f.order)
      .orderBy('id', f.order)
      .limit(f.limit + 1)
      .execute();
    const events = rows.slice(0, f.limit).map((r) => fromDb(r as unknown as DbEvent));
    return { events, nextCursor: rows.length > f.limit ? encodeCursor(events[events.length - 1]!) : null };
  }

  async function quarantine(ctx: RequestContext, orgId: string, limit = 100) {
    await requireTenant(db, ctx, orgId, 'logs:read');
    return db
      .selectFrom('quarantine')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('replayed_at', 'is', null)
      .orderBy('received_at', 'desc')
      .limit(limit)
      .execute();
  }

  return { verify, search, quarantine };
}

export async function verifyStoredLogs(
  db: Db,
  orgId: string,
  range: { from?: string; to?: string } = {},
): Promise<LogsVerification> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (tx) => {
      let q = tx.selectFrom('ingest_batches').selectAll().where('org_id', '=', orgId);
      if (range.to) q = q.where('min_time', '<', new Date(range.to));
      if (range.from) q = q.where('max_time', '>=', new Date(range.from));
      const batches = await q.orderBy('seq').execute();
      let events = 0;
      let prev: { seq: number; seal: string } | null = null;
      const broken = (seq: number, reason: string): LogsVerification => ({
        ok: false,
        batches: batches.length,
        events,
        firstBrokenSeq: seq,
        reason,
      });
      for (const b of batches) {
        const seq = Number(b.seq);
        // The link to the previous batch: from the one verified just before, else from the store.
        const expectedPrev =
          prev && prev.seq === seq - 1
            ? prev.seal
            : seq === 1
              ? GENESIS_SEAL
              : ((
                  await tx
                    .selectFrom('ingest_batches')
                    .select('seal')
                    .where('org_id', '=', orgId)
                    .where('seq', '=', seq - 1)
                    .executeTakeFirst()
                )?.seal ?? null);
        if (expectedPrev === null) return broken(seq, `batch ${seq - 1} is missing from the chain`);
        if (b.prev_seal !== expectedPrev) return broken(seq, 'it does not link to the previous batch');
        const header = {
          orgId,
          seq,
          batchId: b.id,
          sourceId: b.source_id,
          receivedAt: new Date(b.received_at).toISOString(),
          eventCount: b.event_count,
          contentHash: b.content_hash,
          prevSeal: b.prev_seal,
        };
        if (sealOf(header) !== b.seal) return broken(seq, 'its seal does not match its header (altered)');
        if (!b.expired_at) {
          const rows = await eventsOfBatch(tx, orgId, b);
          events += rows.length;
          if (rows.length !== b.event_count) {
            return broken(
              seq,
              `it holds ${rows.length} events but was sealed with ${b.event_count} (events ${rows.length < b.event_count ? 'deleted' : 'inserted'})`,
            );
          }
          if (contentHashOf(b.source_id, rows) !== b.content_hash)
            return broken(seq, 'an event in it was altered');
        }
        prev = { seq, seal: b.seal };
      }
      // Events that belong to no sealed batch were inserted behind ingest's back; events outside
      // their batch's time range were moved (or inserted) there, and eventsOfBatch did not see them.
      const strays = await sql<{ n: number }>`
        select count(*)::int as n from events e where e.org_id = ${orgId}
        and not exists (select 1 from ingest_batches b where b.id = e.batch_id and b.org_id = e.org_id
          and e.time >= b.min_time and e.time <= b.max_time)`.execute(tx);
      const n = strays.rows[0]?.n ?? 0;
      if (n > 0)
        return {
          ok: false,
          batches: batches.length,
          events,
          firstBrokenSeq: null,
          reason: `${n} event(s) belong to no sealed batch or lie outside its time range (inserted)`,
        };
      return { ok: true, batches: batches.length, events, firstBrokenSeq: null, reason: null };
    });
}
