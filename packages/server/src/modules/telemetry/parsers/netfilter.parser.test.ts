import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalisedEvent } from '@accord/contracts';
import { netfilterParser } from './netfilter.parser.ts';
import type { ParseContext } from './parser.types.ts';

const ctx: ParseContext = { receivedAt: new Date('2024-05-15T00:00:00Z') };
const lines = readFileSync(new URL('./fixtures/netfilter.log', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');

function parse(n: number) {
  const r = netfilterParser.parse(lines[n - 1]!, ctx);
  if (!r.ok) throw new Error(`line ${n}: expected an event, got: ${r.error}`);
  return NormalisedEvent.parse(r.event);
}
function reject(n: number): string {
  const r = netfilterParser.parse(lines[n - 1]!, ctx);
  if (r.ok) throw new Error(`line ${n}: expected a rejection, got ${JSON.stringify(r.event)}`);
  return r.error;
}

describe('netfilter parser', () => {
  it('reads a dropped inbound SYN: addresses, ports, protocol, the prefix as signature, blocked', () => {
    expect(parse(1)).toMatchObject({
      time: '2024-05-14T10:15:01.000Z',
      class: 'network',
      activity: 'packet_logged',
      srcIp: '203.0.113.9',
      srcPort: 51234,
      dstIp: '198.51.100.10',
      dstPort: 22,
      protocol: 'tcp',
      signature: 'DROP-IN',
      action: 'blocked',
      outcome: 'failure',
      reasonDetail: 'in=eth0',
    });
  });

  it('reads an accepted outbound connection as allowed', () => {
    expect(parse(2)).toMatchObject({
      action: 'allowed',
      outcome: 'success',
      dstPort: 443,
      reasonDetail: 'in=eth1 out=eth0',
    });
  });

  it('reads an nftables line over RFC 5424 (reject is blocked)', () => {
    expect(parse(3)).toMatchObject({
      time: '2024-05-14T10:15:03.250Z',
      signature: 'nft-reject',
      action: 'blocked',
      protocol: 'udp',
      dstPort: 161,
    });
  });

  it('leaves the action unknown when the prefix names no decision, and ICMP without ports', () => {
    expect(parse(4)).toMatchObject({
      signature: 'IPT-LOG',
      action: null,
      outcome: 'unknown',
      protocol: 'icmp',
      dstPort: null,
    });
  });

  it('lower-cases IPv6 addresses', () => {
    expect(parse(5)).toMatchObject({ srcIp: '2001:db8::9', dstIp: '2001:db8:1::10', dstPort: 3389 });
  });

  it('keeps other kernel messages as class other', () => {
    expect(parse(6)).toMatchObject({ class: 'other', dstIp: null, app: 'kernel' });
  });

  it.each([
    [7, 'SRC is not an IP address: "203.0.113.300"'],
    [8, 'DPT is not a port: "99999"'],
  ])('rejects line %i: %s', (n, reason) => {
    expect(reject(n)).toBe(reason);
  });

  it('rejects a line that is not syslog', () => {
    expect(reject(9)).toMatch(/./);
  });
});
