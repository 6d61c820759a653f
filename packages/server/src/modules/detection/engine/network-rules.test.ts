import { describe, expect, it } from 'vitest';
import { compileBuiltinRules } from './builtin.ts';
import { createEngine } from './evaluator.ts';
import { at, ev, noCtx } from './test-events.ts';
import type { Detection, EngineEvent, TenantContext } from './types.ts';
import { remoteDestinationsOf, remoteServiceOf } from './remote-destinations.ts';

/**
 * The network and endpoint rules (rules/50-network.yml, rules/60-endpoint.yml): each fires on its
 * scenario and stays silent on a benign look-alike.
 */
const rules = compileBuiltinRules();
const run = (events: EngineEvent[], ctx: TenantContext = noCtx): Detection[] =>
  createEngine(rules).process('o', events, ctx);
const fired = (events: EngineEvent[], ctx?: TenantContext): string[] =>
  [...new Set(run(events, ctx).map((d) => d.ruleId))].sort();
const of = (ds: Detection[], id: string) => ds.filter((d) => d.ruleId === id);

const flow = (time: string, srcIp: string, dstIp: string, dstPort: number, over: Partial<EngineEvent> = {}) =>
  ev({
    time,
    class: 'network',
    activity: 'flow',
    outcome: 'unknown',
    srcIp,
    dstIp,
    dstPort,
    protocol: 'tcp',
    ...over,
  });
const ids = (time: string, severity: string | null, over: Partial<EngineEvent> = {}) =>
  ev({
    time,
    class: 'finding',
    activity: 'ids_alert',
    outcome: 'unknown',
    srcIp: '198.51.100.23',
    dstIp: '10.0.1.10',
    dstPort: 445,
    signature: 'ET EXPLOIT Possible ETERNALBLUE Probe MS17-010 (MSF style)',
    signatureId: '2024218',
    severity,
    ...over,
  });
const edr = (time: string, severity: string | null, over: Partial<EngineEvent> = {}) =>
  ev({
    time,
    class: 'finding',
    activity: 'edr_alert',
    outcome: 'unknown',
    dstHost: 'wks-0042.contoso.example',
    user: 'bob',
    signature: 'Low-reputation arbitrary code executed by signed executable',
    severity,
    ...over,
  });

describe('network and endpoint rules', () => {
  describe('IDS alerts', () => {
    it.each([
      ['critical', 'accord-ids-alert-critical'],
      ['high', 'accord-ids-alert-high'],
      ['medium', 'accord-ids-alert-medium'],
      ['low', 'accord-ids-alert-low'],
    ])('a %s alert raises an alert at that level, naming signature and endpoints', (severity, id) => {
      const d = of(run([ids(at(0), severity), ids(at(1), severity)]), id);
      expect(d).toHaveLength(1);
      expect(d[0]).toMatchObject({
        level: severity,
        eventCount: 2,
        groupValues: {
          signature: 'ET EXPLOIT Possible ETERNALBLUE Probe MS17-010 (MSF style)',
          srcIp: '198.51.100.23',
          dstIp: '10.0.1.10',
        },
      });
      expect(d[0]!.summary).toBe(
        'IDS: ET EXPLOIT Possible ETERNALBLUE Probe MS17-010 (MSF style) from 198.51.100.23 to 10.0.1.10 (2 events)',
      );
    });
    it('informational alerts and plain flows to the same host raise nothing', () => {
      expect(fired([ids(at(0), 'informational'), flow(at(1), '198.51.100.23', '10.0.1.10', 445)])).toEqual(
        [],
      );
    });
  });

  describe('port scan and sweep', () => {
    it('fires when one source tries 25 ports of one host in two minutes', () => {
      const events = Array.from({ length: 25 }, (_, i) =>
        flow(at(i * 0.08), '203.0.113.9', '10.0.1.10', 1000 + i, {
          action: 'blocked',
          activity: 'packet_logged',
        }),
      );
      const d = of(run(events), 'accord-port-scan');
      expect(d).toHaveLength(1);
      expect(d[0]!.groupValues).toEqual({ srcIp: '203.0.113.9', dstIp: '10.0.1.10' });
      expect(d[0]!.summary).toMatch(/^203\.0\.113\.9 probed 2\d ports of 10\.0\.1\.10/);
    });
    it('a client opening 60 connections to one server on two ports is not a scan', () => {
      const events = Array.from({ length: 60 }, (_, i) =>
        flow(at(i * 0.05), '10.0.1.25', '10.0.1.10', i % 2 ? 443 : 80),
      );
      expect(fired(events)).toEqual([]);
    });
    it('the same 25 ports spread over two hours is not a scan', () => {
      const events = Array.from({ length: 25 }, (_, i) =>
        flow(at(i * 6), '203.0.113.9', '10.0.1.10', 1000 + i),
      );
      expect(fired(events)).toEqual([]);
    });
    it('fires when one source tries port 445 on 30 hosts in three minutes', () => {
      const events = Array.from({ length: 30 }, (_, i) =>
        flow(at(i * 0.1), '10.0.1.66', `10.0.2.${i + 1}`, 445),
      );
      const d = of(run(events), 'accord-network-sweep');
      expect(d).toHaveLength(1);
      expect(d[0]!.groupValues).toEqual({ srcIp: '10.0.1.66', dstPort: '445' });
    });
    it('a workstation reaching ten web servers, and DNS queries to many names, are not a sweep', () => {
      const web = Array.from({ length: 10 }, (_, i) =>
        flow(at(i * 0.1), '10.0.1.25', `203.0.113.${i + 1}`, 443),
      );
      const dns = Array.from({ length: 40 }, (_, i) =>
        ev({
          time: at(i * 0.05),
          class: 'network',
          activity: 'dns_query',
          outcome: 'unknown',
          srcIp: '10.0.1.25',
          dstIp: `10.0.1.${2 + (i % 30)}`,
          dstPort: 53,
          dstHost: `host${i}.contoso.example`,
        }),
      );
      expect(fired([...web, ...dns])).toEqual([]);
    });
  });

  describe('remote-access services', () => {
    const dns = (time: string, name: string, srcIp = '10.0.1.25') =>
      ev({
        time,
        class: 'network',
        activity: 'dns_query',
        outcome: 'unknown',
        srcIp,
        dstIp: '10.0.1.2',
        dstPort: 53,
        dstHost: name,
      });
    it('fires when a host looks up an unapproved service, naming the tool and host', () => {
      const d = of(run([dns(at(0), 'relay-7.net.anydesk.com')]), 'accord-unapproved-remote-service');
      expect(d).toHaveLength(1);
      expect(d[0]!.groupValues).toEqual({ remoteService: 'anydesk', srcIp: '10.0.1.25' });
    });
    it('stays silent when the agreement approves the tool, for look-alike names, and when blocked', () => {
      expect(
        fired([dns(at(0), 'relay-7.net.anydesk.com')], { ...noCtx, approvedRemoteTools: ['anydesk'] }),
      ).toEqual([]);
      expect(fired([dns(at(0), 'anydesk.com.evil.example'), dns(at(1), 'notanydesk.com')])).toEqual([]);
      const blocked = flow(at(2), '10.0.1.25', '203.0.113.200', 443, {
        dstHost: 'router1.teamviewer.com',
        action: 'blocked',
      });
      expect(fired([blocked])).toEqual([]);
    });
    it('reads addresses the agreement lists for a tool (a self-hosted relay)', () => {
      const ctx: TenantContext = {
        ...noCtx,
        remoteToolDestinations: ['rustdesk: 198.51.100.0/28', 'screenconnect: rmm.fabrikam.example'],
      };
      const toRelay = flow(at(0), '10.0.1.25', '198.51.100.5', 21116);
      const elsewhere = flow(at(0), '10.0.1.25', '198.51.100.50', 21116);
      expect(of(run([toRelay], ctx), 'accord-unapproved-remote-service')[0]!.groupValues.remoteService).toBe(
        'rustdesk',
      );
      expect(fired([elsewhere], ctx)).toEqual([]);
      expect(fired([toRelay], { ...ctx, approvedRemoteTools: ['rustdesk'] })).toEqual([]);
      expect(fired([dns(at(0), 'rmm.fabrikam.example')], ctx)).toEqual(['accord-unapproved-remote-service']);
    });
    it('skips unusable destination entries and says why', () => {
      const ignored: string[] = [];
      const d = remoteDestinationsOf(
        ['nosuchtool: 10.0.0.0/8', 'anydesk: not a domain!', 'teamviewer'],
        ignored,
      );
      expect(ignored).toHaveLength(3);
      expect(remoteServiceOf(d, null, '10.1.2.3')).toBeNull();
    });
  });

  describe('MSP traffic outside the agreed windows', () => {
    const ctx: TenantContext = {
      approvedRemoteTools: [],
      mspNetworks: ['198.51.100.0/24'],
      maintenanceWindows: [{ days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', tz: 'Europe/Amsterdam' }],
    };
    // 2024-03-04 is a Monday; 08:00Z is 09:00 in Amsterdam. 2024-03-03 is a Sunday.
    it('fires on RDP from the MSP network on a Sunday night', () => {
      const d = of(
        run([flow('2024-03-03T23:30:00.000Z', '198.51.100.20', '10.0.1.10', 3389)], ctx),
        'accord-msp-traffic-outside-window',
      );
      expect(d).toHaveLength(1);
      expect(d[0]!.groupValues).toEqual({ srcIp: '198.51.100.20', dstIp: '10.0.1.10' });
    });
    it('stays silent inside the window, from other networks, when blocked, or when nothing is agreed', () => {
      expect(fired([flow(at(0), '198.51.100.20', '10.0.1.10', 3389)], ctx)).toEqual([]);
      expect(fired([flow('2024-03-03T23:30:00.000Z', '203.0.113.20', '10.0.1.10', 3389)], ctx)).toEqual([]);
      expect(
        fired(
          [flow('2024-03-03T23:30:00.000Z', '198.51.100.20', '10.0.1.10', 3389, { action: 'blocked' })],
          ctx,
        ),
      ).toEqual([]);
      expect(fired([flow('2024-03-03T23:30:00.000Z', '198.51.100.20', '10.0.1.10', 3389)])).toEqual([]);
    });
  });

  describe('EDR alerts', () => {
    it.each([
      ['critical', 'accord-edr-alert-critical', 'critical'],
      ['high', 'accord-edr-alert-high', 'high'],
      ['medium', 'accord-edr-alert-medium', 'medium'],
      [null, 'accord-edr-alert-medium', 'medium'],
      ['low', 'accord-edr-alert-low', 'low'],
    ])('severity %s becomes %s, naming device and user', (severity, id, level) => {
      const d = of(run([edr(at(0), severity)]), id);
      expect(d).toHaveLength(1);
      expect(d[0]!.level).toBe(level);
      expect(d[0]!.groupValues).toMatchObject({ dstHost: 'wks-0042.contoso.example', user: 'bob' });
      expect(d[0]!.summary).toBe(
        'EDR: Low-reputation arbitrary code executed by signed executable on wks-0042.contoso.example (user bob)',
      );
    });
    it('informational and resolved alerts raise nothing', () => {
      expect(
        fired([edr(at(0), 'informational'), edr(at(1), 'high', { activity: 'edr_alert_resolved' })]),
      ).toEqual([]);
    });
  });

  describe('application control', () => {
    const appEvent = (action: string, host: string, file = 'C:\\Users\\bob\\Downloads\\AnyDesk.exe') =>
      ev({
        time: at(0),
        class: 'app_control',
        activity: `app_${action}`,
        outcome: action === 'blocked' ? 'failure' : 'success',
        action,
        processName: file,
        dstHost: host,
      });
    it('reports a host whose application control only audits', () => {
      const d = of(
        run([appEvent('audited', 'WKS-0050', 'C:\\Users\\a\\tool.exe')]),
        'accord-app-control-audit-only',
      );
      expect(d[0]!.groupValues).toEqual({ dstHost: 'WKS-0050' });
    });
    it('a blocked AnyDesk is enforcement, not use of an unapproved tool; an audited one ran', () => {
      expect(fired([appEvent('blocked', 'WKS-0042')])).toEqual([]);
      expect(fired([appEvent('audited', 'WKS-0042')])).toEqual([
        'accord-app-control-audit-only',
        'accord-unapproved-remote-tool',
      ]);
    });
  });
});
