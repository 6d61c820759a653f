import { randomUUID } from 'node:crypto';
import type { Tx } from '../../platform/db/db.ts';
import type { EventRow } from '../telemetry/event-row.ts';
import { toEngineEvent, type DetectionEngine } from './engine-port.ts';
import type { Detection } from './engine/types.ts';
import { recordDetections, type RecordOutcome } from './alerts.repo.ts';
import type { RulesService } from './rules.service.ts';
import type { DetectionSettingsResolver } from './tenant-context.ts';

/**
 * Detection on ingest. Runs inside each stored batch's transaction: the tenant's compiled rules
 * see the batch's events, detections become alerts, and the engine's state for the tenant is
 * written, all in that transaction. A crash therefore loses neither the alert nor the counts, and
 * a restart (or another process) re-imports the state instead of counting again from zero.
 *
 * The state row is locked for the transaction (batches of one tenant are serialised by the seal
 * head lock already). Each write stores a fresh token; an engine whose last-written token differs
 * from the stored one (another process wrote since, or its own transaction rolled back) imports
 * the stored state first, so the in-memory state is never ahead of or behind the database.
 */
export interface StoredBatch {
  orgId: string;
  sourceId: string;
  batchId: string;
  rows: EventRow[];
}

export type DetectionStream = ReturnType<typeof createDetectionStream>;

export function createDetectionStream({
  rules,
  settings,
}: {
  rules: Pick<RulesService, 'engineFor'>;
  settings: Pick<DetectionSettingsResolver, 'settingsFor'>;
}) {
  const tokens = new WeakMap<DetectionEngine, string>();

  /** The batch's detections and what storing them as alerts did; null for an empty batch. */
  async function onBatch(
    tx: Tx,
    b: StoredBatch,
  ): Promise<(RecordOutcome & { detections: Detection[] }) | null> {
    if (b.rows.length === 0) return null;
    const engine = await rules.engineFor(b.orgId, tx);
    const { ctx, notifyMinutes } = await settings.settingsFor(b.orgId, tx);
    const stored = await tx
      .selectFrom('detection_state')
      .select(['token', 'state'])
      .where('org_id', '=', b.orgId)
      .forUpdate()
      .executeTakeFirst();
    if (stored && tokens.get(engine) !== stored.token) engine.importState(b.orgId, JSON.parse(stored.state));
    tokens.delete(engine); // until this transaction's state is written
    const events = b.rows.map((r, i) => toEngineEvent(b.orgId, b.sourceId, b.batchId, i, r));
    const detections = engine.process(b.orgId, events, ctx);
    const outcome = await recordDetections(tx, b.orgId, detections, { notifyMinutes });
    const token = randomUUID();
    const state = JSON.stringify(engine.exportState(b.orgId) ?? null);
    await tx
      .insertInto('detection_state')
      .values({ org_id: b.orgId, token, state, updated_at: new Date() })
      .onConflict((oc) => oc.column('org_id').doUpdateSet({ token, state, updated_at: new Date() }))
      .execute();
    tokens.set(engine, token);
    return { ...outcome, detections };
  }

  return { onBatch };
}
