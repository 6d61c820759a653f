import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { createCustomer, createMsp } from '../../../test/support/factories.ts';
import { signIn, type ApiClient } from '../../../test/support/api-client.ts';
import { dataset } from '../../../test/support/datasets.ts';

const SAMPLES = fileURLToPath(new URL('../../../../../docs/samples/', import.meta.url));
const sample = (name: string) => fs.readFileSync(path.join(SAMPLES, name));
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Sends a file as the body, with the client's session cookie and CSRF token. */
async function send(
  c: ApiClient,
  p: string,
  body: Buffer | string,
  type: string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(c.baseUrl + p, {
    method: 'POST',
    headers: { 'content-type': type, cookie: c.cookie!, 'x-csrf-token': c.csrf!, ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}

describe.each(dbTargets())('inventory imports over HTTP ($name)', (target) => {
  let srv: TestServer;
  let admin: ApiClient;
  let mspAdmin: ApiClient;
  let orgId: string;
  const imp = (kind: string, q = '') => `/api/v1/orgs/${orgId}/imports/${kind}${q}`;
  const inv = (kind: string, q = '') => `/api/v1/orgs/${orgId}/inventory/${kind}${q}`;
  beforeAll(async () => {
    srv = await startTestServer(target);
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    orgId = cust.org.id;
    admin = await signIn(srv.url, cust.admin);
    mspAdmin = await signIn(srv.url, msp.admin);
  });
  afterAll(() => srv.stop());

  it('imports the Entra ID sample: users joined with registration details and roles', async () => {
    const r = await send(
      admin,
      imp('identity', '?filename=identity-entra.json'),
      sample('identity-entra.json'),
      'application/json',
    );
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      kind: 'identity',
      format: 'entra',
      mode: 'replace',
      accepted: 4,
      rejected: 0,
    });
    expect(r.body.sha256).toBe(sha(sample('identity-entra.json')));
    const page = (await admin.get(inv('accounts'))).body;
    const byUpn = Object.fromEntries(page.items.map((a: { account: string }) => [a.account, a]));
    expect(byUpn['it.admin@contoso.example']).toMatchObject({
      mfaRegistered: true,
      mfaMethods: ['fido2'],
      privileged: true,
      privilegedRoles: ['Global Administrator'],
      lastSignIn: '2025-08-24T16:30:00.000Z',
    });
    expect(byUpn['adele.vance@contoso.example'].lastSignIn).toBe('2025-08-21T10:00:00.000Z');
    expect(byUpn['old.contractor@contoso.example']).toMatchObject({ enabled: false, mfaRegistered: null });
    expect(page.importId).toBe(r.body.id);
    const noMfa = (await admin.get(inv('accounts', '?mfaRegistered=false'))).body.items;
    expect(noMfa.map((a: { account: string }) => a.account)).toEqual(['tech1@northwind-msp.example']);
  });

  it('merges a registration-details file into the stored accounts', async () => {
    const details = {
      value: [
        {
          id: 'd8b3a6c2-1f0e-4b7a-9c51-2a6f0e9d4c11',
          userPrincipalName: 'tech1@northwind-msp.example',
          isAdmin: true,
          isMfaCapable: true,
          isMfaRegistered: true,
          methodsRegistered: ['fido2'],
        },
        { isMfaRegistered: true },
      ],
    };
    const r = await send(admin, imp('identity'), JSON.stringify(details), 'application/json');
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      mode: 'merge',
      accepted: 1,
      rejected: 1,
      rejections: [{ line: 2, reason: 'userPrincipalName is required' }],
    });
    const all = (await admin.get(inv('accounts'))).body.items;
    expect(all).toHaveLength(4);
    expect(
      all.find((a: { account: string }) => a.account === 'tech1@northwind-msp.example').mfaRegistered,
    ).toBe(true);
  });

  it('imports Okta users with factors and roles, and the generic CSV', async () => {
    const okta = await send(admin, imp('identity'), sample('identity-okta.json'), 'application/json');
    expect(okta.body).toMatchObject({ format: 'okta', accepted: 3, rejected: 0 });
    const accounts = (await admin.get(inv('accounts'))).body.items;
    expect(accounts.map((a: { account: string }) => a.account)).toEqual([
      'isaac.brock@example.com',
      'sam.gone@example.com',
      'tech@northwind-msp.example',
    ]);
    expect(accounts[0]).toMatchObject({ enabled: true, mfaRegistered: true, mfaMethods: ['push'] });
    expect(accounts[1]).toMatchObject({ enabled: false, mfaRegistered: false });
    expect(accounts[2]).toMatchObject({ privileged: true, privilegedRoles: ['Super Administrator'] });
    const csv = await send(admin, imp('identity'), sample('identity.csv'), 'text/csv');
    expect(csv.body).toMatchObject({ format: 'csv', accepted: 4, rejected: 0 });
    const msp = (await admin.get(inv('accounts', '?mspOwned=true'))).body.items;
    expect(msp).toEqual([
      expect.objectContaining({
        account: 'tech@northwind-msp.example',
        mspOwnedSource: 'file',
        mfaEnforcedBy: 'per_user',
      }),
    ]);
  });

  it('imports assets, backups, remote-access tools and ScubaGear results from the samples', async () => {
    expect((await send(admin, imp('assets'), sample('assets.csv'), 'text/csv')).body).toMatchObject({
      accepted: 4,
      rejected: 0,
    });
    const facing = (await admin.get(inv('assets', '?internetFacing=true'))).body.items;
    expect(facing.map((a: { hostname: string }) => a.hostname)).toEqual(['fw-edge-01', 'gw-citrix-01']);
    expect(facing[0]).toMatchObject({ edrAgent: false, lastPatched: '2024-03-01T00:00:00.000Z' });
    expect(
      (await send(admin, imp('backups'), sample('backups.json'), 'application/json')).body.accepted,
    ).toBe(2);
    expect((await send(admin, imp('backups'), sample('backups.csv'), 'text/csv')).body.accepted).toBe(3);
    const backups = (await admin.get(inv('backups'))).body.items;
    expect(backups.find((b: { system: string }) => b.system === 'm365-mailboxes')).toMatchObject({
      offlineOrImmutable: false,
      lastRestoreTest: null,
    });
    const tools = await send(admin, imp('remote-access'), gzipSync(sample('remote-access.csv')), 'text/csv', {
      'content-encoding': 'gzip',
    });
    expect(tools.body).toMatchObject({ accepted: 5, sha256: sha(sample('remote-access.csv')) });
    const names = (await admin.get(inv('remote-access', '?host=ws-0042'))).body.items.map(
      (t: { tool: string }) => t.tool,
    );
    expect(names).toEqual(['AnyDesk', 'ScreenConnect']);
    const scuba = await send(admin, imp('scubagear'), sample('ScubaResults.json'), 'application/json');
    expect(scuba.body).toMatchObject({ accepted: 5, rejected: 0 });
    const failed = (await admin.get(inv('scubagear', '?result=Fail'))).body.items;
    expect(failed).toEqual([
      expect.objectContaining({
        controlId: 'MS.AAD.3.1v1',
        product: 'AAD',
        accordControls: ['MFA-04', 'MFA-03'],
      }),
    ]);
  });

  it('rejects malformed rows with line and reason and keeps the good ones', async () => {
    const csv = [
      'Hostname,Internet-Facing,EDR_Agent,Last_Patched',
      'ok-1,no,yes,2025-01-01',
      'bad-bool,maybe,yes,',
      ',yes,no,',
      'bad-date,no,no,yesterday',
      '"quoted, name",0,1,',
      'ok-1,no,no,',
    ].join('\r\n');
    const r = await send(admin, imp('assets'), csv, 'text/csv');
    expect(r.status, r.text).toBe(201);
    expect(r.body.accepted).toBe(2);
    expect(r.body.rejections).toEqual([
      { line: 3, reason: 'internet_facing must be yes/no/true/false/1/0, not "maybe"' },
      { line: 4, reason: 'hostname is required' },
      { line: 5, reason: 'last_patched must be an ISO 8601 date or time, not "yesterday"' },
      { line: 7, reason: 'duplicate of line 2 (ok-1)' },
    ]);
    const hosts = (await admin.get(inv('assets'))).body.items.map((a: { hostname: string }) => a.hostname);
    expect(hosts).toEqual(['ok-1', 'quoted, name']);
  });

  it('refuses an unreadable file with 400 and keeps the previous snapshot', async () => {
    await send(admin, imp('assets'), sample('assets.csv'), 'text/csv');
    const before = (await admin.get(inv('assets'))).body.items;
    expect(before).toHaveLength(4);
    for (const [body, type, code] of [
      ['{"value": [', 'application/json', 400],
      ['host,os\nx,y\n', 'text/csv', 400],
      ['hostname,internet_facing,edr_agent\nx,perhaps,no\n', 'text/csv', 400],
      ['hostname,internet_facing,edr_agent\n"unclosed,no,no\n', 'text/csv', 400],
    ] as const) {
      const r = await send(admin, imp('assets'), body, type);
      expect([r.status, r.body.error.code], r.text).toEqual([code, 'bad_request']);
    }
    const gz = await send(admin, imp('assets'), 'not gzip', 'text/csv', { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(400);
    expect((await admin.get(inv('assets'))).body.items).toEqual(before);
  });

  it('replaces the snapshot per kind and keeps the import history with digests', async () => {
    const one = 'hostname,internet_facing,edr_agent\nonly-host,no,yes\n';
    const r = await send(admin, imp('assets'), one, 'text/csv');
    expect(r.status).toBe(201);
    expect((await admin.get(inv('assets'))).body.items.map((a: { hostname: string }) => a.hostname)).toEqual([
      'only-host',
    ]);
    const hist = (await admin.get(`/api/v1/orgs/${orgId}/imports?kind=assets&limit=2`)).body;
    expect(hist.items[0]).toMatchObject({
      id: r.body.id,
      sha256: sha(one),
      accepted: 1,
      importedBy: expect.stringContaining('@'),
    });
    expect(hist.nextCursor).toEqual(expect.any(String));
    const next = (
      await admin.get(`/api/v1/orgs/${orgId}/imports?kind=assets&limit=2&cursor=${hist.nextCursor}`)
    ).body;
    expect(next.items[0].id).not.toBe(hist.items[1].id);
    expect((await admin.get(inv('backups'))).body.items.length).toBe(3); // other kinds untouched
  });

  it('matches vulnerabilities against the real KEV catalog', async () => {
    const kevFile = fs.readFileSync(dataset('kev', 'known_exploited_vulnerabilities.json'));
    const denied = await send(admin, '/api/v1/kev', kevFile, 'application/json');
    expect(denied.status).toBe(403);
    const k = await send(mspAdmin, '/api/v1/kev', kevFile, 'application/json');
    expect(k.status, k.text).toBe(200);
    expect(k.body).toMatchObject({ catalogVersion: '2025.08.25', count: 1404, sha256: sha(kevFile) });
    await send(admin, imp('assets'), sample('assets.csv'), 'text/csv');
    const v = await send(admin, imp('vulnerabilities'), sample('vulnerabilities.csv'), 'text/csv');
    expect(v.body).toMatchObject({ accepted: 5, rejected: 0 });
    const exposure = (await admin.get(inv('kev'))).body;
    expect(exposure.kevCatalogVersion).toBe('2025.08.25');
    expect(exposure.items.map((e: { cve: string }) => e.cve)).toEqual([
      'CVE-2024-3400',
      'CVE-2021-44228',
      'CVE-2024-1709',
    ]);
    expect(exposure.items[0]).toMatchObject({
      host: 'fw-edge-01',
      dateAdded: '2024-04-12',
      dueDate: '2024-04-19',
      internetFacing: true,
      overdue: true,
    });
    expect(exposure.items[1]).toMatchObject({
      host: 'srv-app-01',
      internetFacing: false,
      severity: 'critical',
    });
    const facing = (await admin.get(inv('kev', '?internetFacing=true'))).body.items;
    expect(facing.map((e: { cve: string }) => e.cve)).toEqual(['CVE-2024-3400']);
    const notKev = (await admin.get(inv('vulnerabilities', '?kev=false'))).body.items;
    expect(notKev.map((x: { cve: string }) => x.cve)).toEqual(['CVE-2023-38545']);
    const json = await send(
      admin,
      imp('vulnerabilities'),
      sample('vulnerabilities.json'),
      'application/json',
    );
    expect(json.body).toMatchObject({ format: 'json', accepted: 3 });
    expect((await admin.get(inv('kev'))).body.items).toHaveLength(2);
  });
});
