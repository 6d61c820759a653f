import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { createCustomer, createMsp, ctxFor } from '../../../test/support/factories.ts';
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
    const d = await rt.services.agreements.create(m, {
      customerOrgId: cust.org.id,
      title: 'MSP visibility',
      controls: [
        {
          controlId: 'LOG-05',
          parameters: { msp_account_names: ['nw-admin'], msp_account_upn_suffixes: ['northwind.example'] },
        },
      ],
    });
    const p = await rt.services.agreements.propose(m, d.agreement_id, 1);
    await rt.services.agreements.accept(m, d.agreement_id, 1, p.digest!);
    await rt.services.agreements.accept(c, d.agreement_id, 1, p.digest!);
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
});
