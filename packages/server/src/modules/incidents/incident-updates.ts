import { randomUUID } from 'node:crypto';
import type { Recipient, IncidentSeverity } from '@accord/contracts';
import type { RequestContext } from '../../platform/context.ts';
import type { Executor } from '../../platform/db/db.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ActionsService, NewAction } from './actions.service.ts';
import { appendTimeline, auditIr, notInFuture } from './ir-access.ts';
import { incidentsRepo, type IncidentRow, type PlaybookCopy } from './incidents.repo.ts';
import { approvedPlan } from './plan-views.ts';

/** The playbook `key` of the organisation's approved incident response plan, copied with its version. */
export async function playbookOf(ex: Executor, orgId: string, key: string): Promise<PlaybookCopy> {
  const plan = await approvedPlan(ex, orgId, 'incident_response');
  const p = plan?.version.content.playbooks.find((x) => x.incidentType === key);
  if (!plan || !p)
    throw new AppError(
      'bad_request',
      plan
        ? `the approved incident response plan (version ${plan.version.version}) has no playbook ${key}`
        : `organisation ${orgId} has no approved incident response plan to take playbook ${key} from`,
    );
  return {
    planId: plan.plan.id,
    planVersion: plan.version.version,
    incidentType: key,
    title: p.title,
    steps: p.steps,
  };
}

export interface IncidentChange {
  title?: string | undefined;
  description?: string | undefined;
  severity?: IncidentSeverity | undefined;
  status?: 'open' | 'investigating' | 'contained' | 'recovered' | undefined;
  affectedSystems?: string[] | undefined;
  detectedAt?: string | undefined;
  note?: string | undefined;
}

/**
 * The changes to an open incident, each one a timeline entry and an audit entry in the same
 * transaction (run by the incidents service's `mutate`, which locks the row and refuses a closed
 * incident unless the change is allowed after closure).
 */
export function incidentUpdates<D>({
  audit,
  actions,
  mutate,
}: {
  audit: AuditService;
  actions: ActionsService;
  mutate: (
    ctx: RequestContext,
    orgId: string,
    id: string,
    opts: { whenClosed?: boolean },
    fn: (tx: Executor, i: IncidentRow, now: Date) => Promise<void>,
  ) => Promise<D>;
}) {
  const m = mutate;
  const tl = (
    tx: Executor,
    ctx: RequestContext,
    i: IncidentRow,
    at: Date,
    kind: string,
    text: string,
    details = {},
  ) =>
    appendTimeline(tx, ctx, {
      orgId: i.org_id,
      subjectType: 'incident',
      subjectId: i.id,
      kind,
      text,
      details,
      at,
    });
  const record = (
    tx: Executor,
    ctx: RequestContext,
    i: IncidentRow,
    action: string,
    details: Record<string, unknown>,
  ) => auditIr(audit, tx, ctx, i.org_id, { action, targetType: 'incident', targetId: i.id, details });

  /** Changes fields of an open incident; each changed field is its own timeline entry. */
  function change(ctx: RequestContext, orgId: string, id: string, c: IncidentChange): Promise<D> {
    return m(ctx, orgId, id, {}, async (tx, i, now) => {
      const set: Parameters<typeof incidentsRepo.update>[3] = {};
      const entries: [string, string, Record<string, unknown>][] = [];
      if (c.detectedAt !== undefined) {
        const d = new Date(c.detectedAt);
        notInFuture(d, 'detectedAt', now);
        if (d.getTime() > new Date(i.declared_at).getTime())
          throw new AppError(
            'bad_request',
            `detectedAt ${d.toISOString()} is after the incident was declared (${new Date(i.declared_at).toISOString()})`,
          );
        if (d.getTime() !== new Date(i.detected_at).getTime()) {
          set.detected_at = d;
          entries.push([
            'detected_at',
            `detection time set to ${d.toISOString()}`,
            { from: new Date(i.detected_at).toISOString() },
          ]);
        }
      }
      const fields = [
        ['title', c.title, i.title],
        ['description', c.description, i.description],
        ['severity', c.severity, i.severity],
        ['status', c.status, i.status],
      ] as const;
      for (const [k, v, was] of fields)
        if (v !== undefined && v !== was) {
          (set as Record<string, unknown>)[k] = v;
          entries.push([
            k,
            k === 'description' ? 'description changed' : `${k}: ${was} -> ${v}`,
            { from: was, to: v },
          ]);
        }
      if (c.affectedSystems && JSON.stringify(c.affectedSystems) !== JSON.stringify(i.affected_systems)) {
        set.affected_systems = c.affectedSystems;
        entries.push([
          'affected_systems',
          `affected systems: ${c.affectedSystems.join(', ') || 'none'}`,
          { from: i.affected_systems },
        ]);
      }
      if (entries.length === 0 && !c.note)
        throw new AppError('bad_request', `incident ${id} already is as asked`);
      if (entries.length) await incidentsRepo.update(tx, orgId, id, set, now);
      for (const [kind, text, details] of entries) await tl(tx, ctx, i, now, kind, text, details);
      if (c.note) await tl(tx, ctx, i, now, 'note', c.note);
      await record(tx, ctx, i, 'incident.changed', {
        changed: entries.map((e) => e[0]),
        ...(c.note ? { note: true } : {}),
      });
    });
  }

  const note = (ctx: RequestContext, orgId: string, id: string, text: string) =>
    m(ctx, orgId, id, { whenClosed: true }, async (tx, i, now) => {
      await tl(tx, ctx, i, now, 'note', text);
      await record(tx, ctx, i, 'incident.note_added', {});
    });

  /** Links alerts of the same organisation (another organisation's alert is not found). */
  const linkAlerts = (ctx: RequestContext, orgId: string, id: string, alertIds: string[]) =>
    m(ctx, orgId, id, {}, async (tx, i, now) => {
      const ids = [...new Set(alertIds)];
      const alerts = await incidentsRepo.ownAlerts(tx, orgId, ids);
      const missing = ids.filter((a) => !alerts.some((x) => x.id === a));
      if (missing.length) throw notFound('alert', missing.join(', '));
      let linked = 0;
      for (const a of alerts)
        if (await incidentsRepo.link(tx, orgId, id, a.id, ctx.actor.label, now)) {
          linked++;
          await tl(tx, ctx, i, now, 'alert_linked', `alert linked: ${a.rule_title} (${a.level})`, {
            alertId: a.id,
          });
        }
      if (linked === 0)
        throw new AppError('conflict', `every alert given is already linked to incident ${id}`);
      await record(tx, ctx, i, 'incident.alerts_linked', { alertIds: ids });
    });

  const choosePlaybook = (ctx: RequestContext, orgId: string, id: string, key: string) =>
    m(ctx, orgId, id, {}, async (tx, i, now) => {
      const p = await playbookOf(tx, orgId, key);
      await incidentsRepo.update(tx, orgId, id, { playbook: p, steps_state: {} }, now);
      await tl(tx, ctx, i, now, 'playbook', `following playbook ${p.title}`, {
        incidentType: key,
        planVersion: p.planVersion,
      });
      await record(tx, ctx, i, 'incident.playbook_chosen', { incidentType: key });
    });

  const tickStep = (
    ctx: RequestContext,
    orgId: string,
    id: string,
    step: number,
    done: boolean,
    text?: string,
  ) =>
    m(ctx, orgId, id, {}, async (tx, i, now) => {
      const s = i.playbook?.steps[step - 1];
      if (!i.playbook) throw new AppError('bad_request', `incident ${id} follows no playbook yet`);
      if (!s) throw notFound(`step ${step} of the playbook of incident`, id);
      const state = {
        ...i.steps_state,
        [String(step)]: { done, by: ctx.actor.label, at: now.toISOString() },
      };
      await incidentsRepo.update(tx, orgId, id, { steps_state: state }, now);
      await tl(
        tx,
        ctx,
        i,
        now,
        done ? 'step_done' : 'step_undone',
        `step ${step} ${done ? 'done' : 'not done'}: ${s.text}${text ? ` (${text})` : ''}`,
        { step },
      );
      await record(tx, ctx, i, 'incident.step_ticked', { step, done });
    });

  /** Records that a party was notified; the time must be between detection and now. */
  const notify = (
    ctx: RequestContext,
    orgId: string,
    id: string,
    n: { recipient: Recipient; notifiedAt: string; channel: string; note?: string | undefined },
  ) =>
    m(ctx, orgId, id, { whenClosed: true }, async (tx, i, now) => {
      const at = new Date(n.notifiedAt);
      notInFuture(at, 'notifiedAt', now);
      if (at.getTime() < new Date(i.detected_at).getTime())
        throw new AppError(
          'bad_request',
          `notifiedAt ${at.toISOString()} is before the incident was detected (${new Date(i.detected_at).toISOString()})`,
        );
      await incidentsRepo.insertNotification(tx, {
        id: randomUUID(),
        org_id: orgId,
        incident_id: id,
        recipient: n.recipient,
        notified_at: at,
        channel: n.channel,
        note: n.note ?? null,
        recorded_by_org_id: ctx.orgId,
        recorded_by_label: ctx.actor.label,
        recorded_at: now,
      });
      await tl(
        tx,
        ctx,
        i,
        now,
        'notification',
        `${n.recipient} notified at ${at.toISOString()} by ${n.channel}`,
        {
          recipient: n.recipient,
          notifiedAt: at.toISOString(),
          channel: n.channel,
        },
      );
      await record(tx, ctx, i, 'incident.notification_recorded', {
        recipient: n.recipient,
        notifiedAt: at.toISOString(),
      });
    });

  const close = (
    ctx: RequestContext,
    orgId: string,
    id: string,
    c: { rootCause: string; lessonsLearned: string },
  ) =>
    m(ctx, orgId, id, {}, async (tx, i, now) => {
      await incidentsRepo.update(
        tx,
        orgId,
        id,
        { status: 'closed', closed_at: now, root_cause: c.rootCause, lessons_learned: c.lessonsLearned },
        now,
      );
      await tl(tx, ctx, i, now, 'closed', `closed (was ${i.status}); root cause: ${c.rootCause}`, {
        lessonsLearned: c.lessonsLearned,
      });
      await record(tx, ctx, i, 'incident.closed', { from: i.status });
    });

  const addAction = (ctx: RequestContext, orgId: string, id: string, a: NewAction) =>
    m(ctx, orgId, id, { whenClosed: true }, async (tx, _i, now) => {
      await actions.addTx(tx, ctx, orgId, { type: 'incident', id }, a, now);
    });

  return { change, note, linkAlerts, choosePlaybook, tickStep, notify, close, addAction };
}
