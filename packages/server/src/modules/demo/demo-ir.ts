import type { PlanContent } from '@accord/contracts';
import type { RequestContext } from '../../platform/context.ts';
import type { Runtime } from '../../server.ts';
import { usersRepo } from '../users/users.repo.ts';
import { agreedHours } from '../incidents/deadlines.ts';
import { planTemplate } from '../incidents/plan-template.ts';

const DAY = 86_400_000;

/**
 * The demo customer's incident response: a plan naming its executive, technical lead, procurement
 * officer and legal counsel and the MSP's engineer, approved by both parties; a joint tabletop held
 * a month ago with a finding and an open action; and an incident opened from the password-spray
 * alert of its demo logs, notified to the customer.
 */
export async function seedDemoIr(
  rt: Runtime,
  ctx: { msp: RequestContext; customer: RequestContext },
  orgId: string,
  emails: { exec: string; tech: string; proc: string; legal: string; mspEngineer: string },
) {
  const { plans, exercises, incidents } = rt.services;
  const db = rt.database.db;
  const id = async (email: string) => (await usersRepo.byEmail(db, email))!.id;
  const [exec, tech, proc, legal, eng] = await Promise.all(
    [emails.exec, emails.tech, emails.proc, emails.legal, emails.mspEngineer].map(id),
  );
  const content: PlanContent = {
    ...planTemplate('incident_response', await agreedHours(db, orgId), null),
    title: 'Tailspin Logistics and Northwind incident response plan',
    roles: [
      { role: 'executive_sponsor', userId: exec! },
      { role: 'technical_lead', userId: tech!, deputyUserId: eng! },
      { role: 'incident_lead', userId: tech! },
      { role: 'procurement_officer', userId: proc! },
      { role: 'legal', userId: legal! },
      { role: 'communications', userId: legal! },
      { role: 'msp_contact', userId: eng! },
    ],
    contactTree: [eng, tech, exec, proc, legal].map((u, i) => ({
      userId: u!,
      escalationOrder: i + 1,
      outOfBand: [{ kind: 'phone' as const, value: `+44 20 7946 0${100 + i}` }],
    })),
    hardCopyLocation: 'Fire safe, Tailspin head office; second copy at Northwind NOC',
  };
  const v = await plans.create(ctx.customer, orgId, { kind: 'incident_response', content });
  await plans.approve(ctx.customer, orgId, v.planId, 1, v.digest);
  await plans.approve(ctx.msp, orgId, v.planId, 1, v.digest);

  const ex = await exercises.schedule(ctx.msp, orgId, {
    planId: v.planId,
    kind: 'tabletop',
    title: 'Compromised MSP account',
    scenario: 'A Northwind engineer account signs in from abroad at night and disables MFA for two users.',
    scheduledFor: new Date(Date.now() - 31 * DAY).toISOString(),
    participants: [exec, tech, proc, legal, eng].map((userId) => ({ userId: userId! })),
  });
  await exercises.attendance(ctx.msp, orgId, ex.id, {
    heldAt: new Date(Date.now() - 30 * DAY).toISOString(),
    attendees: [exec, tech, proc, legal, eng].map((u) => ({ userId: u!, attended: u !== legal })),
  });
  await exercises.finding(ctx.msp, orgId, ex.id, {
    title: 'The legal counsel was not reachable out of hours',
    detail: 'Only an office number was on file; the contact tree needs a mobile number.',
    severity: 'medium',
  });
  await exercises.addAction(ctx.msp, orgId, ex.id, {
    title: 'Add an out-of-hours number for legal to the contact tree',
    ownerUserId: legal!,
    dueDate: new Date(Date.now() + 14 * DAY).toISOString().slice(0, 10),
    priority: 'high',
  });
  await exercises.close(ctx.msp, orgId, ex.id, 'Containment steps worked; one contact was out of date.');

  const spray = await db
    .selectFrom('alerts')
    .select('id')
    .where('org_id', '=', orgId)
    .where('rule_id', 'like', 'accord-spray%')
    .orderBy('created_at')
    .executeTakeFirst();
  const inc = await incidents.open(ctx.msp, orgId, {
    title: 'Password spray against Tailspin sign-ins',
    severity: 'medium',
    alertIds: spray ? [spray.id] : [],
    affectedSystems: ['identity provider'],
    playbook: 'password_spraying',
  });
  await incidents.notify(ctx.msp, orgId, inc.id, {
    recipient: 'customer',
    notifiedAt: new Date().toISOString(),
    channel: 'phone and e-mail to the Tailspin IT admin',
  });
  return { planId: v.planId, exerciseId: ex.id, incidentId: inc.id };
}
