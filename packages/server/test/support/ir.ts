import { STANDARD_PLAYBOOKS, type PlanContent, type PlanKind } from '@accord/contracts';
import type { Runtime } from '../../src/server.ts';
import type { CheckInput } from '../../src/modules/verification/check.types.ts';
import { activeAgreement, addUser, createCustomer, createMsp, ctxFor } from './factories.ts';

/**
 * An MSP and a customer with the people an incident response plan names: the customer's executive,
 * technical lead, procurement officer and legal counsel (members with those functions) and an MSP
 * engineer as the MSP contact. `controls` makes an active agreement between them.
 */
export async function irWorld(
  rt: Runtime,
  controls: { controlId: string; parameters?: Record<string, number | string | boolean | string[]> }[] = [],
) {
  const msp = await createMsp(rt);
  const cust = await createCustomer(rt, msp.org.id);
  const [exec, tech, proc, legal, member, auditor, mspEng] = await Promise.all([
    addUser(rt, cust.org.id, 'customer_member', { fn: 'executive' }),
    addUser(rt, cust.org.id, 'customer_member', { fn: 'technical_lead' }),
    addUser(rt, cust.org.id, 'customer_member', { fn: 'procurement' }),
    addUser(rt, cust.org.id, 'customer_member', { fn: 'legal' }),
    addUser(rt, cust.org.id, 'customer_member'),
    addUser(rt, cust.org.id, 'auditor'),
    addUser(rt, msp.org.id, 'msp_engineer'),
  ]);
  const m = ctxFor(msp.admin, 'msp');
  const c = ctxFor(cust.admin, 'customer');
  const eng = ctxFor(mspEng, 'msp');
  const agreement = controls.length
    ? await activeAgreement(rt, m, c, { customerOrgId: cust.org.id, title: 'IR schedule', controls })
    : null;
  const people = { exec, tech, proc, legal, mspEng };

  /** A plan that names every role with an out-of-band contact and has what approval needs. */
  function fullPlan(kind: PlanKind = 'incident_response', over: Partial<PlanContent> = {}): PlanContent {
    const role = (r: PlanContent['roles'][number]['role'], u: { id: string }) => ({ role: r, userId: u.id });
    return {
      title: kind === 'incident_response' ? 'Joint incident response plan' : 'Joint recovery plan',
      scope: 'Every system of the customer and the MSP paths into it.',
      severityScale: [
        { level: 'critical', description: 'Privileged access compromised' },
        { level: 'high', description: 'Likely compromise' },
        { level: 'medium', description: 'Suspicious' },
        { level: 'low', description: 'Weakness' },
      ],
      roles: [
        role('executive_sponsor', exec),
        role('technical_lead', tech),
        role('incident_lead', tech),
        role('procurement_officer', proc),
        role('legal', legal),
        role('communications', legal),
        role('msp_contact', mspEng),
      ],
      contactTree: [mspEng, tech, exec, proc, legal].map((u, i) => ({
        userId: u.id,
        escalationOrder: i + 1,
        outOfBand: [{ kind: 'phone' as const, value: `+44 20 7946 00${10 + i}` }],
      })),
      externalContacts: [
        { name: 'NCSC incident reporting', purpose: 'national authority', phone: '+44 300 123 2040' },
      ],
      notificationDuties: [
        {
          recipient: 'authority',
          withinHours: 72,
          minSeverity: 'high',
          description: 'Report to the national authority',
        },
      ],
      recoveryObjectives: kind === 'recovery' ? [{ system: 'ERP', rtoHours: 8, rpoHours: 4 }] : [],
      playbooks:
        kind === 'incident_response'
          ? STANDARD_PLAYBOOKS.map((t) => ({
              incidentType: t,
              title: t.replace(/_/g, ' '),
              steps: [
                { text: `Contain the ${t.replace(/_/g, ' ')}`, role: 'technical_lead' as const },
                { text: 'Notify' },
              ],
            }))
          : [],
      exerciseCadenceDays: 180,
      hardCopyLocation: 'Safe in the customer head office',
      ...over,
    };
  }

  /** Creates the plan with `content` and has both parties approve version 1. */
  async function approvedPlan(kind: PlanKind = 'incident_response', content = fullPlan(kind)) {
    const v1 = await rt.services.plans.create(c, cust.org.id, { kind, content });
    await rt.services.plans.approve(c, cust.org.id, v1.planId, 1, v1.digest);
    const done = await rt.services.plans.approve(m, cust.org.id, v1.planId, 1, v1.digest);
    if (done.state !== 'approved') throw new Error(`plan not approved: ${done.missing.join('; ')}`);
    return done;
  }

  const agreed = new Map<string, Record<string, unknown>>();
  if (agreement) {
    const v = await rt.services.agreements.version(c, agreement.agreement_id, 1);
    const content = (typeof v.content === 'string' ? JSON.parse(v.content) : v.content) as {
      controls: { controlId: string; parameters: Record<string, unknown> }[];
    };
    for (const x of content.controls) agreed.set(x.controlId, x.parameters);
  }
  /** The input verification gives a check of this agreement (with the attestation lookup). */
  const input = (controlId: string, now = new Date(), parameters?: Record<string, unknown>): CheckInput => ({
    db: rt.database.db,
    agreementId: agreement!.agreement_id,
    mspOrgId: msp.org.id,
    customerOrgId: cust.org.id,
    controlId,
    parameters: parameters ?? agreed.get(controlId)!,
    now,
    attestationOf: (a, ctl, at) => rt.services.attestations.attestationState(a, ctl, at),
  });

  return { rt, msp, cust, m, c, eng, people, member, auditor, agreement, fullPlan, approvedPlan, input };
}
