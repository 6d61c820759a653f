import fs from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceCategory, SourceKind } from '@accord/contracts';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { ago, brokenDb, checkWorld, DAY, H, runCheck as run } from '../../../test/support/verification.ts';
import type { Runtime } from '../../server.ts';

/**
 * The network defence monitoring, application control and EDR checks: LOG-02's sites, LOG-06's
 * agents that stopped reporting, LOG-07. Each passes, fails, has an empty scope (unknown), stale
 * data (unknown) and a broken data source (error).
 */
const POLICY = fs.readFileSync(
  new URL('../../../../../docs/samples/applocker-policy.xml', import.meta.url),
  'utf8',
);
const ASSETS = 'hostname,os,os_version,internet_facing,owner,edr_agent,edr_last_seen,last_patched';
const asset = (host: string, o: { os?: string; facing?: string; edr?: string; seen?: string } = {}) =>
  [
    host,
    o.os ?? 'Windows 11 Enterprise',
    '23H2',
    o.facing ?? 'no',
    '',
    o.edr ?? 'yes',
    o.seen ?? ago(H),
    ago(5 * DAY),
  ].join(',');

/** One Winlogbeat AppLocker / WDAC record: event id, device, file, at. */
const appEvent = (id: number, host: string, file: string, at: number) =>
  JSON.stringify({
    '@timestamp': new Date(at).toISOString(),
    winlog: {
      channel:
        id > 8000 ? 'Microsoft-Windows-AppLocker/EXE and DLL' : 'Microsoft-Windows-CodeIntegrity/Operational',
      computer_name: host,
      event_id: String(id),
      provider_name: id > 8000 ? 'Microsoft-Windows-AppLocker' : 'Microsoft-Windows-CodeIntegrity',
      ...(id > 8000
        ? { user_data: { PolicyName: 'EXE', RuleName: '-', FilePath: file } }
        : { event_data: { 'File Name': file, PolicyName: 'Baseline' } }),
    },
  });

describe.each(dbTargets())('network and endpoint checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());

  type World = Awaited<ReturnType<typeof checkWorld>>;
  async function source(
    w: World,
    kind: SourceKind,
    name: string,
    categories: SourceCategory[],
    site?: string,
  ) {
    return rt.services.sources.create(w.c, w.cust.org.id, {
      kind,
      name,
      expectedIntervalMinutes: 60,
      categories,
      ...(site ? { site } : {}),
    });
  }
  async function send(
    src: { id: string } & Parameters<Runtime['services']['ingest']['ingest']>[0],
    lines: string[],
  ) {
    const r = await rt.services.ingest.ingest(
      src,
      lines.map((text, i) => ({ line: i + 1, text })),
    );
    expect(r.rejected).toEqual([]);
  }
  const eve = (at: number, dstPort = 443) =>
    JSON.stringify({
      timestamp: new Date(at).toISOString(),
      event_type: 'flow',
      src_ip: '10.0.1.25',
      src_port: 50000,
      dest_ip: '203.0.113.10',
      dest_port: dstPort,
      proto: 'TCP',
      flow: {},
    });

  it('LOG-02: every agreed site has a live firewall or IDS source', async () => {
    const w = await checkWorld(rt, ['LOG-02'], {
      'LOG-02': {
        required_log_sources: ['ids'],
        silence_threshold_hours: 24,
        monitored_sites: ['London office', 'Leeds DC'],
      },
    });
    const input = () => w.input('LOG-02');
    // Nothing connected: the category and both sites are missing.
    const none = await run('LOG-02', input(), 'hourly');
    expect(none).toMatchObject({
      status: 'fail',
      observed: { notConnected: ['ids'], sitesUnmonitored: ['London office', 'Leeds DC'] },
    });
    // London has a live IDS; Leeds has only an identity source (not network monitoring).
    const london = await source(w, 'suricata_eve', 'london-ids', ['ids'], 'london office');
    await send(london, [eve(Date.now() - H)]);
    await source(w, 'okta_system_log', 'leeds-okta', ['identity_signin'], 'Leeds DC');
    const half = await run('LOG-02', input(), 'hourly');
    expect(half).toMatchObject({
      status: 'partial',
      observed: { sitesMonitored: 1, sitesUnmonitored: ['Leeds DC'], sitesSilent: [] },
    });
    expect(half.reason).toBe('sites without network monitoring: Leeds DC');
    // Leeds gets a firewall: every site monitored.
    const leeds = await source(w, 'filterlog', 'leeds-fw', ['firewall']);
    await rt.services.sources.setSite(w.c, w.cust.org.id, leeds.id, 'Leeds DC');
    await send(leeds, [
      `<134>1 ${new Date(Date.now() - H).toISOString()} fw filterlog 1 - - 5,,,100,igb0,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,198.51.100.23,198.51.100.10,51234,22,0,S`,
    ]);
    const ok = await run('LOG-02', input(), 'hourly');
    expect(ok).toMatchObject({ status: 'pass', observed: { sitesMonitored: 2 } });
    expect(ok.evidence.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^site Leeds DC: leeds-fw \(firewall\), last delivery /),
      ]),
    );
    // Old data is this check's fail: 25 hours later both sites' monitoring is silent.
    const quiet = await run('LOG-02', w.input('LOG-02', new Date(Date.now() + 25 * H)), 'hourly');
    expect(quiet).toMatchObject({
      status: 'fail',
      observed: { sitesSilent: ['London office', 'Leeds DC'], silent: ['ids'] },
    });
    // No category and no site agreed: nothing in scope.
    const empty = await run(
      'LOG-02',
      w.input('LOG-02', new Date(), {
        required_log_sources: [],
        silence_threshold_hours: 24,
        monitored_sites: [],
      }),
      'hourly',
    );
    expect(empty.status).toBe('unknown');
    expect(empty.reason).toMatch(/^nothing in scope/);
    // An agreement drafted before monitored_sites existed is read as naming no site.
    const older = await run(
      'LOG-02',
      w.input('LOG-02', new Date(), { required_log_sources: ['ids'], silence_threshold_hours: 24 }),
      'hourly',
    );
    expect(older).toMatchObject({ status: 'pass', expected: { requiredLogSources: ['ids'] } });
    expect((await run('LOG-02', { ...input(), db: brokenDb(rt.database.db) }, 'hourly')).status).toBe(
      'error',
    );
  });

  it('LOG-06: a device whose EDR agent has not reported within the agreed hours is unprotected; EDR events count as reports', async () => {
    const w = await checkWorld(rt, ['LOG-06'], {
      'LOG-06': { edr_coverage: 1, edr_stale_days: 3, edr_exempt_assets: [], edr_report_hours: 24 },
    });
    expect((await run('LOG-06', w.input('LOG-06'))).status).toBe('unknown'); // no inventory: empty scope
    // The inventory saw wks-1 an hour ago, wks-2 30 hours ago (within 3 days, past 24 h).
    await w.importCsv('assets', ASSETS, [asset('wks-1'), asset('wks-2', { seen: ago(30 * H) })]);
    const fail = await run('LOG-06', w.input('LOG-06'));
    expect(fail).toMatchObject({
      status: 'fail',
      observed: {
        assets: 2,
        protected: 1,
        unprotected: ['wks-2'],
        notReporting: ['wks-2'],
        reportedByEdrEvents: 0,
      },
      expected: { edrReportHours: 24 },
    });
    // A Defender alert about wks-2 two hours ago shows its agent reporting: pass.
    const mde = await source(w, 'mde_alerts', 'defender', ['edr']);
    await send(mde, [
      JSON.stringify({
        id: 'da1',
        title: 'Suspicious PowerShell command line',
        severity: 'Low',
        status: 'New',
        alertCreationTime: new Date(Date.now() - 2 * H).toISOString(),
        computerDnsName: 'wks-2.contoso.example',
      }),
    ]);
    const pass = await run('LOG-06', w.input('LOG-06'));
    expect(pass).toMatchObject({
      status: 'pass',
      observed: { protected: 2, notReporting: [], reportedByEdrEvents: 1 },
    });
    // The same event from a source that is not an EDR source does not count.
    await rt.services.sources.setCategories(w.c, w.cust.org.id, mde.id, ['other']);
    expect((await run('LOG-06', w.input('LOG-06'))).status).toBe('fail');
    // The inventory is two days old: stale.
    expect((await run('LOG-06', w.input('LOG-06', new Date(Date.now() + 2 * DAY)))).reason).toMatch(/^stale/);
    // An agreement without edr_report_hours (catalog 1.2.0) is read at the default, 72 hours.
    const { edr_report_hours: _drop, ...olderParams } = w.params.get('LOG-06')!;
    expect((await run('LOG-06', w.input('LOG-06', new Date(), olderParams))).status).toBe('pass');
    expect((await run('LOG-06', { ...w.input('LOG-06'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('LOG-07: enforced policy, audit-only devices, denylisted tools, recent blocks', async () => {
    const w = await checkWorld(rt, ['LOG-07'], {
      'LOG-07': {
        app_control_scope: 'workstations',
        app_control_required_collections: ['Exe', 'Msi', 'Script'],
        app_control_denylist: ['anydesk', 'rustdesk'],
        app_control_block_window_days: 30,
      },
    });
    const importPolicy = (xml: string) =>
      rt.services.inventory.importFile(w.c, w.cust.org.id, 'app_control', {
        body: Readable.from([Buffer.from(xml)]),
        contentType: 'application/xml',
        filename: 'policy.xml',
      });
    // No policy imported: unknown, whatever else is known.
    await w.importCsv('assets', ASSETS, [
      asset('WKS-0042'),
      asset('WKS-0050'),
      asset('SRV-APP01', { os: 'Windows Server 2022' }),
    ]);
    const nothing = await run('LOG-07', w.input('LOG-07'));
    expect(nothing).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(/no application-control policy/),
    });

    // The sample policy: Exe, Msi and Script enforced, AnyDesk and rustdesk denied. No block seen
    // yet: enforced by policy but not shown to be active.
    await importPolicy(POLICY);
    const unproven = await run('LOG-07', w.input('LOG-07'));
    expect(unproven).toMatchObject({
      status: 'partial',
      observed: {
        devicesInScope: 2,
        collectionsNotEnforced: [],
        denylistedToolsNotBlocked: [],
        blocksInWindow: 0,
      },
    });

    // AnyDesk blocked on WKS-0042: active enforcement proven.
    const al = await source(w, 'windows_security', 'applocker', ['edr']);
    await send(al, [
      appEvent(
        8004,
        'WKS-0042.contoso.example',
        '%OSDRIVE%\\USERS\\BOB\\DOWNLOADS\\ANYDESK.EXE',
        Date.now() - DAY,
      ),
    ]);
    const pass = await run('LOG-07', w.input('LOG-07'));
    expect(pass).toMatchObject({
      status: 'pass',
      observed: { blocksInWindow: 1, devicesWithoutEnforcement: 0 },
    });

    // WKS-0050 reports audit-only decisions: it does not enforce. The server is out of scope.
    await send(al, [
      appEvent(8003, 'WKS-0050', 'C:\\Users\\alice\\AppData\\Local\\Temp\\tool.exe', Date.now() - H),
      appEvent(3076, 'SRV-APP01', '\\Device\\HarddiskVolume3\\ProgramData\\x.exe', Date.now() - H),
    ]);
    const audit = await run('LOG-07', w.input('LOG-07'));
    expect(audit).toMatchObject({
      status: 'fail',
      observed: { devicesAuditOnly: ['WKS-0050'], devicesWithoutEnforcement: 1 },
    });
    expect(audit.reason).toBe('1 device(s) only audit: WKS-0050');
    // With internet-facing servers in scope the server counts, but it is not internet-facing.
    const ml2 = await run(
      'LOG-07',
      w.input('LOG-07', new Date(), {
        ...w.params.get('LOG-07'),
        app_control_scope: 'workstations_and_internet_facing_servers',
      }),
    );
    expect(ml2.observed).toMatchObject({ devicesInScope: 2 });

    // A policy whose script rules only audit, and without the rustdesk deny rule: both named.
    await importPolicy(
      POLICY.replace(
        '<RuleCollection Type="Script" EnforcementMode="Enabled">',
        '<RuleCollection Type="Script" EnforcementMode="AuditOnly">',
      ).replace(/<FileHashRule[\s\S]*?<\/FileHashRule>/, ''),
    );
    const weak = await run('LOG-07', w.input('LOG-07'));
    expect(weak).toMatchObject({
      status: 'fail',
      observed: {
        collectionsNotEnforced: ['Script (AuditOnly)'],
        denylistedToolsNotBlocked: ['rustdesk'],
        devicesWithoutEnforcement: 2,
      },
    });

    // A denylisted tool seen running (a process event) fails even with its deny rule.
    await importPolicy(POLICY);
    const sec = await source(w, 'windows_security', 'security', ['directory_audit']);
    await send(sec, [
      JSON.stringify({
        '@timestamp': new Date(Date.now() - H).toISOString(),
        winlog: {
          channel: 'Security',
          computer_name: 'WKS-0042',
          event_id: '4688',
          event_data: { SubjectUserName: 'bob', NewProcessName: 'C:\\Temp\\AnyDesk.exe' },
        },
      }),
    ]);
    const ran = await run('LOG-07', w.input('LOG-07'));
    expect(ran.observed).toMatchObject({ denylistedToolsNotBlocked: ['anydesk'] });
    expect(ran.evidence.map((e) => e.summary)).toContain(
      'anydesk ran despite a deny rule: C:\\Temp\\AnyDesk.exe on WKS-0042',
    );

    // The policy export is two days old: stale. No device in scope: unknown. Store down: error.
    expect((await run('LOG-07', w.input('LOG-07', new Date(Date.now() + 2 * DAY)))).reason).toMatch(/^stale/);
    await w.importCsv('assets', ASSETS, [asset('SRV-APP01', { os: 'Windows Server 2022' })]);
    expect((await run('LOG-07', w.input('LOG-07'))).reason).toMatch(/^nothing in scope/);
    expect((await run('LOG-07', { ...w.input('LOG-07'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });
});
