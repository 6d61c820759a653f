import { requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/db.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { IngestService } from './ingest.service.ts';
import type { SourceRow } from './sources.service.ts';

/**
 * Replays quarantined records through their source's current parser (after a parser fix, or a
 * mapping change). Records that now parse are stored as a new sealed batch and marked replayed in
 * the same transaction, so a replay never stores a record twice; the rest stay in quarantine.
 */
export function createQuarantineService({
  db,
  ingest,
  audit,
}: {
  db: Db;
  ingest: IngestService;
  audit: AuditService;
}) {
  async function replay(ctx: RequestContext, orgId: string, filter: { sourceId?: string | undefined } = {}) {
    await requireTenant(db, ctx, orgId, 'logs:manage');
    let q = db
      .selectFrom('quarantine')
      .select(['id', 'source_id', 'received_at', 'raw'])
      .where('org_id', '=', orgId)
      .where('replayed_at', 'is', null);
    if (filter.sourceId) q = q.where('source_id', '=', filter.sourceId);
    const rows = await q.orderBy('received_at').orderBy('line_no').limit(50_000).execute();
    // One replay batch per source and original receipt time (which classic syslog needs for its year).
    const groups = new Map<string, typeof rows>();
    for (const r of rows) {
      const key = `${r.source_id}|${new Date(r.received_at).toISOString()}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    let replayed = 0;
    let stillRejected = 0;
    for (const group of groups.values()) {
      const source = (await db
        .selectFrom('log_sources')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('id', '=', group[0]!.source_id)
        .executeTakeFirst()) as (SourceRow & { token_hash?: string }) | undefined;
      if (!source || source.disabled_at) continue;
      const records = group.map((r, i) => ({ line: i + 1, text: r.raw }));
      const outcome = await ingest.ingest(source, records, new Date(group[0]!.received_at), {
        quarantine: false,
        withinTransaction: async (tx, rejected) => {
          const done = group.filter((_, i) => !rejected.has(i + 1)).map((r) => r.id);
          if (done.length > 0) {
            await tx
              .updateTable('quarantine')
              .set({ replayed_at: new Date() })
              .where('org_id', '=', orgId)
              .where('id', 'in', done)
              .execute();
          }
          await audit.record(tx, ctx, {
            orgIds: [orgId],
            action: 'logs.quarantine_replayed',
            targetType: 'log_source',
            targetId: source.id,
            details: { replayed: done.length, stillRejected: rejected.size },
          });
        },
      });
      replayed += outcome.accepted;
      stillRejected += outcome.rejectedTotal;
    }
    return { replayed, stillRejected };
  }
  return { replay };
}
export type QuarantineService = ReturnType<typeof createQuarantineService>;
