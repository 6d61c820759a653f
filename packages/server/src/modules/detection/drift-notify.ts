import { randomUUID } from 'node:crypto';
import type { AlertLevel } from '@accord/contracts';
import type { Executor } from '../../platform/db/db.ts';
import { LEVEL_RANK } from './alerts.repo.ts';

/** A control's status change, as the notification channels carry it. */
export interface DriftNotice {
  agreementId: string;
  mspOrgId: string;
  customerOrgId: string;
  controlId: string;
  from: string;
  to: string;
  reason: string;
  observed: unknown;
  evidence: unknown;
  at: Date;
  /** The control's notification SLA: the delivery is due within it. */
  slaHours: number;
}

/** A failing control is high; a recovery or a loss of certainty is worth a medium notice. */
export const driftLevel = (to: string): AlertLevel =>
  to === 'fail' ? 'high' : to === 'partial' ? 'medium' : 'medium';

/**
 * Queues a drift notice for the channels of the agreement's two parties only (never a co-MSP of the
 * customer), in the caller's transaction: the status change and its notices commit together.
 */
export async function enqueueDrift(tx: Executor, d: DriftNotice): Promise<number> {
  const level = driftLevel(d.to);
  const channels = await tx
    .selectFrom('notification_channels')
    .select(['id', 'org_id', 'min_level'])
    .where('disabled_at', 'is', null)
    .where('org_id', 'in', [d.mspOrgId, d.customerOrgId])
    .execute();
  const wanted = channels.filter((c) => LEVEL_RANK[level] >= LEVEL_RANK[c.min_level as AlertLevel]);
  if (wanted.length === 0) return 0;
  const payload = JSON.stringify({
    event: 'control.status_changed',
    alert: {
      title: `${d.controlId}: ${d.from} -> ${d.to}`,
      level,
      summary: d.reason,
    },
    control: {
      agreementId: d.agreementId,
      controlId: d.controlId,
      from: d.from,
      to: d.to,
      reason: d.reason,
      observed: d.observed,
      evidence: d.evidence,
      at: d.at.toISOString(),
    },
  });
  await tx
    .insertInto('notification_outbox')
    .values(
      wanted.map((c) => ({
        id: randomUUID(),
        org_id: c.org_id,
        channel_id: c.id,
        alert_id: null,
        alert_org_id: d.customerOrgId,
        event: 'control.status_changed',
        payload,
        created_at: d.at,
        due_by: new Date(d.at.getTime() + d.slaHours * 3_600_000),
        next_attempt_at: d.at,
      })),
    )
    .execute();
  return wanted.length;
}
