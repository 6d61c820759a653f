import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cadence } from '@accord/contracts';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { createCustomer, createMsp, ctxFor, activeAgreement } from '../../../test/support/factories.ts';
import type { Runtime } from '../../server.ts';
import type { Db } from '../../platform/db/db.ts';
import { evaluate, type CheckInput } from './check.types.ts';
import { CHECKS } from './checks/index.ts';

const H = 3_600_000;
const DAY = 24 * H;

/** A generic JSON sign-in source: enough fields to write any sign-in a check reads. */
const MAPPING = {
  time: { path: 't' },
  class: { default: 'authentication' },
  activity: { default: 'sign_in' },
  outcome: 'o',
  user: 'u',
  srcIp: 'ip',
  mfaUsed: { path: 'mfa', map: { yes: true, no: false } },
};

/** A database whose every query fails, as when the store is unreachable. */
const brokenDb = (db: Db) =>
  new Proxy(db, {
    get(target, prop, recv) {
      if (prop === 'selectFrom' || prop === 'transaction')
        return () => {
          throw new Error('connection refused');
        };
      return Reflect.get(target, prop, recv) as unknown;
    },
  });

describe.each(dbTargets())('control checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());

  /** An MSP and customer with an active agreement naming nw-admin as the MSP's account. */
  async function world(params: Record<string, Record<string, unknown>> = {}) {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    const c = ctxFor(cust.admin, 'customer');
    const ids = ['LOG-01', 'LOG-02', 'LOG-03', 'LOG-04', 'LOG-05', 'MFA-01', 'NET-02', 'NET-04'];
    const d = await activeAgreement(rt, m, c, {
      customerOrgId: cust.org.id,
      title: 'Verified schedule',
      controls: ids.map((controlId) => ({
        controlId,
        parameters: {
          ...(controlId === 'LOG-05' ? { msp_account_names: ['nw-admin', 'nw-ops'] } : {}),
          ...(params[controlId] ?? {}),
        },
      })),
    });
    const input = (
      controlId: string,
      now = new Date(),
      parameters?: Record<string, unknown>,
    ): CheckInput => ({
      db: rt.database.db,
      agreementId: d.agreement_id,
      mspOrgId: msp.org.id,
      customerOrgId: cust.org.id,
      controlId,
      parameters: parameters ?? paramsOf(controlId),
      now,
    });
    const controls = new Map<string, Record<string, unknown>>();
    const paramsOf = (id: string) => controls.get(id)!;
    const version = await rt.services.agreements.version(c, d.agreement_id, 1);
    const content = (typeof version.content === 'string' ? JSON.parse(version.content) : version.content) as {
      controls: { controlId: string; parameters: Record<string, unknown> }[];
    };
    for (const x of content.controls) controls.set(x.controlId, x.parameters);
    return { msp, cust, m, c, agreementId: d.agreement_id, input };
  }

  async function source(ctx: ReturnType<typeof ctxFor>, orgId: string, categories: string[], name = 'idp') {
    return rt.services.sources.create(ctx, orgId, {
      kind: 'generic_json',
      name,
      expectedIntervalMinutes: 60,
      mapping: MAPPING,
      categories: categories as never,
    });
  }
  type Source = Awaited<ReturnType<typeof source>>;
  async function signIns(
    src: Source,
    rows: { t: number; o?: string; u: string; ip?: string; mfa?: string }[],
  ) {
    const r = await rt.services.ingest.ingest(
      src,
      rows.map((x, i) => ({
        line: i + 1,
        text: JSON.stringify({ o: 'success', ip: '198.51.100.7', ...x, t: new Date(x.t).toISOString() }),
      })),
    );
    expect(r.rejectedTotal).toBe(0);
  }
  const run = (controlId: string, input: CheckInput, cadence: Cadence = 'daily') =>
    evaluate(CHECKS.get(controlId)!, input, cadence);

  it('LOG-01: retention held per required source against the agreed days', async () => {
    const w = await world({
      'LOG-01': { required_log_sources: ['identity_signin'], log_retention_days: 180 },
    });
    expect(await run('LOG-01', w.input('LOG-01'))).toMatchObject({ status: 'unknown' }); // no source: empty scope
    const src = await source(w.c, w.cust.org.id, ['identity_signin']);
    // A source younger than the retention owes its own age: created today, it owes nothing yet.
    await signIns(src, [{ t: Date.now() - H, u: 'alice' }]);
    const young = await run('LOG-01', w.input('LOG-01'));
    expect(young).toMatchObject({ status: 'pass', observed: { sourcesShort: [] } });
    // A source registered 200 days ago whose oldest event held is an hour old owes 180 days.
    await rt.database.db
      .updateTable('log_sources')
      .set({ created_at: new Date(Date.now() - 200 * DAY) })
      .where('id', '=', src.id)
      .execute();
    const short = await run('LOG-01', w.input('LOG-01'));
    expect(short.status).toBe('fail');
    expect(short.observed).toMatchObject({ sourcesShort: ['idp'], minRetentionDaysHeld: 0 });
    expect(short.evidence[0]!.summary).toContain('owes 180');
    // Its history reaches back 185 days: held.
    await signIns(src, [{ t: Date.now() - 185 * DAY, u: 'alice' }]);
    const held = await run('LOG-01', w.input('LOG-01'));
    expect(held).toMatchObject({ status: 'pass', observed: { minRetentionDaysHeld: 185 } });
    // Nothing delivered for three days: the answer is stale, not a pass or a fail.
    const stale = await run('LOG-01', w.input('LOG-01', new Date(Date.now() + 3 * DAY)));
    expect(stale.status).toBe('unknown');
    expect(stale.reason).toMatch(/^stale/);
    const broken = await run('LOG-01', { ...w.input('LOG-01'), db: brokenDb(rt.database.db) });
    expect(broken).toMatchObject({ status: 'error', reason: expect.stringContaining('connection refused') });
  });

  it('LOG-02: every required category connected and not silent', async () => {
    const w = await world({
      'LOG-02': { required_log_sources: ['identity_signin', 'firewall'], silence_threshold_hours: 24 },
    });
    const none = await run('LOG-02', w.input('LOG-02'), 'hourly');
    expect(none).toMatchObject({
      status: 'fail',
      observed: { notConnected: ['identity_signin', 'firewall'] },
    });
    const idp = await source(w.c, w.cust.org.id, ['identity_signin']);
    const fw = await source(w.c, w.cust.org.id, ['firewall'], 'edge firewall');
    await signIns(idp, [{ t: Date.now() - H, u: 'alice' }]);
    const half = await run('LOG-02', w.input('LOG-02'), 'hourly');
    expect(half).toMatchObject({ status: 'partial', observed: { silent: ['firewall'] } });
    await signIns(fw, [{ t: Date.now() - H, u: 'alice' }]);
    expect((await run('LOG-02', w.input('LOG-02'), 'hourly')).status).toBe('pass');
    // A day and more without delivery: both silent.
    const quiet = await run('LOG-02', w.input('LOG-02', new Date(Date.now() + 25 * H)), 'hourly');
    expect(quiet).toMatchObject({ status: 'fail', observed: { silent: ['identity_signin', 'firewall'] } });
    const empty = await run(
      'LOG-02',
      w.input('LOG-02', new Date(), { required_log_sources: [], silence_threshold_hours: 24 }),
    );
    expect(empty.status).toBe('unknown');
    const broken = await run('LOG-02', { ...w.input('LOG-02'), db: brokenDb(rt.database.db) });
    expect(broken.status).toBe('error');
  });

  it('LOG-03: the recent seal chain verifies, and a tampered event fails it', async () => {
    const w = await world();
    expect((await run('LOG-03', w.input('LOG-03'))).status).toBe('unknown'); // no batches
    const src = await source(w.c, w.cust.org.id, ['identity_signin']);
    await signIns(src, [
      { t: Date.now() - 2 * H, u: 'alice' },
      { t: Date.now() - H, u: 'bob' },
    ]);
    expect(await run('LOG-03', w.input('LOG-03'))).toMatchObject({
      status: 'pass',
      observed: { batchesVerified: 1 },
    });
    await rt.database.db
      .updateTable('events')
      .set({ username: 'mallory' })
      .where('org_id', '=', w.cust.org.id)
      .where('username', '=', 'bob')
      .execute();
    expect((await run('LOG-03', w.input('LOG-03'))).status).toBe('fail');
    expect((await run('LOG-03', w.input('LOG-03', new Date(Date.now() + 3 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('LOG-03', { ...w.input('LOG-03'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it("LOG-04: the MSP's own sources deliver", async () => {
    const w = await world();
    expect((await run('LOG-04', w.input('LOG-04'))).status).toBe('unknown'); // the MSP has no source
    const rmm = await source(w.m, w.msp.org.id, ['rmm'], 'rmm server');
    await signIns(rmm, [{ t: Date.now() - H, u: 'nw-ops' }]);
    expect((await run('LOG-04', w.input('LOG-04'))).status).toBe('pass');
    const silent = await run('LOG-04', w.input('LOG-04', new Date(Date.now() + 2 * DAY)));
    expect(silent).toMatchObject({ status: 'fail', observed: { silent: ['rmm server'] } });
    expect((await run('LOG-04', { ...w.input('LOG-04'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('MFA-01: MSP sign-ins used MFA (without an identity inventory a holding half is partial)', async () => {
    const w = await world();
    const src = await source(w.c, w.cust.org.id, ['identity_signin']);
    await signIns(src, [{ t: Date.now() - H, u: 'alice', mfa: 'no' }]); // not an MSP account
    expect((await run('MFA-01', w.input('MFA-01'))).status).toBe('unknown');
    await signIns(src, [
      { t: Date.now() - 2 * H, u: 'nw-admin', mfa: 'yes' },
      { t: Date.now() - H, u: 'nw-ops', mfa: 'yes' },
    ]);
    expect(await run('MFA-01', w.input('MFA-01'))).toMatchObject({
      status: 'partial',
      observed: { signIns: { coverage: 1 } },
    });
    await signIns(src, [{ t: Date.now() - H / 2, u: 'nw-ops', mfa: 'no' }]);
    const fail = await run('MFA-01', w.input('MFA-01'));
    expect(fail).toMatchObject({ status: 'fail', observed: { signIns: { mspSignIns: 3, withMfa: 2 } } });
    expect(fail.evidence).toEqual([expect.objectContaining({ summary: 'nw-ops: 1 sign-in(s) without MFA' })]);
    expect((await run('MFA-01', w.input('MFA-01', new Date(Date.now() + 2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('MFA-01', { ...w.input('MFA-01'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('NET-02: MSP sign-ins only from the agreed networks', async () => {
    const w = await world({ 'NET-02': { msp_source_networks: ['198.51.100.0/28'] } });
    const src = await source(w.c, w.cust.org.id, ['identity_signin']);
    expect((await run('NET-02', w.input('NET-02'), 'continuous')).status).toBe('unknown');
    await signIns(src, [{ t: Date.now() - H, u: 'nw-admin', ip: '198.51.100.5' }]);
    expect((await run('NET-02', w.input('NET-02'), 'continuous')).status).toBe('pass');
    await signIns(src, [{ t: Date.now() - H, u: 'nw-admin', ip: '203.0.113.77' }]);
    const out = await run('NET-02', w.input('NET-02'), 'continuous');
    expect(out).toMatchObject({
      status: 'fail',
      observed: { outside: 1, outsideAddresses: ['203.0.113.77'] },
    });
    expect(
      (await run('NET-02', w.input('NET-02', new Date(Date.now() + 2 * H)), 'continuous')).reason,
    ).toMatch(/^stale/);
    expect((await run('NET-02', { ...w.input('NET-02'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('NET-04: an MSP account used at two customers is reuse; other customers are counted, not named', async () => {
    const w = await world();
    const src = await source(w.c, w.cust.org.id, ['identity_signin']);
    expect((await run('NET-04', w.input('NET-04'), 'weekly')).status).toBe('unknown');
    await signIns(src, [{ t: Date.now() - H, u: 'nw-admin' }]);
    expect((await run('NET-04', w.input('NET-04'), 'weekly')).status).toBe('pass');
    // The same MSP's other customer, with the same MSP account named in its own agreement.
    const other = await createCustomer(rt, w.msp.org.id);
    const oc = ctxFor(other.admin, 'customer');
    const d = await rt.services.agreements.create(w.m, {
      customerOrgId: other.org.id,
      title: 'Other schedule',
      controls: [{ controlId: 'LOG-05', parameters: { msp_account_names: ['nw-admin'] } }],
    });
    const p = await rt.services.agreements.propose(w.m, d.agreement_id, 1);
    await rt.services.agreements.accept(w.m, d.agreement_id, 1, p.digest!);
    await rt.services.agreements.accept(oc, d.agreement_id, 1, p.digest!);
    const osrc = await source(oc, other.org.id, ['identity_signin']);
    await signIns(osrc, [{ t: Date.now() - H, u: 'NW-ADMIN' }]);
    const reused = await run('NET-04', w.input('NET-04'), 'weekly');
    expect(reused).toMatchObject({ status: 'fail', observed: { mspAccounts: 1, reused: 1 } });
    expect(JSON.stringify(reused)).not.toContain(other.org.id);
    expect(reused.evidence[0]!.summary).toBe('nw-admin: also used at 1 other customer(s)');
    expect((await run('NET-04', w.input('NET-04', new Date(Date.now() + 9 * DAY)), 'weekly')).reason).toMatch(
      /^stale|^nothing in scope/,
    );
    expect((await run('NET-04', { ...w.input('NET-04'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });
});
