import type { MailCheckStatus, MailFacts, MailFinding } from '@accord/contracts';
import { describeCode, isAbsent, type DnsClient } from './dns-client.ts';
import { checkSpf } from './mail-spf.ts';
import { DKIM_MIN_RSA_BITS, isDmarc, parseDkimKey, parseDmarc, policyRank } from './mail-records.ts';

export { createDnsClient, type DnsClient } from './dns-client.ts';

/**
 * The mail-domain check: SPF (mail-spf.ts), DMARC, DKIM for the listed selectors and MX, read
 * through a DnsClient into findings that each name the record they read.
 */

/**
 * DMARC at `_dmarc.<domain>`; without one, the parents are tried in turn (the DMARCbis tree walk,
 * at most 8 names, never the top-level domain), where the subdomain policy `sp=` applies.
 */
async function checkDmarc(
  client: DnsClient,
  domain: string,
  findings: MailFinding[],
  policyWanted = 'reject',
): Promise<MailFacts['dmarc']> {
  const labels = domain.split('.');
  const names: string[] = [];
  for (let i = 0; i < labels.length - 1 && names.length < 8; i++) names.push(labels.slice(i).join('.'));
  const own = `TXT _dmarc.${domain}`;
  for (const name of names) {
    const record = `TXT _dmarc.${name}`;
    const r = await client.txt(`_dmarc.${name}`);
    if (!r.ok && !isAbsent(r.code)) {
      findings.push({
        check: 'dmarc_record',
        status: 'error',
        record,
        read: r.code,
        message: `the DMARC lookup failed: ${describeCode(r.code)}`,
      });
      return { at: null, record: null, policy: null, pct: null, rua: [], error: r.code };
    }
    const found = r.ok ? r.value.filter(isDmarc) : [];
    if (found.length === 0) continue;
    const read = found.join(' | ');
    if (found.length > 1) {
      findings.push({
        check: 'dmarc_record',
        status: 'fail',
        record,
        read,
        message: `${found.length} DMARC records: receivers apply none of them`,
      });
      return { at: `_dmarc.${name}`, record: found[0]!, policy: null, pct: null, rua: [], error: null };
    }
    const d = parseDmarc(found[0]!);
    const inherited = name !== domain;
    const policy = inherited ? (d.subdomainPolicy ?? d.policy) : d.policy;
    findings.push({
      check: 'dmarc_record',
      status: 'pass',
      record,
      read,
      message: inherited
        ? `no record at _dmarc.${domain}; the parent's applies (${d.subdomainPolicy ? 'sp=' : 'p='})`
        : 'one DMARC record',
    });
    const below = policyRank(policy) < policyRank(policyWanted);
    findings.push({
      check: 'dmarc_policy',
      status: below ? 'fail' : 'pass',
      record,
      read,
      message: policy
        ? `policy ${policy}${below ? `, below ${policyWanted}` : ''}`
        : 'the record has no valid p= policy',
    });
    const pct = d.pct ?? 100;
    findings.push({
      check: 'dmarc_pct',
      status: pct === 100 ? 'pass' : 'fail',
      record,
      read,
      message:
        pct === 100
          ? 'the policy applies to all mail (pct=100)'
          : `the policy applies to only ${pct}% of failing mail (pct=${pct})`,
    });
    findings.push({
      check: 'dmarc_rua',
      status: d.rua.length ? 'pass' : 'fail',
      record,
      read,
      message: d.rua.length
        ? `aggregate reports go to ${d.rua.join(', ')}`
        : 'no rua= address: nobody receives aggregate reports',
    });
    return { at: `_dmarc.${name}`, record: found[0]!, policy, pct: d.pct, rua: d.rua, error: null };
  }
  findings.push({
    check: 'dmarc_record',
    status: 'fail',
    record: own,
    read: 'NXDOMAIN or no DMARC record',
    message: `no DMARC record at _dmarc.${domain} or a parent domain`,
  });
  return { at: null, record: null, policy: null, pct: null, rua: [], error: null };
}

async function checkDkim(
  client: DnsClient,
  domain: string,
  selectors: string[],
  findings: MailFinding[],
): Promise<MailFacts['dkim']> {
  if (selectors.length === 0) {
    findings.push({
      check: 'dkim',
      status: 'fail',
      record: `TXT <selector>._domainkey.${domain}`,
      read: null,
      message: 'no DKIM selector is listed for this domain: list the selectors its mail is signed with',
    });
    return [];
  }
  const out: MailFacts['dkim'] = [];
  for (const selector of selectors) {
    const name = `${selector}._domainkey.${domain}`;
    const record = `TXT ${name}`;
    const r = await client.txt(name);
    if (!r.ok && !isAbsent(r.code)) {
      findings.push({
        check: 'dkim',
        selector,
        status: 'error',
        record,
        read: r.code,
        message: `the DKIM lookup failed: ${describeCode(r.code)}`,
      });
      out.push({ selector, present: false, keyType: null, bits: null, error: r.code });
      continue;
    }
    // A DKIM key record may omit v=DKIM1; any TXT record with a p= tag is read as one.
    const keys = r.ok ? r.value.filter((t) => /(^|;)\s*p\s*=/i.test(t)) : [];
    if (keys.length === 0) {
      findings.push({
        check: 'dkim',
        selector,
        status: 'fail',
        record,
        read: r.ok ? r.value.join(' | ') || 'empty' : r.code,
        message: `no DKIM key for selector ${selector}`,
      });
      out.push({ selector, present: false, keyType: null, bits: null, error: null });
      continue;
    }
    const key = parseDkimKey(keys[0]!);
    const weak = key.keyType === 'rsa' && key.bits !== null && key.bits < DKIM_MIN_RSA_BITS;
    const ok = !key.problem && !weak;
    findings.push({
      check: 'dkim',
      selector,
      status: ok ? 'pass' : 'fail',
      record,
      read: keys[0]!.length > 120 ? `${keys[0]!.slice(0, 117)}...` : keys[0]!,
      message: key.problem
        ? `selector ${selector}: ${key.problem}`
        : `selector ${selector}: ${key.keyType === 'rsa' ? `RSA ${key.bits}-bit key` : `${key.keyType} key`}${weak ? `, shorter than ${DKIM_MIN_RSA_BITS} bits` : ''}`,
    });
    out.push({
      selector,
      present: !key.revoked && !key.problem,
      keyType: key.keyType,
      bits: key.bits,
      error: null,
    });
  }
  return out;
}

async function checkMx(client: DnsClient, domain: string, findings: MailFinding[]): Promise<MailFacts['mx']> {
  const record = `MX ${domain}`;
  const r = await client.mx(domain);
  if (!r.ok) {
    const absent = r.code === 'NODATA';
    findings.push({
      check: 'mx',
      status: absent ? 'fail' : 'error',
      record,
      read: r.code,
      message: absent
        ? `${domain} has no MX record: replies and reports to it cannot be delivered`
        : `the MX lookup failed: ${describeCode(r.code)}`,
    });
    return { hosts: [], error: absent ? null : r.code };
  }
  const hosts = [...r.value].sort((a, b) => a.priority - b.priority).map((m) => m.exchange || '.');
  const nullMx = hosts.length === 1 && hosts[0] === '.';
  findings.push({
    check: 'mx',
    status: 'pass',
    record,
    read: r.value.map((m) => `${m.priority} ${m.exchange || '.'}`).join(', '),
    message: nullMx ? 'null MX: the domain accepts no mail (RFC 7505)' : `${hosts.length} mail exchanger(s)`,
  });
  return { hosts, error: null };
}

/** error if any lookup failed, else fail if anything falls short, else pass. */
export const worst = (findings: MailFinding[]): MailCheckStatus =>
  findings.some((f) => f.status === 'error')
    ? 'error'
    : findings.some((f) => f.status === 'fail')
      ? 'fail'
      : 'pass';

/** Checks one mail domain. Never throws for DNS answers: they become findings. */
export async function checkMailDomain(client: DnsClient, domain: string, selectors: string[]) {
  const findings: MailFinding[] = [];
  const spf = await checkSpf(client, domain, findings);
  const dmarc = await checkDmarc(client, domain, findings);
  const dkim = await checkDkim(client, domain, selectors, findings);
  const mx = await checkMx(client, domain, findings);
  const facts: MailFacts = { spf, dmarc, dkim, mx };
  return { status: worst(findings), facts, findings };
}
