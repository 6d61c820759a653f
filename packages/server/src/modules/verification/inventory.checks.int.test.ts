import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import {
  ago,
  brokenDb,
  checkWorld,
  DAY,
  H,
  loadKev,
  runCheck as run,
} from '../../../test/support/verification.ts';
import type { Runtime } from '../../server.ts';

/** Asset, vulnerability (KEV), remote-access and backup inventory checks. */
const ASSETS = 'hostname,os,os_version,internet_facing,owner,edr_agent,edr_last_seen,last_patched';
const asset = (host: string, o: { facing?: string; edr?: string; seen?: string; patched?: string } = {}) =>
  [
    host,
    'Windows',
    '11',
    o.facing ?? 'no',
    '',
    o.edr ?? 'yes',
    o.seen ?? ago(H),
    o.patched ?? ago(5 * DAY),
  ].join(',');
const VULNS = 'host,cve,first_seen,fixed_at,severity';
const REMOTE = 'host,tool,version,last_seen';
const BACKUPS = 'system,last_success,offline_or_immutable,encrypted,last_restore_test';

describe.each(dbTargets())('inventory checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
    await loadKev(rt);
  });
  afterAll(() => rt.close());
  const later = (ms: number) => new Date(Date.now() + ms);

  it('LOG-06: assets with an EDR agent seen within edr_stale_days, against edr_coverage, minus the exempt', async () => {
    const w = await checkWorld(rt, ['LOG-06'], {
      'LOG-06': { edr_coverage: 1, edr_stale_days: 3, edr_exempt_assets: ['FW-EDGE-01'] },
    });
    expect((await run('LOG-06', w.input('LOG-06'))).status).toBe('unknown'); // no import
    await w.importCsv('assets', ASSETS, [asset('fw-edge-01', { edr: 'no', seen: '' })]);
    expect((await run('LOG-06', w.input('LOG-06'))).reason).toMatch(/^nothing in scope/); // only exempt
    await w.importCsv('assets', ASSETS, [
      asset('fw-edge-01', { edr: 'no', seen: '' }),
      asset('ws-1'),
      asset('srv-1'),
    ]);
    expect(await run('LOG-06', w.input('LOG-06'))).toMatchObject({
      status: 'pass',
      observed: { assets: 2, protected: 2, coverage: 1 },
    });
    await w.importCsv('assets', ASSETS, [
      asset('ws-1'),
      asset('ws-2', { seen: ago(5 * DAY) }),
      asset('srv-1', { edr: 'no', seen: '' }),
    ]);
    const fail = await run('LOG-06', w.input('LOG-06'));
    expect(fail).toMatchObject({
      status: 'fail',
      observed: { assets: 3, protected: 1, unprotected: ['srv-1', 'ws-2'] },
    });
    expect(fail.evidence.map((e) => e.summary)).toEqual(
      expect.arrayContaining(['srv-1: no EDR agent', expect.stringMatching(/^ws-2: EDR agent last seen /)]),
    );
    // A lower agreed coverage passes the same inventory.
    const loose = await run(
      'LOG-06',
      w.input('LOG-06', new Date(), { ...w.params.get('LOG-06'), edr_coverage: 0.3 }),
    );
    expect(loose.status).toBe('pass');
    expect((await run('LOG-06', w.input('LOG-06', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('LOG-06', { ...w.input('LOG-06'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('PIC-02 and UPD-01: KEV findings open beyond their windows, internet-facing and on any asset', async () => {
    const w = await checkWorld(rt, ['PIC-02', 'UPD-01'], {
      'PIC-02': { kev_internet_facing_hours: 48 },
      'UPD-01': { kev_remediation_days: 14 },
    });
    expect((await run('PIC-02', w.input('PIC-02'), 'continuous')).status).toBe('unknown');
    expect((await run('UPD-01', w.input('UPD-01'), 'continuous')).status).toBe('unknown');
    await w.importCsv('assets', ASSETS, [asset('fw-edge-01', { facing: 'yes' }), asset('srv-app-01')]);
    // A finding not in KEV, and a fixed KEV finding: nothing open.
    await w.importCsv('vulnerabilities', VULNS, [
      `fw-edge-01,CVE-2023-38545,${ago(90 * DAY)},,high`,
      `fw-edge-01,CVE-2024-3400,${ago(90 * DAY)},${ago(80 * DAY)},critical`,
    ]);
    expect(await run('PIC-02', w.input('PIC-02'), 'continuous')).toMatchObject({
      status: 'pass',
      observed: { openKevFindings: 0 },
    });
    expect((await run('UPD-01', w.input('UPD-01'), 'continuous')).status).toBe('pass');
    // KEV findings seen 10 days ago: over PIC-02's 48 h on the internet-facing firewall, within
    // UPD-01's 14 days on the internal server.
    await w.importCsv('vulnerabilities', VULNS, [
      `fw-edge-01,CVE-2024-3400,${ago(10 * DAY)},,critical`,
      `srv-app-01,CVE-2021-44228,${ago(10 * DAY)},,critical`,
    ]);
    const pic = await run('PIC-02', w.input('PIC-02'), 'continuous');
    expect(pic).toMatchObject({ status: 'fail', observed: { openKevFindings: 1, overWindow: 1 } });
    expect(pic.evidence.at(-1)!.summary).toMatch(
      /^fw-edge-01: CVE-2024-3400 open 10 days .*KEV since 2024-04-12/,
    );
    expect(await run('UPD-01', w.input('UPD-01'), 'continuous')).toMatchObject({
      status: 'pass',
      observed: { openKevFindings: 2, overWindow: 0 },
    });
    await w.importCsv('vulnerabilities', VULNS, [`srv-app-01,CVE-2021-44228,${ago(20 * DAY)},,critical`]);
    expect((await run('PIC-02', w.input('PIC-02'), 'continuous')).status).toBe('pass'); // internal only
    const upd = await run('UPD-01', w.input('UPD-01'), 'continuous');
    expect(upd).toMatchObject({ status: 'fail', observed: { overWindow: 1 } });
    expect(upd.evidence.at(-1)!.summary).toMatch(/^srv-app-01: CVE-2021-44228 open 20 days/);
    for (const id of ['PIC-02', 'UPD-01']) {
      expect((await run(id, w.input(id, later(2 * H)), 'continuous')).reason).toMatch(/^stale/);
      expect((await run(id, { ...w.input(id), db: brokenDb(rt.database.db) }, 'continuous')).status).toBe(
        'error',
      );
    }
  });

  it('UPD-02: assets patched within the internet-facing (standard) and internal windows', async () => {
    const w = await checkWorld(rt, ['UPD-02'], {
      'UPD-02': { patch_standard_days: 14, patch_internal_days: 30 },
    });
    expect((await run('UPD-02', w.input('UPD-02'))).status).toBe('unknown');
    await w.importCsv('assets', ASSETS, [
      asset('fw-edge-01', { facing: 'yes', patched: ago(10 * DAY) }),
      asset('ws-1', { patched: ago(25 * DAY) }),
    ]);
    expect(await run('UPD-02', w.input('UPD-02'))).toMatchObject({
      status: 'pass',
      observed: { assets: 2, overdue: 0 },
    });
    await w.importCsv('assets', ASSETS, [
      asset('fw-edge-01', { facing: 'yes', patched: ago(20 * DAY) }),
      asset('ws-1', { patched: ago(25 * DAY) }),
      asset('ws-2', { patched: '' }),
    ]);
    const fail = await run('UPD-02', w.input('UPD-02'));
    expect(fail).toMatchObject({
      status: 'fail',
      observed: { overdue: 2, overdueAssets: ['fw-edge-01', 'ws-2'] },
    });
    expect(fail.evidence.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^fw-edge-01: last patched .* \(20 days; internet-facing window 14\)/),
        'ws-2: no patch date',
      ]),
    );
    expect((await run('UPD-02', w.input('UPD-02', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('UPD-02', { ...w.input('UPD-02'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('NET-01: remote-access tools outside approved_remote_tools fail, with host and tool', async () => {
    const w = await checkWorld(rt, ['NET-01'], {
      'NET-01': { approved_remote_tools: ['screenconnect', 'NinjaRMM'] },
    });
    expect((await run('NET-01', w.input('NET-01'))).status).toBe('unknown');
    await w.importCsv('remote_access', REMOTE, [`ws-1,ConnectWise Control Client (8a1f2b),23.9,${ago(H)}`]);
    expect(await run('NET-01', w.input('NET-01'))).toMatchObject({
      status: 'pass',
      observed: { installations: 1 },
    });
    await w.importCsv('remote_access', REMOTE, [
      `ws-1,ConnectWise Control Client (8a1f2b),23.9,${ago(H)}`,
      `ws-1,AnyDesk,8.0.9,${ago(H)}`,
      `srv-1,TeamViewer Host,15.57,${ago(H)}`,
    ]);
    const fail = await run('NET-01', w.input('NET-01'));
    expect(fail).toMatchObject({ status: 'fail', observed: { installations: 3, unapproved: 2 } });
    expect(fail.evidence.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ws-1: AnyDesk/),
        expect.stringMatching(/^srv-1: TeamViewer/),
      ]),
    );
    expect((await run('NET-01', w.input('NET-01', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('NET-01', { ...w.input('NET-01'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('BCK-01..03: backup within the RPO, an offline or immutable copy, a restore test within the window', async () => {
    const w = await checkWorld(rt, ['BCK-01', 'BCK-02', 'BCK-03'], {
      'BCK-01': { rpo_hours: 24 },
      'BCK-03': { restore_test_days: 90 },
    });
    const ids = ['BCK-01', 'BCK-02', 'BCK-03'];
    for (const id of ids) expect((await run(id, w.input(id))).status).toBe('unknown');
    await w.importCsv('backups', BACKUPS, [
      `srv-app-01,${ago(3 * H)},yes,yes,${ago(30 * DAY)}`,
      `sql-prod-01,${ago(20 * H)},yes,yes,${ago(80 * DAY)}`,
    ]);
    for (const id of ids)
      expect(await run(id, w.input(id))).toMatchObject({ status: 'pass', observed: { systems: 2 } });
    await w.importCsv('backups', BACKUPS, [
      `srv-app-01,${ago(3 * H)},yes,yes,${ago(30 * DAY)}`,
      `sql-prod-01,${ago(30 * H)},yes,yes,${ago(100 * DAY)}`,
      `m365-mailboxes,${ago(H)},no,yes,`,
    ]);
    expect(await run('BCK-01', w.input('BCK-01'))).toMatchObject({
      status: 'fail',
      observed: { shortSystems: ['sql-prod-01'] },
    });
    expect(await run('BCK-02', w.input('BCK-02'))).toMatchObject({
      status: 'fail',
      observed: { shortSystems: ['m365-mailboxes'] },
      evidence: expect.arrayContaining([
        { type: 'import', summary: 'm365-mailboxes: no offline or immutable copy' },
      ]),
    });
    const b3 = await run('BCK-03', w.input('BCK-03'), 'weekly');
    expect(b3).toMatchObject({
      status: 'fail',
      observed: { shortSystems: ['m365-mailboxes', 'sql-prod-01'] },
    });
    expect(b3.evidence.map((e) => e.summary)).toContain('m365-mailboxes: last restore test never');
    expect((await run('BCK-01', w.input('BCK-01', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('BCK-02', w.input('BCK-02', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('BCK-03', w.input('BCK-03', later(2 * DAY)), 'weekly')).status).not.toBe('unknown'); // weekly
    expect((await run('BCK-03', w.input('BCK-03', later(8 * DAY)), 'weekly')).reason).toMatch(/^stale/);
    for (const id of ids)
      expect((await run(id, { ...w.input(id), db: brokenDb(rt.database.db) })).status).toBe('error');
  });

  it('ScubaGear results mapped to a control are added to its evidence', async () => {
    const w = await checkWorld(rt, ['MFA-03']);
    const fs = await import('node:fs');
    const { Readable } = await import('node:stream');
    const doc = fs.readFileSync(new URL('../../../../../docs/samples/ScubaResults.json', import.meta.url));
    await rt.services.inventory.importFile(w.c, w.cust.org.id, 'scubagear', {
      body: Readable.from([doc]),
      contentType: 'application/json',
    });
    const r = await run('MFA-03', w.input('MFA-03'));
    expect(r.evidence.some((e) => /^ScubaGear MS\.AAD\./.test(e.summary))).toBe(true);
  });
});
