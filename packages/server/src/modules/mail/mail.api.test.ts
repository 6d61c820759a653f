import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { addUser, createCustomer, createMsp } from '../../../test/support/factories.ts';
import { signIn, type ApiClient } from '../../../test/support/api-client.ts';
import { startDnsServer, type TestDnsServer } from '../../../test/support/dns-server.ts';
import { mailZone } from '../../../test/support/mail-zone.ts';

/** Mail domains over HTTP, checked against a real DNS server on loopback (ACCORD_DNS_SERVERS). */
describe.each(dbTargets())('mail domains over HTTP ($name)', (target) => {
  let dns: TestDnsServer;
  let srv: TestServer;
  let admin: ApiClient;
  let member: ApiClient;
  let mspAdmin: ApiClient;
  let orgId: string;
  let mspOrgId: string;
  const base = () => `/api/v1/orgs/${orgId}/mail-domains`;
  beforeAll(async () => {
    dns = await startDnsServer(mailZone());
    srv = await startTestServer(target, { dnsServers: dns.address, dnsTimeoutMs: 700 });
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    orgId = cust.org.id;
    mspOrgId = msp.org.id;
    admin = await signIn(srv.url, cust.admin);
    member = await signIn(srv.url, await addUser(srv.rt, orgId, 'customer_member'));
    mspAdmin = await signIn(srv.url, msp.admin);
  }, 240_000);
  afterAll(async () => {
    await srv?.stop();
    await dns?.stop();
  });

  it('registers a domain, checks it now with the configured resolver, and keeps every check', async () => {
    const r = await admin.post(base(), {
      domain: 'Good.Mail.Test.',
      dkimSelectors: ['selector1', 'selector1'],
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      orgId,
      domain: 'good.mail.test',
      dkimSelectors: ['selector1'],
      lastCheck: null,
    });
    const id = r.body.id as string;
    const check = await admin.post(`${base()}/${id}/check`);
    expect(check.status, check.text).toBe(200);
    expect(check.body).toMatchObject({ domainId: id, status: 'pass', resolver: dns.address });
    expect(check.body.findings.map((f: { check: string }) => f.check)).toEqual([
      'spf_record',
      'spf_lookups',
      'spf_all',
      'dmarc_record',
      'dmarc_policy',
      'dmarc_pct',
      'dmarc_rua',
      'dkim',
      'mx',
    ]);
    // Reading is open to read-only members and to the MSP; the newest check comes with the domain.
    const got = await member.get(`${base()}/${id}`);
    expect(got.body.lastCheck).toMatchObject({ id: check.body.id, status: 'pass' });
    expect((await mspAdmin.get(base())).body.map((d: { domain: string }) => d.domain)).toEqual([
      'good.mail.test',
    ]);

    // Without selector1 listed, the same records fail DKIM: the next check says so; history keeps both.
    const put = await admin.put(`${base()}/${id}`, { dkimSelectors: [] });
    expect(put.status, put.text).toBe(200);
    const second = await mspAdmin.post(`${base()}/${id}/check`);
    expect(second.body.status).toBe('fail');
    const history = await admin.get(`${base()}/${id}/checks?limit=10`);
    expect(history.body.map((c: { status: string }) => c.status)).toEqual(['fail', 'pass']);
    const trail = (await admin.get(`/api/v1/orgs/${orgId}/audit?limit=50`)).body as { action: string }[];
    expect(trail.map((e) => e.action)).toEqual(
      expect.arrayContaining(['mail_domain.registered', 'mail_domain.updated', 'mail_domain.checked']),
    );
  });

  it('a domain whose DNS fails is stored as an error with the record it could not read', async () => {
    const r = await admin.post(base(), { domain: 'slow.test', dkimSelectors: ['s1'] });
    const check = await admin.post(`${base()}/${r.body.id}/check`);
    expect(check.body.status).toBe('error');
    expect(check.body.findings[0]).toMatchObject({
      check: 'spf_record',
      status: 'error',
      record: 'TXT slow.test',
      read: 'TIMEOUT',
    });
  }, 60_000);

  it('validates input, refuses duplicates and lets only managers change domains', async () => {
    const bad = await admin.post(base(), { domain: 'not a domain', dkimSelectors: [] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const selector = await admin.post(base(), { domain: 'ok.mail.test', dkimSelectors: ['bad selector!'] });
    expect(selector.status).toBe(400);
    const dup = await admin.post(base(), { domain: 'good.mail.test' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toBe(
      'mail domain good.mail.test is already registered for this organisation',
    );
    const denied = await member.post(base(), { domain: 'member.mail.test' });
    expect(denied.status).toBe(403);
    const list = (await member.get(base())).body as { id: string }[];
    expect((await member.post(`${base()}/${list[0]!.id}/check`)).status).toBe(403);
  });

  it('removing a domain takes it off the list (404 after) but keeps its checks; it can be registered again', async () => {
    const r = await admin.post(base(), { domain: 'none.mail.test', dkimSelectors: ['selector1'] });
    const id = r.body.id as string;
    await admin.post(`${base()}/${id}/check`);
    expect((await admin.delete(`${base()}/${id}`)).status).toBe(204);
    expect((await admin.get(`${base()}/${id}`)).status).toBe(404);
    expect((await admin.get(`${base()}/${id}/checks`)).status).toBe(404);
    const kept = await srv.rt.database.db
      .selectFrom('mail_domain_checks')
      .select('status')
      .where('org_id', '=', orgId)
      .where('domain_id', '=', id)
      .execute();
    expect(kept).toEqual([{ status: 'fail' }]);
    expect(
      (await admin.post(base(), { domain: 'none.mail.test', dkimSelectors: ['selector1'] })).status,
    ).toBe(201);
  });

  it('the scheduled run checks the domains not checked within the interval, across organisations', async () => {
    const msp = await mspAdmin.post(`/api/v1/orgs/${mspOrgId}/mail-domains`, {
      domain: 'quarantine.mail.test',
      dkimSelectors: ['selector1'],
    });
    expect(msp.status, msp.text).toBe(201);
    const mail = srv.rt.services.mail;
    const orgIds = [orgId, mspOrgId];
    const first = await mail.runDue(new Date(), 3_600_000, { orgIds });
    expect(first.checked).toBe(2); // the MSP's domain and the re-registered one
    const again = await mail.runDue(new Date(), 3_600_000, { orgIds });
    expect(again.checked).toBe(0);
    const mine = (await mspAdmin.get(`/api/v1/orgs/${mspOrgId}/mail-domains`)).body;
    expect(mine[0].lastCheck).toMatchObject({ status: 'fail' });
    expect(
      mine[0].lastCheck.findings.find((f: { check: string }) => f.check === 'dmarc_policy'),
    ).toMatchObject({
      record: 'TXT _dmarc.quarantine.mail.test',
      message: 'policy quarantine, below reject',
    });
    const trail = (await mspAdmin.get(`/api/v1/orgs/${mspOrgId}/audit?limit=20`)).body as {
      action: string;
      actor: { label: string };
    }[];
    expect(trail.find((e) => e.action === 'mail_domain.checked')).toMatchObject({
      actor: { label: 'system (mail DNS check)' },
    });
  }, 120_000);
});
