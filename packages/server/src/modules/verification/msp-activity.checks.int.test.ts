import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { ago, brokenDb, checkWorld, DAY, H, runCheck as run } from '../../../test/support/verification.ts';
import type { Runtime } from '../../server.ts';
import { recordDetections } from '../detection/alerts.repo.ts';
import type { Detection } from '../detection/engine/types.ts';

/** Checks of what MSP accounts do: LOG-05, MFA-02, MFA-05, AUT-01 and AUT-02. */
const MAPPING = {
  time: { path: 't' },
  class: { path: 'c', default: 'authentication' },
  activity: { path: 'a', default: 'sign_in' },
  outcome: { path: 'o', default: 'success' },
  user: 'u',
  targetUser: 'target',
  srcIp: 'ip',
  mfaUsed: { path: 'mfa', map: { yes: true, no: false } },
};
type World = Awaited<ReturnType<typeof checkWorld>>;

describe.each(dbTargets())('MSP activity checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());
  const later = (ms: number) => new Date(Date.now() + ms);

  async function source(w: World, name: string, categories: string[]) {
    const src = await rt.services.sources.create(w.c, w.cust.org.id, {
      kind: 'generic_json',
      name,
      expectedIntervalMinutes: 60,
      mapping: MAPPING,
      categories: categories as never,
    });
    return (...records: Record<string, unknown>[]) =>
      rt.services.ingest.ingest(
        src,
        records.map((r, i) => ({ line: i + 1, text: JSON.stringify({ t: ago(5 * 60_000), ...r }) })),
      );
  }

  /** The control's owner side attests with a piece of evidence; `reviewer` accepts or disputes it. */
  async function attest(
    w: World,
    controlId: string,
    decision?: 'accepted' | 'disputed',
    by: 'msp' | 'customer' = 'msp',
  ) {
    const [who, reviewer] = by === 'msp' ? [w.m, w.c] : [w.c, w.m];
    const e = await rt.services.evidence.add(who, w.agreementId, controlId, {
      effectiveAt: new Date(Date.now() - DAY).toISOString().slice(0, 10),
      file: { filename: 'record.txt', contentType: 'text/plain', bytes: Buffer.from(`${controlId} record`) },
    });
    const a = await rt.services.attestations.attest(who, w.agreementId, controlId, {
      statement: `${controlId} is met`,
      evidenceIds: [e.item.id],
    });
    if (decision)
      await rt.services.attestations.review(
        reviewer,
        w.agreementId,
        controlId,
        a.current!.id,
        decision,
        null,
      );
  }

  it('LOG-05: MSP-account events reach the customer within the delay, and the customer reviews them', async () => {
    const w = await checkWorld(rt, []);
    const feed = await source(w, 'idp', ['identity_signin']);
    await feed({ u: 'alice' }); // not an MSP account
    expect(await run('LOG-05', w.input('LOG-05'))).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/^no MSP-account event in 30 days/),
    });
    // An MSP-account event that arrives 5 minutes after it happened; no review yet: partial.
    await feed({ u: 'nw-admin' });
    const partial = await run('LOG-05', w.input('LOG-05'));
    expect(partial).toMatchObject({
      status: 'partial',
      observed: { mspEvents: 1, attestation: 'none', daysSinceCustomerReview: null },
    });
    expect(partial.observed.visibilityDelayMinutesP95).toBeGreaterThanOrEqual(5);
    expect(partial.observed.visibilityDelayMinutesP95).toBeLessThan(15);
    // The customer records its review, the MSP accepts it: pass.
    await attest(w, 'LOG-05', 'accepted', 'customer');
    const pass = await run('LOG-05', w.input('LOG-05'));
    expect(pass).toMatchObject({
      status: 'pass',
      observed: { attestation: 'accepted', daysSinceCustomerReview: 0 },
    });
    // A review older than agreed no longer counts.
    const old = await run(
      'LOG-05',
      w.input('LOG-05', later(DAY + H), { ...w.params.get('LOG-05')!, msp_activity_review_days: 0 }),
    );
    expect(old).toMatchObject({ status: 'partial', observed: { daysSinceCustomerReview: 1 } });
    expect(old.reason).toContain('customer review of MSP activity 1 days ago (agreed 0)');
    // An MSP event that reached Accord three hours late: the delay fails, whatever the review.
    await feed({ u: 'nw-ops', t: ago(3 * H) });
    await feed({ u: 'nw-ops', t: ago(3 * H) });
    const fail = await run('LOG-05', w.input('LOG-05'));
    expect(fail).toMatchObject({ status: 'fail', observed: { mspEvents: 3 } });
    expect(fail.observed.visibilityDelayMinutesP95).toBeGreaterThan(170);
    expect((await run('LOG-05', w.input('LOG-05', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('LOG-05', { ...w.input('LOG-05'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it("MFA-02: remote-access sign-ins use MFA; the tools' MFA settings are attested", async () => {
    const w = await checkWorld(rt, ['MFA-02']);
    const idp = await source(w, 'idp', ['identity_signin']);
    await idp({ u: 'alice', mfa: 'no' }); // not a remote-access source
    expect(await run('MFA-02', w.input('MFA-02'))).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/^no remote-access \(vpn, remote_access\) log source/),
    });
    const vpn = await source(w, 'vpn gateway', ['vpn']);
    await vpn({ u: 'alice', mfa: 'yes' }, { u: 'bob', mfa: 'yes' }, { u: 'carol' });
    const partial = await run('MFA-02', w.input('MFA-02'));
    expect(partial).toMatchObject({
      status: 'partial',
      observed: { signIns: 2, withoutMfa: 0, mfaStateNotReported: 1, attestation: 'none' },
    });
    await attest(w, 'MFA-02', 'accepted');
    expect(await run('MFA-02', w.input('MFA-02'))).toMatchObject({
      status: 'pass',
      observed: { attestation: 'accepted' },
    });
    await vpn({ u: 'nw-admin', mfa: 'no' });
    const fail = await run('MFA-02', w.input('MFA-02'));
    expect(fail).toMatchObject({ status: 'fail', observed: { signIns: 3, withoutMfa: 1 } });
    expect(fail.evidence.map((e) => e.summary)).toContain(
      'nw-admin: 1 sign-in(s) without MFA through vpn gateway',
    );
    expect((await run('MFA-02', w.input('MFA-02', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('MFA-02', { ...w.input('MFA-02'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('MFA-05: every MFA method change on an MSP or privileged account raised an alert', async () => {
    const w = await checkWorld(rt, ['MFA-05']);
    const audit = await source(w, 'okta', ['directory_audit']);
    // A change on a customer user: out of scope.
    await audit({ c: 'policy_change', a: 'mfa_factors_reset', u: 'helpdesk', target: 'alice' });
    expect(await run('MFA-05', w.input('MFA-05'))).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/^no MFA method change on an MSP or privileged account/),
    });
    // A reset of an MSP account's factors: the built-in rule raises an alert at ingest.
    await audit({ c: 'policy_change', a: 'mfa_factors_reset', u: 'nw-ops', target: 'nw-admin' });
    const alerts = await rt.database.db
      .selectFrom('alerts')
      .select('rule_id')
      .where('org_id', '=', w.cust.org.id)
      .execute();
    expect(alerts.map((a) => a.rule_id)).toContain('accord-mfa-disabled');
    const partial = await run('MFA-05', w.input('MFA-05'));
    expect(partial).toMatchObject({ status: 'partial', observed: { mfaMethodChanges: 1, withoutAlert: 0 } });
    await attest(w, 'MFA-05', 'accepted');
    expect((await run('MFA-05', w.input('MFA-05'))).status).toBe('pass');
    // Registering a new factor on a privileged account raises no built-in alert: fail.
    await w.importCsv('identity', 'account,privileged_roles', ['adm-bob,Global Administrator']);
    await audit({ c: 'policy_change', a: 'mfa_factor_activated', u: 'adm-bob', target: 'adm-bob' });
    const fail = await run('MFA-05', w.input('MFA-05'));
    expect(fail).toMatchObject({ status: 'fail', observed: { mfaMethodChanges: 2, withoutAlert: 1 } });
    expect(fail.evidence[0]!.summary).toMatch(/: mfa_factor_activated on adm-bob by adm-bob, no alert$/);
    expect((await run('MFA-05', w.input('MFA-05', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('MFA-05', { ...w.input('MFA-05'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('AUT-01: the failure-burst rule is enabled and tuned at least as tight as agreed', async () => {
    const w = await checkWorld(rt, ['AUT-01'], {
      'AUT-01': { failed_auth_burst_count: 10, failed_auth_burst_minutes: 15 },
    });
    const feed = await source(w, 'idp', ['identity_signin']);
    await feed({ u: 'alice' });
    expect((await run('AUT-01', w.input('AUT-01'))).reason).toMatch(/^nothing in scope/); // no MSP account seen
    await feed({ u: 'nw-admin' }, { u: 'nw-ops', o: 'failure' });
    // The built-in rule counts 10 failures over 5 minutes: a slower burst of 10 in 15 escapes it.
    const fail = await run('AUT-01', w.input('AUT-01'));
    expect(fail).toMatchObject({
      status: 'fail',
      observed: { mspAccounts: 2, threshold: 10, windowMinutes: 5 },
    });
    expect(fail.reason).toBe('it counts over 5 min, shorter than the agreed 15');
    await rt.services.rules.tune(w.c, w.cust.org.id, 'accord-brute-force', { timespan: '15m' });
    const pass = await run('AUT-01', w.input('AUT-01'));
    expect(pass).toMatchObject({ status: 'pass', observed: { windowMinutes: 15, ruleEnabled: true } });
    expect(pass.evidence[0]!.summary).toContain('(tuned for this tenant)');
    await rt.services.rules.tune(w.c, w.cust.org.id, 'accord-brute-force', { enabled: false });
    expect((await run('AUT-01', w.input('AUT-01'))).reason).toBe(
      'rule accord-brute-force is disabled for this tenant',
    );
    expect((await run('AUT-01', w.input('AUT-01', later(2 * H)), 'continuous')).reason).toMatch(/^stale/);
    expect((await run('AUT-01', { ...w.input('AUT-01'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('AUT-02: out-of-policy MSP activity is reviewed within review_within_days', async () => {
    const w = await checkWorld(rt, ['AUT-02'], { 'AUT-02': { review_within_days: 7 } });
    const org = w.cust.org.id;
    const feed = await source(w, 'idp', ['identity_signin']);
    await feed({ u: 'alice' });
    expect((await run('AUT-02', w.input('AUT-02'))).reason).toMatch(/^nothing in scope/);
    await feed({ u: 'nw-admin' });
    const alert = async (ruleId: string, openedAgo: number) => {
      const d: Detection = {
        ruleId,
        ruleTitle: ruleId,
        level: 'high',
        orgId: org,
        groupKey: `{"user":"nw-admin-${openedAgo}"}`,
        groupValues: { user: 'nw-admin' },
        firstSeen: ago(openedAgo),
        lastSeen: ago(openedAgo),
        eventCount: 1,
        evidence: [],
        summary: `MSP account nw-admin active outside the agreed maintenance windows`,
      };
      await rt.database.db
        .transaction()
        .execute((tx) => recordDetections(tx, org, [d], { notifyMinutes: 15 }));
      const a = await rt.database.db
        .selectFrom('alerts')
        .select('id')
        .where('org_id', '=', org)
        .where('group_key', '=', d.groupKey)
        .executeTakeFirstOrThrow();
      await rt.database.db
        .updateTable('alerts')
        .set({ created_at: new Date(Date.now() - openedAgo) })
        .where('id', '=', a.id)
        .execute();
      return a.id;
    };
    await alert('accord-msp-outside-window', 2 * DAY); // open, still within the week
    expect(await run('AUT-02', w.input('AUT-02'))).toMatchObject({
      status: 'pass',
      observed: { openAlerts: 1, unreviewedOverWindow: 0 },
    });
    const old = await alert('accord-msp-outside-network', 10 * DAY);
    const fail = await run('AUT-02', w.input('AUT-02'));
    expect(fail).toMatchObject({ status: 'fail', observed: { unreviewedOverWindow: 1 } });
    expect(fail.evidence[0]).toMatchObject({ type: 'alerts', id: old });
    await rt.services.alerts.transition(w.c, org, old, 'acknowledged');
    expect((await run('AUT-02', w.input('AUT-02'))).status).toBe('pass');
    await rt.services.rules.tune(w.c, org, 'accord-msp-outside-window', { enabled: false });
    expect((await run('AUT-02', w.input('AUT-02'))).reason).toBe(
      'disabled rule(s): accord-msp-outside-window',
    );
    expect((await run('AUT-02', w.input('AUT-02', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('AUT-02', { ...w.input('AUT-02'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });
});
