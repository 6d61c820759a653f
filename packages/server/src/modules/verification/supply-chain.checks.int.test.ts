import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { ago, brokenDb, checkWorld, DAY, H, runCheck as run } from '../../../test/support/verification.ts';
import { completeAssessment, signers, supplierInput } from '../../../test/support/suppliers.ts';
import type { Runtime } from '../../server.ts';

/** SCR-01 (register coverage and review), SCR-02 (critical suppliers assessed and signed), SCR-03 (MSP vendor list). */
const REMOTE = 'host,tool,version,last_seen';
const later = (ms: number) => new Date(Date.now() + ms);

describe.each(dbTargets())('supply chain checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());

  it('SCR-01: the MSP and every remote-access tool’s supplier are registered, and the register was reviewed', async () => {
    const w = await checkWorld(rt, ['SCR-01']);
    const s = rt.services.suppliers;
    const scr01 = (now = new Date()) => run('SCR-01', w.input('SCR-01', now), 'monthly');
    // No register and no inventory: nothing in scope.
    expect((await scr01()).reason).toMatch(/^nothing in scope/);

    await s.create(w.c, w.cust.org.id, supplierInput('Contoso Payroll', { criticality: 'medium' }));
    const noMsp = await scr01();
    expect(noMsp).toMatchObject({ status: 'fail', observed: { mspRegistered: false } });
    expect(noMsp.reason).toMatch(/the register has never been reviewed/);
    expect(noMsp.reason).toMatch(/not in the register: the MSP/);

    await s.create(
      w.c,
      w.cust.org.id,
      supplierInput('Our MSP', {
        kind: 'msp',
        mspOrgId: w.msp.org.id,
        criticality: 'critical',
        privilegedAccess: true,
      }),
    );
    await s.review(w.c, w.cust.org.id, 'yearly review with procurement');
    // The register itself is fine; without the remote-access inventory nobody knows which tools reach in.
    expect(await scr01()).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/no remote-access inventory/),
    });

    await w.importCsv('remote_access', REMOTE, [
      `ws-1,ConnectWise Control Client,23.9,${ago(H)}`,
      `ws-2,ScreenConnect Client (a1b2c3),23.9,${ago(H)}`,
      `srv-1,AnyDesk,8.0,${ago(H)}`,
    ]);
    const fail = await scr01();
    expect(fail).toMatchObject({
      status: 'fail',
      observed: {
        remoteAccessTools: 2,
        suppliersWithAccessNotRegistered: 2,
        unregistered: ['AnyDesk', 'ScreenConnect'],
      },
    });
    expect(fail.evidence.map((e) => e.summary)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ScreenConnect on 2 host\(s\)/)]),
    );

    // The MSP publishes its RMM vendor; the customer registers AnyDesk under its legal name.
    await s.create(
      w.m,
      w.msp.org.id,
      supplierInput('ConnectWise, LLC', {
        products: ['ConnectWise ScreenConnect'],
        published: true,
        criticality: 'critical',
      }),
    );
    await s.create(w.c, w.cust.org.id, supplierInput('AnyDesk Software GmbH', { criticality: 'low' }));
    const pass = await scr01();
    expect(pass).toMatchObject({
      status: 'pass',
      observed: {
        mspRegistered: true,
        publishedByMsp: 1,
        suppliersWithAccessNotRegistered: 0,
        daysSinceRegisterReview: 0,
      },
    });

    // Stale: the inventory is older than a monthly control allows.
    expect((await scr01(later(40 * DAY))).reason).toMatch(/^stale/);
    // A review older than agreed fails on the register's own facts, whatever the inventory's age.
    const overdue = await scr01(later(400 * DAY));
    expect(overdue).toMatchObject({ status: 'fail', observed: { daysSinceRegisterReview: 400 } });
    expect(overdue.reason).toMatch(/last reviewed 400 day\(s\) ago \(agreed: at most 365\)/);
    // A retired entry no longer covers its tool.
    const anydesk = (await s.list(w.c, w.cust.org.id)).find((x) => x.name.startsWith('AnyDesk'))!;
    await s.retire(w.c, w.cust.org.id, anydesk.id, 'contract ended');
    expect(await scr01()).toMatchObject({ status: 'fail', observed: { unregistered: ['AnyDesk'] } });
    // The store unreachable: error, never pass or fail.
    expect(
      (await run('SCR-01', { ...w.input('SCR-01'), db: brokenDb(rt.database.db) }, 'monthly')).status,
    ).toBe('error');
  });

  it('SCR-02: critical suppliers (the customer’s and the MSP’s published ones) have a current, three-way signed assessment', async () => {
    const w = await checkWorld(rt, ['SCR-02']);
    const s = rt.services.suppliers;
    const scr02 = (now = new Date(), params?: Record<string, unknown>) =>
      run('SCR-02', w.input('SCR-02', now, params), 'weekly');
    const cust = await signers(rt, w.cust.org.id, 'customer');
    const msp = await signers(rt, w.msp.org.id, 'msp');

    await s.create(w.c, w.cust.org.id, supplierInput('Minor vendor', { criticality: 'medium' }));
    expect((await scr02()).reason).toMatch(/^nothing in scope/); // no critical supplier

    const payroll = await s.create(
      w.c,
      w.cust.org.id,
      supplierInput('Payroll SaaS', { criticality: 'critical' }),
    );
    expect(await scr02()).toMatchObject({
      status: 'fail',
      observed: {
        criticalSuppliers: 1,
        criticalSuppliersWithoutCurrentAssessment: 1,
        without: ['Payroll SaaS'],
      },
    });

    // Submitted and signed by two of three: still not current, and the missing function is named.
    const svc = rt.services.supplierAssessments;
    const a = await svc.start(w.c, w.cust.org.id, payroll.id);
    await svc.update(w.c, w.cust.org.id, a.row.id, {
      answers: a.questions.map((q) => ({ controlId: q.controlId, answer: 'yes' as const, evidence: [] })),
      inherent: { likelihood: 3, impact: 5 },
      residual: { likelihood: 2, impact: 4 },
    });
    await svc.addTreatment(w.c, w.cust.org.id, a.row.id, {
      type: 'transfer',
      description: 'Cyber insurance clause in the renewal',
      ownerUserId: w.cust.admin.id,
      dueDate: later(60 * DAY)
        .toISOString()
        .slice(0, 10),
    });
    await svc.submit(w.c, w.cust.org.id, a.row.id);
    await svc.signoff(cust.ctx('security'), w.cust.org.id, a.row.id, { function: 'security' });
    await svc.signoff(cust.ctx('legal'), w.cust.org.id, a.row.id, { function: 'legal' });
    const awaiting = await scr02();
    expect(awaiting).toMatchObject({ status: 'fail', observed: { assessmentsMissingSignoff: 1 } });
    expect(awaiting.evidence[0]!.summary).toMatch(/awaits sign-off by procurement$/);

    await svc.signoff(cust.ctx('procurement'), w.cust.org.id, a.row.id, { function: 'procurement' });
    expect(await scr02()).toMatchObject({
      status: 'pass',
      observed: { criticalSuppliersWithoutCurrentAssessment: 0 },
    });

    // The MSP publishes a critical vendor of its own: in scope for the customer's agreement too.
    const rmm = await s.create(
      w.m,
      w.msp.org.id,
      supplierInput('RMM Vendor', { criticality: 'critical', published: true }),
    );
    expect(await scr02()).toMatchObject({
      status: 'fail',
      observed: { without: ['RMM Vendor (MSP vendor)'] },
    });
    // Assessed 40 days ago with a treatment due 10 days after that: current, but the treatment is late.
    await completeAssessment(rt, w.m, msp.ctx, w.msp.org.id, rmm.id, {
      ownerUserId: w.msp.admin.id,
      at: new Date(Date.now() - 40 * DAY),
      dueDate: new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10),
    });
    expect(await scr02()).toMatchObject({
      status: 'partial',
      observed: { criticalSuppliers: 2, lateTreatments: 1 },
    });
    // An agreement asking for assessments within 30 days finds the MSP's one too old.
    const strict = await scr02(new Date(), { assessment_interval_days: 30 });
    expect(strict).toMatchObject({
      status: 'fail',
      observed: { criticalSuppliersWithoutCurrentAssessment: 1 },
    });
    expect(strict.evidence[0]!.summary).toMatch(
      /^RMM Vendor \(MSP vendor\): last assessed .*more than 30 days ago$/,
    );

    // Stale: nobody touched either register for over a year.
    expect((await scr02(later(400 * DAY))).reason).toMatch(/^stale/);
    expect(
      (await run('SCR-02', { ...w.input('SCR-02'), db: brokenDb(rt.database.db) }, 'weekly')).status,
    ).toBe('error');
  });

  it('SCR-03: the MSP’s published vendor list was updated within vendor_list_update_days', async () => {
    const w = await checkWorld(rt, ['SCR-03']);
    const scr03 = (now = new Date()) => run('SCR-03', w.input('SCR-03', now), 'monthly');
    // An unpublished entry is not part of the list the customer sees: nothing in scope yet.
    await rt.services.suppliers.create(w.m, w.msp.org.id, supplierInput('Internal HR SaaS'));
    expect(await scr03()).toMatchObject({
      status: 'unknown',
      reason: 'the MSP publishes no vendor list to its customers',
    });

    await rt.services.suppliers.create(
      w.m,
      w.msp.org.id,
      supplierInput('Backup Cloud Ltd', {
        kind: 'sub_processor',
        published: true,
        dataCategories: ['backups'],
      }),
    );
    expect(await scr03()).toMatchObject({
      status: 'pass',
      observed: { publishedVendors: 1, daysSinceMspVendorListUpdate: 0, vendorIncidentsNotifiedLate: null },
    });
    // Not stale but late: the list's age is the measure itself, so an old list fails (it is not unknown).
    const old = await scr03(later(100 * DAY));
    expect(old).toMatchObject({ status: 'fail', observed: { daysSinceMspVendorListUpdate: 100 } });
    // A review of the MSP's register confirms the list.
    await rt.services.suppliers.review(w.m, w.msp.org.id, 'quarterly vendor list check', later(99 * DAY));
    expect(await scr03(later(100 * DAY))).toMatchObject({
      status: 'pass',
      observed: { daysSinceMspVendorListUpdate: 1 },
    });
    expect(
      (await run('SCR-03', { ...w.input('SCR-03'), db: brokenDb(rt.database.db) }, 'monthly')).status,
    ).toBe('error');
  });

  it('runDue re-evaluates the supply chain checks when either party’s register changes, and only them', async () => {
    const w = await checkWorld(rt, ['SCR-01', 'SCR-02', 'SCR-03', 'BCK-01']);
    const runDue = () => rt.services.verification.runDue(new Date(), { agreementIds: [w.agreementId] });
    const tick = () => new Promise((r) => setTimeout(r, 5)); // a change lands after the last evaluation
    expect((await runDue()).evaluated).toBeGreaterThanOrEqual(4);
    expect(await runDue()).toMatchObject({ evaluated: 0 });
    await tick();
    await rt.services.suppliers.create(
      w.c,
      w.cust.org.id,
      supplierInput('Payroll', { criticality: 'critical' }),
    );
    expect(await runDue()).toMatchObject({ evaluated: 3 }); // SCR-01..03, not BCK-01
    expect(await runDue()).toMatchObject({ evaluated: 0 });
    // The MSP's own register counts too (it publishes to this customer).
    await tick();
    await rt.services.suppliers.create(w.m, w.msp.org.id, supplierInput('Vendor', { published: true }));
    expect(await runDue()).toMatchObject({ evaluated: 3 });
    const status = await rt.services.verification.status(w.c, w.agreementId);
    expect(status.find((x) => x.controlId === 'SCR-02')).toMatchObject({ status: 'fail' });
    expect(status.find((x) => x.controlId === 'SCR-03')).toMatchObject({ status: 'pass' });
  });
});
