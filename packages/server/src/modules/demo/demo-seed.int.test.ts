import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { systemContext } from '../../platform/context.ts';
import type { Runtime } from '../../server.ts';
import { DEMO_MSP_NAME, seedDemo } from './demo-seed.ts';

describe('demo seed', () => {
  const target = dbTargets()[0]!; // the demo runs on the embedded database
  let rt: Runtime;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-demo-'));
    rt = await openTestRuntime(target);
    rt.config.dataDir = dir;
  });
  afterAll(async () => {
    await rt.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('seeds one MSP, three customers, every role and one agreement per customer in different states', async () => {
    const r = await seedDemo(rt);
    expect(r.created).toBe(true);
    expect(new Set(r.users.map((u) => u.role))).toEqual(
      new Set(['msp_admin', 'msp_engineer', 'customer_admin', 'customer_member', 'auditor']),
    );
    expect(new Set(r.users.filter((u) => u.function).map((u) => u.function))).toEqual(
      new Set(['executive', 'technical_lead', 'procurement', 'legal']),
    );
    expect(
      r.users
        .filter((u) => ['msp_admin', 'msp_engineer', 'customer_admin'].includes(u.role))
        .every((u) => u.totpSecret),
    ).toBe(true);
    const orgs = await rt.services.orgs.listAllForOperator(systemContext());
    expect(orgs.filter((o) => o.kind === 'customer')).toHaveLength(3);
    const statuses = (await rt.services.agreements.list(systemContext())).map((a) => a.status).sort();
    expect(statuses).toEqual(['active_amendment_pending', 'awaiting_customer', 'draft']);
    expect(fs.statSync(r.file).mode & 0o777).toBe(0o600);
    // The customer with the active agreement has logs, sealed, and verified controls.
    const sys = systemContext();
    const tailspin = orgs.find((o) => o.name === 'Tailspin Logistics')!;
    const sources = await rt.services.sources.list(sys, tailspin.id);
    expect(sources.map((s) => s.name).sort()).toEqual(['Identity provider sign-ins', 'Jump host sshd']);
    expect((await rt.services.logs.verify(sys, tailspin.id, {})).ok).toBe(true);
    const msp = await rt.services.logs.search(sys, tailspin.id, { order: 'asc', limit: 100, isMsp: 'true' });
    expect(new Set(msp.events.map((e) => e.user))).toEqual(
      new Set(['erin.engineer@northwind.example', 'alex.admin@northwind.example', 'erin']),
    );
    const alerts = await rt.services.alerts.list(sys, tailspin.id, { limit: 50 });
    const rules = new Set(
      alerts.alerts.map((a: { rule_id?: string; ruleId?: string }) => a.ruleId ?? a.rule_id),
    );
    // The attacks in the demo logs were detected as they were ingested.
    for (const r of [
      'accord-brute-force',
      'accord-success-after-burst',
      'accord-spray-fast',
      'accord-msp-no-mfa',
    ])
      expect(rules, r).toContain(r);
    const active = (await rt.services.agreements.list(sys)).find(
      (a) => a.status === 'active_amendment_pending',
    )!;
    const status = new Map(
      (await rt.services.verification.status(sys, active.agreement.id)).map((c) => [c.controlId, c.status]),
    );
    expect(Object.fromEntries(status)).toMatchObject({
      'LOG-02': 'pass',
      'LOG-03': 'pass',
      'MFA-01': 'fail', // the MSP admin signed in without MFA
      'NET-02': 'fail', // ... from outside the MSP's network
      'IRP-01': 'partial', // an approved plan, but no recovery plan and no hard copy attested
      'IRP-02': 'fail', // the legal counsel missed the joint tabletop
    });
    const again = await seedDemo(rt);
    expect(again.created).toBe(false);
    expect(again.users).toHaveLength(r.users.length);
  });

  it('refuses to continue from an interrupted seeding instead of reporting partial data as ready', async () => {
    const other = await openTestRuntime(target);
    try {
      other.config.dataDir = dir;
      await other.services.orgs.create(systemContext(), { name: DEMO_MSP_NAME, kind: 'msp' });
      await expect(seedDemo(other)).rejects.toThrow(/interrupted/);
    } finally {
      await other.close();
    }
  });
});
