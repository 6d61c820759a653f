import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { addUser, createCustomer, createMsp } from '../../../test/support/factories.ts';
import { signIn } from '../../../test/support/api-client.ts';

describe.each(dbTargets())('members and invitations ($name)', (target) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(target);
  });
  afterAll(() => srv.stop());

  it('adds a new account as an active member with the role and function given', async () => {
    const cust = await createCustomer(srv.rt, null);
    const admin = await signIn(srv.url, cust.admin);
    const email = `new-${Date.now()}@test.example`;
    const res = await admin.post(`/api/v1/orgs/${cust.org.id}/members`, {
      email,
      name: 'Pat Procurement',
      role: 'customer_member',
      function: 'procurement',
      password: 'a-long-initial-password',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      email,
      name: 'Pat Procurement',
      status: 'active',
      function: 'procurement',
      mfaEnrolled: false,
    });
    const bad = await admin.post(`/api/v1/orgs/${cust.org.id}/members`, {
      email: `x${email}`,
      name: 'X',
      role: 'msp_admin',
      password: 'a-long-initial-password',
    });
    expect(bad.status).toBe(400); // an MSP role in a customer organisation
    const auditorWithoutExpiry = await admin.post(`/api/v1/orgs/${cust.org.id}/members`, {
      email: `y${email}`,
      name: 'Y',
      role: 'auditor',
      password: 'a-long-initial-password',
    });
    expect(auditorWithoutExpiry.status).toBe(400);
  });

  it('invites an existing account instead of linking it, and shows nothing of it until accepted', async () => {
    const home = await createCustomer(srv.rt, null);
    const other = await createCustomer(srv.rt, null);
    const otherAdmin = await signIn(srv.url, other.admin);
    const invited = await otherAdmin.post(`/api/v1/orgs/${other.org.id}/members`, {
      email: home.admin.email,
      name: 'Someone',
      role: 'customer_member',
      function: 'legal',
    });
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({ status: 'invited', name: home.admin.email, mfaEnrolled: null });

    const user = await signIn(srv.url, home.admin);
    const session = await user.get('/api/v1/auth/session');
    expect(session.body.activeOrgId).toBe(home.org.id); // not moved into the inviting organisation
    expect(session.body.memberships.map((m: { orgId: string }) => m.orgId)).toEqual([home.org.id]);
    expect(session.body.invitations).toEqual([
      expect.objectContaining({ orgId: other.org.id, role: 'customer_member' }),
    ]);
    expect((await user.post('/api/v1/auth/switch-org', { orgId: other.org.id })).status).toBe(404);

    const accepted = await user.post(`/api/v1/auth/invitations/${other.org.id}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body.invitations).toEqual([]);
    expect(accepted.body.memberships.map((m: { orgId: string }) => m.orgId).sort()).toEqual(
      [home.org.id, other.org.id].sort(),
    );
    expect((await user.post('/api/v1/auth/switch-org', { orgId: other.org.id })).status).toBe(200);
    expect((await user.get('/api/v1/orgs/current')).body.id).toBe(other.org.id);

    const members = await otherAdmin.get(`/api/v1/orgs/${other.org.id}/members`);
    expect(members.body.find((m: { email: string }) => m.email === home.admin.email)).toMatchObject({
      status: 'active',
      mfaEnrolled: true,
    });
    const trail = (await otherAdmin.get(`/api/v1/orgs/${other.org.id}/audit`)).body.map(
      (e: { action: string }) => e.action,
    );
    expect(trail).toEqual(expect.arrayContaining(['member.invited', 'member.invitation_accepted']));
    expect((await user.post(`/api/v1/auth/invitations/${other.org.id}/accept`)).status).toBe(404); // already answered
  });

  it('lets the invited user decline, which removes the invitation', async () => {
    const home = await createCustomer(srv.rt, null);
    const other = await createCustomer(srv.rt, null);
    const otherAdmin = await signIn(srv.url, other.admin);
    await otherAdmin.post(`/api/v1/orgs/${other.org.id}/members`, {
      email: home.admin.email,
      name: 'x',
      role: 'customer_member',
    });
    const user = await signIn(srv.url, home.admin);
    const declined = await user.post(`/api/v1/auth/invitations/${other.org.id}/decline`);
    expect(declined.status).toBe(200);
    expect(declined.body.invitations).toEqual([]);
    const members = await otherAdmin.get(`/api/v1/orgs/${other.org.id}/members`);
    expect(members.body.some((m: { email: string }) => m.email === home.admin.email)).toBe(false);
  });

  it('asks a user without MFA to enrol once they accept a role that requires it', async () => {
    const home = await createCustomer(srv.rt, null);
    const member = await addUser(srv.rt, home.org.id, 'customer_member');
    const msp = await createMsp(srv.rt);
    const mspAdmin = await signIn(srv.url, msp.admin);
    await mspAdmin.post(`/api/v1/orgs/${msp.org.id}/members`, {
      email: member.email,
      name: 'x',
      role: 'msp_engineer',
    });
    const user = await signIn(srv.url, member);
    expect((await user.get('/api/v1/orgs/current')).status).toBe(200);
    const accepted = await user.post(`/api/v1/auth/invitations/${msp.org.id}/accept`);
    expect(accepted.body.status).toBe('mfa_enrollment_required');
    const blocked = await user.get('/api/v1/orgs/current');
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('mfa_enrollment_required');
  });

  it('removes members at once but never the last admin, and invitations do not count as admins', async () => {
    const cust = await createCustomer(srv.rt, null);
    const member = await addUser(srv.rt, cust.org.id, 'customer_member');
    const admin = await signIn(srv.url, cust.admin);
    const memberClient = await signIn(srv.url, member);
    expect((await memberClient.get('/api/v1/orgs/current')).status).toBe(200);
    expect((await admin.delete(`/api/v1/orgs/${cust.org.id}/members/${member.id}`)).status).toBe(204);
    expect((await memberClient.get('/api/v1/orgs/current')).status).toBe(403); // no membership left
    const elsewhere = await createCustomer(srv.rt, null);
    await admin.post(`/api/v1/orgs/${cust.org.id}/members`, {
      email: elsewhere.admin.email,
      name: 'x',
      role: 'customer_admin',
    });
    const last = await admin.delete(`/api/v1/orgs/${cust.org.id}/members/${cust.admin.id}`);
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('invalid_state');
  });
});
