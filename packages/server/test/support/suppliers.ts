import type { SignoffFunction, SupplierBody } from '@accord/contracts';
import type { RequestContext } from '../../src/platform/context.ts';
import type { Runtime } from '../../src/server.ts';
import { signIn } from './api-client.ts';
import { activeAgreement, addUser, createCustomer, createMsp, ctxFor, type TestUser } from './factories.ts';
import type { TestServer } from './harness.ts';

/** A register entry with sensible defaults; `over` replaces any field. */
export const supplierInput = (name: string, over: Partial<SupplierBody> = {}) => ({
  name,
  kind: 'supplier' as const,
  services: ['managed backup'],
  products: [],
  privilegedAccess: false,
  dataCategories: [],
  criticality: 'high' as const,
  published: false,
  ...over,
});

/** Three members of `orgId`, one per sign-off function (members of a customer, engineers of an MSP). */
export async function signers(rt: Runtime, orgId: string, kind: 'msp' | 'customer') {
  const role = kind === 'msp' ? 'msp_engineer' : 'customer_member';
  const [security, legal, procurement] = await Promise.all(
    (['security', 'legal', 'procurement'] as const).map((fn) => addUser(rt, orgId, role, { fn })),
  );
  const users: Record<SignoffFunction, TestUser> = {
    security: security!,
    legal: legal!,
    procurement: procurement!,
  };
  const ctx = (f: SignoffFunction) => ctxFor(users[f], kind);
  return { users, ctx };
}

/**
 * Takes a supplier through a whole assessment with the services: every question answered yes, the
 * scores given, one treatment owned by `owner`, submitted and signed by the three functions. Returns
 * the complete assessment; `at` dates every step (a past `at` makes an old assessment).
 */
export async function completeAssessment(
  rt: Runtime,
  manager: RequestContext,
  sign: (f: SignoffFunction) => RequestContext,
  orgId: string,
  supplierId: string,
  opts: {
    inherent?: { likelihood: number; impact: number };
    residual?: { likelihood: number; impact: number };
    ownerUserId: string;
    dueDate?: string;
    at?: Date;
  },
) {
  const at = opts.at ?? new Date();
  const svc = rt.services.supplierAssessments;
  const a = await svc.start(manager, orgId, supplierId, at);
  await svc.update(
    manager,
    orgId,
    a.row.id,
    {
      answers: a.questions.map((q) => ({ controlId: q.controlId, answer: 'yes' as const, evidence: [] })),
      inherent: opts.inherent ?? { likelihood: 4, impact: 4 },
      residual: opts.residual ?? { likelihood: 2, impact: 3 },
    },
    at,
  );
  await svc.addTreatment(
    manager,
    orgId,
    a.row.id,
    {
      type: 'mitigate',
      description: 'Require MFA on the supplier’s support accounts',
      ownerUserId: opts.ownerUserId,
      dueDate: opts.dueDate ?? new Date(at.getTime() + 30 * 86_400_000).toISOString().slice(0, 10),
    },
    at,
  );
  await svc.submit(manager, orgId, a.row.id, at);
  for (const f of ['security', 'legal', 'procurement'] as const)
    await svc.signoff(sign(f), orgId, a.row.id, { function: f }, at);
  return svc.get(manager, orgId, a.row.id, at);
}

/**
 * Over HTTP: an MSP and its customer with an active agreement (SCR-01, SCR-02), the customer's admin,
 * a member for each sign-off function, a member without one, an auditor, the MSP's admin and
 * engineer, and an unrelated MSP with its own customer. Clients are signed in.
 */
export async function supplyWorld(srv: TestServer) {
  const { rt, url } = srv;
  const [msp, other] = await Promise.all([createMsp(rt), createMsp(rt)]);
  const [cust, otherCust] = await Promise.all([
    createCustomer(rt, msp.org.id),
    createCustomer(rt, other.org.id),
  ]);
  const m = ctxFor(msp.admin, 'msp');
  const c = ctxFor(cust.admin, 'customer');
  const agreement = await activeAgreement(rt, m, c, {
    customerOrgId: cust.org.id,
    title: 'Supply chain schedule',
    controls: [{ controlId: 'SCR-01' }, { controlId: 'SCR-02' }],
  });
  const [engineer, auditor, member, fns] = await Promise.all([
    addUser(rt, msp.org.id, 'msp_engineer'),
    addUser(rt, cust.org.id, 'auditor'),
    addUser(rt, cust.org.id, 'customer_member'),
    signers(rt, cust.org.id, 'customer'),
  ]);
  const clients = await Promise.all([
    signIn(url, msp.admin),
    signIn(url, cust.admin),
    signIn(url, engineer),
    signIn(url, auditor),
    signIn(url, member),
    signIn(url, fns.users.security),
    signIn(url, fns.users.legal),
    signIn(url, fns.users.procurement),
    signIn(url, other.admin),
    signIn(url, otherCust.admin),
  ]);
  const [
    mspAdmin,
    custAdmin,
    mspEngineer,
    custAuditor,
    custMember,
    security,
    legal,
    procurement,
    otherAdmin,
    otherCustAdmin,
  ] = clients;
  return {
    rt,
    msp,
    cust,
    other,
    otherCust,
    m,
    c,
    agreementId: agreement.agreement_id,
    users: { engineer, auditor, member, ...fns.users },
    mspAdmin: mspAdmin!,
    custAdmin: custAdmin!,
    mspEngineer: mspEngineer!,
    custAuditor: custAuditor!,
    custMember: custMember!,
    security: security!,
    legal: legal!,
    procurement: procurement!,
    otherAdmin: otherAdmin!,
    otherCustAdmin: otherCustAdmin!,
    /** The customer's register routes. */
    org: (orgId = cust.org.id) => `/api/v1/orgs/${orgId}`,
  };
}
export type SupplyWorld = Awaited<ReturnType<typeof supplyWorld>>;
