import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../platform/config.ts';
import {
  isDmarc,
  isSpf,
  parseDkimKey,
  parseDmarc,
  parseSpf,
  policyRank,
  qualifierRank,
} from './mail-records.ts';

const rsa = (bits: number, type: 'spki' | 'pkcs1') =>
  generateKeyPairSync('rsa', { modulusLength: bits })
    .publicKey.export({ type, format: 'der' })
    .toString('base64');

describe('SPF records', () => {
  it('reads mechanisms with qualifiers, redirect, and unknown terms', () => {
    const r = parseSpf(
      'v=spf1 ip4:192.0.2.0/24 include:_spf.example.net a:mail.example.com/28 ~all exp=x.example',
    );
    expect(r.mechanisms).toEqual([
      { qualifier: '+', name: 'ip4', value: '192.0.2.0' },
      { qualifier: '+', name: 'include', value: '_spf.example.net' },
      { qualifier: '+', name: 'a', value: 'mail.example.com' },
      { qualifier: '~', name: 'all', value: null },
    ]);
    expect(parseSpf('v=spf1 redirect=_spf.example.net').redirect).toBe('_spf.example.net');
    expect(parseSpf('v=spf1 include:x.example bogus -all').unknown).toEqual(['bogus']);
    expect(isSpf('v=spf1 -all')).toBe(true);
    expect(isSpf('v=spf10 -all')).toBe(false);
    expect(isSpf('google-site-verification=abc')).toBe(false);
  });

  it('ranks all qualifiers from strict to open', () => {
    expect(qualifierRank('-')).toBe(0);
    expect(qualifierRank('~all')).toBe(1);
    expect(qualifierRank('+')).toBe(3);
    expect(qualifierRank(null)).toBe(-1);
  });
});

describe('DMARC records', () => {
  it('reads p, sp, pct and rua', () => {
    expect(
      parseDmarc('v=DMARC1; p=Quarantine; sp=reject; pct=25; rua=mailto:a@example.com, mailto:b@example.net'),
    ).toEqual({
      policy: 'quarantine',
      subdomainPolicy: 'reject',
      pct: 25,
      rua: ['mailto:a@example.com', 'mailto:b@example.net'],
    });
    expect(parseDmarc('v=DMARC1; p=reject')).toMatchObject({ pct: null, rua: [] });
    expect(isDmarc('v=DMARC1;p=none')).toBe(true);
    expect(isDmarc('v=spf1 -all')).toBe(false);
    expect(policyRank('reject')).toBeGreaterThan(policyRank('quarantine'));
    expect(policyRank('quarantine')).toBeGreaterThan(policyRank('none'));
    expect(policyRank('bogus')).toBe(-1);
  });
});

describe('DKIM key records', () => {
  it('measures RSA keys published as SubjectPublicKeyInfo or PKCS#1', () => {
    expect(parseDkimKey(`v=DKIM1; k=rsa; p=${rsa(2048, 'spki')}`)).toMatchObject({
      bits: 2048,
      problem: null,
    });
    expect(parseDkimKey(`v=DKIM1; p=${rsa(1024, 'pkcs1')}`)).toMatchObject({ keyType: 'rsa', bits: 1024 });
  });

  it('knows revoked, Ed25519, missing and unreadable keys', () => {
    expect(parseDkimKey('v=DKIM1; p=')).toMatchObject({ revoked: true, bits: null });
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
    expect(parseDkimKey(`v=DKIM1; k=ed25519; p=${ed.toString('base64')}`)).toMatchObject({
      bits: 256,
      problem: null,
    });
    expect(parseDkimKey('v=DKIM1; k=rsa').problem).toMatch(/no p=/);
    expect(parseDkimKey('v=DKIM1; p=bm90IGEga2V5').problem).toBe('p= is not a readable RSA public key');
  });
});

describe('DNS configuration', () => {
  it('takes IP addresses with optional ports and names every bad one', () => {
    expect(loadConfig({ ACCORD_DNS_SERVERS: '127.0.0.1:5353, 192.0.2.53,[::1]:53,::1' }).dnsServers).toEqual([
      '127.0.0.1:5353',
      '192.0.2.53',
      '[::1]:53',
      '::1',
    ]);
    expect(loadConfig({}).dnsServers).toEqual([]);
    expect(() => loadConfig({ ACCORD_DNS_SERVERS: 'dns.example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ ACCORD_DNS_SERVERS: '127.0.0.1:99999', ACCORD_DNS_TIMEOUT_MS: '5' })).toThrow(
      /ACCORD_DNS_SERVERS="127.0.0.1:99999": must be IP addresses[\s\S]*ACCORD_DNS_TIMEOUT_MS/,
    );
  });
});
