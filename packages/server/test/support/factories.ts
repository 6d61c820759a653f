import { randomUUID } from 'node:crypto';
import { permissionsFor, type MemberFunction, type Role } from '@accord/contracts';
import { systemContext, type RequestContext } from '../../src/platform/context.ts';
import { randomToken } from '../../src/platform/crypto.ts';
import type { Runtime } from '../../src/server.ts';
import { usersRepo } from '../../src/modules/users/users.repo.ts';

/** A user made by a factory: what a test needs to sign in as them. */
export interface TestUser {
  id: string;
  email: string;
  password: string;
  orgId: string;
  role: Role;
  totpSecret: string | null;
  /** Last TOTP step used, so repeated sign-ins never replay a code. */
  lastStep: number;
}

const MFA_ROLES: Role[] = ['msp_admin', 'msp_engineer', 'customer_admin'];
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function addUser(
  rt: Runtime,
  orgId: string,
  role: Role,
  opts: { fn?: MemberFunction; enrollMfa?: boolean; expiresAt?: string; email?: string } = {},
): Promise<TestUser> {
  const email = opts.email ?? `${unique(role)}@test.example`;
  const password = randomToken(16);
  const expiresAt =
    opts.expiresAt ?? (role === 'auditor' ? new Date(Date.now() + 86_400_000).toISOString() : undefined);
  await rt.services.users.addMember(systemContext(), orgId, {
    email,
    name: email,
    role,
    function: opts.fn,
    password,
    expiresAt,
  });
  const row = (await usersRepo.byEmail(rt.database.db, email))!;
  let totpSecret: string | null = null;
  if (opts.enrollMfa ?? MFA_ROLES.includes(role)) {
    totpSecret = await rt.database.db
      .transaction()
      .execute((tx) => rt.services.auth.enrollDirect(tx, row.id));
  }
  return { id: row.id, email, password, orgId, role, totpSecret, lastStep: 0 };
}

export async function createMsp(rt: Runtime, name = unique('MSP')) {
  const org = await rt.services.orgs.create(systemContext(), { name, kind: 'msp' });
  const admin = await addUser(rt, org.id, 'msp_admin');
  return { org, admin };
}

/** A customer with its admin, linked to `mspOrgId` (active unless `invited` is asked for). */
export async function createCustomer(
  rt: Runtime,
  mspOrgId: string | null,
  opts: { invited?: boolean; name?: string } = {},
) {
  const org = await rt.services.orgs.create(systemContext(), {
    name: opts.name ?? unique('Customer'),
    kind: 'customer',
  });
  const admin = await addUser(rt, org.id, 'customer_admin');
  const relationship = mspOrgId
    ? await rt.services.orgs.link(systemContext(), mspOrgId, org.id, !opts.invited)
    : null;
  return { org, admin, relationship };
}

/** A service-level context for a user's role in an organisation (no HTTP involved). */
export function ctxFor(user: TestUser, orgKind: 'msp' | 'customer'): RequestContext {
  return {
    requestId: randomUUID(),
    actor: { kind: 'user', userId: user.id, tokenId: null, label: user.email },
    orgId: user.orgId,
    orgKind,
    role: user.role,
    permissions: permissionsFor(user.role),
    ip: '127.0.0.1',
  };
}

/** An agreement the MSP drafted and proposed and both parties accepted: version 1 is active. */
export async function activeAgreement(
  rt: Runtime,
  msp: RequestContext,
  customer: RequestContext,
  input: Parameters<Runtime['services']['agreements']['create']>[1],
) {
  const d = await rt.services.agreements.create(msp, input);
  const p = await rt.services.agreements.propose(msp, d.agreement_id, 1);
  await rt.services.agreements.accept(msp, d.agreement_id, 1, p.digest!);
  await rt.services.agreements.accept(customer, d.agreement_id, 1, p.digest!);
  return d;
}

/** A small valid control set for agreements. */
export const SAMPLE_CONTROLS = [{ controlId: 'LOG-01' }, { controlId: 'MFA-01' }, { controlId: 'IRP-01' }];
