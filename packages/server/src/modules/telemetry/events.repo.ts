import { CompiledQuery, sql } from 'kysely';
import { copyField } from '../../platform/db/copy.ts';
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

/** COPY's columns: the batch's constants first (one prefix for every line), then the event's fields. */
const COPY_COLUMNS =
  `org_id, source_id, batch_id, received_at, time, batch_pos, class, activity, outcome, reason,
  reason_detail, username, user_domain, target_user, grp, src_ip, src_port, geo, dst_host, app, auth_protocol,
  mfa_used, process_name, command_line, vendor_event_id, is_msp, raw,
  dst_ip, dst_port, protocol, action, signature, signature_id, severity`.replace(/\s+/g, ' ');

/** The batch's rows in COPY text format, one line each, in the order of COPY_COLUMNS. */
export function eventsCopyText(
  orgId: string,
  sourceId: string,
  batchId: string,
  receivedAt: string,
  rows: EventRow[],
): string {
  const prefix = `${copyField(orgId)}\t${copyField(sourceId)}\t${copyField(batchId)}\t${copyField(receivedAt)}\t`;
  const lines: string[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    lines[i] =
      `${prefix}${copyField(r.time)}\t${i}\t${copyField(r.class)}\t${copyField(r.activity)}\t` +
      `${copyField(r.outcome)}\t${copyField(r.reason)}\t${copyField(r.reasonDetail)}\t${copyField(r.user)}\t` +
      `${copyField(r.userDomain)}\t${copyField(r.targetUser)}\t${copyField(r.group)}\t${copyField(r.srcIp)}\t` +
      `${copyField(r.srcPort)}\t${copyField(r.geo === null ? null : JSON.stringify(r.geo))}\t` +
      `${copyField(r.dstHost)}\t${copyField(r.app)}\t${copyField(r.authProtocol)}\t${copyField(r.mfaUsed)}\t` +
      `${copyField(r.processName)}\t${copyField(r.commandLine)}\t${copyField(r.vendorEventId)}\t` +
      `${copyField(r.isMsp)}\t${copyField(r.raw)}\t` +
      `${copyField(r.dstIp ?? null)}\t${copyField(r.dstPort ?? null)}\t${copyField(r.protocol ?? null)}\t` +
      `${copyField(r.action ?? null)}\t${copyField(r.signature ?? null)}\t` +
      `${copyField(r.signatureId ?? null)}\t${copyField(r.severity ?? null)}\n`;
  }
  return lines.join('');
}

/**
 * Bulk insert through COPY ... FROM STDIN (platform/db/copy.ts): one statement whatever the batch
 * size, rows routed to their day partitions by the database, on PGlite and PostgreSQL alike. The
 * day partitions must exist (ensurePartitions).
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
  const text = eventsCopyText(orgId, sourceId, batchId, receivedAt, rows);
  await tx.executeQuery(CompiledQuery.raw(`copy events (${COPY_COLUMNS}) from stdin`, [text]));
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
  dst_ip?: string | null;
  dst_port?: number | null;
  protocol?: string | null;
  action?: string | null;
  signature?: string | null;
  signature_id?: string | null;
  severity?: string | null;
}

export interface StoredEventRow extends EventRow {
  dstIp: string | null;
  dstPort: number | null;
  protocol: string | null;
  action: string | null;
  signature: string | null;
  signatureId: string | null;
  severity: string | null;
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
    dstIp: r.dst_ip ?? null,
    dstPort: r.dst_port ?? null,
    protocol: r.protocol ?? null,
    action: r.action ?? null,
    signature: r.signature ?? null,
    signatureId: r.signature_id ?? null,
    severity: r.severity ?? null,
  };
}

/**
 * A batch's events in their order. Read along (org_id, time) within the batch's time range: no
 * index on batch_id (its upkeep would slow every ingest). An event moved out of that range is not
 * returned here; verifyStoredLogs finds it with the events of no batch.
 */
export async function eventsOfBatch(
  db: Executor,
  orgId: string,
  batch: { id: string; min_time: Date | string | null; max_time: Date | string | null },
): Promise<StoredEventRow[]> {
  if (batch.min_time === null || batch.max_time === null) return [];
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('time', '>=', new Date(batch.min_time))
    .where('time', '<=', new Date(batch.max_time))
    .where('batch_id', '=', batch.id)
    .orderBy('batch_pos')
    .execute();
  return rows.map((r) => fromDb(r as unknown as DbEvent));
}

export type { DbEvent };
