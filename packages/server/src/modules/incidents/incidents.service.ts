import { randomUUID } from 'node:crypto';
import type { IncidentStatus, IncidentSeverity } from '@accord/contracts';
import type { RequestContext } from '../../platform/context.ts';
import type { Executor } from '../../platform/db/db.ts';
import { invalidState, notFound } from '../../platform/errors.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';
import type { ActionsService } from './actions.service.ts';
import { agreedHours, computeDeadlines } from './deadlines.ts';
import {
  appendTimeline,
  auditIr,
  irTenant,
  notInFuture,
  readTimeline,
  touch,
  type IrDeps,
} from './ir-access.ts';
import { incidentsRepo, type IncidentRow } from './incidents.repo.ts';
import { approvedPlan } from './plan-views.ts';
import { incidentUpdates, playbookOf } from './incident-updates.ts';

export interface OpenIncident {
  title: string;
  description?: string | undefined;
  severity: IncidentSeverity;
  detectedAt?: string | undefined;
  alertIds: string[];
  affectedSystems: string[];
  playbook?: string | undefined;
}

const toIncident = (i: IncidentRow) => ({
  id: i.id,
  orgId: i.org_id,
  title: i.title,
  description: i.description,
  severity: i.severity,
  status: i.status,
  detectedAt: iso(i.detected_at),
  declaredAt: iso(i.declared_at),
  declaredBy: i.declared_by_label,
  affectedSystems: i.affected_systems,
  closedAt: isoOrNull(i.closed_at),
  updatedAt: iso(i.updated_at),
});

export type IncidentsService = ReturnType<typeof createIncidentsService>;

/**
 * Incidents of an organisation, opened by hand or from its alerts. Every change, note, linked
 * alert, ticked step and notification is a timeline entry (append-only) in the same transaction,
 * with who and when; notification deadlines come from the agreements in force and the approved
 * plan. A closed incident (root cause and lessons learned recorded) takes notes, notifications and
 * actions, but no other change.
 */
export function createIncidentsService(deps: IrDeps & { actions: ActionsService }) {
  const { db, audit, actions } = deps;

  async function load(ex: Executor, orgId: string, id: string, lock = false) {
    const i = await incidentsRepo.get(ex, orgId, id, lock);
    if (!i) throw notFound('incident', id);
    return i;
  }

  async function detail(ex: Executor, orgId: string, id: string, now = new Date()) {
    const i = await load(ex, orgId, id);
    const notes = await incidentsRepo.notifications(ex, orgId, [id]);
    const plan = await approvedPlan(ex, orgId, 'incident_response');
    const deadlines = computeDeadlines(
      {
        orgId,
        severity: i.severity,
        detectedAt: new Date(i.detected_at),
        declaredAt: new Date(i.declared_at),
        declaredByOrgId: i.declared_by_org_id,
        notifications: notes,
      },
      await agreedHours(ex, orgId),
      plan?.version.content.notificationDuties ?? [],
      now,
    );
    return {
      ...toIncident(i),
      rootCause: i.root_cause,
      lessonsLearned: i.lessons_learned,
      alerts: (await incidentsRepo.linkedAlerts(ex, orgId, id)).map((a) => ({
        alertId: a.alert_id,
        ruleTitle: a.rule_title,
        level: a.level,
        status: a.status,
        linkedAt: iso(a.linked_at),
      })),
      playbook: i.playbook
        ? {
            planId: i.playbook.planId,
            planVersion: i.playbook.planVersion,
            incidentType: i.playbook.incidentType,
            title: i.playbook.title,
            steps: i.playbook.steps.map((s, n) => {
              const st = i.steps_state[String(n + 1)];
              return {
                step: n + 1,
                text: s.text,
                role: s.role ?? null,
                done: st?.done ?? false,
                doneBy: st?.done ? st.by : null,
                doneAt: st?.done ? st.at : null,
              };
            }),
          }
        : null,
      notifications: notes.map((n) => ({
        recipient: n.recipient as 'customer',
        notifiedAt: iso(n.notified_at),
        channel: n.channel,
        note: n.note,
        recordedBy: n.recorded_by_label,
      })),
      deadlines,
      actions: await actions.of(ex, orgId, 'incident', id, now),
      timeline: await readTimeline(ex, orgId, 'incident', id),
    };
  }

  async function list(ctx: RequestContext, orgId: string, status?: IncidentStatus) {
    await irTenant(db, ctx, orgId, 'ir:read');
    return (await incidentsRepo.list(db, orgId, status)).map(toIncident);
  }

  async function show(ctx: RequestContext, orgId: string, id: string) {
    await irTenant(db, ctx, orgId, 'ir:read');
    return detail(db, orgId, id);
  }

  /** Runs one change to an incident in a transaction with its row locked, then answers the detail. */
  async function mutate(
    ctx: RequestContext,
    orgId: string,
    id: string,
    opts: { whenClosed?: boolean },
    fn: (tx: Executor, i: IncidentRow, now: Date) => Promise<void>,
  ) {
    await irTenant(db, ctx, orgId, 'ir:manage');
    const now = new Date();
    await db.transaction().execute(async (tx) => {
      const i = await load(tx, orgId, id, true);
      if (i.status === 'closed' && !opts.whenClosed)
        throw invalidState(`incident ${id} is closed; it takes notes, notifications and actions only`);
      await fn(tx, i, now);
      await touch(tx, orgId, 'incidents', now);
    });
    return detail(db, orgId, id, now);
  }

  async function open(ctx: RequestContext, orgId: string, input: OpenIncident) {
    await irTenant(db, ctx, orgId, 'ir:manage');
    const now = new Date();
    const id = randomUUID();
    await db.transaction().execute(async (tx) => {
      const ids = [...new Set(input.alertIds)];
      const alerts = await incidentsRepo.ownAlerts(tx, orgId, ids);
      const missing = ids.filter((a) => !alerts.some((x) => x.id === a));
      if (missing.length) throw notFound('alert', missing.join(', '));
      const detected = input.detectedAt
        ? new Date(input.detectedAt)
        : alerts.length
          ? new Date(Math.min(...alerts.map((a) => new Date(a.created_at).getTime())))
          : now;
      notInFuture(detected, 'detectedAt', now);
      const playbook = input.playbook ? await playbookOf(tx, orgId, input.playbook) : null;
      await incidentsRepo.insert(tx, {
        id,
        org_id: orgId,
        title: input.title,
        description: input.description ?? null,
        severity: input.severity,
        status: 'open',
        detected_at: detected > now ? now : detected,
        declared_at: now,
        declared_by_org_id: ctx.orgId,
        declared_by_user_id: ctx.actor.userId,
        declared_by_label: ctx.actor.label,
        affected_systems: input.affectedSystems,
        playbook,
        updated_at: now,
      });
      const tl = (kind: string, text: string, details: Record<string, unknown> = {}) =>
        appendTimeline(tx, ctx, {
          orgId,
          subjectType: 'incident',
          subjectId: id,
          kind,
          text,
          details,
          at: now,
        });
      await tl('opened', `opened at severity ${input.severity}: ${input.title}`, {
        severity: input.severity,
        detectedAt: detected.toISOString(),
        affectedSystems: input.affectedSystems,
      });
      for (const a of alerts) {
        await incidentsRepo.link(tx, orgId, id, a.id, ctx.actor.label, now);
        await tl('alert_linked', `alert linked: ${a.rule_title} (${a.level})`, { alertId: a.id });
      }
      if (playbook)
        await tl('playbook', `following playbook ${playbook.title}`, { incidentType: playbook.incidentType });
      await auditIr(audit, tx, ctx, orgId, {
        action: 'incident.opened',
        targetType: 'incident',
        targetId: id,
        after: input,
        details: { severity: input.severity, alerts: ids.length },
      });
      await touch(tx, orgId, 'incidents', now);
    });
    return detail(db, orgId, id, now);
  }

  const updates = incidentUpdates({ audit, actions, mutate });
  return { list, show, open, ...updates };
}
