import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AlertStatus } from '@accord/contracts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import { requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/db.ts';
import { iso } from '../../platform/http/mappers.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { fromDb, type DbEvent } from '../telemetry/events.repo.ts';

/**
 * Alerts as people see and handle them: list (filtered, paged), one alert with its evidence events
 * and history, the lifecycle open -> acknowledged -> resolved | false_positive (who, when, why; every
 * step kept), and suppressions. The customer's members and its MSPs with an ACTIVE relationship
 * see them (requireTenant, as for log search); changes need alerts:manage and are audited.
 */
const ALLOWED: Record<AlertStatus, AlertStatus[]> = {
  open: ['acknowledged', 'resolved', 'false_positive'],
  acknowledged: ['resolved', 'false_positive'],
  resolved: [],
  false_positive: [],
};

type AlertRow = {
  id: string;
  org_id: string;
  rule_id: string;
  rule_title: string;
  level: string;
  group_key: string;
  group_values: Record<string, string | null> | string;
  status: AlertStatus;
  summary: string;
  first_seen: Date;
  last_seen: Date;
  event_count: string | number | bigint;
  suppressed_by: string | null;
  created_at: Date;
  updated_at: Date;
};

export const toAlert = (a: AlertRow) => ({
  id: a.id,
  orgId: a.org_id,
  ruleId: a.rule_id,
  ruleTitle: a.rule_title,
  level: a.level as 'informational' | 'low' | 'medium' | 'high' | 'critical',
  status: a.status,
  groupKey: a.group_key,
  groupValues: (typeof a.group_values === 'string' ? JSON.parse(a.group_values) : a.group_values) as Record<
    string,
    string | null
  >,
  summary: a.summary,
  firstSeen: iso(a.first_seen),
  lastSeen: iso(a.last_seen),
  eventCount: Number(a.event_count),
  suppressedBy: a.suppressed_by,
  createdAt: iso(a.created_at),
  updatedAt: iso(a.updated_at),
});

const cursorOf = (a: AlertRow) => Buffer.from(`${iso(a.created_at)}|${a.id}`).toString('base64url');
function readCursor(c: string) {
  const [t, id] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  if (!t || !id || Number.isNaN(Date.parse(t)) || !/^[0-9a-f-]{36}$/.test(id))
    throw new AppError('validation_failed', 'the cursor is not one this API gave out');
  return { t, id };
}

export type AlertsService = ReturnType<typeof createAlertsService>;

export function createAlertsService({ db, audit }: { db: Db; audit: AuditService }) {
  const one = (orgId: string, alertId: string) =>
    db
      .selectFrom('alerts')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', alertId)
      .executeTakeFirst() as Promise<AlertRow | undefined>;

  async function list(
    ctx: RequestContext,
    orgId: string,
    f: { status?: AlertStatus; level?: string; ruleId?: string; limit: number; cursor?: string },
  ) {
    await requireTenant(db, ctx, orgId, 'alerts:read');
    let q = db.selectFrom('alerts').selectAll().where('org_id', '=', orgId);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.level) q = q.where('level', '=', f.level);
    if (f.ruleId) q = q.where('rule_id', '=', f.ruleId);
    if (f.cursor) {
      const c = readCursor(f.cursor);
      q = q.where(sql<boolean>`(created_at, id) < (${c.t}::timestamptz, ${c.id}::uuid)`);
    }
    const rows = (await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(f.limit + 1)
      .execute()) as AlertRow[];
    const page = rows.slice(0, f.limit);
    return {
      alerts: page.map(toAlert),
      nextCursor: rows.length > f.limit ? cursorOf(page[page.length - 1]!) : null,
    };
  }

  async function show(ctx: RequestContext, orgId: string, alertId: string) {
    await requireTenant(db, ctx, orgId, 'alerts:read');
    const a = await one(orgId, alertId);
    if (!a) throw notFound('alert', alertId);
    const evidence = await db
      .selectFrom('alert_evidence')
      .select(['batch_id', 'batch_pos', 'time'])
      .where('org_id', '=', orgId)
      .where('alert_id', '=', alertId)
      .orderBy('time')
      .orderBy('batch_pos')
      .execute();
    const events = evidence.length
      ? await db
          .selectFrom('events')
          .selectAll()
          .where('org_id', '=', orgId)
          .where((eb) =>
            eb.or(
              evidence.map((e) =>
                eb.and([eb('batch_id', '=', e.batch_id), eb('batch_pos', '=', e.batch_pos)]),
              ),
            ),
          )
          .execute()
      : [];
    const byRef = new Map(
      events.map((e) => [`${e.batch_id}/${e.batch_pos}`, fromDb(e as unknown as DbEvent)]),
    );
    const history = await db
      .selectFrom('alert_history')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('alert_id', '=', alertId)
      .orderBy('at')
      .execute();
    return {
      ...toAlert(a),
      evidence: evidence.map((e) => ({
        batchId: e.batch_id,
        batchPos: e.batch_pos,
        time: iso(e.time),
        event: (byRef.get(`${e.batch_id}/${e.batch_pos}`) as unknown as Record<string, unknown>) ?? null,
      })),
      history: history.map((h) => ({
        at: iso(h.at),
        actor: h.actor_label,
        fromStatus: h.from_status as AlertStatus | null,
        toStatus: h.to_status as AlertStatus,
        reason: h.reason,
      })),
    };
  }

  async function transition(
    ctx: RequestContext,
    orgId: string,
    alertId: string,
    to: 'acknowledged' | 'resolved' | 'false_positive',
    reason?: string,
  ) {
    await requireTenant(db, ctx, orgId, 'alerts:manage');
    if (to !== 'acknowledged' && !reason)
      throw new AppError('validation_failed', `say why the alert is ${to.replace('_', ' ')} (reason)`);
    await db.transaction().execute(async (tx) => {
      const a = await tx
        .selectFrom('alerts')
        .select(['status'])
        .where('org_id', '=', orgId)
        .where('id', '=', alertId)
        .forUpdate()
        .executeTakeFirst();
      if (!a) throw notFound('alert', alertId);
      if (!ALLOWED[a.status].includes(to))
        throw invalidState(`alert ${alertId} is ${a.status}; it cannot become ${to}`);
      const now = new Date();
      await tx
        .updateTable('alerts')
        .set({ status: to, updated_at: now })
        .where('org_id', '=', orgId)
        .where('id', '=', alertId)
        .execute();
      await tx
        .insertInto('alert_history')
        .values({
          id: randomUUID(),
          org_id: orgId,
          alert_id: alertId,
          at: now,
          actor_label: ctx.actor.label,
          actor_user_id: ctx.actor.userId,
          from_status: a.status,
          to_status: to,
          reason: reason ?? null,
        })
        .execute();
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: `alert.${to}`,
        targetType: 'alert',
        targetId: alertId,
        before: { status: a.status },
        after: { status: to },
        details: reason ? { reason } : {},
      });
    });
    return show(ctx, orgId, alertId);
  }

  const toSuppression = (s: {
    id: string;
    org_id: string;
    rule_id: string | null;
    group_values: unknown;
    reason: string;
    expires_at: Date;
    hits: string | number | bigint;
    created_by: string;
    created_at: Date;
  }) => ({
    id: s.id,
    orgId: s.org_id,
    ruleId: s.rule_id,
    groupValues: (typeof s.group_values === 'string' ? JSON.parse(s.group_values) : s.group_values) as Record<
      string,
      string | null
    > | null,
    reason: s.reason,
    expiresAt: iso(s.expires_at),
    hits: Number(s.hits),
    createdBy: s.created_by,
    createdAt: iso(s.created_at),
  });

  async function listSuppressions(ctx: RequestContext, orgId: string) {
    await requireTenant(db, ctx, orgId, 'alerts:read');
    const rows = await db
      .selectFrom('alert_suppressions')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('removed_at', 'is', null)
      .orderBy('created_at')
      .execute();
    return rows.map(toSuppression);
  }

  async function suppress(
    ctx: RequestContext,
    orgId: string,
    input: {
      ruleId?: string;
      groupValues?: Record<string, string | null>;
      reason: string;
      expiresAt: string;
    },
  ) {
    await requireTenant(db, ctx, orgId, 'alerts:manage');
    if (Date.parse(input.expiresAt) <= Date.now())
      throw new AppError('validation_failed', `the expiry ${input.expiresAt} is in the past`);
    const id = randomUUID();
    return db.transaction().execute(async (tx) => {
      await tx
        .insertInto('alert_suppressions')
        .values({
          id,
          org_id: orgId,
          rule_id: input.ruleId ?? null,
          group_values: input.groupValues ? JSON.stringify(input.groupValues) : null,
          reason: input.reason,
          expires_at: input.expiresAt,
          hits: 0,
          created_by: ctx.actor.label,
        })
        .execute();
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'alert_suppression.created',
        targetType: 'alert_suppression',
        targetId: id,
        after: input,
      });
      const row = await tx
        .selectFrom('alert_suppressions')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return toSuppression(row);
    });
  }

  async function unsuppress(ctx: RequestContext, orgId: string, suppressionId: string) {
    await requireTenant(db, ctx, orgId, 'alerts:manage');
    await db.transaction().execute(async (tx) => {
      const r = await tx
        .updateTable('alert_suppressions')
        .set({ removed_at: new Date() })
        .where('org_id', '=', orgId)
        .where('id', '=', suppressionId)
        .where('removed_at', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw notFound('suppression', suppressionId);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'alert_suppression.removed',
        targetType: 'alert_suppression',
        targetId: suppressionId,
      });
    });
  }

  return { list, show, transition, listSuppressions, suppress, unsuppress };
}
