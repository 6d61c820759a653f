import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportKind } from '@accord/contracts';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { ago, brokenDb, checkWorld, DAY, runCheck as run } from '../../../test/support/verification.ts';
import { startDnsServer, type TestDnsServer } from '../../../test/support/dns-server.ts';
import { mailZone } from '../../../test/support/mail-zone.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Runtime } from '../../server.ts';

/**
 * PIC-05 from real DNS checks (dnsmasq on loopback) of both parties' mail domains, and PIC-06
 * from both parties' identity, training and phishing-simulation imports.
 */
const IDENTITY = 'account,enabled,msp_owned';
const TRAINING = 'user,course,completed_on';
const PHISHING = 'campaign,user,delivered,clicked,reported,sent_on';
const later = (ms: number) => new Date(Date.now() + ms);

describe.each(dbTargets())('phishing checks ($name)', (target) => {
  let rt: Runtime;
  let dns: TestDnsServer;
  beforeAll(async () => {
    dns = await startDnsServer(mailZone());
    rt = await openTestRuntime(target, { dnsServers: dns.address, dnsTimeoutMs: 700 });
  }, 240_000);
  afterAll(async () => {
    await rt?.close();
    await dns?.stop();
  });

  it('PIC-05: pass, fail below the agreed policy or without SPF/DKIM, unknown when unchecked or stale, error when DNS fails', async () => {
    const w = await checkWorld(rt, ['PIC-05']);
    expect(w.params.get('PIC-05')).toMatchObject({ dmarc_policy: 'reject', spf_all_qualifier: '-all' });
    const none = await run('PIC-05', w.input('PIC-05'), 'weekly');
    expect(none).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/^nothing in scope/) });

    const mail = rt.services.mail;
    const good = await mail.register(w.c, w.cust.org.id, {
      domain: 'good.mail.test',
      dkimSelectors: ['selector1'],
    });
    expect(await run('PIC-05', w.input('PIC-05'), 'weekly')).toMatchObject({
      status: 'unknown',
      reason: 'no DNS check for good.mail.test (not checked yet)',
    });
    await mail.checkNow(w.c, w.cust.org.id, good.id);
    const pass = await run('PIC-05', w.input('PIC-05'), 'weekly');
    expect(pass).toMatchObject({
      status: 'pass',
      observed: { domains: 1, belowDmarcPolicy: 0, withoutSpfOrDkim: 0 },
    });
    expect(pass.evidence[0]).toMatchObject({
      type: 'dns_check',
      summary: expect.stringContaining(
        '_dmarc.good.mail.test: "v=DMARC1; p=reject; rua=mailto:dmarc@mail.test"',
      ),
    });

    // The MSP's own domain counts too (no sending_domains listed): quarantine is below reject.
    const q = await mail.register(w.m, w.msp.org.id, {
      domain: 'quarantine.mail.test',
      dkimSelectors: ['selector1'],
    });
    await mail.checkNow(w.m, w.msp.org.id, q.id);
    const fail = await run('PIC-05', w.input('PIC-05'), 'weekly');
    expect(fail).toMatchObject({
      status: 'fail',
      observed: {
        domains: 2,
        belowDmarcPolicy: 1,
        domainsBelowDmarcPolicy: ['quarantine.mail.test'],
        withoutSpfOrDkim: 0,
      },
    });
    // An agreement that accepts quarantine passes the same records.
    const params = { ...w.params.get('PIC-05'), dmarc_policy: 'quarantine' };
    expect((await run('PIC-05', w.input('PIC-05', new Date(), params), 'weekly')).status).toBe('pass');

    // Listed domains only: ~all fails the default ending and passes an agreed ~all; a 1024-bit DKIM key fails.
    for (const domain of ['softfail.mail.test', 'weakdkim.mail.test']) {
      const d = await mail.register(w.c, w.cust.org.id, { domain, dkimSelectors: ['selector1'] });
      await mail.checkNow(w.c, w.cust.org.id, d.id);
    }
    const listed = (domains: string[], extra: Record<string, unknown> = {}) =>
      w.input('PIC-05', new Date(), { ...w.params.get('PIC-05'), sending_domains: domains, ...extra });
    expect(await run('PIC-05', listed(['softfail.mail.test']), 'weekly')).toMatchObject({
      status: 'fail',
      observed: { withoutSpfOrDkim: 1, domainsWithoutSpfOrDkim: ['softfail.mail.test'] },
    });
    expect(
      (await run('PIC-05', listed(['softfail.mail.test'], { spf_all_qualifier: '~all' }), 'weekly')).status,
    ).toBe('pass');
    const weak = await run('PIC-05', listed(['weakdkim.mail.test']), 'weekly');
    expect(weak.status).toBe('fail');
    expect(weak.evidence[0]!.summary).toContain('DKIM selector1 RSA 1024 bits');
    // A listed domain nobody registered is not checked: unknown, not pass.
    expect(await run('PIC-05', listed(['good.mail.test', 'other.mail.test']), 'weekly')).toMatchObject({
      status: 'unknown',
      reason: 'no DNS check for other.mail.test (not registered in Accord)',
    });

    // DNS failures are errors, never passes; a real failure elsewhere is still a fail.
    const broken = await mail.register(w.c, w.cust.org.id, {
      domain: 'broken.test',
      dkimSelectors: ['selector1'],
    });
    await mail.checkNow(w.c, w.cust.org.id, broken.id);
    const err = await run('PIC-05', listed(['good.mail.test', 'broken.test']), 'weekly');
    expect(err.status).toBe('error');
    expect(err.reason).toMatch(/DNS lookups failed for broken\.test \(TXT broken\.test: SERVFAIL/);
    expect((await run('PIC-05', listed(['broken.test', 'weakdkim.mail.test']), 'weekly')).status).toBe(
      'fail',
    );

    // A bad agreed value is an error; stale checks are unknown; a broken store is an error.
    expect(
      (await run('PIC-05', listed(['good.mail.test'], { dmarc_policy: 'strict' }), 'weekly')).status,
    ).toBe('error');
    expect((await run('PIC-05', w.input('PIC-05', later(8 * DAY)), 'weekly')).reason).toMatch(/^stale/);
    expect(
      (await run('PIC-05', { ...w.input('PIC-05'), db: brokenDb(rt.database.db) }, 'weekly')).status,
    ).toBe('error');

    // Verification's scheduler: a new DNS check makes PIC-05 due at once.
    await rt.services.verification.runAgreement(w.m, w.agreementId);
    expect(
      (await rt.services.verification.runDue(new Date(), { agreementIds: [w.agreementId] })).evaluated,
    ).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    await mail.checkNow(w.c, w.cust.org.id, good.id);
    expect(
      (await rt.services.verification.runDue(new Date(), { agreementIds: [w.agreementId] })).evaluated,
    ).toBe(1);
  }, 120_000);

  it('PIC-06: training of both parties against coverage, simulation rates, the reporting channel; unknown, stale and error', async () => {
    const w = await checkWorld(rt, ['PIC-06']);
    const p06 = w.params.get('PIC-06')!;
    expect(p06).toMatchObject({
      training_coverage: 0.95,
      training_interval_days: 365,
      phishing_click_rate_max: 0.1,
    });
    const csv = (ctx: RequestContext, orgId: string, kind: ImportKind, header: string, rows: string[]) =>
      rt.services.inventory.importFile(ctx, orgId, kind, {
        body: Readable.from([Buffer.from([header, ...rows].join('\n') + '\n')]),
        contentType: 'text/csv',
        filename: `${kind}.csv`,
      });
    const mspCsv = (kind: ImportKind, header: string, rows: string[]) =>
      csv(w.m, w.msp.org.id, kind, header, rows);
    expect((await run('PIC-06', w.input('PIC-06'), 'monthly')).status).toBe('unknown');

    // Customer: three staff (a disabled account and the MSP's technician do not count), all trained.
    await w.importCsv('identity', IDENTITY, [
      'ann@cust.example,yes,no',
      'ben@cust.example,yes,no',
      'cat@cust.example,yes,no',
      'old@cust.example,no,no',
      'tech@msp.example,yes,yes',
    ]);
    await w.importCsv('training', TRAINING, [
      `ann@cust.example,Phishing 101,${ago(30 * DAY)}`,
      `BEN@cust.example,Phishing 101,${ago(200 * DAY)}`,
      `cat@cust.example,Phishing 101,${ago(10 * DAY)}`,
    ]);
    expect(await run('PIC-06', w.input('PIC-06'), 'monthly')).toMatchObject({
      status: 'unknown',
      reason: 'MSP: no staff roster (identity inventory) imported',
    });
    // MSP: two staff, one trained: 50% is below 95%.
    await mspCsv('identity', IDENTITY, ['tech@msp.example,yes,no', 'lead@msp.example,yes,no']);
    await mspCsv('training', TRAINING, [
      `tech@msp.example,Phishing 101,${ago(5 * DAY)}`,
      'lead@msp.example,Phishing 101,',
    ]);
    const fail = await run('PIC-06', w.input('PIC-06'), 'monthly');
    expect(fail).toMatchObject({
      status: 'fail',
      reason: 'training below 95% within 365 days: MSP 1 of 2 trained',
      observed: {
        customer: { staff: 3, trained: 3, trainedRatio: 1 },
        msp: { staff: 2, trained: 1, untrained: ['lead@msp.example'] },
      },
    });
    // A shorter agreed interval leaves ben's 200-day-old course out.
    const short = await run(
      'PIC-06',
      w.input('PIC-06', new Date(), { ...p06, training_interval_days: 90 }),
      'monthly',
    );
    expect(short.reason).toMatch(/customer 2 of 3 trained/);

    await mspCsv('training', TRAINING, [
      `tech@msp.example,Phishing 101,${ago(5 * DAY)}`,
      `lead@msp.example,Phishing 101,${ago(1 * DAY)}`,
    ]);
    // Training meets coverage, but no simulation ran and no reporting channel is shown.
    const partial = await run('PIC-06', w.input('PIC-06'), 'monthly');
    expect(partial).toMatchObject({ status: 'partial', observed: { reportChannel: null } });
    expect(partial.reason).toMatch(
      /customer: no simulation within 180 days; MSP: no simulation within 180 days; no reporting channel shown/,
    );
    // An agreement drafted before the simulation parameters (catalog 1.2.0) asks only for training and the channel.
    const {
      phishing_simulation_days: _a,
      phishing_click_rate_max: _b,
      phishing_report_rate_min: _c,
      ...v120
    } = p06;
    expect((await run('PIC-06', w.input('PIC-06', new Date(), v120), 'monthly')).reason).toMatch(
      /but no reporting channel shown/,
    );

    // Simulations: the customer's latest campaign clicked by 1 of 3 (over 10%), reported by 2 of 3.
    await w.importCsv('phishing', PHISHING, [
      `Q1 lure,ann@cust.example,yes,yes,no,${ago(100 * DAY)}`,
      `Q1 lure,ben@cust.example,yes,yes,no,${ago(100 * DAY)}`,
      `Q2 lure,ann@cust.example,yes,no,yes,${ago(10 * DAY)}`,
      `Q2 lure,ben@cust.example,yes,yes,no,${ago(10 * DAY)}`,
      `Q2 lure,cat@cust.example,yes,no,yes,${ago(10 * DAY)}`,
    ]);
    await mspCsv('phishing', PHISHING, [
      `MSP Q2,tech@msp.example,yes,no,yes,${ago(20 * DAY)}`,
      `MSP Q2,lead@msp.example,yes,no,yes,${ago(20 * DAY)}`,
    ]);
    const rates = await run('PIC-06', w.input('PIC-06'), 'monthly');
    expect(rates).toMatchObject({ status: 'partial', observed: { reportChannel: 'simulation reports' } });
    expect(rates.reason).toMatch(/customer "Q2 lure" click rate 0\.3333$/);
    expect((rates.observed.customer as { campaigns: unknown[] }).campaigns).toEqual([
      expect.objectContaining({ campaign: 'Q1 lure', clickRate: 1, reportRate: 0 }),
      expect.objectContaining({ campaign: 'Q2 lure', clickRate: 0.3333, reportRate: 0.6667 }),
    ]);
    const agreed = { ...p06, phishing_click_rate_max: 0.4 };
    expect(await run('PIC-06', w.input('PIC-06', new Date(), agreed), 'monthly')).toMatchObject({
      status: 'pass',
    });

    // Stale after a monthly period without new imports; a broken store is an error.
    expect((await run('PIC-06', w.input('PIC-06', later(40 * DAY), agreed), 'monthly')).reason).toMatch(
      /^stale/,
    );
    expect(
      (await run('PIC-06', { ...w.input('PIC-06'), db: brokenDb(rt.database.db) }, 'monthly')).status,
    ).toBe('error');
    expect(
      (await run('PIC-06', w.input('PIC-06', new Date(), { ...p06, training_coverage: 'most' }), 'monthly'))
        .status,
    ).toBe('error');
  }, 120_000);

  it('PIC-06: an accepted attestation shows the reporting channel when no simulation reports do', async () => {
    const w = await checkWorld(rt, ['PIC-06']);
    const p06 = w.params.get('PIC-06')!;
    const {
      phishing_simulation_days: _a,
      phishing_click_rate_max: _b,
      phishing_report_rate_min: _c,
      ...v120
    } = p06;
    await w.importCsv('identity', IDENTITY, ['ann@cust.example,yes,no']);
    await w.importCsv('training', TRAINING, [`ann@cust.example,Phishing 101,${ago(3 * DAY)}`]);
    for (const kind of ['identity', 'training'] as const)
      await rt.services.inventory.importFile(w.m, w.msp.org.id, kind, {
        body: Readable.from([
          Buffer.from(
            kind === 'identity'
              ? `${IDENTITY}\nops@msp.example,yes,no\n`
              : `${TRAINING}\nops@msp.example,Phishing 101,${ago(DAY)}\n`,
          ),
        ]),
        contentType: 'text/csv',
      });
    expect((await run('PIC-06', w.input('PIC-06', new Date(), v120), 'monthly')).status).toBe('partial');
    const e = await rt.services.evidence.add(w.m, w.agreementId, 'PIC-06', {
      effectiveAt: new Date().toISOString().slice(0, 10),
      file: {
        filename: 'report-button.txt',
        contentType: 'text/plain',
        bytes: Buffer.from('Report Message add-in deployed'),
      },
    });
    const a = await rt.services.attestations.attest(w.m, w.agreementId, 'PIC-06', {
      statement: 'Every mailbox has the Report Message button; reports reach the SOC',
      evidenceIds: [e.item.id],
    });
    expect((await run('PIC-06', w.input('PIC-06', new Date(), v120), 'monthly')).status).toBe('partial');
    await rt.services.attestations.review(w.c, w.agreementId, 'PIC-06', a.current!.id, 'accepted', null);
    expect(await run('PIC-06', w.input('PIC-06', new Date(), v120), 'monthly')).toMatchObject({
      status: 'pass',
      observed: { reportChannel: 'accepted attestation' },
    });
  }, 120_000);
});
