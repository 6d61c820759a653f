import { sql } from 'kysely';
import type { Executor } from '../../platform/db/db.ts';
import type { EventRow } from './event-row.ts';

/** Day partitions known to exist, per database handle (creating one is idempotent but not free). */
const knownPartitions = new WeakMap<object, Set<string>>();

const dayOf = (iso: string) => iso.slice(0, 10);
const partitionName = (day: string) => `events_p${day.replace(/-/g, '')}`;

/**
 * Creates the daily partitions the rows need, each in its own statement outside the batch's
 * transaction. Two writers racing to create the same day is harmless: the loser sees it exists.
 */
export async function ensurePartitions(db: Executor, times: Iterable<string>): Promise<void> {
  const days = new Set<string>();
  for (const t of times) days.add(dayOf(t));
  let known = knownPartitions.get(db);
  if (!known) knownPartitions.set(db, (known = new Set()));
  for (const day of days) {
    if (known.has(day)) continue;
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    try {
      await sql
        .raw(
          `create table if not exists ${partitionName(day)} partition of events for values from ('${day}T00:00:00Z') to ('${next}T00:00:00Z')`,
        )
        .execute(db);
    } catch (e) {
      const exists = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_class where relname = ${partitionName(day)}`.execute(db);
      if (exists.rows[0]?.n !== 1) throw e;
    }
    known.add(day);
  }
}

/** Forgets the partitions cached for a database (after retention dropped some). */
export function forgetPartitions(db: Executor): void {
  knownPartitions.delete(db);
}

/**
 * Bulk insert through unnest(): one statement and 27 array parameters whatever the batch size,
 * so large batches cost one round trip, on PGlite and PostgreSQL alike.
 */
export async function insertEvents(
  tx: Executor,
  orgId: string,
  sourceId: string,
  batchId: string,
  receivedAt: string,
  rows: EventRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: EventRow, i: number) => T) => rows.map(f);
  await sql`
    insert into events (org_id, time, source_id, batch_id, batch_pos, received_at, class, activity, outcome,
      reason, reason_detail, username, user_domain, target_user, grp, src_ip, src_port, geo, dst_host, app,
      auth_protocol, mfa_used, process_name, command_line, vendor_event_id, is_msp, raw)
    select ${orgId}::uuid, t.time, ${sourceId}::uuid, ${batchId}::uuid, t.pos, ${receivedAt}::timestamptz, t.class,
      t.activity, t.outcome, t.reason, t.reason_detail, t.username, t.user_domain, t.target_user, t.grp, t.src_ip,
      t.src_port, t.geo, t.dst_host, t.app, t.auth_protocol, t.mfa_used, t.process_name, t.command_line,
      t.vendor_event_id, t.is_msp, t.raw
    from unnest(
      ${col((r) => r.time)}::timestamptz[], ${col((_r, i) => i)}::int[], ${col((r) => r.class)}::text[],
      ${col((r) => r.activity)}::text[], ${col((r) => r.outcome)}::text[], ${col((r) => r.reason)}::text[],
      ${col((r) => r.reasonDetail)}::text[], ${col((r) => r.user)}::text[], ${col((r) => r.userDomain)}::text[],
      ${col((r) => r.targetUser)}::text[], ${col((r) => r.group)}::text[], ${col((r) => r.srcIp)}::text[],
      ${col((r) => r.srcPort)}::int[], ${col((r) => (r.geo === null ? null : JSON.stringify(r.geo)))}::jsonb[],
      ${col((r) => r.dstHost)}::text[], ${col((r) => r.app)}::text[], ${col((r) => r.authProtocol)}::text[],
      ${col((r) => r.mfaUsed)}::boolean[], ${col((r) => r.processName)}::text[], ${col((r) => r.commandLine)}::text[],
      ${col((r) => r.vendorEventId)}::text[], ${col((r) => r.isMsp)}::boolean[], ${col((r) => r.raw)}::text[]
    ) as t(time, pos, class, activity, outcome, reason, reason_detail, username, user_domain, target_user, grp,
      src_ip, src_port, geo, dst_host, app, auth_protocol, mfa_used, process_name, command_line, vendor_event_id,
      is_msp, raw)`.execute(tx);
}

interface DbEvent {
  id: string | number | bigint;
  time: Date;
  received_at: Date;
  source_id: string;
  class: string;
  activity: string;
  outcome: string;
  reason: string | null;
  reason_detail: string | null;
  username: string | null;
  user_domain: string | null;
  target_user: string | null;
  grp: string | null;
  src_ip: string | null;
  src_port: number | null;
  geo: unknown;
  dst_host: string | null;
  app: string | null;
  auth_protocol: string | null;
  mfa_used: boolean | null;
  process_name: string | null;
  command_line: string | null;
  vendor_event_id: string | null;
  is_msp: boolean;
  raw: string;
}

export interface StoredEventRow extends EventRow {
  id: string;
  sourceId: string;
  receivedAt: string;
}

export function fromDb(r: DbEvent): StoredEventRow {
  return {
    id: String(r.id),
    sourceId: r.source_id,
    receivedAt: new Date(r.received_at).toISOString(),
    time: new Date(r.time).toISOString(),
    class: r.class,
    activity: r.activity,
    outcome: r.outcome,
    reason: r.reason,
    reasonDetail: r.reason_detail,
    user: r.username,
    userDomain: r.user_domain,
    targetUser: r.target_user,
    group: r.grp,
    srcIp: r.src_ip,
    srcPort: r.src_port,
    geo: typeof r.geo === 'string' ? JSON.parse(r.geo) : r.geo,
    dstHost: r.dst_host,
    app: r.app,
    authProtocol: r.auth_protocol,
    mfaUsed: r.mfa_used,
    processName: r.process_name,
    commandLine: r.command_line,
    vendorEventId: r.vendor_event_id,
    isMsp: r.is_msp,
    raw: r.raw,
  };
}

export async function eventsOfBatch(db: Executor, orgId: string, batchId: string): Promise<StoredEventRow[]> {
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('batch_id', '=', batchId)
    .orderBy('batch_pos')
    .execute();
  return rows.map((r) => fromDb(r as unknown as DbEvent));
}

export type { DbEvent };
