import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalisedEvent } from '@accord/contracts';
import { filterlogParser } from './filterlog.parser.ts';
import type { ParseContext } from './parser.types.ts';

const ctx: ParseContext = { receivedAt: new Date('2024-05-15T00:00:00Z') };
const lines = readFileSync(new URL('./fixtures/filterlog.log', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');

function parse(n: number) {
  const r = filterlogParser.parse(lines[n - 1]!, ctx);
  if (!r.ok) throw new Error(`line ${n}: expected an event, got: ${r.error}`);
  return NormalisedEvent.parse(r.event);
}
function reject(n: number): string {
  const r = filterlogParser.parse(lines[n - 1]!, ctx);
  if (r.ok) throw new Error(`line ${n}: expected a rejection, got ${JSON.stringify(r.event)}`);
  return r.error;
}

describe('pfSense / OPNsense filterlog parser', () => {
  it('reads an IPv4 TCP block over RFC 5424: rule, tracker, interface, direction', () => {
    expect(parse(1)).toMatchObject({
      time: '2024-05-14T10:20:01.123Z',
      class: 'network',
      activity: 'packet_logged',
      action: 'blocked',
      outcome: 'failure',
      protocol: 'tcp',
      srcIp: '198.51.100.23',
      srcPort: 51234,
      dstIp: '198.51.100.10',
      dstPort: 22,
      signatureId: '1000000103',
      signature: 'rule 5 (1000000103)',
      reasonDetail: 'in on igb0: match',
    });
  });

  it('reads the BSD form without a host name (pass is allowed)', () => {
    expect(parse(2)).toMatchObject({ action: 'allowed', dstIp: '203.0.113.200', dstPort: 443 });
  });

  it('reads OPNsense lines with structured data and a hash tracker, UDP ports', () => {
    expect(parse(3)).toMatchObject({
      protocol: 'udp',
      srcPort: 60123,
      dstPort: 53,
      signatureId: '02f4bab031b57d1e30553ce08e0ec131',
    });
  });

  it('reads the IPv6 layout (protocol text before its id)', () => {
    expect(parse(4)).toMatchObject({
      srcIp: '2001:db8::9',
      dstIp: '2001:db8:1::10',
      protocol: 'udp',
      dstPort: 5353,
    });
  });

  it('reads ICMP without ports and reject as blocked', () => {
    expect(parse(5)).toMatchObject({ protocol: 'icmp', srcPort: null, dstPort: null, action: 'blocked' });
    expect(parse(6)).toMatchObject({ action: 'blocked', dstPort: 25 });
  });

  it('keeps other programs on the stream as class other', () => {
    expect(parse(7)).toMatchObject({ class: 'other', app: 'dhcpd', dstIp: null });
  });

  it.each([
    [8, 'truncated filterlog line: 8 fields, the common part needs 9'],
    [9, 'unknown IP version "5" (field 9)'],
    [10, 'destination address (field 20) is not an IP address: "not-an-ip"'],
  ])('rejects line %i: %s', (n, reason) => {
    expect(reject(n)).toBe(reason);
  });
});
