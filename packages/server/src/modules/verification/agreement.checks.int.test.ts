import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { activeAgreement, createCustomer, createMsp, ctxFor } from '../../../test/support/factories.ts';
import { ago, brokenDb, DAY, H, runCheck as run } from '../../../test/support/verification.ts';
import type { Runtime } from '../../server.ts';
import type { CheckInput } from './check.types.ts';

/** Checks that read the agreement itself and the stored results: TRN-01 and TRN-04. */
describe.each(dbTargets())('agreement checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());
  const later = (ms: number) => new Date(Date.now() + ms);

  async function world(controls: { controlId: string; owner?: 'msp' | 'customer' | 'shared' }[]) {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    const c = ctxFor(cust.admin, 'customer');
    const d = await activeAgreement(rt, m, c, { customerOrgId: cust.org.id, title: 'Schedule', controls });
    const input = (controlId: string, now = new Date()): CheckInput => ({
      db: rt.database.db,
      agreementId: d.agreement_id,
      mspOrgId: msp.org.id,
      customerOrgId: cust.org.id,
      controlId,
      parameters: {},
      now,
    });
    return { msp, cust, m, c, agreementId: d.agreement_id, input };
  }

  it('TRN-01: one accountable party per control and both acceptances of the active digest', async () => {
    const good = await world([
      { controlId: 'TRN-01', owner: 'msp' },
      { controlId: 'LOG-01', owner: 'customer' },
    ]);
    const pass = await run('TRN-01', good.input('TRN-01'));
    expect(pass).toMatchObject({
      status: 'pass',
      observed: { controls: 2, sharedControls: [], acceptedBy: ['customer', 'msp'] },
    });
    expect(pass.evidence.filter((e) => e.summary.includes('accepted by the'))).toHaveLength(2);
    // Read now, so never stale: the same answer a week later.
    expect((await run('TRN-01', good.input('TRN-01', later(7 * DAY)))).status).toBe('pass');

    const shared = await world([
      { controlId: 'TRN-01', owner: 'msp' },
      { controlId: 'LOG-05', owner: 'shared' },
    ]);
    const partial = await run('TRN-01', shared.input('TRN-01'));
    expect(partial).toMatchObject({ status: 'partial', observed: { sharedControls: ['LOG-05'] } });
    expect(partial.reason).toContain('1 of 2 controls are shared');

    // A version the customer's acceptance is missing from (removed here to stand for one) and a
    // shared control: neither requirement holds.
    await rt.database.db
      .deleteFrom('agreement_acceptances')
      .where('org_id', '=', shared.cust.org.id)
      .execute();
    const fail = await run('TRN-01', shared.input('TRN-01'));
    expect(fail).toMatchObject({ status: 'fail', observed: { acceptedBy: ['msp'] } });
    expect(fail.reason).toContain('is not accepted by the customer');

    // No active version (another customer's agreement id reaches nothing): nothing in scope.
    const empty = await run('TRN-01', { ...good.input('TRN-01'), customerOrgId: shared.cust.org.id });
    expect(empty).toMatchObject({ status: 'unknown', reason: 'the agreement has no active version' });
    const broken = await run('TRN-01', { ...good.input('TRN-01'), db: brokenDb(rt.database.db) });
    expect(broken).toMatchObject({ status: 'error', reason: expect.stringContaining('connection refused') });
  });

  it('TRN-04: every MSP-owned control has a current evidenced result and the audit chain verifies', async () => {
    const none = await world([
      { controlId: 'TRN-04', owner: 'msp' },
      { controlId: 'LOG-01', owner: 'customer' },
    ]);
    expect((await run('TRN-04', none.input('TRN-04'))).reason).toMatch(/^nothing in scope/);

    const w = await world([
      { controlId: 'TRN-04', owner: 'msp' },
      { controlId: 'LOG-04', owner: 'msp' },
    ]);
    const never = await run('TRN-04', w.input('TRN-04'));
    expect(never).toMatchObject({ status: 'fail', observed: { withoutCurrentResult: ['LOG-04'] } });
    expect(never.evidence.map((e) => e.summary)).toContain('LOG-04: never evaluated');

    // LOG-04 evaluated with no MSP source: unknown, so not evidenced.
    await rt.services.verification.runAgreement(w.m, w.agreementId);
    const unknown = await run('TRN-04', w.input('TRN-04'));
    expect(unknown.status).toBe('fail');
    expect(unknown.evidence.map((e) => e.summary)).toContainEqual(
      expect.stringMatching(/^LOG-04: unknown: /),
    );

    // The MSP's delivery source delivers: LOG-04 passes, and so does TRN-04.
    const src = await rt.services.sources.create(w.m, w.msp.org.id, {
      kind: 'generic_json',
      name: 'collector',
      expectedIntervalMinutes: 60,
      mapping: {
        time: { path: 't' },
        class: { default: 'authentication' },
        activity: { default: 'sign_in' },
        outcome: 'o',
        user: 'u',
      },
    });
    await rt.services.ingest.ingest(src, [
      { line: 1, text: JSON.stringify({ t: ago(H), o: 'success', u: 'svc' }) },
    ]);
    await rt.services.verification.runAgreement(w.m, w.agreementId);
    const pass = await run('TRN-04', w.input('TRN-04'));
    expect(pass).toMatchObject({
      status: 'pass',
      observed: { mspOwnedControls: 1, withoutCurrentResult: [], auditChainIntact: true },
    });
    expect(pass.evidence[0]!.summary).toMatch(/^audit chain: \d+ entries verify/);

    // Two days on, LOG-04 (daily) was not evaluated since: its result is stale.
    const stale = await run('TRN-04', w.input('TRN-04', later(2 * DAY)));
    expect(stale.status).toBe('fail');
    expect(stale.evidence.map((e) => e.summary)).toContainEqual(
      expect.stringMatching(/^LOG-04: last evaluated .* older than its daily cadence/),
    );
    const broken = await run('TRN-04', { ...w.input('TRN-04'), db: brokenDb(rt.database.db) });
    expect(broken.status).toBe('error');
  });
});
