import { sql } from 'kysely';
import type { Check, CheckOutcome } from '../check.types.ts';
import { customerKnewAt } from '../../incidents/deadlines.ts';
import { firstOf } from './inventory-data.ts';
import { DAY_MS, isoDay, lastDelivery, num } from './params.ts';
import { irRef as ref } from './irp.checks.ts';

/**
 * IRP-03 and LOG-09, read from the customer's follow-up actions and incidents in Accord (see
 * irp.checks.ts for why the IRP checks are never stale, and why a LOG-09 pass follows the logs).
 */

/**
 * IRP-03: no high-priority follow-up action (from exercises and incidents) open past its due date.
 * In scope: high-priority actions still open, or closed within the last 365 days.
 */
export const irp03: Check = {
  controlId: 'IRP-03',
  reads: ['ir_actions'],
  async run(input): Promise<CheckOutcome> {
    const today = isoDay(input.now);
    const rows = await input.db
      .selectFrom('ir_actions')
      .select([
        'id',
        'title',
        'status',
        'source_type',
        sql<string>`to_char(due_date, 'YYYY-MM-DD')`.as('due'),
        'completed_at',
      ])
      .where('org_id', '=', input.customerOrgId)
      .where('priority', '=', 'high')
      .where((eb) =>
        eb.or([
          eb('status', '=', 'open'),
          eb('completed_at', '>=', new Date(input.now.getTime() - 365 * DAY_MS)),
        ]),
      )
      .orderBy('due_date')
      .execute();
    const overdue = rows.filter((r) => r.status === 'open' && r.due < today);
    const closedLate = rows.filter(
      (r) => r.status === 'done' && r.completed_at && isoDay(new Date(r.completed_at)) > r.due,
    );
    return {
      status: overdue.length ? 'fail' : 'pass',
      reason: overdue.length
        ? `${overdue.length} high-priority action(s) overdue: ${firstOf(overdue, 5)
            .map((r) => `"${r.title}" (due ${r.due})`)
            .join(', ')}`
        : `${rows.length} high-priority action(s), none overdue`,
      observed: {
        highPriorityActions: rows.length,
        open: rows.filter((r) => r.status === 'open').length,
        overdueHighPriorityActions: overdue.length,
        closedLate: closedLate.length,
      },
      expected: { overdueHighPriorityActions: 0 },
      evidence: firstOf(overdue).map((r) =>
        ref(r.id, `${r.source_type} action "${r.title}" due ${r.due}, still open`),
      ),
      dataAt: input.now,
      scope: rows.length,
    };
  },
};

/** How far back LOG-09 looks at incidents (open incidents count whatever their age). */
export const INCIDENT_WINDOW_DAYS = 90;

/**
 * LOG-09: every incident of the customer (detected in the last 90 days, or still open) was notified
 * to the customer within `incident_notification_hours` of its detection. The customer counts as
 * notified by the first notification recorded to it, or when one of its own people declared the
 * incident. An incident not notified once the window has passed is late too.
 */
export const log09: Check = {
  controlId: 'LOG-09',
  reads: ['incidents', 'events'],
  async run(input): Promise<CheckOutcome> {
    const hours = num(input.parameters, 'incident_notification_hours');
    const org = input.customerOrgId;
    const incidents = await input.db
      .selectFrom('ir_incidents')
      .select(['id', 'title', 'severity', 'detected_at', 'declared_at', 'declared_by_org_id'])
      .where('org_id', '=', org)
      .where('detected_at', '<=', input.now)
      .where((eb) =>
        eb.or([
          eb('detected_at', '>=', new Date(input.now.getTime() - INCIDENT_WINDOW_DAYS * DAY_MS)),
          eb('status', '<>', 'closed'),
        ]),
      )
      .orderBy('detected_at')
      .execute();
    const notes = incidents.length
      ? await input.db
          .selectFrom('ir_notifications')
          .select(['incident_id', 'recipient', 'notified_at'])
          .where('org_id', '=', org)
          .where(
            'incident_id',
            'in',
            incidents.map((i) => i.id),
          )
          .where('notified_at', '<=', input.now)
          .execute()
      : [];
    const measured = incidents.map((i) => {
      const knew = customerKnewAt({
        orgId: org,
        severity: i.severity,
        detectedAt: new Date(i.detected_at),
        declaredAt: new Date(i.declared_at),
        declaredByOrgId: i.declared_by_org_id,
        notifications: notes.filter((n) => n.incident_id === i.id),
      });
      const due = new Date(i.detected_at).getTime() + hours * 3_600_000;
      const late = knew ? knew.getTime() > due : input.now.getTime() > due;
      return { ...i, knew, due, late };
    });
    const late = measured.filter((m) => m.late);
    const pending = measured.filter((m) => !m.knew && !m.late);
    return {
      status: late.length ? 'fail' : 'pass',
      reason: late.length
        ? `${late.length} of ${measured.length} incident(s) not notified to the customer within ${hours} h`
        : measured.length
          ? `${measured.length} incident(s) notified within ${hours} h${pending.length ? ` (${pending.length} still within the window)` : ''}`
          : `no incident detected in ${INCIDENT_WINDOW_DAYS} days`,
      observed: {
        incidents: measured.length,
        notifiedLate: late.length,
        awaitingNotification: pending.length,
      },
      expected: { incidentNotificationHours: hours, incidentsNotifiedLate: 0 },
      evidence: firstOf(late).map((m) =>
        ref(
          m.id,
          `${m.severity} incident "${m.title}" detected ${new Date(m.detected_at).toISOString()}: ${m.knew ? `customer notified ${m.knew.toISOString()}` : 'customer not notified'} (due ${new Date(m.due).toISOString()})`,
        ),
      ),
      dataAt: late.length ? input.now : await lastDelivery(input.db, org),
      scope: measured.length,
    };
  },
};
