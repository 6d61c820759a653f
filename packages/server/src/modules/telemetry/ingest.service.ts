import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { canonicalJson } from '../../platform/canonical-json.ts';
import { sha256Hex } from '../../platform/crypto.ts';
import type { Db, Tx } from '../../platform/db/db.ts';
import type { Parser } from './parsers/parser.types.ts';
import { eventHashLine, toEventRow, type EventRow } from './event-row.ts';
import { ensurePartitions, forgetPartitions, insertEvents } from './events.repo.ts';
import type { SourceRow } from './sources.service.ts';
import { matchesMsp, type MspAccountResolver } from './msp-accounts.ts';

export const GENESIS_SEAL = '0'.repeat(64);
/** Events more than this far in the future, or older than ten years, are refused as implausible. */
const FUTURE_MS = 86_400_000;
const PAST_MS = 3650 * 86_400_000;
/** How many rejections an answer lists; all of them are kept in quarantine. */
const LISTED_REJECTIONS = 100;

export interface IngestRecord {
  /** 1-based line (or element) number in the request or file. */
  line: number;
  text: string;
}

export interface IngestOutcome {
  batchId: string | null;
  seq: number | null;
  seal: string | null;
  accepted: number;
  rejected: { line: number; reason: string }[];
  rejectedTotal: number;
  /** True when this answer repeats an earlier batch's (same idempotency key); nothing was stored. */
  duplicate?: boolean;
}

export interface BatchHeader {
  orgId: string;
  seq: number;
  batchId: string;
  sourceId: string;
  receivedAt: string;
  eventCount: number;
  contentHash: string;
  prevSeal: string;
}

export const contentHashOf = (sourceId: string, rows: EventRow[]): string =>
  sha256Hex(rows.map((r) => eventHashLine(sourceId, r)).join('\n'));
export const sealOf = (h: BatchHeader): string => sha256Hex(canonicalJson(h));

export interface IngestOptions {
  /** The sender's name for this batch: a batch already stored under it is not stored again. */
  idempotencyKey?: string | undefined;
  /** false: do not quarantine the rejected records (a replay of records already in quarantine). */
  quarantine?: boolean;
  /** Runs inside the batch's transaction, told which record lines were rejected. */
  withinTransaction?: (tx: Tx, rejectedLines: Set<number>) => Promise<void>;
}

export type IngestService = ReturnType<typeof createIngestService>;

/** Whether a record is empty or white space only (String#trim's white space), without copying it. */
function isBlank(text: string): boolean {
  const c = text.charCodeAt(0);
  // Nearly every record starts with a visible character: no need to look further.
  if (c > 32 && c < 127) return false;
  return text.trim() === '';
}

export function createIngestService({
  db,
  parserFor,
  mspAccounts,
  detection,
}: {
  db: Db;
  parserFor: (s: SourceRow) => Parser;
  /** Marks events of MSP accounts (is_msp); omitted, no event is marked. */
  mspAccounts?: MspAccountResolver;
  /**
   * Detection on ingest: `onBatch` runs inside the batch's transaction (alerts and engine state
   * commit with the events); `afterCommit` is told once the batch is durable (to send notifications).
   */
  detection?: {
    onBatch(
      tx: Tx,
      batch: { orgId: string; sourceId: string; batchId: string; rows: EventRow[] },
    ): Promise<unknown>;
    afterCommit?(): void;
  };
}) {
  /** Parses records; good ones become rows, bad ones are reported with their line and reason. */
  function parse(source: SourceRow, records: Iterable<IngestRecord>, receivedAt: Date) {
    const parser = parserFor(source);
    const ctx = { receivedAt, utcOffsetMinutes: source.utc_offset_minutes };
    const now = receivedAt.getTime();
    const rows: EventRow[] = [];
    const rejected: { line: number; reason: string; raw: string }[] = [];
    // The instant of the last time text seen: consecutive records mostly share it.
    let lastTime = '';
    let lastMs = NaN;
    for (const rec of records) {
      if (isBlank(rec.text)) continue;
      let input: unknown = rec.text;
      if (parser.input === 'json') {
        try {
          input = JSON.parse(rec.text);
        } catch (e) {
          rejected.push({ line: rec.line, reason: `not valid JSON: ${(e as Error).message}`, raw: rec.text });
          continue;
        }
      }
      let r;
      try {
        r = parser.parse(input, ctx);
      } catch (e) {
        // A parser bug must not lose the batch: the record goes to quarantine with the error.
        r = { ok: false as const, error: `parser error: ${(e as Error).message}` };
      }
      if (!r.ok) {
        rejected.push({ line: rec.line, reason: r.error, raw: rec.text });
        continue;
      }
      const time = r.event.time;
      if (time !== lastTime) {
        lastMs = Date.parse(time);
        lastTime = time;
      }
      const t = lastMs;
      if (!(t <= now + FUTURE_MS && t >= now - PAST_MS)) {
        rejected.push({
          line: rec.line,
          reason: `timestamp ${r.event.time} is outside the accepted window`,
          raw: rec.text,
        });
        continue;
      }
      rows.push(toEventRow(r.event, rec.text));
    }
    return { rows, rejected };
  }

  /**
   * Parses and stores one batch. The answer is sent only after the transaction that stores the
   * events, their seal and the quarantined records has committed: an acknowledged event is durable.
   */
  async function ingest(
    source: SourceRow,
    records: Iterable<IngestRecord>,
    receivedAt = new Date(),
    opts: IngestOptions = {},
  ): Promise<IngestOutcome> {
    if (opts.idempotencyKey) {
      const earlier = await storedBatch(source.id, opts.idempotencyKey);
      if (earlier) return earlier;
    }
    const { rows, rejected } = parse(source, records, receivedAt);
    if (mspAccounts && rows.length > 0) {
      const rules = await mspAccounts.rulesFor(source.org_id);
      if (rules.suffixes.length > 0 || rules.names.size > 0)
        for (const r of rows) r.isMsp = matchesMsp(rules, r);
    }
    const received = receivedAt.toISOString();
    const times = rows.map((r) => r.time);
    await ensurePartitions(db, times);
    const batchId = randomUUID();
    const contentHash = contentHashOf(source.id, rows);
    const store = () =>
      db.transaction().execute(async (tx) => {
        let head: { seq: number; seal: string } | null = null;
        if (rows.length > 0) {
          // The events first, then the tenant's seal head: its row lock is held only for the few
          // small statements from here to the commit, so a tenant's batches insert concurrently.
          // The chain stays gap-free: seq is taken under the lock, and commits follow it.
          await insertEvents(tx, source.org_id, source.id, batchId, received, rows);
          await tx
            .insertInto('seal_heads')
            .values({ org_id: source.org_id, seq: 0, seal: GENESIS_SEAL })
            .onConflict((oc) => oc.column('org_id').doNothing())
            .execute();
          const h = await tx
            .selectFrom('seal_heads')
            .select(['seq', 'seal'])
            .where('org_id', '=', source.org_id)
            .forUpdate()
            .executeTakeFirstOrThrow();
          const header: BatchHeader = {
            orgId: source.org_id,
            seq: Number(h.seq) + 1,
            batchId,
            sourceId: source.id,
            receivedAt: received,
            eventCount: rows.length,
            contentHash,
            prevSeal: h.seal,
          };
          const seal = sealOf(header);
          let min = rows[0]!.time;
          let max = min;
          for (const r of rows) {
            if (r.time < min) min = r.time;
            if (r.time > max) max = r.time;
          }
          await tx
            .insertInto('ingest_batches')
            .values({
              id: batchId,
              org_id: source.org_id,
              source_id: source.id,
              seq: header.seq,
              received_at: received,
              event_count: rows.length,
              rejected_count: rejected.length,
              min_time: min,
              max_time: max,
              content_hash: contentHash,
              prev_seal: h.seal,
              seal,
              idempotency_key: opts.idempotencyKey ?? null,
            })
            .execute();
          await tx
            .updateTable('seal_heads')
            .set({ seq: header.seq, seal })
            .where('org_id', '=', source.org_id)
            .execute();
          head = { seq: header.seq, seal };
          if (detection)
            await detection.onBatch(tx, { orgId: source.org_id, sourceId: source.id, batchId, rows });
        }
        if (opts.withinTransaction) await opts.withinTransaction(tx, new Set(rejected.map((r) => r.line)));
        if (rejected.length > 0 && opts.quarantine !== false) {
          await tx
            .insertInto('quarantine')
            .values(
              rejected.map((r) => ({
                id: randomUUID(),
                org_id: source.org_id,
                source_id: source.id,
                batch_id: rows.length > 0 ? batchId : null,
                received_at: received,
                line_no: r.line,
                reason: r.reason,
                raw: r.raw,
              })),
            )
            .execute();
        }
        const newest = rows.reduce<string | null>((m, r) => (m === null || r.time > m ? r.time : m), null);
        await tx
          .updateTable('log_sources')
          .set({
            last_received_at: received,
            ...(newest ? { last_event_at: sql<Date>`greatest(last_event_at, ${newest}::timestamptz)` } : {}),
          })
          .where('id', '=', source.id)
          .execute();
        return head;
      });
    let sealed: Awaited<ReturnType<typeof store>>;
    try {
      sealed = await store();
    } catch (e) {
      // The same batch, sent twice at once: the other copy won the unique index; answer as it did.
      if (opts.idempotencyKey && /ingest_batches_idempotency/.test((e as Error).message)) {
        const earlier = await storedBatch(source.id, opts.idempotencyKey);
        if (earlier) return earlier;
      }
      // Another process may have dropped a partition this one had cached: recreate and retry once.
      if (!/no partition of relation/.test((e as Error).message)) throw e;
      forgetPartitions(db);
      await ensurePartitions(db, times);
      sealed = await store();
    }
    if (sealed && detection?.afterCommit) detection.afterCommit();
    return {
      batchId: sealed ? batchId : null,
      seq: sealed?.seq ?? null,
      seal: sealed?.seal ?? null,
      accepted: rows.length,
      rejected: rejected.slice(0, LISTED_REJECTIONS).map(({ line, reason }) => ({ line, reason })),
      rejectedTotal: rejected.length,
    };
  }

  async function storedBatch(sourceId: string, key: string): Promise<IngestOutcome | null> {
    const b = await db
      .selectFrom('ingest_batches')
      .select(['id', 'seq', 'seal', 'event_count', 'rejected_count'])
      .where('source_id', '=', sourceId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    if (!b) return null;
    return {
      batchId: b.id,
      seq: Number(b.seq),
      seal: b.seal,
      accepted: b.event_count,
      rejected: [],
      rejectedTotal: b.rejected_count,
      duplicate: true,
    };
  }

  return { parse, ingest };
}
