import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { createCustomer, createMsp, ctxFor, activeAgreement } from '../../../test/support/factories.ts';
import type { Runtime } from '../../server.ts';
import { matchesMsp } from './msp-accounts.ts';

describe('MSP account rules', () => {
  const rules = { suffixes: ['northwind.example'], names: new Set(['nw-admin', 'contoso\\svc-rmm']) };
  it('match UPN suffixes, DOMAIN\\name forms and listed names without case', () => {
    expect(matchesMsp(rules, { user: 'Erin@Northwind.Example', userDomain: null })).toBe(true);
    expect(matchesMsp(rules, { user: 'erin', userDomain: 'NORTHWIND.EXAMPLE' })).toBe(true);
    expect(matchesMsp(rules, { user: 'NW-ADMIN', userDomain: null })).toBe(true);
    expect(matchesMsp(rules, { user: 'svc-rmm', userDomain: 'CONTOSO' })).toBe(true);
    expect(matchesMsp(rules, { user: 'erin@northwind.example.evil.test', userDomain: null })).toBe(false);
    expect(matchesMsp(rules, { user: 'alice@contoso.example', userDomain: null })).toBe(false);
    expect(matchesMsp(rules, { user: null, userDomain: null })).toBe(false);
  });
});

describe.each(dbTargets())('MSP accounts at ingest ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());

  it('marks events of the accounts the active agreement names as MSP accounts', async () => {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    const c = ctxFor(cust.admin, 'customer');
    await activeAgreement(rt, m, c, {
      customerOrgId: cust.org.id,
      title: 'MSP visibility',
      controls: [
        {
          controlId: 'LOG-05',
          parameters: { msp_account_names: ['nw-admin'], msp_account_upn_suffixes: ['northwind.example'] },
        },
      ],
    });
    const src = await rt.services.sources.create(c, cust.org.id, {
      kind: 'linux_syslog',
      name: 'jump host',
      expectedIntervalMinutes: 60,
    });
    const t = new Date(Date.now() - 60_000).toISOString();
    const lines = [
      `${t} jump sshd[10]: Accepted publickey for nw-admin from 198.51.100.20 port 50022 ssh2`,
      `${t} jump sshd[11]: Accepted password for alice from 198.51.100.21 port 50023 ssh2`,
    ];
    const r = await rt.services.ingest.ingest(
      src,
      lines.map((text, i) => ({ line: i + 1, text })),
    );
    expect(r.accepted).toBe(2);
    const msps = await rt.services.logs.search(c, cust.org.id, { order: 'asc', limit: 10, isMsp: 'true' });
    expect(msps.events.map((e) => e.user)).toEqual(['nw-admin']);
    const others = await rt.services.logs.search(c, cust.org.id, { order: 'asc', limit: 10, isMsp: 'false' });
    expect(others.events.map((e) => e.user)).toEqual(['alice']);
  });

  it("marks the members of the agreement's MSP groups, and follows the group as it changes", async () => {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    const c = ctxFor(cust.admin, 'customer');
    await activeAgreement(rt, m, c, {
      customerOrgId: cust.org.id,
      title: 'MSP visibility by group',
      controls: [{ controlId: 'LOG-05', parameters: { msp_account_groups: ['MSP Technicians'] } }],
    });
    // The MSP keeps the group in step with its staff; the customer can read it.
    const g = await rt.services.groups.replaceMembers(m, cust.org.id, 'msp technicians', [
      'Erin@Northwind.Example',
      'svc-rmm',
      'SVC-RMM',
    ]);
    expect(g).toMatchObject({ memberCount: 2, added: 2, removed: 0 });
    expect((await rt.services.groups.members(c, cust.org.id, 'MSP TECHNICIANS')).members).toEqual([
      'Erin@Northwind.Example',
      'svc-rmm',
    ]);
    const src = await rt.services.sources.create(c, cust.org.id, {
      kind: 'linux_syslog',
      name: 'file server',
      expectedIntervalMinutes: 60,
    });
    const send = async (users: string[], ip: string) => {
      const t = new Date(Date.now() - 60_000).toISOString();
      const lines = users.map(
        (u, i) => `${t} fs sshd[${20 + i}]: Accepted publickey for ${u} from ${ip} port 5000${i} ssh2`,
      );
      const r = await rt.services.ingest.ingest(
        src,
        lines.map((text, i) => ({ line: i + 1, text })),
      );
      expect(r.accepted).toBe(users.length);
    };
    const msps = async (ip: string) =>
      (await rt.services.logs.search(c, cust.org.id, { order: 'asc', limit: 10, isMsp: 'true' })).events
        .filter((e) => e.srcIp === ip)
        .map((e) => e.user);
    await send(['erin@northwind.example', 'svc-rmm', 'bob'], '198.51.100.30');
    expect(await msps('198.51.100.30')).toEqual(['erin@northwind.example', 'svc-rmm']);
    // svc-rmm leaves the group: from the next batch on it is not an MSP account.
    const r = await rt.services.groups.replaceMembers(m, cust.org.id, 'MSP Technicians', [
      'erin@northwind.example',
    ]);
    expect(r).toMatchObject({ added: 0, removed: 1, memberCount: 1 });
    await send(['erin@northwind.example', 'svc-rmm'], '198.51.100.31');
    expect(await msps('198.51.100.31')).toEqual(['erin@northwind.example']);
    const trail = await rt.services.audit.list(c, cust.org.id, 0, 100);
    expect(trail.filter((e) => e.action === 'directory_group.replaced')).toHaveLength(2);
  });
});
