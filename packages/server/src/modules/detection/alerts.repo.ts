import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AlertLevel } from '@accord/contracts';
import type { Executor } from '../../platform/db/db.ts';
import type { Detection } from './engine/types.ts';

/**
 * Detections become alerts here, inside the caller's transaction (the ingest batch's, the silence
 * job's or a recorded history run's). One alert per (tenant, rule, group) while it is open or
 * acknowledged: a later detection for the same key updates its count, last seen, level and
 * evidence (adding new evidence events, dropping those the episode withdrew); once resolved, the
 * next detection opens a new alert. A detection an active suppression matches is still counted (on
 * the alert and the suppression) but notifies no one. Opening, and escalating to a higher level,
 * queue a notification per matching channel in the same transaction.
 */
export const LEVEL_RANK: Record<AlertLevel, number> = {
  informational: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};
/** Evidence events kept per alert: a value_count episode names up to 200 values (engine/state.ts). */
export const EVIDENCE_CAP = 200;
export const SYSTEM_ACTOR = 'system (detection)';

export interface RecordOptions {
  now?: Date;
  /** Minutes within which notifications must be delivered (the agreement's alert notification time). */
  notifyMinutes: number;
}
export interface RecordOutcome {
  opened: number;
  updated: number;
  suppressed: number;
  notifications: number;
}

interface SuppressionRow {
  id: string;
  rule_id: string | null;
  group_values: Record<string, string | null> | string | null;
}

export function suppressionMatches(s: SuppressionRow, d: Pick<Detection, 'ruleId' | 'groupValues'>): boolean {
  if (s.rule_id !== null && s.rule_id !== d.ruleId) return false;
  const gv = typeof s.group_values === 'string' ? JSON.parse(s.group_values) : s.group_values;
  if (gv)
    for (const [k, v] of Object.entries(gv as Record<string, string | null>))
      if (d.groupValues[k] !== v) return false;
  return true;
}

export async function recordDetections(
  tx: Executor,
  orgId: string,
  detections: Detection[],
  opts: RecordOptions,
): Promise<RecordOutcome> {
  const out: RecordOutcome = { opened: 0, updated: 0, suppressed: 0, notifications: 0 };
  if (detections.length === 0) return out;
  const now = opts.now ?? new Date();
  const suppressions = (await tx
    .selectFrom('alert_suppressions')
    .select(['id', 'rule_id', 'group_values'])
    .where('org_id', '=', orgId)
    .where('removed_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at')
    .execute()) as SuppressionRow[];
  for (const d of detections) {
    const sup = suppressions.find((s) => suppressionMatches(s, d)) ?? null;
    if (sup) {
      out.suppressed++;
      await tx
        .updateTable('alert_suppressions')
        .set({ hits: sql`hits + 1` })
        .where('org_id', '=', orgId)
        .where('id', '=', sup.id)
        .execute();
    }
    const live = await tx
      .selectFrom('alerts')
      .select(['id', 'level', 'event_count', 'first_seen', 'last_seen', 'suppressed_by'])
      .where('org_id', '=', orgId)
      .where('rule_id', '=', d.ruleId)
      .where('group_key', '=', d.groupKey)
      .where('status', 'in', ['open', 'acknowledged'])
      .forUpdate()
      .executeTakeFirst();
    let alertId: string;
    let notify: 'opened' | 'escalated' | null = null;
    if (!live) {
      alertId = randomUUID();
      await tx
        .insertInto('alerts')
        .values({
          id: alertId,
          org_id: orgId,
          rule_id: d.ruleId,
          rule_title: d.ruleTitle,
          level: d.level,
          group_key: d.groupKey,
          group_values: JSON.stringify(d.groupValues),
          status: 'open',
          summary: d.summary,
          first_seen: d.firstSeen,
          last_seen: d.lastSeen,
          event_count: d.eventCount,
          suppressed_by: sup?.id ?? null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await tx
        .insertInto('alert_history')
        .values({
          id: randomUUID(),
          org_id: orgId,
          alert_id: alertId,
          at: now,
          actor_label: SYSTEM_ACTOR,
          actor_user_id: null,
          from_status: null,
          to_status: 'open',
          reason: d.summary,
        })
        .execute();
      out.opened++;
      notify = 'opened';
    } else {
      alertId = live.id;
      const lastSeen = new Date(live.last_seen).getTime();
      // The engine reports a running count for an episode: a detection that starts after the alert's
      // last event is a new episode (its events add up); one overlapping it restates a running count.
      const count =
        Date.parse(d.firstSeen) > lastSeen
          ? Number(live.event_count) + d.eventCount
          : Math.max(Number(live.event_count), d.eventCount);
      const escalated = LEVEL_RANK[d.level] > LEVEL_RANK[live.level as AlertLevel];
      await tx
        .updateTable('alerts')
        .set({
          event_count: count,
          last_seen: new Date(Math.max(lastSeen, Date.parse(d.lastSeen))),
          first_seen: new Date(Math.min(new Date(live.first_seen).getTime(), Date.parse(d.firstSeen))),
          summary: d.summary,
          updated_at: now,
          ...(escalated ? { level: d.level } : {}),
        })
        .where('org_id', '=', orgId)
        .where('id', '=', alertId)
        .execute();
      out.updated++;
      if (escalated) notify = 'escalated';
    }
    if (d.retracted?.length) {
      // The episode withdrew these events (e.g. a source that has since signed in successfully).
      await tx
        .deleteFrom('alert_evidence')
        .where('org_id', '=', orgId)
        .where('alert_id', '=', alertId)
        .where((eb) =>
          eb.or(
            d.retracted!.map((r) =>
              eb.and([eb('batch_id', '=', r.batchId), eb('batch_pos', '=', r.batchPos)]),
            ),
          ),
        )
        .execute();
    }
    if (d.evidence.length) {
      const held = await tx
        .selectFrom('alert_evidence')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('org_id', '=', orgId)
        .where('alert_id', '=', alertId)
        .executeTakeFirst();
      const room = EVIDENCE_CAP - (held?.n ?? 0);
      if (room > 0)
        await tx
          .insertInto('alert_evidence')
          .values(
            d.evidence.slice(0, room).map((e) => ({
              org_id: orgId,
              alert_id: alertId,
              batch_id: e.batchId,
              batch_pos: e.batchPos,
              time: e.time,
            })),
          )
          .onConflict((oc) => oc.columns(['alert_id', 'batch_id', 'batch_pos']).doNothing())
          .execute();
    }
    if (notify && !sup && !(live && live.suppressed_by))
      out.notifications += await enqueueNotifications(tx, orgId, alertId, notify, d, now, opts.notifyMinutes);
  }
  return out;
}

/**
 * Queues one notification per channel that wants this level: the tenant's own channels and those
 * of every MSP with an active relationship to it (alerts go to both parties).
 */
async function enqueueNotifications(
  tx: Executor,
  orgId: string,
  alertId: string,
  event: 'opened' | 'escalated',
  d: Detection,
  now: Date,
  notifyMinutes: number,
): Promise<number> {
  const channels = await tx
    .selectFrom('notification_channels')
    .select(['id', 'org_id', 'min_level'])
    .where('disabled_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('org_id', '=', orgId),
        eb(
          'org_id',
          'in',
          eb
            .selectFrom('relationships')
            .select('msp_org_id')
            .where('customer_org_id', '=', orgId)
            .where('status', '=', 'active'),
        ),
      ]),
    )
    .execute();
  const wanted = channels.filter((c) => LEVEL_RANK[d.level] >= LEVEL_RANK[c.min_level as AlertLevel]);
  if (wanted.length === 0) return 0;
  const payload = JSON.stringify({
    event: `alert.${event}`,
    alert: {
      id: alertId,
      orgId,
      ruleId: d.ruleId,
      title: d.ruleTitle,
      level: d.level,
      summary: d.summary,
      groupValues: d.groupValues,
      firstSeen: d.firstSeen,
      lastSeen: d.lastSeen,
      eventCount: d.eventCount,
    },
  });
  await tx
    .insertInto('notification_outbox')
    .values(
      wanted.map((c) => ({
        id: randomUUID(),
        org_id: c.org_id,
        channel_id: c.id,
        alert_id: alertId,
        alert_org_id: orgId,
        event,
        payload,
        created_at: now,
        due_by: new Date(now.getTime() + notifyMinutes * 60_000),
        next_attempt_at: now,
      })),
    )
    .execute();
  return wanted.length;
}
