import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { addUser, createCustomer, createMsp } from '../../../test/support/factories.ts';
import { signIn, type ApiClient } from '../../../test/support/api-client.ts';

describe.each(dbTargets())('directory groups over HTTP ($name)', (target) => {
  let srv: TestServer;
  let admin: ApiClient;
  let viewer: ApiClient;
  let orgId: string;
  const members = (group: string) => `/api/v1/orgs/${orgId}/groups/${encodeURIComponent(group)}/members`;
  beforeAll(async () => {
    srv = await startTestServer(target);
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    orgId = cust.org.id;
    admin = await signIn(srv.url, cust.admin);
    viewer = await signIn(srv.url, await addUser(srv.rt, orgId, 'customer_member'));
  });
  afterAll(() => srv.stop());

  it('replaces a group whole, lists it, and removes it with an empty list', async () => {
    const put = await admin.put(members('MSP Technicians'), { members: ['a@msp.example', 'B@msp.example'] });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ name: 'MSP Technicians', memberCount: 2, added: 2, removed: 0 });
    const again = await admin.put(members('msp technicians'), {
      members: ['b@MSP.example', 'c@msp.example'],
    });
    expect(again.body).toMatchObject({ memberCount: 2, added: 1, removed: 1 });
    expect((await viewer.get(members('MSP TECHNICIANS'))).body.members).toEqual([
      'b@MSP.example',
      'c@msp.example',
    ]);
    const list = await viewer.get(`/api/v1/orgs/${orgId}/groups`);
    expect(list.body).toEqual([expect.objectContaining({ memberCount: 2 })]);
    expect((await admin.put(members('MSP Technicians'), { members: [] })).body.memberCount).toBe(0);
    const gone = await viewer.get(members('MSP Technicians'));
    expect([gone.status, gone.body.error.code]).toEqual([404, 'not_found']);
  });

  it('refuses writes without logs:manage and bad input, keeping what was stored', async () => {
    await admin.put(members('Helpdesk'), { members: ['kept@msp.example'] });
    const denied = await viewer.put(members('Helpdesk'), { members: [] });
    expect(denied.status).toBe(403);
    const control = await admin.put(members('Helpdesk'), { members: ['bad\u0000name'] });
    expect([control.status, control.body.error.code]).toEqual([400, 'validation_failed']);
    const many = Array.from({ length: 20_001 }, (_, i) => `u${i}@msp.example`);
    expect((await admin.put(members('Helpdesk'), { members: many })).status).toBe(400);
    const extra = await admin.put(members('Helpdesk'), { members: [], add: ['x'] });
    expect(extra.status).toBe(400);
    expect((await viewer.get(members('Helpdesk'))).body.members).toEqual(['kept@msp.example']);
  });
});
