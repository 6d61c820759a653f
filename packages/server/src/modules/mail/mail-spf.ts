import type { MailFacts, MailFinding } from '@accord/contracts';
import { describeCode, isAbsent, type DnsClient } from './dns-client.ts';
import { isSpf, LOOKUP_MECHANISMS, parseSpf, SPF_LOOKUP_LIMIT } from './mail-records.ts';

/**
 * SPF of a mail domain (RFC 7208): the record at the domain, its final `all`, and the DNS lookups
 * it costs, counted through include: and redirect= targets recursively (at most 10 allowed).
 */
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
      if (!r.ok && !isAbsent(r.code)) st.error ??= `MX ${target}: ${describeCode(r.code)}`;
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
    st.error ??= `TXT ${target}: ${describeCode(r.code)}`;
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

export async function checkSpf(
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
      message: `the SPF lookup failed: ${describeCode(top.code)}`,
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
