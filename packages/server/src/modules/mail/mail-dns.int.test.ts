import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailFinding } from '@accord/contracts';
import { startDnsServer, type TestDnsServer } from '../../../test/support/dns-server.ts';
import { mailZone } from '../../../test/support/mail-zone.ts';
import { checkMailDomain, createDnsClient, type DnsClient } from './mail-dns.ts';

/**
 * The mail-domain DNS check against a real DNS server (dnsmasq on loopback) serving test zones:
 * each scenario is a domain under mail.test with the records that make it pass or fail, plus
 * zones whose lookups fail (SERVFAIL, timeout) and names that do not exist (NXDOMAIN).
 */
const byCheck = (findings: MailFinding[], check: string) => findings.filter((f) => f.check === check);
const one = (findings: MailFinding[], check: string) => {
  const f = byCheck(findings, check);
  expect(f, `one ${check} finding`).toHaveLength(1);
  return f[0]!;
};

describe('mail-domain DNS check against a real DNS server', () => {
  let server: TestDnsServer;
  let client: DnsClient;
  beforeAll(async () => {
    server = await startDnsServer(mailZone());
    client = createDnsClient({ servers: [server.address], timeoutMs: 700, tries: 1 });
  }, 120_000);
  afterAll(() => server?.stop());
  const check = (d: string, selectors = ['selector1']) => checkMailDomain(client, d, selectors);

  it('a well-configured domain passes, and every finding names the record it read', async () => {
    const r = await check('good.mail.test');
    expect(r.findings.filter((f) => f.status !== 'pass')).toEqual([]);
    expect(r.status).toBe('pass');
    expect(one(r.findings, 'spf_record')).toMatchObject({
      record: 'TXT good.mail.test',
      read: 'v=spf1 include:_spf.mail.test -all',
    });
    expect(one(r.findings, 'dmarc_policy')).toMatchObject({
      record: 'TXT _dmarc.good.mail.test',
      read: 'v=DMARC1; p=reject; rua=mailto:dmarc@mail.test',
    });
    expect(one(r.findings, 'dkim')).toMatchObject({
      record: 'TXT selector1._domainkey.good.mail.test',
      message: 'selector selector1: RSA 2048-bit key',
    });
    expect(one(r.findings, 'mx')).toMatchObject({
      record: 'MX good.mail.test',
      read: '10 mx1.good.mail.test',
    });
    expect(r.facts.spf).toMatchObject({ records: 1, all: '-', lookups: 1, permerror: null });
    expect(r.facts.dmarc).toMatchObject({ policy: 'reject', rua: ['mailto:dmarc@mail.test'] });
    expect(r.facts.dkim).toEqual([
      { selector: 'selector1', present: true, keyType: 'rsa', bits: 2048, error: null },
    ]);
  });

  it('follows redirect= for the final all qualifier', async () => {
    const r = await check('redirect.mail.test');
    expect(r.status).toBe('pass');
    expect(r.facts.spf).toMatchObject({ all: '-', lookups: 1 });
  });

  it('SPF: ~all, no record, two records', async () => {
    const soft = await check('softfail.mail.test');
    expect(soft.status).toBe('fail');
    expect(one(soft.findings, 'spf_all')).toMatchObject({
      status: 'fail',
      message: 'the record ends in ~all, not -all',
    });
    const none = await check('nospf.mail.test');
    expect(one(none.findings, 'spf_record')).toMatchObject({
      status: 'fail',
      record: 'TXT nospf.mail.test',
      message: 'nospf.mail.test publishes no SPF record',
    });
    const two = await check('twospf.mail.test');
    expect(one(two.findings, 'spf_record')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/publishes 2 SPF records/),
    });
    expect(two.facts.spf?.records).toBe(2);
  });

  it('SPF: counts lookups through includes (9 pass, 12 fail), and catches loops and empty includes', async () => {
    const nine = await check('nine.mail.test');
    expect(nine.facts.spf?.lookups).toBe(9);
    expect(one(nine.findings, 'spf_lookups').status).toBe('pass');
    const twelve = await check('twelve.mail.test');
    expect(twelve.facts.spf?.lookups).toBe(12);
    expect(one(twelve.findings, 'spf_lookups')).toMatchObject({
      status: 'fail',
      message: 'the SPF record needs 12 DNS lookups, more than the limit of 10 (RFC 7208 4.6.4)',
    });
    const loop = await check('loop.mail.test');
    expect(one(loop.findings, 'spf_lookups')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/loops back/),
    });
    const empty = await check('voidinclude.mail.test');
    expect(one(empty.findings, 'spf_lookups')).toMatchObject({
      status: 'fail',
      message:
        'the SPF record is broken: include:nothing-here.mail.test: nothing-here.mail.test publishes no SPF record',
    });
  });

  it('DMARC: p=none and p=quarantine are below reject, a missing rua and pct<100 fail', async () => {
    expect(one((await check('none.mail.test')).findings, 'dmarc_policy')).toMatchObject({
      status: 'fail',
      message: 'policy none, below reject',
    });
    const q = await check('quarantine.mail.test');
    expect(one(q.findings, 'dmarc_policy')).toMatchObject({
      status: 'fail',
      message: 'policy quarantine, below reject',
    });
    expect(q.facts.dmarc?.policy).toBe('quarantine');
    const norua = await check('norua.mail.test');
    expect(one(norua.findings, 'dmarc_rua')).toMatchObject({
      status: 'fail',
      record: 'TXT _dmarc.norua.mail.test',
    });
    expect(one(norua.findings, 'dmarc_policy').status).toBe('pass');
    const pct = await check('pct.mail.test');
    expect(one(pct.findings, 'dmarc_pct')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/only 50%/),
    });
    expect(pct.facts.dmarc?.pct).toBe(50);
  });

  it("DMARC: a subdomain without a record takes its parent's (sp= when given); none anywhere fails", async () => {
    const inherits = await check('sub.good.mail.test');
    expect(one(inherits.findings, 'dmarc_record')).toMatchObject({
      status: 'pass',
      record: 'TXT _dmarc.good.mail.test',
    });
    expect(inherits.status).toBe('pass');
    const sp = await check('sub.parent.mail.test');
    expect(one(sp.findings, 'dmarc_policy')).toMatchObject({
      status: 'fail',
      message: 'policy none, below reject',
    });
    const absent = await check('nodmarc.mail.test');
    expect(one(absent.findings, 'dmarc_record')).toMatchObject({
      status: 'fail',
      record: 'TXT _dmarc.nodmarc.mail.test',
      message: 'no DMARC record at _dmarc.nodmarc.mail.test or a parent domain',
    });
    expect(byCheck(absent.findings, 'dmarc_policy')).toEqual([]);
  });

  it('DKIM: a 1024-bit key, a missing key, a revoked key and no selector listed all fail', async () => {
    expect(one((await check('weakdkim.mail.test')).findings, 'dkim')).toMatchObject({
      status: 'fail',
      message: 'selector selector1: RSA 1024-bit key, shorter than 2048 bits',
    });
    expect(one((await check('nodkim.mail.test')).findings, 'dkim')).toMatchObject({
      status: 'fail',
      record: 'TXT selector1._domainkey.nodkim.mail.test',
      read: 'NXDOMAIN',
    });
    expect(one((await check('revoked.mail.test')).findings, 'dkim')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/revoked/),
    });
    const unlisted = await check('good.mail.test', []);
    expect(one(unlisted.findings, 'dkim')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/no DKIM selector is listed/),
    });
    // The second selector of two missing is enough to fail.
    const two = await check('good.mail.test', ['selector1', 'selector2']);
    expect(byCheck(two.findings, 'dkim').map((f) => [f.selector, f.status])).toEqual([
      ['selector1', 'pass'],
      ['selector2', 'fail'],
    ]);
  });

  it('NXDOMAIN for the domain, SERVFAIL and timeouts are errors, never passes', async () => {
    const nx = await check('does-not-exist.mail.test');
    expect(nx.status).toBe('error');
    expect(one(nx.findings, 'spf_record')).toMatchObject({
      status: 'error',
      read: 'NXDOMAIN',
      message: 'the domain does-not-exist.mail.test does not exist (NXDOMAIN)',
    });
    const servfail = await check('broken.test');
    expect(servfail.status).toBe('error');
    expect(one(servfail.findings, 'spf_record')).toMatchObject({ status: 'error', read: 'SERVFAIL' });
    const slow = await check('slow.test');
    expect(slow.status).toBe('error');
    expect(one(slow.findings, 'spf_record')).toMatchObject({ status: 'error', read: 'TIMEOUT' });
    expect(slow.findings.every((f) => f.status !== 'pass')).toBe(true);
    // One failing lookup among good answers still makes the domain an error.
    const partial = await check('dmarcfail.mail.test');
    expect(one(partial.findings, 'spf_record').status).toBe('pass');
    expect(one(partial.findings, 'dmarc_record')).toMatchObject({
      status: 'error',
      record: 'TXT _dmarc.dmarcfail.mail.test',
      read: 'SERVFAIL',
    });
    expect(partial.status).toBe('error');
    expect(partial.facts.dmarc?.error).toBe('SERVFAIL');
  }, 60_000);

  it('a server that is not there is an error', async () => {
    const nobody = createDnsClient({ servers: ['127.0.0.1:9'], timeoutMs: 300, tries: 1 });
    const r = await checkMailDomain(nobody, 'good.mail.test', ['selector1']);
    expect(r.status).toBe('error');
    expect(r.findings.filter((f) => f.status === 'pass')).toEqual([]);
  });
});
