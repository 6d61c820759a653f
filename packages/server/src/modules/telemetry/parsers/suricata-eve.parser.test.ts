import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalisedEvent } from '@accord/contracts';
import { suricataEveParser } from './suricata-eve.parser.ts';
import type { ParseContext } from './parser.types.ts';

const ctx: ParseContext = { receivedAt: new Date('2024-05-15T00:00:00Z') };
const lines = readFileSync(new URL('./fixtures/suricata-eve.ndjson', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
const line = (n: number): unknown => JSON.parse(lines[n - 1]!);

function parse(n: number) {
  const r = suricataEveParser.parse(line(n), ctx);
  if (!r.ok) throw new Error(`line ${n}: expected an event, got: ${r.error}`);
  return NormalisedEvent.parse(r.event);
}
function reject(n: number): string {
  const r = suricataEveParser.parse(line(n), ctx);
  if (r.ok) throw new Error(`line ${n}: expected a rejection, got ${JSON.stringify(r.event)}`);
  return r.error;
}

describe('Suricata EVE parser', () => {
  it('reads an alert: signature, id, category, severity from the priority, action, host from http', () => {
    expect(parse(1)).toMatchObject({
      time: '2024-05-14T10:02:11.482Z',
      class: 'finding',
      activity: 'ids_alert',
      srcIp: '10.0.1.25',
      srcPort: 49732,
      dstIp: '203.0.113.80',
      dstPort: 80,
      protocol: 'http',
      action: 'allowed',
      signature: 'ET USER_AGENTS Go HTTP Client User-Agent',
      signatureId: '2024897',
      severity: 'low',
      reasonDetail: 'Misc activity',
      dstHost: 'updates.fabrikam.example',
      vendorEventId: 'suricata:alert',
    });
  });

  it('maps priority 1 with signature_severity Critical to critical, and a blocked alert to blocked', () => {
    expect(parse(2)).toMatchObject({
      severity: 'critical',
      action: 'blocked',
      protocol: 'tcp',
      dstPort: 445,
    });
  });

  it('maps priority 2 to medium, converts a +0200 zone and reads the alert dns query name', () => {
    expect(parse(3)).toMatchObject({
      severity: 'medium',
      time: '2024-05-14T08:06:01.000Z',
      dstHost: 'files.example.to',
    });
  });

  it('reads flows: without an IPS verdict the action is unknown; flow.action drop is blocked', () => {
    expect(parse(4)).toMatchObject({
      class: 'network',
      activity: 'flow',
      protocol: 'tcp',
      action: null,
      outcome: 'unknown',
    });
    expect(parse(5)).toMatchObject({
      activity: 'flow',
      action: 'blocked',
      outcome: 'failure',
      dstPort: 3389,
    });
  });

  it('reads DNS queries and answers in the version 2 and version 3 layouts', () => {
    expect(parse(6)).toMatchObject({ activity: 'dns_query', dstHost: 'relay.anydesk.com', protocol: 'dns' });
    expect(parse(7)).toMatchObject({
      activity: 'dns_answer',
      dstHost: 'relay.anydesk.com',
      reasonDetail: null,
    });
    expect(parse(8)).toMatchObject({ activity: 'dns_query', dstHost: 'portal.contoso.example' });
  });

  it('reads the TLS server name and the HTTP host name as the destination host', () => {
    expect(parse(9)).toMatchObject({
      activity: 'tls_handshake',
      dstHost: 'router15.teamviewer.com',
      dstPort: 443,
    });
    expect(parse(10)).toMatchObject({ activity: 'http_request', dstHost: 'intranet.contoso.example' });
  });

  it('keeps event types it does not model: stats as other, an anomaly with addresses as network', () => {
    expect(parse(11)).toMatchObject({ class: 'other', activity: 'stats', srcIp: null });
    expect(parse(12)).toMatchObject({ class: 'network', activity: 'anomaly', srcIp: '198.51.100.9' });
  });

  it.each([
    [13, 'alert.signature is missing'],
    [14, 'src_ip is not an IP address: "10.0.1.999"'],
    [15, 'timestamp is not an ISO-8601 time: "not a time"'],
    [16, 'missing event_type'],
    [17, 'src_port is not a port: 70000'],
  ])('rejects line %i: %s', (n, reason) => {
    expect(reject(n)).toBe(reason);
  });

  it('rejects a record that is not an object', () => {
    const r = suricataEveParser.parse([1, 2], ctx);
    expect(r).toEqual({ ok: false, error: 'expected a JSON object, got an array' });
  });
});
