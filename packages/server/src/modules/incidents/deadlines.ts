import { SEVERITY_RANK, type PlanContent, type Recipient, type IncidentSeverity } from '@accord/contracts';
import type { Executor } from '../../platform/db/db.ts';

/**
 * Notification deadlines of an incident. The agreement's duty is LOG-09's
 * `incident_notification_hours` ("the MSP notifies the customer within the agreed time", what the
 * parties verify); where an agreement has no LOG-09, TRN-03's parameter of the same name (the
 * contract clause's limit) stands in. The controls' `notification_sla_hours` are not used: they say
 * how fast a change of a control's status is sent, not how fast an incident is notified. The
 * approved incident response plan adds its own duties (authority, regulator, insurer, ...), each
 * from a minimum severity.
 */
export interface AgreedHours {
  agreementId: string;
  mspOrgId: string;
  controlId: 'LOG-09' | 'TRN-03';
  hours: number;
}

interface Content {
  controls: { controlId: string; parameters: Record<string, unknown> }[];
}
const contentOf = (c: unknown) => (typeof c === 'string' ? JSON.parse(c) : c) as Content;

/** The agreed incident notification hours of every active agreement in which `orgId` is the customer. */
export async function agreedHours(db: Executor, orgId: string): Promise<AgreedHours[]> {
  const rows = await db
    .selectFrom('agreement_versions as v')
    .innerJoin('agreements as a', 'a.id', 'v.agreement_id')
    .select(['v.agreement_id', 'v.msp_org_id', 'v.content'])
    .where('v.customer_org_id', '=', orgId)
    .where('v.state', '=', 'active')
    .where('a.ended_at', 'is', null)
    .orderBy('v.agreement_id')
    .execute();
  const out: AgreedHours[] = [];
  for (const r of rows) {
    const controls = contentOf(r.content).controls;
    for (const id of ['LOG-09', 'TRN-03'] as const) {
      const h = controls.find((c) => c.controlId === id)?.parameters.incident_notification_hours;
      if (typeof h === 'number' && h > 0) {
        out.push({ agreementId: r.agreement_id, mspOrgId: r.msp_org_id, controlId: id, hours: h });
        break;
      }
    }
  }
  return out;
}

/** The smallest value of a parameter across the active agreements of a customer (null: none sets it). */
export async function agreedParam(db: Executor, orgId: string, controlId: string, name: string) {
  const rows = await db
    .selectFrom('agreement_versions as v')
    .innerJoin('agreements as a', 'a.id', 'v.agreement_id')
    .select('v.content')
    .where('v.customer_org_id', '=', orgId)
    .where('v.state', '=', 'active')
    .where('a.ended_at', 'is', null)
    .execute();
  const values = rows
    .map((r) => contentOf(r.content).controls.find((c) => c.controlId === controlId)?.parameters[name])
    .filter((v): v is number => typeof v === 'number');
  return values.length ? Math.min(...values) : null;
}

export interface DeadlineInput {
  orgId: string;
  severity: IncidentSeverity;
  detectedAt: Date;
  declaredAt: Date;
  declaredByOrgId: string | null;
  notifications: { recipient: string; notified_at: Date }[];
}

export type DeadlineStatus = 'met' | 'late' | 'pending' | 'missed';
export interface DeadlineView {
  source: 'agreement' | 'plan';
  ref: string;
  recipient: Recipient;
  hours: number;
  dueAt: string;
  notifiedAt: string | null;
  status: DeadlineStatus;
}

const ms = (d: Date | string) => new Date(d).getTime();

/**
 * When the customer knew: the first notification recorded to it or, when one of its own members
 * declared the incident, the declaration itself.
 */
export function customerKnewAt(i: DeadlineInput): Date | null {
  const times = i.notifications.filter((n) => n.recipient === 'customer').map((n) => ms(n.notified_at));
  if (i.declaredByOrgId === i.orgId) times.push(ms(i.declaredAt));
  return times.length ? new Date(Math.min(...times)) : null;
}

export function statusOf(dueAt: number, notifiedAt: number | null, now: number): DeadlineStatus {
  if (notifiedAt !== null) return notifiedAt <= dueAt ? 'met' : 'late';
  return now <= dueAt ? 'pending' : 'missed';
}

export function computeDeadlines(
  i: DeadlineInput,
  agreed: AgreedHours[],
  duties: PlanContent['notificationDuties'],
  now = new Date(),
): DeadlineView[] {
  const out: DeadlineView[] = [];
  const make = (
    source: DeadlineView['source'],
    ref: string,
    recipient: Recipient,
    hours: number,
    at: Date | null,
  ) => {
    const due = ms(i.detectedAt) + hours * 3_600_000;
    out.push({
      source,
      ref,
      recipient,
      hours,
      dueAt: new Date(due).toISOString(),
      notifiedAt: at ? at.toISOString() : null,
      status: statusOf(due, at ? at.getTime() : null, now.getTime()),
    });
  };
  const knew = customerKnewAt(i);
  for (const a of agreed) make('agreement', `${a.agreementId} ${a.controlId}`, 'customer', a.hours, knew);
  for (const d of duties) {
    if (SEVERITY_RANK[i.severity] < SEVERITY_RANK[d.minSeverity]) continue;
    const times = i.notifications.filter((n) => n.recipient === d.recipient).map((n) => ms(n.notified_at));
    const at = d.recipient === 'customer' ? knew : times.length ? new Date(Math.min(...times)) : null;
    make('plan', d.description, d.recipient, d.withinHours, at);
  }
  return out;
}
