import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { ago, brokenDb, checkWorld, DAY, H, runCheck as run } from '../../../test/support/verification.ts';
import type { Runtime } from '../../server.ts';
import { recordDetections } from '../detection/alerts.repo.ts';
import type { Detection } from '../detection/engine/types.ts';
import { CREDENTIAL_RULES } from './checks/detection.checks.ts';

/** Checks that read alerts and the detection configuration: LOG-08 and PIC-04. */
const MAPPING = {
  time: { path: 't' },
  class: { default: 'authentication' },
  activity: { default: 'sign_in' },
  outcome: 'o',
  user: 'u',
};

describe.each(dbTargets())('detection checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());
  const later = (ms: number) => new Date(Date.now() + ms);

  async function fedSource(
    w: Awaited<ReturnType<typeof checkWorld>>,
    name: string,
    categories: string[],
    feed = true,
  ) {
    const src = await rt.services.sources.create(w.c, w.cust.org.id, {
      kind: 'generic_json',
      name,
      expectedIntervalMinutes: 60,
      mapping: MAPPING,
      categories: categories as never,
    });
    if (feed)
      await rt.services.ingest.ingest(src, [
        { line: 1, text: JSON.stringify({ t: ago(H), o: 'success', u: 'alice' }) },
      ]);
    return src;
  }

  /** Opens an alert through the detections store; `openedAgo` moves its opening back in time. */
  async function alert(orgId: string, ruleId: string, level: string, openedAgo = 0) {
    const d: Detection = {
      ruleId,
      ruleTitle: `Rule ${ruleId}`,
      level: level as Detection['level'],
      orgId,
      groupKey: `{"user":"${ruleId}"}`,
      groupValues: { user: ruleId },
      firstSeen: ago(openedAgo),
      lastSeen: ago(openedAgo),
      eventCount: 10,
      evidence: [],
      summary: `${ruleId} fired`,
    };
    await rt.database.db
      .transaction()
      .execute((tx) => recordDetections(tx, orgId, [d], { notifyMinutes: 15 }));
    const a = await rt.database.db
      .selectFrom('alerts')
      .select('id')
      .where('org_id', '=', orgId)
      .where('rule_id', '=', ruleId)
      .executeTakeFirstOrThrow();
    if (openedAgo)
      await rt.database.db
        .updateTable('alerts')
        .set({ created_at: new Date(Date.now() - openedAgo) })
        .where('id', '=', a.id)
        .execute();
    return a.id;
  }

  it('LOG-08: high and critical alerts acknowledged within high_alert_ack_minutes (95th percentile)', async () => {
    const w = await checkWorld(rt, ['LOG-08'], { 'LOG-08': { high_alert_ack_minutes: 60 } });
    const org = w.cust.org.id;
    await fedSource(w, 'idp', ['identity_signin']);
    await alert(org, 'low-noise', 'medium', 5 * H); // not high: out of scope
    expect((await run('LOG-08', w.input('LOG-08'), 'continuous')).reason).toMatch(/^nothing in scope/);
    const quick = await alert(org, 'quick', 'high');
    await rt.services.alerts.transition(w.c, org, quick, 'acknowledged');
    expect(await run('LOG-08', w.input('LOG-08'), 'continuous')).toMatchObject({
      status: 'pass',
      observed: { alerts: 1, late: 0, unacknowledged: 0 },
    });
    // Opened three hours ago and still open: the 95th percentile of two is the slower one.
    const slow = await alert(org, 'slow', 'critical', 3 * H);
    const fail = await run('LOG-08', w.input('LOG-08'), 'continuous');
    expect(fail).toMatchObject({ status: 'fail', observed: { alerts: 2, late: 1, unacknowledged: 1 } });
    expect(fail.observed.ackMinutesP95).toBeGreaterThanOrEqual(180);
    expect(fail.evidence).toEqual([
      expect.objectContaining({
        type: 'alerts',
        id: slow,
        summary: expect.stringMatching(/^critical "Rule slow": not acknowledged after 18\d min/),
      }),
    ]);
    // Acknowledged now, three hours late: still late.
    await rt.services.alerts.transition(w.c, org, slow, 'acknowledged');
    expect(await run('LOG-08', w.input('LOG-08'), 'continuous')).toMatchObject({
      status: 'fail',
      observed: { late: 1, unacknowledged: 0 },
    });
    expect((await run('LOG-08', w.input('LOG-08', later(2 * H)), 'continuous')).reason).toMatch(/^stale/);
    expect((await run('LOG-08', { ...w.input('LOG-08'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('PIC-04: every authentication source fed and the brute-force and spraying rules enabled', async () => {
    const w = await checkWorld(rt, ['PIC-04']);
    const org = w.cust.org.id;
    await fedSource(w, 'edge firewall', ['firewall']); // not an authentication source
    expect((await run('PIC-04', w.input('PIC-04'))).reason).toMatch(/^nothing in scope/);
    await fedSource(w, 'idp', ['identity_signin']);
    // The tenant's rule store lists the built-in credential rules, enabled.
    const rules = await rt.services.rules.list(w.c, org);
    for (const id of CREDENTIAL_RULES)
      expect(rules.find((r) => r.ruleId === id)).toMatchObject({ enabled: true });
    expect(await run('PIC-04', w.input('PIC-04'))).toMatchObject({
      status: 'pass',
      observed: { authSources: 1, silent: [], disabledRules: [] },
    });
    await rt.services.rules.tune(w.c, org, 'accord-spray-slow', { enabled: false });
    const off = await run('PIC-04', w.input('PIC-04'));
    expect(off).toMatchObject({ status: 'fail', observed: { disabledRules: ['accord-spray-slow'] } });
    expect(off.reason).toContain('disabled rule(s): accord-spray-slow');
    await rt.services.rules.tune(w.c, org, 'accord-spray-slow', { enabled: true });
    expect((await run('PIC-04', w.input('PIC-04'))).status).toBe('pass');
    await fedSource(w, 'vpn concentrator', ['vpn'], false); // registered, never delivered
    const silent = await run('PIC-04', w.input('PIC-04'));
    expect(silent).toMatchObject({
      status: 'fail',
      observed: { authSources: 2, silent: ['vpn concentrator'] },
    });
    expect((await run('PIC-04', w.input('PIC-04', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('PIC-04', { ...w.input('PIC-04'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });
});
