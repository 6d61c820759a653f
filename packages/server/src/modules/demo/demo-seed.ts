import fs from 'node:fs';
import path from 'node:path';
import type { Role, MemberFunction } from '@accord/contracts';
import { systemContext, type RequestContext } from '../../platform/context.ts';
import { randomToken } from '../../platform/crypto.ts';
import { permissionsFor } from '@accord/contracts';
import type { Runtime } from '../../server.ts';
import { usersRepo } from '../users/users.repo.ts';
import { seedDemoLogs } from './demo-logs.ts';
import { seedDemoIr } from './demo-ir.ts';

export const DEMO_MSP_NAME = 'Northwind Managed Services (demo)';

export interface DemoUser {
  email: string;
  password: string;
  org: string;
  role: Role;
  function?: MemberFunction;
  totpSecret?: string;
}

const CONTROL_SET = [
  'LOG-01',
  'LOG-02',
  'LOG-05',
  'MFA-01',
  'MFA-02',
  'PIC-02',
  'PIC-04',
  'IRP-01',
  'IRP-02',
  'SCR-01',
  'BCK-01',
  'AUT-01',
  'LOG-03',
  'NET-02',
  'NET-04',
];

/**
 * Seeds the demo once: one MSP, three customers, a user for every role, and one agreement per
 * customer in a different state (draft; proposed and accepted by the MSP, awaiting the customer;
 * active with an amendment pending). Passwords and TOTP secrets are random, generated here, and
 * written to `<dataDir>/demo-credentials.json` (mode 0600) — never fixed in the code.
 */
export async function seedDemo(rt: Runtime): Promise<{ created: boolean; users: DemoUser[]; file: string }> {
  const file = path.join(rt.config.dataDir, 'demo-credentials.json');
  const existing = await rt.database.db
    .selectFrom('orgs')
    .select('id')
    .where('name', '=', DEMO_MSP_NAME)
    .executeTakeFirst();
  // Seeding ends with a `demo.seeded` audit entry: without it, an earlier run was interrupted.
  const finished =
    existing &&
    (await rt.database.db
      .selectFrom('audit_log')
      .select('seq')
      .where('org_id', '=', existing.id)
      .where('action', '=', 'demo.seeded')
      .executeTakeFirst());
  if (existing && !finished) {
    throw new Error(
      'an earlier demo seeding was interrupted and left partial data: start the demo with a new data directory (or an empty database)',
    );
  }
  if (existing) {
    const users = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as DemoUser[]) : [];
    return { created: false, users, file };
  }
  const { orgs, users, agreements, auth } = rt.services;
  const sys = systemContext('system (demo seed)');
  const people: DemoUser[] = [];
  const db = rt.database.db;

  async function addUser(
    orgId: string,
    orgName: string,
    email: string,
    name: string,
    role: Role,
    fn?: MemberFunction,
  ) {
    const password = randomToken(12);
    const expiresAt = role === 'auditor' ? new Date(Date.now() + 90 * 86_400_000).toISOString() : undefined;
    await users.addMember(sys, orgId, { email, name, role, function: fn, password, expiresAt });
    const u: DemoUser = { email, password, org: orgName, role, ...(fn ? { function: fn } : {}) };
    if (role === 'msp_admin' || role === 'msp_engineer' || role === 'customer_admin') {
      const user = (await usersRepo.byEmail(db, email))!;
      u.totpSecret = await db.transaction().execute((tx) => auth.enrollDirect(tx, user.id));
    }
    people.push(u);
  }

  const msp = await orgs.create(sys, { name: DEMO_MSP_NAME, kind: 'msp' });
  await addUser(msp.id, msp.name, 'alex.admin@northwind.example', 'Alex Admin', 'msp_admin');
  await addUser(msp.id, msp.name, 'erin.engineer@northwind.example', 'Erin Engineer', 'msp_engineer');
  await addUser(msp.id, msp.name, 'ari.auditor@insurer.example', 'Ari Auditor', 'auditor');

  const mspCtx = (role: Role): RequestContext => ({
    ...sys,
    orgId: msp.id,
    orgKind: 'msp',
    role,
    permissions: permissionsFor(role),
  });
  const customers: { org: { id: string; name: string }; domain: string }[] = [];
  for (const [name, domain] of [
    ['Contoso Dental', 'contoso.example'],
    ['Fabrikam Legal', 'fabrikam.example'],
    ['Tailspin Logistics', 'tailspin.example'],
  ] as const) {
    const c = await orgs.create(sys, { name, kind: 'customer' });
    await orgs.link(sys, msp.id, c.id, true);
    await addUser(c.id, name, `it.admin@${domain}`, `${name} IT Admin`, 'customer_admin');
    customers.push({ org: c, domain });
  }
  const tailspin = customers[2]!;
  for (const fn of ['executive', 'technical_lead', 'procurement', 'legal'] as const) {
    await addUser(
      tailspin.org.id,
      tailspin.org.name,
      `${fn.replace('_', '.')}@${tailspin.domain}`,
      `Tailspin ${fn.replace('_', ' ')}`,
      'customer_member',
      fn,
    );
  }
  await addUser(
    tailspin.org.id,
    tailspin.org.name,
    'auditor@assurance.example',
    'Tailspin External Auditor',
    'auditor',
  );

  // The MSP's accounts in the customers' logs, the log categories that must be kept and connected,
  // and the network MSP access must come from: so verification has something to verify.
  const PARAMS: Record<string, Record<string, string[]>> = {
    'LOG-01': { required_log_sources: ['identity_signin', 'server_auth'] },
    'LOG-02': { required_log_sources: ['identity_signin', 'server_auth'] },
    'LOG-05': { msp_account_upn_suffixes: ['northwind.example'], msp_account_names: ['erin'] },
    'NET-02': { msp_source_networks: ['192.0.2.0/24'] },
  };
  const controls = CONTROL_SET.map((controlId) => ({ controlId, parameters: PARAMS[controlId] ?? {} }));
  const admin = mspCtx('msp_admin');
  const custCtx = (orgId: string): RequestContext => ({
    ...sys,
    orgId,
    orgKind: 'customer',
    role: 'customer_admin',
    permissions: permissionsFor('customer_admin'),
  });

  // Contoso: a draft the MSP is still working on.
  await agreements.create(admin, {
    customerOrgId: customers[0]!.org.id,
    title: 'Contoso Dental managed security schedule',
    controls,
  });
  // Fabrikam: proposed and accepted by the MSP; awaiting the customer.
  const f = await agreements.create(admin, {
    customerOrgId: customers[1]!.org.id,
    title: 'Fabrikam Legal managed security schedule',
    controls,
  });
  const fp = await agreements.propose(admin, f.agreement_id, 1);
  await agreements.accept(admin, f.agreement_id, 1, fp.digest!);
  // Tailspin: version 1 active; the customer proposed an amendment (longer log retention).
  const t = await agreements.create(admin, {
    customerOrgId: tailspin.org.id,
    title: 'Tailspin Logistics managed security schedule',
    controls,
  });
  const tp = await agreements.propose(admin, t.agreement_id, 1);
  await agreements.accept(admin, t.agreement_id, 1, tp.digest!);
  await agreements.accept(custCtx(tailspin.org.id), t.agreement_id, 1, tp.digest!);
  const cust = custCtx(tailspin.org.id);
  const amendment = await agreements.amend(cust, t.agreement_id, {
    note: 'Keep logs for a year after the insurer review',
  });
  await agreements.updateDraft(cust, t.agreement_id, {
    controls: amendment.content.controls.map((c) => ({
      controlId: c.controlId,
      owner: c.owner,
      parameters: c.controlId === 'LOG-01' ? { ...c.parameters, log_retention_days: 365 } : c.parameters,
      verification: c.verification,
      cadence: c.cadence,
      notificationSlaHours: c.notificationSlaHours,
    })),
  });
  await agreements.propose(cust, t.agreement_id, 2);
  // Tailspin's logs: a week of sign-ins with an attack in it, then verification of its controls.
  const logs = await seedDemoLogs(rt, cust, tailspin.org.id, tailspin.domain);
  // Tailspin's incident response: an approved joint plan, a held exercise, an incident from the spray.
  await seedDemoIr(rt, { msp: admin, customer: cust }, tailspin.org.id, {
    exec: `executive@${tailspin.domain}`,
    tech: `technical.lead@${tailspin.domain}`,
    proc: `procurement@${tailspin.domain}`,
    legal: `legal@${tailspin.domain}`,
    mspEngineer: 'erin.engineer@northwind.example',
  });
  await rt.services.verification.runDue(new Date(), { agreementIds: [t.agreement_id] });
  await db.transaction().execute((tx) =>
    rt.services.audit.record(tx, sys, {
      orgIds: [msp.id],
      action: 'demo.seeded',
      targetType: 'org',
      targetId: msp.id,
      details: { customers: customers.map((c) => c.org.id), users: people.length, ...logs },
    }),
  );

  fs.mkdirSync(rt.config.dataDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(people, null, 2) + '\n', { mode: 0o600 });
  // `mode` only applies when the file is created: a credentials file left by an earlier seeding (of
  // another database, with --database-url) kept whatever mode it had. It holds passwords: 0600.
  fs.chmodSync(file, 0o600);
  return { created: true, users: people, file };
}
