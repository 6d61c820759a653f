import { describe, expect, it } from 'vitest';
import { PlanContent } from '@accord/contracts';
import { computeDeadlines, customerKnewAt, statusOf, type DeadlineInput } from './deadlines.ts';
import type { Person } from './ir-access.ts';
import { approvalsNeeded, contentErrors, missingForApproval, unfilledRoles } from './plan-rules.ts';
import { planTemplate } from './plan-template.ts';

const H = 3_600_000;
const CUST = '00000000-0000-4000-8000-00000000000c';
const MSP = '00000000-0000-4000-8000-00000000000a';
const u = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const person = (n: number, orgId = CUST): [string, Person] => [
  u(n),
  { userId: u(n), orgId, name: `P${n}`, email: `p${n}@x.example` },
];

describe('notification deadlines', () => {
  const detected = new Date('2026-03-02T10:00:00Z');
  const base: DeadlineInput = {
    orgId: CUST,
    severity: 'high',
    detectedAt: detected,
    declaredAt: new Date('2026-03-02T10:30:00Z'),
    declaredByOrgId: MSP,
    notifications: [],
  };
  const agreed = [{ agreementId: 'ag-1', mspOrgId: MSP, controlId: 'LOG-09' as const, hours: 4 }];

  it('is met, late, pending or missed against detection + hours', () => {
    const due = detected.getTime() + 4 * H;
    expect(statusOf(due, due, due + 1)).toBe('met');
    expect(statusOf(due, due + 1, due + 2)).toBe('late');
    expect(statusOf(due, null, due)).toBe('pending');
    expect(statusOf(due, null, due + 1)).toBe('missed');
    const [d] = computeDeadlines(base, agreed, [], new Date(due + H));
    expect(d).toEqual({
      source: 'agreement',
      ref: 'ag-1 LOG-09',
      recipient: 'customer',
      hours: 4,
      dueAt: '2026-03-02T14:00:00.000Z',
      notifiedAt: null,
      status: 'missed',
    });
  });

  it('counts the first notification to the recipient, or the customer declaring it itself', () => {
    const notes = [
      { recipient: 'customer', notified_at: new Date('2026-03-02T15:00:00Z') },
      { recipient: 'customer', notified_at: new Date('2026-03-02T12:00:00Z') },
      { recipient: 'regulator', notified_at: new Date('2026-03-02T11:00:00Z') },
    ];
    expect(customerKnewAt({ ...base, notifications: notes })!.toISOString()).toBe('2026-03-02T12:00:00.000Z');
    expect(customerKnewAt({ ...base, declaredByOrgId: CUST })!.toISOString()).toBe(
      '2026-03-02T10:30:00.000Z',
    );
    expect(customerKnewAt(base)).toBeNull();
  });

  it("takes the plan's duties from their minimum severity", () => {
    const duties = [
      {
        recipient: 'authority' as const,
        withinHours: 72,
        minSeverity: 'high' as const,
        description: 'authority',
      },
      {
        recipient: 'insurer' as const,
        withinHours: 24,
        minSeverity: 'critical' as const,
        description: 'insurer',
      },
    ];
    const out = computeDeadlines(base, [], duties, detected);
    expect(out.map((d) => d.recipient)).toEqual(['authority']);
    expect(computeDeadlines({ ...base, severity: 'critical' }, [], duties, detected)).toHaveLength(2);
    expect(computeDeadlines({ ...base, severity: 'medium' }, [], duties, detected)).toHaveLength(0);
  });
});

describe('plan rules', () => {
  const people = new Map([person(1), person(2), person(3), person(4), person(5, MSP)]);
  const plan = (over: Partial<PlanContent> = {}) =>
    PlanContent.parse({
      ...planTemplate('incident_response', [], null),
      roles: [
        { role: 'executive_sponsor', userId: u(1) },
        { role: 'technical_lead', userId: u(2) },
        { role: 'procurement_officer', userId: u(3) },
        { role: 'legal', userId: u(4) },
        { role: 'msp_contact', userId: u(5) },
      ],
      contactTree: [1, 2, 3, 4, 5].map((n) => ({
        userId: u(n),
        escalationOrder: n,
        outOfBand: [{ kind: 'phone', value: `+1 555 010${n}` }],
      })),
      ...over,
    });

  it('needs the three advisory roles, each reachable out of band, and the standard playbooks', () => {
    expect(missingForApproval('incident_response', plan(), people)).toEqual([]);
    const noReach = plan({ contactTree: [] });
    expect(missingForApproval('incident_response', noReach, people)).toEqual([
      'the executive sponsor has no out-of-band contact in the contact tree',
      'the technical lead has no out-of-band contact in the contact tree',
      'the procurement officer has no out-of-band contact in the contact tree',
    ]);
    const gone = new Map([...people].filter(([k]) => k !== u(3)));
    expect(missingForApproval('incident_response', plan(), gone)).toEqual([
      `no longer a member of either party: ${u(3)}`,
      "no procurement officer named (the advisory's roles: executive, technical lead, procurement officer)",
    ]);
    const fewer = plan({ playbooks: plan().playbooks.filter((p) => p.incidentType !== 'ransomware') });
    expect(missingForApproval('incident_response', fewer, people)).toEqual(['no playbook for ransomware']);
    expect(missingForApproval('recovery', plan(), people)).toEqual([
      'no recovery objectives (RTO and RPO per critical system)',
    ]);
  });

  it("maps IRP-01's required_roles onto the plan's roles and refuses names it does not know", () => {
    const c = plan();
    expect(
      unfilledRoles(c, ['executive', 'technical_lead', 'procurement_officer', 'msp_contact'], people),
    ).toEqual([]);
    expect(unfilledRoles(c, ['legal_communications', 'incident_lead'], people)).toEqual([
      'legal_communications', // legal is named, communications is not
      'incident_lead',
    ]);
    expect(() => unfilledRoles(c, ['ciso'], people)).toThrow(/required_roles names ciso/);
  });

  it('needs the approval of the owner and of each party named, and reports duplicates', () => {
    expect(approvalsNeeded(CUST, plan(), people)).toEqual([MSP, CUST].sort());
    expect(approvalsNeeded(CUST, plan({ roles: [], contactTree: [] }), people)).toEqual([CUST]);
    const twice = plan({
      severityScale: [
        { level: 'high', description: 'a' },
        { level: 'high', description: 'b' },
      ],
      roles: [{ role: 'legal', userId: u(4), deputyUserId: u(4) }],
    });
    expect(contentErrors(twice)).toEqual([
      'severityScale: level high is defined twice',
      'roles[0]: the deputy of the legal is the same person',
    ]);
  });
});
