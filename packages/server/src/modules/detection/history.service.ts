import { sql } from 'kysely';
import { AppError } from '../../platform/errors.ts';
import { requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/db.ts';
import { fromDb, type DbEvent } from '../telemetry/events.repo.ts';
import type { Detection, EvidenceRef } from './engine/types.ts';
import { toEngineEvent, type EngineModule } from './engine-port.ts';
import { EVIDENCE_CAP, recordDetections } from './alerts.repo.ts';
import type { RulesService } from './rules.service.ts';
import type { DetectionSettingsResolver } from './tenant-context.ts';

/**
 * History runs: the tenant's stored events in [from, to), read in time order a page at a time
 * (keyset on (time, id): memory stays bounded whatever the range), through a fresh engine with the
 * same compiled rules as ingest. Detections for the same rule and group are merged the way alerts
 * merge them, so a history run reports what streaming the same events raised. They are only reported
 * unless `record` is asked for.
 */
const PAGE = 2000;

const refKey = (e: EvidenceRef) => `${e.batchId}/${e.batchPos}`;
const withoutRetracted = ({ retracted: _withdrawn, ...d }: Detection): Detection => d;

/**
 * Folds a detection into an earlier one for the same rule and group (same rule as alerts.repo.ts:
 * evidence the episode withdrew leaves, new evidence joins, up to the alert's cap).
 */
export function mergeDetection(a: Detection, d: Detection): Detection {
  const count =
    Date.parse(d.firstSeen) > Date.parse(a.lastSeen)
      ? a.eventCount + d.eventCount
      : Math.max(a.eventCount, d.eventCount);
  const gone = new Set((d.retracted ?? []).map(refKey));
  const kept = a.evidence.filter((e) => !gone.has(refKey(e)));
  const seen = new Set(kept.map(refKey));
  return {
    ...withoutRetracted(d),
    level: d.level,
    firstSeen: a.firstSeen < d.firstSeen ? a.firstSeen : d.firstSeen,
    lastSeen: a.lastSeen > d.lastSeen ? a.lastSeen : d.lastSeen,
    eventCount: count,
    evidence: [...kept, ...d.evidence.filter((e) => !seen.has(refKey(e)))].slice(0, EVIDENCE_CAP),
  };
}

export type HistoryService = ReturnType<typeof createHistoryService>;

export function createHistoryService({
  db,
  engine,
  rules,
  settings,
}: {
  db: Db;
  engine: EngineModule;
  rules: Pick<RulesService, 'compiledFor'>;
  settings: Pick<DetectionSettingsResolver, 'settingsFor'>;
}) {
  async function run(
    ctx: RequestContext,
    orgId: string,
    input: { from: string; to: string; rules?: string[] | undefined; record?: boolean },
  ) {
    // A run reads the whole range: it needs alerts:manage even when it only reports.
    await requireTenant(db, ctx, orgId, 'alerts:manage');
    if (Date.parse(input.from) >= Date.parse(input.to))
      throw new AppError('validation_failed', `from (${input.from}) must be before to (${input.to})`);
    const compiled = await rules.compiledFor(orgId, input.rules);
    const e = engine.createEngine(compiled);
    const { ctx: tenantCtx, notifyMinutes } = await settings.settingsFor(orgId);
    const merged = new Map<string, Detection>();
    let scanned = 0;
    let after: { time: Date; id: string } | null = null;
    for (;;) {
      let q = db
        .selectFrom('events')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('time', '>=', new Date(input.from))
        .where('time', '<', new Date(input.to));
      if (after) q = q.where(sql<boolean>`(time, id) > (${after.time}::timestamptz, ${after.id}::bigint)`);
      const rows = await q.orderBy('time').orderBy('id').limit(PAGE).execute();
      if (rows.length === 0) break;
      scanned += rows.length;
      const events = rows.map((r) =>
        toEngineEvent(orgId, r.source_id, r.batch_id, r.batch_pos, fromDb(r as unknown as DbEvent)),
      );
      for (const d of e.process(orgId, events, tenantCtx)) {
        const k = `${d.ruleId}\n${d.groupKey}`;
        const prev = merged.get(k);
        merged.set(k, prev ? mergeDetection(prev, d) : withoutRetracted(d));
      }
      const last = rows[rows.length - 1]!;
      after = { time: new Date(last.time), id: String(last.id) };
      if (rows.length < PAGE) break;
    }
    const detections = [...merged.values()];
    let recorded = 0;
    if (input.record && detections.length) {
      const r = await db
        .transaction()
        .execute((tx) => recordDetections(tx, orgId, detections, { notifyMinutes }));
      recorded = r.opened + r.updated;
    }
    return { eventsScanned: scanned, detections, recorded };
  }
  return { run };
}
