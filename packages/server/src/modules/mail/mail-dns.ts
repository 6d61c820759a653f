import { promises as dns } from 'node:dns';
import type { MailCheckStatus, MailFacts, MailFinding } from '@accord/contracts';
import {
  DKIM_MIN_RSA_BITS,
  isDmarc,
  isSpf,
  joinTxt,
  LOOKUP_MECHANISMS,
  parseDkimKey,
  parseDmarc,
  parseSpf,
  policyRank,
  SPF_LOOKUP_LIMIT,
} from './mail-records.ts';

/**
 * The DNS side of the mail-domain check: a real resolver (Node's c-ares `Resolver`, pointed at the
 * configured servers) and the reading of SPF, DMARC, DKIM and MX into findings. A lookup either
 * answers, says the name does not exist (NXDOMAIN) or has no record of the type (NODATA), or fails
 * (SERVFAIL, timeout, refused, unreachable): a failure is an `error` finding, never a pass.
 */
export type Lookup<T> = { ok: true; value: T } | { ok: false; code: string };

export interface DnsClient {
  /** The servers asked, for the record of each check ("127.0.0.1:5353" or "system"). */
  readonly servers: string;
  txt(name: string): Promise<Lookup<string[]>>;
  mx(name: string): Promise<Lookup<{ exchange: string; priority: number }[]>>;
}

const CODES: Record<string, string> = {
  ENOTFOUND: 'NXDOMAIN',
  ENODATA: 'NODATA',
  ESERVFAIL: 'SERVFAIL',
  ETIMEOUT: 'TIMEOUT',
  EREFUSED: 'REFUSED',
  ECONNREFUSED: 'CONNREFUSED',
  EBADRESP: 'BADRESP',
  EFORMERR: 'FORMERR',
  ENOTIMP: 'NOTIMP',
};
/** Answers that say something about the name; every other code is a failure of the lookup. */
const ABSENT = new Set(['NXDOMAIN', 'NODATA']);
export const isAbsent = (code: string) => ABSENT.has(code);

export interface DnsOptions {
  /** "host", "host:port" or "[v6]:port"; empty: the system's resolvers. */
  servers: string[];
  timeoutMs: number;
  tries: number;
}

export function createDnsClient(opts: DnsOptions): DnsClient {
  const resolver = new dns.Resolver({ timeout: opts.timeoutMs, tries: opts.tries });
  if (opts.servers.length) resolver.setServers(opts.servers);
  const wrap =
    <T>(fn: (name: string) => Promise<T>) =>
    async (name: string): Promise<Lookup<T>> => {
      try {
        return { ok: true, value: await fn(name) };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'ERROR';
        return { ok: false, code: CODES[code] ?? code };
      }
    };
  return {
    servers: opts.servers.length ? opts.servers.join(', ') : 'system',
    txt: wrap(async (name) => (await resolver.resolveTxt(name)).map(joinTxt)),
    mx: wrap((name) => resolver.resolveMx(name)),
  };
}

const describe = (code: string) =>
  ({
    NXDOMAIN: 'NXDOMAIN (the name does not exist)',
    NODATA: 'no record of this type',
    SERVFAIL: 'SERVFAIL (the server failed to answer)',
    TIMEOUT: 'timeout (no answer)',
    REFUSED: 'REFUSED (the server refused the query)',
    CONNREFUSED: 'connection refused',
  })[code] ?? code;

interface SpfState {
  lookups: number;
  voids: number;
  permerror: string | null;
  error: string | null;
  seen: Set<string>;
}

/** The SPF record(s) published at a name. */
async function spfAt(client: DnsClient, name: string) {
  const r = await client.txt(name);
  if (!r.ok) return { code: r.code, records: [] as string[] };
  return { code: null, records: r.value.filter(isSpf) };
}

/**
 * Walks one SPF record, counting the lookups its terms cost and following include: and redirect=
 * into the records they name (recursively), mx to count its hosts. Returns the qualifier of the
 * record's own `all`, or of its redirect target's.
 */
async function walkSpf(
  client: DnsClient,
  domain: string,
  record: string,
  st: SpfState,
): Promise<string | null> {
  const spf = parseSpf(record);
  if (spf.unknown.length && !st.permerror)
    st.permerror = `${domain}: unknown term ${JSON.stringify(spf.unknown[0])}`;
  const all = spf.mechanisms.find((m) => m.name === 'all');
  for (const m of spf.mechanisms) {
    if (!LOOKUP_MECHANISMS.has(m.name)) continue;
    st.lookups++;
    if (st.lookups > SPF_LOOKUP_LIMIT * 3 || st.error) continue; // counted far enough
    const target = (m.value ?? domain).toLowerCase();
    if (target.includes('%')) continue; // a macro: depends on the sender, counted but not followed
    if (m.name === 'include') await follow(client, `include:${target}`, target, st);
    else if (m.name === 'mx') {
      const r = await client.mx(target);
      if (!r.ok && !isAbsent(r.code)) st.error ??= `MX ${target}: ${describe(r.code)}`;
      else if (!r.ok) st.voids++;
      else if (r.value.length > 10)
        st.permerror ??= `mx:${target} has ${r.value.length} MX hosts (at most 10 may be looked up)`;
    }
  }
  if (spf.redirect && !all) {
    st.lookups++;
    const target = spf.redirect.toLowerCase();
    if (target.includes('%')) return null;
    return follow(client, `redirect=${target}`, target, st);
  }
  return all ? all.qualifier : null;
}

async function follow(client: DnsClient, term: string, target: string, st: SpfState): Promise<string | null> {
  if (st.seen.has(target)) {
    st.permerror ??= `${term} loops back to a record already read`;
    return null;
  }
  st.seen.add(target);
  const r = await spfAt(client, target);
  if (r.code && !isAbsent(r.code)) {
    st.error ??= `TXT ${target}: ${describe(r.code)}`;
    return null;
  }
  if (r.code) st.voids++;
  if (r.records.length !== 1) {
    st.permerror ??=
      r.records.length === 0
        ? `${term}: ${target} publishes no SPF record`
        : `${term}: ${target} publishes ${r.records.length} SPF records`;
    return null;
  }
  return walkSpf(client, target, r.records[0]!, st);
}

async function checkSpf(
  client: DnsClient,
  domain: string,
  findings: MailFinding[],
): Promise<MailFacts['spf']> {
  const record = `TXT ${domain}`;
  const top = await spfAt(client, domain);
  if (top.code && !isAbsent(top.code)) {
    findings.push({
      check: 'spf_record',
      status: 'error',
      record,
      read: top.code,
      message: `the SPF lookup failed: ${describe(top.code)}`,
    });
    return { records: 0, record: null, all: null, lookups: 0, permerror: null, error: top.code };
  }
  if (top.code === 'NXDOMAIN') {
    findings.push({
      check: 'spf_record',
      status: 'error',
      record,
      read: top.code,
      message: `the domain ${domain} does not exist (NXDOMAIN)`,
    });
    return { records: 0, record: null, all: null, lookups: 0, permerror: null, error: top.code };
  }
  const read = top.records.join(' | ') || (top.code ?? 'no SPF record among the TXT records');
  if (top.records.length !== 1) {
    findings.push({
      check: 'spf_record',
      status: 'fail',
      record,
      read,
      message:
        top.records.length === 0
          ? `${domain} publishes no SPF record`
          : `${domain} publishes ${top.records.length} SPF records; receivers treat that as a permanent error (RFC 7208 3.2)`,
    });
    return {
      records: top.records.length,
      record: top.records[0] ?? null,
      all: null,
      lookups: 0,
      permerror: null,
      error: null,
    };
  }
  findings.push({
    check: 'spf_record',
    status: 'pass',
    record,
    read,
    message: `${domain} publishes one SPF record`,
  });
  const st: SpfState = { lookups: 0, voids: 0, permerror: null, error: null, seen: new Set([domain]) };
  const all = await walkSpf(client, domain, top.records[0]!, st);
  if (st.voids > 2) st.permerror ??= `${st.voids} lookups found nothing (at most 2 may, RFC 7208 4.6.4)`;
  const facts = {
    records: 1,
    record: top.records[0]!,
    all,
    lookups: st.lookups,
    permerror: st.permerror,
    error: st.error,
  };
  if (st.error)
    findings.push({
      check: 'spf_lookups',
      status: 'error',
      record,
      read,
      message: `a lookup the SPF record needs failed: ${st.error}`,
    });
  else if (st.lookups > SPF_LOOKUP_LIMIT || st.permerror)
    findings.push({
      check: 'spf_lookups',
      status: 'fail',
      record,
      read,
      message:
        st.lookups > SPF_LOOKUP_LIMIT
          ? `the SPF record needs ${st.lookups} DNS lookups, more than the limit of ${SPF_LOOKUP_LIMIT} (RFC 7208 4.6.4)`
          : `the SPF record is broken: ${st.permerror}`,
    });
  else
    findings.push({
      check: 'spf_lookups',
      status: 'pass',
      record,
      read,
      message: `${st.lookups} DNS lookup(s), within the limit of ${SPF_LOOKUP_LIMIT}`,
    });
  const strict = all === '-';
  if (!st.error)
    findings.push({
      check: 'spf_all',
      status: strict ? 'pass' : 'fail',
      record,
      read,
      message: all
        ? `the record ends in ${all}all${strict ? '' : ', not -all'}`
        : 'the record has no all mechanism (unlisted senders are neutral)',
    });
  return facts;
}

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
        message: `the DMARC lookup failed: ${describe(r.code)}`,
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
        message: `the DKIM lookup failed: ${describe(r.code)}`,
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
        : `the MX lookup failed: ${describe(r.code)}`,
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
