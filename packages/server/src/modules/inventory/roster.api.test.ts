import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { createCustomer, createMsp } from '../../../test/support/factories.ts';
import { signIn, type ApiClient } from '../../../test/support/api-client.ts';

const SAMPLE = fs.readFileSync(new URL('../../../../../docs/samples/roster.csv', import.meta.url));

/** The staff roster over HTTP: the sample (CSV), a JSON file, and the list with its filters. */
describe.each(dbTargets())('staff roster over HTTP ($name)', (target) => {
  let srv: TestServer;
  let admin: ApiClient;
  let orgId: string;
  beforeAll(async () => {
    srv = await startTestServer(target);
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    orgId = cust.org.id;
    admin = await signIn(srv.url, cust.admin);
  });
  afterAll(() => srv.stop());

  const send = async (body: Buffer | string, type: string) => {
    const res = await fetch(`${admin.baseUrl}/api/v1/orgs/${orgId}/imports/roster?filename=roster`, {
      method: 'POST',
      headers: { 'content-type': type, cookie: admin.cookie!, 'x-csrf-token': admin.csrf! },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('imports the sample and lists people, leavers and stayers', async () => {
    const r = await send(SAMPLE, 'text/csv');
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'roster', format: 'csv', accepted: 4, rejected: 0 });
    const all = (await admin.get(`/api/v1/orgs/${orgId}/inventory/roster`)).body;
    expect(all.items.map((p: { person: string }) => p.person)).toEqual([
      'Adele Vance',
      'Backup service',
      'Lee Gu',
      'Northwind technician Sam Ortiz',
    ]);
    const left = (await admin.get(`/api/v1/orgs/${orgId}/inventory/roster?left=true`)).body;
    expect(left.items).toEqual([
      {
        person: 'Lee Gu',
        kind: 'person',
        accounts: ['lee.gu@contoso.example'],
        role: 'Finance',
        leftAt: '2025-08-01T17:00:00.000Z',
      },
    ]);
    const stay = (await admin.get(`/api/v1/orgs/${orgId}/inventory/roster?left=false&q=backup`)).body;
    expect(stay.items).toMatchObject([{ person: 'Backup service', kind: 'workload' }]);
  });

  it('reads JSON with the same fields, and refuses a file whose every row is bad', async () => {
    const json = JSON.stringify({
      roster: [
        { person: 'Sam Ortiz', accounts: ['nw-sam@contoso.example', 'sam@northwind.example'], leftAt: null },
        { person: 'Kim Lee', accounts: 'kim@contoso.example', kind: 'robot' },
      ],
    });
    const r = await send(json, 'application/json');
    expect(r.body).toMatchObject({ accepted: 1, rejected: 1, rejections: [{ line: 2 }] });
    const bad = await send('person,accounts,left_at\nX,x@contoso.example,someday\n', 'text/csv');
    expect(bad.status).toBe(400);
    // The refused file changed nothing: the JSON import's one person is still the roster.
    const all = (await admin.get(`/api/v1/orgs/${orgId}/inventory/roster`)).body;
    expect(all.items).toMatchObject([
      { person: 'Sam Ortiz', accounts: ['nw-sam@contoso.example', 'sam@northwind.example'] },
    ]);
  });
});
