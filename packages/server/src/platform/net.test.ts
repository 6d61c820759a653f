import { describe, expect, it } from 'vitest';
import { parseCidr } from './net.ts';

describe('CIDR blocks', () => {
  it('contain the addresses of their prefix, IPv4, IPv6 and IPv4-mapped', () => {
    const v4 = parseCidr('198.51.100.0/24');
    expect(v4.contains('198.51.100.7')).toBe(true);
    expect(v4.contains('::ffff:198.51.100.7')).toBe(true);
    expect(v4.contains('198.51.101.7')).toBe(false);
    expect(v4.contains('2001:db8::1')).toBe(false);
    const v6 = parseCidr('2001:db8:abcd::/48');
    expect(v6.contains('2001:db8:abcd:12::1')).toBe(true);
    expect(v6.contains('2001:db8:abce::1')).toBe(false);
    expect(parseCidr('203.0.113.9').contains('203.0.113.9')).toBe(true);
    expect(parseCidr('203.0.113.9').contains('203.0.113.8')).toBe(false);
    expect(parseCidr('0.0.0.0/0').contains('8.8.8.8')).toBe(true);
    expect(parseCidr('::ffff:0:0/96').contains('::ffff:10.0.0.1')).toBe(false); // compared as IPv4
    expect(parseCidr('10.0.0.0/9').contains('10.127.255.255')).toBe(true);
    expect(parseCidr('10.0.0.0/9').contains('10.128.0.0')).toBe(false);
  });
  it('refuse what is not a network', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'example.com', '10.0.0.0/x', '2001:db8::/129', ''])
      expect(() => parseCidr(bad), bad).toThrow();
  });
});
