import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from './support/harness.ts';
import { createCustomer, createMsp } from './support/factories.ts';
import { signIn, type ApiClient } from './support/api-client.ts';

/**
 * Network defence monitoring, EDR alerts and application control over HTTP: the vendors'
 * documented records sent to /api/v1/ingest come out as events with network fields and as alerts
 * with their severity, device and user; an AppLocker export imports as evidence with its
 * enforcement modes. Bad records are refused with their line and reason, the good ones kept.
 */
const FIXTURES = new URL('../src/modules/telemetry/parsers/fixtures/', import.meta.url);
const fixture = (name: string) => fs.readFileSync(new URL(name, FIXTURES));
const POLICY = fs.readFileSync(new URL('../../../docs/samples/applocker-policy.xml', import.meta.url));

async function post(url: string, headers: Record<string, string>, body: string | Buffer) {
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}

describe.each(dbTargets())('network and endpoint data over HTTP ($name)', (target) => {
  let srv: TestServer;
  let admin: ApiClient;
  let orgId: string;
  beforeAll(async () => {
    srv = await startTestServer(target);
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    orgId = cust.org.id;
    admin = await signIn(srv.url, cust.admin);
  });
  afterAll(() => srv.stop());

  async function source(kind: string, name: string, extra: Record<string, unknown> = {}) {
    const res = await admin.post(`/api/v1/orgs/${orgId}/sources`, {
      kind,
      name,
      expectedIntervalMinutes: 60,
      ...extra,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; ingestToken: string; categories: string[]; site: string | null };
  }
  const ingest = (token: string, body: string | Buffer, type: string) =>
    post(`${srv.url}/api/v1/ingest`, { authorization: `Bearer ${token}`, 'content-type': type }, body);
  const alerts = async () =>
    (await admin.get(`/api/v1/orgs/${orgId}/alerts?limit=200`)).body.alerts as {
      ruleId: string;
      level: string;
      summary: string;
      groupValues: Record<string, string | null>;
    }[];

  it('Suricata EVE: a source of a site, IDS alerts at their severity, network fields searchable', async () => {
    const s = await source('suricata_eve', 'london-ids', { site: 'London office' });
    expect(s).toMatchObject({ categories: ['ids'], site: 'London office' });
    const moved = await admin.put(`/api/v1/orgs/${orgId}/sources/${s.id}/site`, { site: 'London HQ' });
    expect(moved.body.site).toBe('London HQ');
    expect((await admin.put(`/api/v1/orgs/${orgId}/sources/${s.id}/site`, { site: '' })).status).toBe(400);

    const r = await ingest(s.ingestToken, fixture('suricata-eve.ndjson'), 'application/x-ndjson');
    expect(r.status, r.text).toBe(200);
    expect(r.body.accepted).toBe(12);
    expect(r.body.rejected).toEqual([
      { line: 13, reason: 'alert.signature is missing' },
      { line: 14, reason: 'src_ip is not an IP address: "10.0.1.999"' },
      { line: 15, reason: 'timestamp is not an ISO-8601 time: "not a time"' },
      { line: 16, reason: 'missing event_type' },
      { line: 17, reason: 'src_port is not a port: 70000' },
    ]);
    const found = (await admin.get(`/api/v1/orgs/${orgId}/events?dstIp=10.0.1.10&class=finding`)).body.events;
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      signature: 'ET EXPLOIT Possible ETERNALBLUE Probe MS17-010 (MSF style)',
      signatureId: '2024218',
      severity: 'critical',
      action: 'blocked',
      dstPort: 445,
      protocol: 'tcp',
    });
    const a = await alerts();
    const critical = a.find((x) => x.ruleId === 'accord-ids-alert-critical');
    expect(critical).toMatchObject({
      level: 'critical',
      groupValues: { srcIp: '198.51.100.23', dstIp: '10.0.1.10' },
    });
    expect(a.find((x) => x.ruleId === 'accord-ids-alert-low')?.level).toBe('low');
    expect(a.find((x) => x.ruleId === 'accord-ids-alert-medium')?.level).toBe('medium');
    // The AnyDesk lookup and the TeamViewer handshake: unapproved remote-access services.
    const services = a
      .filter((x) => x.ruleId === 'accord-unapproved-remote-service')
      .map((x) => x.groupValues.remoteService);
    expect(services.sort()).toEqual(['anydesk', 'teamviewer']);
    // Events with network fields still seal and verify.
    const v = await admin.get(`/api/v1/orgs/${orgId}/logs/verify`);
    expect(v.body).toMatchObject({ ok: true, firstBrokenSeq: null });
  });

  it('Defender for Endpoint alerts (an API page): EDR alerts with severity, device and user', async () => {
    const s = await source('mde_alerts', 'defender');
    expect(s.categories).toEqual(['edr']);
    const r = await ingest(s.ingestToken, fixture('mde-alerts.json'), 'application/json');
    expect(r.status, r.text).toBe(200);
    expect(r.body.accepted).toBe(4);
    expect(r.body.rejected.map((x: { line: number }) => x.line)).toEqual([5, 6, 7]);
    const a = await alerts();
    expect(a.find((x) => x.ruleId === 'accord-edr-alert-high')).toMatchObject({
      level: 'high',
      summary:
        'EDR: Low-reputation arbitrary code executed by signed executable on wks-0042.contoso.example (user bob)',
      groupValues: { dstHost: 'wks-0042.contoso.example', user: 'bob' },
    });
    const medium = a.filter((x) => x.ruleId === 'accord-edr-alert-medium').map((x) => x.groupValues.dstHost);
    expect(medium.sort()).toEqual(['srv-file01.contoso.example', 'wks-0050.contoso.example']);
    // The resolved (false positive) alert raised nothing.
    expect(a.some((x) => x.summary.includes('Suspicious PowerShell command line'))).toBe(false);
  });

  it('netfilter and filterlog lines as text', async () => {
    const nf = await source('netfilter', 'fw01');
    expect(nf.categories).toEqual(['firewall']);
    const r1 = await ingest(nf.ingestToken, fixture('netfilter.log'), 'text/plain');
    expect(r1.body.accepted).toBe(6);
    expect(r1.body.rejected.map((x: { line: number }) => x.line)).toEqual([7, 8, 9]);
    const pf = await source('filterlog', 'pfsense');
    const r2 = await ingest(pf.ingestToken, fixture('filterlog.log'), 'text/plain');
    expect(r2.body.accepted).toBe(7);
    expect(r2.body.rejected.map((x: { line: number }) => x.line)).toEqual([8, 9, 10]);
    const blocked = (await admin.get(`/api/v1/orgs/${orgId}/events?sourceId=${pf.id}&outcome=failure`)).body
      .events;
    expect(blocked.every((e: { action: string }) => e.action === 'blocked')).toBe(true);
    expect(blocked.length).toBe(4);
  });

  it('imports an AppLocker policy as evidence, with the enforcement mode of each rule collection', async () => {
    const imp = (body: string | Buffer, type = 'application/xml') =>
      post(
        `${srv.url}/api/v1/orgs/${orgId}/imports/app-control?filename=policy.xml`,
        { 'content-type': type, cookie: admin.cookie!, 'x-csrf-token': admin.csrf! },
        body,
      );
    const ok = await imp(POLICY);
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body).toMatchObject({ kind: 'app_control', format: 'applocker', accepted: 5, rejected: 0 });
    const policy = (await admin.get(`/api/v1/orgs/${orgId}/inventory/app-control`)).body;
    expect(policy.importId).toBe(ok.body.id);
    const byType = Object.fromEntries(
      policy.collections.map((c: { collection: string }) => [c.collection, c]),
    ) as Record<
      string,
      {
        enforcementMode: string;
        denyRules: number;
        rules: { name: string; action: string; matches: string[] }[];
      }
    >;
    expect(Object.fromEntries(Object.entries(byType).map(([k, v]) => [k, v.enforcementMode]))).toEqual({
      Appx: 'NotConfigured',
      Dll: 'NotConfigured',
      Exe: 'Enabled',
      Msi: 'Enabled',
      Script: 'Enabled',
    });
    expect(byType.Exe!.denyRules).toBe(2);
    expect(byType.Exe!.rules.find((r) => r.name === 'Deny AnyDesk')).toMatchObject({
      action: 'Deny',
      matches: ['O=PHILANDRO SOFTWARE GMBH, L=STUTTGART, S=BADEN-WÜRTTEMBERG, C=DE\\ANYDESK\\*'],
    });
    // The import is kept as evidence: in the import history with its digest.
    const hist = (await admin.get(`/api/v1/orgs/${orgId}/imports?kind=app_control`)).body.items;
    expect(hist[0]).toMatchObject({ id: ok.body.id, sha256: ok.body.sha256 });

    // Windows PowerShell writes UTF-16 with a byte-order mark: read as such.
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(POLICY.toString('utf8').replace('utf-8', 'utf-16'), 'utf16le'),
    ]);
    const wide = await imp(utf16);
    expect(wide.status, wide.text).toBe(201);
    expect(wide.body.accepted).toBe(5);

    // Bad collections are rejected with their position and reason; the good ones are kept.
    const mixed = `<AppLockerPolicy Version="1"><RuleCollection Type="Exe" EnforcementMode="AuditOnly"/><RuleCollection Type="Jar" EnforcementMode="Enabled"/><RuleCollection Type="Script" EnforcementMode="Sometimes"/><RuleCollection Type="Msi" EnforcementMode="Enabled"><FilePathRule Id="x" Name="bad" UserOrGroupSid="S-1-1-0" Action="Maybe"><Conditions><FilePathCondition Path="*"/></Conditions></FilePathRule></RuleCollection></AppLockerPolicy>`;
    const part = await imp(mixed);
    expect(part.status, part.text).toBe(201);
    expect(part.body.rejections).toEqual([
      { line: 2, reason: 'RuleCollection Type "Jar" is not one of Exe, Msi, Script, Dll, Appx' },
      {
        line: 3,
        reason: 'Script: EnforcementMode "Sometimes" is not one of Enabled, AuditOnly, NotConfigured',
      },
      { line: 4, reason: 'Msi FilePathRule 1: Action must be Allow or Deny, not "Maybe"' },
    ]);
    const after = (await admin.get(`/api/v1/orgs/${orgId}/inventory/app-control`)).body.collections;
    expect(after.find((c: { collection: string }) => c.collection === 'Exe').enforcementMode).toBe(
      'AuditOnly',
    );

    // Not XML, not AppLocker, the wrong type: refused whole, nothing changed.
    const broken = await imp('<AppLockerPolicy><RuleCollection></AppLockerPolicy>');
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toMatch(/^the file is not well-formed XML: line 1, column/);
    const other = await imp('<SiPolicy xmlns="urn:schemas-microsoft-com:sipolicy"/>');
    expect(other.status).toBe(400);
    expect(other.body.error.message).toMatch(/root element must be <AppLockerPolicy>/);
    expect((await imp(POLICY, 'text/csv')).status).toBe(400);
    const unchanged = (await admin.get(`/api/v1/orgs/${orgId}/inventory/app-control`)).body;
    expect(unchanged.importId).toBe(part.body.id);
  });
});
