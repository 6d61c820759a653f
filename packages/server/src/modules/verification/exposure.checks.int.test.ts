import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { ago, brokenDb, checkWorld, DAY, H, runCheck as run } from '../../../test/support/verification.ts';
import type { Runtime } from '../../server.ts';

/** Asset-inventory checks on scans and support: UPD-03, PIC-01 and OBS-05. */
const HEADER = 'hostname,os,internet_facing,owner,edr_agent,last_scanned,end_of_support,compensating_control';
const asset = (
  hostname: string,
  o: { ext?: boolean; owner?: string; scanned?: string; eos?: string; comp?: string; os?: string } = {},
) =>
  [
    hostname,
    o.os ?? 'Windows Server 2022',
    o.ext ? 'yes' : 'no',
    o.owner ?? 'it@contoso.example',
    'yes',
    o.scanned ?? ago(H),
    o.eos ?? '',
    o.comp ?? '',
  ].join(',');

describe.each(dbTargets())('exposure checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());
  const later = (ms: number) => new Date(Date.now() + ms);

  it('UPD-03: each asset was scanned within the window of its class', async () => {
    const w = await checkWorld(rt, ['UPD-03'], {
      'UPD-03': { internet_facing_scan_hours: 24, internal_scan_days: 14 },
    });
    await w.importCsv('assets', HEADER, []);
    expect((await run('UPD-03', w.input('UPD-03'))).reason).toMatch(/^nothing in scope/);
    // An inventory without scan times (an older export): unknown, not fail.
    await w.importCsv('assets', 'hostname,internet_facing,edr_agent', ['web-01,yes,yes']);
    expect(await run('UPD-03', w.input('UPD-03'))).toMatchObject({
      status: 'unknown',
      reason: 'the asset inventory does not report when assets were scanned (last_scanned)',
    });
    await w.importCsv('assets', HEADER, [
      asset('web-01', { ext: true, scanned: ago(20 * H) }),
      asset('srv-01', { scanned: ago(10 * DAY) }),
    ]);
    expect(await run('UPD-03', w.input('UPD-03'))).toMatchObject({
      status: 'pass',
      observed: { assets: 2, internetFacingNotScanned: 0, internalNotScanned: 0, daysSinceAssetDiscovery: 0 },
    });
    const imp = await w.importCsv('assets', HEADER, [
      asset('web-01', { ext: true, scanned: ago(30 * H) }),
      asset('srv-01', { scanned: ago(10 * DAY) }),
      asset('srv-02', { scanned: '' }),
    ]);
    const fail = await run('UPD-03', w.input('UPD-03'));
    expect(fail).toMatchObject({
      status: 'fail',
      observed: { internetFacingNotScanned: 1, internalNotScanned: 1, notScanned: ['srv-02', 'web-01'] },
      dataAt: new Date(imp.importedAt),
    });
    expect(fail.evidence.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        'srv-02 (internal, window 14 days): no scan recorded',
        expect.stringMatching(/^web-01 \(internet-facing, window 24 h\): last scanned .* \(1 days ago\)$/),
      ]),
    );
    expect((await run('UPD-03', w.input('UPD-03', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('UPD-03', { ...w.input('UPD-03'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('PIC-01: internet-facing assets have an owner and a recent scan; without an exposure scan, partial at best', async () => {
    const w = await checkWorld(rt, ['PIC-01'], { 'PIC-01': { asset_discovery_interval_days: 14 } });
    await w.importCsv('assets', HEADER, [asset('srv-01')]);
    expect((await run('PIC-01', w.input('PIC-01'))).reason).toMatch(/^nothing in scope/); // no internet-facing asset
    await w.importCsv('assets', HEADER, [
      asset('vpn-01', { ext: true, scanned: ago(3 * DAY) }),
      asset('srv-01'),
    ]);
    const partial = await run('PIC-01', w.input('PIC-01'));
    expect(partial).toMatchObject({
      status: 'partial',
      observed: { internetFacingAssets: 1, withoutOwnerOrScan: 0, exposureScan: 'not imported' },
    });
    expect(partial.reason).toContain('endpoints missing from the inventory are not seen');
    await w.importCsv('assets', HEADER, [
      asset('vpn-01', { ext: true, scanned: ago(3 * DAY) }),
      asset('mail-01', { ext: true, owner: '', scanned: ago(DAY) }),
      asset('rdgw-01', { ext: true, scanned: ago(20 * DAY) }),
    ]);
    const fail = await run('PIC-01', w.input('PIC-01'));
    expect(fail).toMatchObject({
      status: 'fail',
      observed: { withoutOwnerOrScan: 2, assets: ['mail-01', 'rdgw-01'] },
    });
    expect(fail.evidence.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        'mail-01: no owner',
        expect.stringMatching(/^rdgw-01: last scanned .* \(20 days ago\)$/),
      ]),
    );
    expect((await run('PIC-01', w.input('PIC-01', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('PIC-01', { ...w.input('PIC-01'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('OBS-05: no unsupported internet-facing asset; unsupported internal ones carry a compensating control', async () => {
    const w = await checkWorld(rt, ['OBS-05']);
    await w.importCsv('assets', HEADER, []);
    expect((await run('OBS-05', w.input('OBS-05'), 'weekly')).reason).toMatch(/^nothing in scope/);
    await w.importCsv('assets', HEADER, [asset('srv-01')]);
    expect((await run('OBS-05', w.input('OBS-05'), 'weekly')).reason).toBe(
      'the asset inventory gives no end-of-support date (end_of_support) for any asset',
    );
    await w.importCsv('assets', HEADER, [
      asset('web-01', { ext: true, eos: '2031-10-14' }),
      asset('scada-01', { os: 'Windows 7', eos: '2020-01-14', comp: 'isolated VLAN 40; no internet access' }),
    ]);
    expect(await run('OBS-05', w.input('OBS-05'), 'weekly')).toMatchObject({
      status: 'pass',
      observed: { internalUnsupportedCompensated: 1, notAssessed: 0 },
    });
    await w.importCsv('assets', HEADER, [
      asset('web-01', { ext: true, eos: '2031-10-14' }),
      asset('srv-01'), // no end-of-support date: not assessed
    ]);
    expect(await run('OBS-05', w.input('OBS-05'), 'weekly')).toMatchObject({
      status: 'partial',
      observed: { notAssessed: 1 },
    });
    await w.importCsv('assets', HEADER, [
      asset('gw-01', { ext: true, os: 'NetScaler', eos: ago(30 * DAY) }),
      asset('pc-01', { os: 'Windows 10', eos: '2025-10-14' }),
      asset('scada-01', { os: 'Windows 7', eos: '2020-01-14', comp: 'isolated VLAN 40' }),
    ]);
    const fail = await run('OBS-05', w.input('OBS-05'), 'weekly');
    expect(fail).toMatchObject({
      status: 'fail',
      observed: {
        internetFacingUnsupported: 1,
        internalUnsupportedWithoutCompensatingControl: 1,
        assetsFailing: ['gw-01', 'pc-01'],
      },
    });
    expect(fail.evidence.map((e) => e.summary)).toContain(
      'pc-01 (internal, Windows 10): support ended 2025-10-14',
    );
    expect((await run('OBS-05', w.input('OBS-05', later(8 * DAY)), 'weekly')).reason).toMatch(/^stale/);
    expect((await run('OBS-05', { ...w.input('OBS-05'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });
});
