import { generateKeyPairSync } from 'node:crypto';
import type { DnsRecords } from './dns-server.ts';

/** A DKIM public key of `bits` bits, base64 SubjectPublicKeyInfo as published in p=. */
export const keyOf = (bits: number) =>
  generateKeyPairSync('rsa', { modulusLength: bits })
    .publicKey.export({ type: 'spki', format: 'der' })
    .toString('base64');

/**
 * The test zone mail.test: one domain per scenario with the records that make it pass or fail,
 * plus broken.test (SERVFAIL), slow.test (timeout) and a SERVFAIL on one DMARC name. Used by the
 * DNS, API and verification tests.
 */
export function mailZone(): DnsRecords {
  const k2048 = keyOf(2048);
  const k1024 = keyOf(1024);
  const dmarc = (d: string, tags = 'p=reject; rua=mailto:dmarc@mail.test') =>
    [`_dmarc.${d}.mail.test`, `v=DMARC1; ${tags}`] as [string, string];
  const spf = (d: string, text: string) => [`${d}.mail.test`, text] as [string, string];
  const dkim = (d: string, key = k2048, sel = 'selector1') =>
    [`${sel}._domainkey.${d}.mail.test`, `v=DKIM1; k=rsa; p=${key}`] as [string, string];
  const complete = (d: string, spfText = 'v=spf1 include:_spf.mail.test -all') => [
    spf(d, spfText),
    dmarc(d),
    dkim(d),
  ];
  const mxOf = (d: string) => [`${d}.mail.test`, `mx1.${d}.mail.test`, 10] as [string, string, number];
  const chain = (n: number, prefix: string) =>
    Array.from(
      { length: n },
      (_, i) => [`${prefix}${i}.mail.test`, `v=spf1 a mx ip4:192.0.2.${i}/32 -all`] as [string, string],
    );
  return {
    zones: ['mail.test'],
    txt: [
      ['_spf.mail.test', 'v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all'],
      ...complete('good'),
      ['good.mail.test', 'google-site-verification=abc123'], // another TXT record beside the SPF one
      ...complete('redirect', 'v=spf1 redirect=_spf.mail.test'),
      ...complete('softfail', 'v=spf1 include:_spf.mail.test ~all'),
      dmarc('nospf'),
      dkim('nospf'),
      ['nospf.mail.test', 'google-site-verification=xyz'],
      ...complete('twospf'),
      spf('twospf', 'v=spf1 ip4:198.51.100.1 -all'),
      // 3 includes + 3 x (a + mx) = 9 lookups: within the limit
      ...complete('nine', 'v=spf1 include:n0.mail.test include:n1.mail.test include:n2.mail.test -all'),
      ...chain(3, 'n'),
      // 4 includes + 4 x (a + mx) = 12 lookups: over it
      ...complete(
        'twelve',
        'v=spf1 include:t0.mail.test include:t1.mail.test include:t2.mail.test include:t3.mail.test -all',
      ),
      ...chain(4, 't'),
      ...complete('loop', 'v=spf1 include:loop.mail.test -all'),
      ...complete('voidinclude', 'v=spf1 include:nothing-here.mail.test -all'),
      spf('none', 'v=spf1 -all'),
      dmarc('none', 'p=none; rua=mailto:dmarc@mail.test'),
      dkim('none'),
      spf('quarantine', 'v=spf1 -all'),
      dmarc('quarantine', 'p=quarantine; rua=mailto:dmarc@mail.test'),
      dkim('quarantine'),
      spf('norua', 'v=spf1 -all'),
      dmarc('norua', 'p=reject'),
      dkim('norua'),
      spf('pct', 'v=spf1 -all'),
      dmarc('pct', 'p=reject; pct=50; rua=mailto:dmarc@mail.test'),
      dkim('pct'),
      spf('weakdkim', 'v=spf1 -all'),
      dmarc('weakdkim'),
      dkim('weakdkim', k1024),
      spf('nodkim', 'v=spf1 -all'),
      dmarc('nodkim'),
      spf('revoked', 'v=spf1 -all'),
      dmarc('revoked'),
      ['selector1._domainkey.revoked.mail.test', 'v=DKIM1; k=rsa; p='],
      // a subdomain without its own DMARC record: the parent's sp= applies
      spf('sub.good', 'v=spf1 -all'),
      dkim('sub.good'),
      ['_dmarc.parent.mail.test', 'v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@mail.test'],
      spf('sub.parent', 'v=spf1 -all'),
      dkim('sub.parent'),
      spf('nodmarc', 'v=spf1 -all'),
      dkim('nodmarc'),
      // SERVFAIL only on the DMARC lookup: a failure of one record is an error of the domain
      spf('dmarcfail', 'v=spf1 -all'),
      dkim('dmarcfail'),
    ],
    mx: [
      ...[
        'good',
        'redirect',
        'softfail',
        'nospf',
        'twospf',
        'nine',
        'twelve',
        'loop',
        'voidinclude',
        'none',
      ].map(mxOf),
      ...[
        'quarantine',
        'norua',
        'pct',
        'weakdkim',
        'nodkim',
        'revoked',
        'sub.good',
        'sub.parent',
        'dmarcfail',
        'nodmarc',
      ].map(mxOf),
      ...['n0', 'n1', 'n2', 't0', 't1', 't2', 't3'].map(mxOf),
    ],
    servfailZones: ['broken.test', '_dmarc.dmarcfail.mail.test'],
    timeoutZones: ['slow.test'],
  };
}
