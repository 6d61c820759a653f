import type { AccountItem, MailCheck, PhishingItem, TrainingItem } from '@accord/contracts';
import { mailRepo } from '../../mail/mail.repo.ts';
import { policyRank, qualifierRank, DKIM_MIN_RSA_BITS, SPF_LOOKUP_LIMIT } from '../../mail/mail-records.ts';
import { campaignRates } from '../../inventory/parsers/awareness.parsers.ts';
import type { Check, CheckInput, EvidenceRef } from '../check.types.ts';
import { firstOf, importRef, older, snapshotOf } from './inventory-data.ts';
import { DAY_MS, list, num } from './params.ts';

/**
 * PIC-05 (mail domains protected against spoofing) from the stored DNS checks of the parties' mail
 * domains, and PIC-06 (staff trained; phishing simulations) from the training, simulation and
 * identity imports of both parties. docs/phishing.md describes both.
 */

const DMARC_LEVELS = ['none', 'quarantine', 'reject'];
const SPF_ENDINGS = ['-all', '~all', '?all', '+all'];

function agreedString(
  params: Record<string, unknown>,
  name: string,
  allowed: string[],
  fallback?: string,
): string {
  const v = params[name] ?? fallback;
  if (typeof v !== 'string' || !allowed.includes(v.trim().toLowerCase()))
    throw new Error(`parameter ${name} must be one of ${allowed.join(', ')}, not ${JSON.stringify(v)}`);
  return v.trim().toLowerCase();
}

/** What a domain's newest check says against the agreed policy and SPF ending. */
function judge(c: MailCheck, policy: string, ending: string) {
  const f = c.facts;
  const errors = c.findings
    .filter((x) => x.status === 'error' && x.check !== 'mx')
    .map((x) => `${x.record}: ${x.read ?? 'lookup failed'}`);
  const spfShort: string[] = [];
  if (f.spf?.error) {
    /* the lookup failed: an error, counted above, not a missing record */
  } else if (!f.spf || f.spf.records === 0) spfShort.push('no SPF record');
  else if (f.spf.records > 1) spfShort.push(`${f.spf.records} SPF records`);
  else {
    if (f.spf.permerror) spfShort.push(`SPF broken: ${f.spf.permerror}`);
    if (f.spf.lookups > SPF_LOOKUP_LIMIT) spfShort.push(`SPF needs ${f.spf.lookups} lookups`);
    if (qualifierRank(f.spf.all) < 0 || qualifierRank(f.spf.all) > qualifierRank(ending))
      spfShort.push(`SPF ends in ${f.spf.all ? `${f.spf.all}all` : 'no all'}, not ${ending}`);
  }
  const dkimShort: string[] = [];
  if (f.dkim.length === 0) dkimShort.push('no DKIM selector listed');
  for (const k of f.dkim) {
    if (k.error) continue;
    if (!k.present) dkimShort.push(`no DKIM key at ${k.selector}`);
    else if (k.keyType === 'rsa' && (k.bits ?? 0) < DKIM_MIN_RSA_BITS)
      dkimShort.push(`DKIM ${k.selector} RSA ${k.bits} bits`);
  }
  const dmarcShort: string[] = [];
  const d = f.dmarc;
  if (!d || d.error) {
    /* an error, counted above */
  } else if (!d.record) dmarcShort.push('no DMARC record');
  else {
    if (policyRank(d.policy) < policyRank(policy))
      dmarcShort.push(`DMARC p=${d.policy ?? '(none valid)'}, not ${policy}`);
    if ((d.pct ?? 100) !== 100) dmarcShort.push(`DMARC pct=${d.pct}`);
    if (d.rua.length === 0) dmarcShort.push('DMARC without rua');
  }
  return { errors, spfShort, dkimShort, dmarcShort };
}

/** One domain's evidence line: when and how it was checked, what falls short, the records read. */
function summaryOf(name: string, c: MailCheck, short: string[]): string {
  const parts = [
    `${name} checked ${c.checkedAt} via ${c.resolver}: ${short.length ? short.join('; ') : 'SPF, DKIM and DMARC as agreed'}`,
  ];
  if (c.facts.dmarc?.record) parts.push(`${c.facts.dmarc.at}: "${c.facts.dmarc.record}"`);
  if (c.facts.spf?.record) parts.push(`SPF: "${c.facts.spf.record}"`);
  return parts.join(' | ').slice(0, 1000);
}

/** PIC-05: each sending domain publishes SPF, DKIM and the agreed DMARC policy. */
export const pic05: Check = {
  controlId: 'PIC-05',
  reads: ['mail_dns'],
  async run(input) {
    const policy = agreedString(input.parameters, 'dmarc_policy', DMARC_LEVELS);
    const ending = agreedString(input.parameters, 'spf_all_qualifier', SPF_ENDINGS, '-all');
    const listed = list(input.parameters, 'sending_domains').map((d) =>
      d.trim().toLowerCase().replace(/\.$/, ''),
    );
    const parties = [input.customerOrgId, input.mspOrgId];
    const domains = await mailRepo.domains(input.db, parties);
    const latest = await mailRepo.latestChecks(input.db, parties);
    const names = listed.length ? [...new Set(listed)] : [...new Set(domains.map((d) => d.domain))];
    const expected = {
      sendingDomains: listed.length ? listed : '(every registered mail domain of both parties)',
      dmarcPolicy: policy,
      spfAllQualifier: ending,
      dmarcPct: 100,
      dmarcRua: true,
      dkimMinRsaBits: DKIM_MIN_RSA_BITS,
      belowDmarcPolicy: 0,
      withoutSpfOrDkim: 0,
    };
    const unchecked: string[] = [];
    const errored: string[] = [];
    const below: string[] = [];
    const noSpfDkim: string[] = [];
    const evidence: EvidenceRef[] = [];
    // The oldest of the newest checks: a domain not checked for a week makes the result stale.
    let dataAt: Date | null = null;
    for (const name of names) {
      // The customer's registration first: the same name may be registered by both parties.
      const reg = domains
        .filter((d) => d.domain === name)
        .sort((a, b) =>
          a.org_id === input.customerOrgId ? -1 : b.org_id === input.customerOrgId ? 1 : 0,
        )[0];
      const c = reg ? latest.get(reg.id) : undefined;
      if (!c) {
        unchecked.push(reg ? `${name} (not checked yet)` : `${name} (not registered in Accord)`);
        continue;
      }
      dataAt = dataAt ? older(dataAt, new Date(c.checkedAt)) : new Date(c.checkedAt);
      const j = judge(c, policy, ending);
      if (j.errors.length) errored.push(`${name} (${j.errors.join('; ')})`);
      if (j.dmarcShort.length) below.push(name);
      if (j.spfShort.length || j.dkimShort.length) noSpfDkim.push(name);
      const short = [...j.spfShort, ...j.dkimShort, ...j.dmarcShort, ...j.errors.map((e) => `error ${e}`)];
      if (evidence.length < 50)
        evidence.push({ type: 'dns_check', id: c.id, summary: summaryOf(name, c, short) });
    }
    const observed = {
      domains: names.length,
      belowDmarcPolicy: below.length,
      withoutSpfOrDkim: noSpfDkim.length,
      domainsBelowDmarcPolicy: firstOf(below),
      domainsWithoutSpfOrDkim: firstOf(noSpfDkim),
      unchecked: firstOf(unchecked),
      dnsErrors: firstOf(errored),
    };
    const failing = new Set([...below, ...noSpfDkim]).size;
    if (failing === 0 && errored.length)
      throw new Error(
        `DNS lookups failed for ${errored.join(', ')}; the check is not a pass until they answer`,
      );
    const base = { observed, expected, evidence, dataAt, scope: names.length };
    if (failing > 0)
      return {
        ...base,
        status: 'fail',
        reason: `${failing} of ${names.length} mail domain(s) fall short: ${[...new Set([...below, ...noSpfDkim])].join(', ')}${errored.length ? `; DNS lookups failed for ${errored.length} more` : ''}`,
      };
    if (unchecked.length)
      return { ...base, status: 'unknown', reason: `no DNS check for ${unchecked.join(', ')}` };
    return {
      ...base,
      status: 'pass',
      reason: `all ${names.length} mail domain(s) publish SPF ending in ${ending}, DKIM keys of at least ${DKIM_MIN_RSA_BITS} bits and DMARC p=${policy} or stricter with rua and pct=100`,
    };
  },
};

/** A party's training picture: its in-scope staff and who of them trained within the interval. */
async function partyTraining(input: CheckInput, orgId: string, customer: boolean, since: number) {
  const roster = await snapshotOf<AccountItem>(input.db, orgId, 'identity');
  const training = await snapshotOf<TrainingItem>(input.db, orgId, 'training');
  const staff = roster.items
    .filter((a) => a.enabled !== false && !(customer && a.mspOwned))
    .map((a) => a.account.trim().toLowerCase());
  const trained = new Set(
    training.items
      .filter((t) => t.completedOn && Date.parse(t.completedOn) >= since)
      .map((t) => t.user.trim().toLowerCase()),
  );
  const done = staff.filter((s) => trained.has(s));
  const untrained = staff.filter((s) => !trained.has(s)).sort();
  return {
    roster,
    training,
    staff: staff.length,
    trained: done.length,
    ratio: staff.length ? done.length / staff.length : null,
    untrained,
    hasData: roster.at !== null && training.at !== null,
  };
}

async function reportChannelAttested(input: CheckInput): Promise<string | null> {
  const a = await input.db
    .selectFrom('attestations as a')
    .leftJoin('attestation_reviews as r', 'r.attestation_id', 'a.id')
    .select(['a.id', 'a.party', 'a.statement', 'r.decision'])
    .where('a.agreement_id', '=', input.agreementId)
    .where('a.control_id', '=', 'PIC-06')
    .orderBy('a.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return a?.decision === 'accepted' ? a.id : null;
}

/**
 * PIC-06: the share of each party's in-scope staff (its enabled accounts in the identity
 * inventory; MSP-owned accounts in the customer's count as MSP staff) with a training course
 * completed within `training_interval_days`, at `training_coverage`; each party's latest
 * phishing-simulation campaign within `phishing_simulation_days` against the agreed click and
 * report rates; the reporting channel shown by simulation reports or an accepted attestation.
 */
export const pic06: Check = {
  controlId: 'PIC-06',
  reads: ['training', 'phishing', 'identity', 'evidence'],
  async run(input) {
    const intervalDays = num(input.parameters, 'training_interval_days');
    const coverage = num(input.parameters, 'training_coverage');
    // Agreements drafted from catalog 1.2.0 have no simulation parameters: their rates are shown only.
    const has = (n: string) => input.parameters[n] !== undefined;
    const simDays = has('phishing_simulation_days')
      ? num(input.parameters, 'phishing_simulation_days')
      : null;
    const clickMax = has('phishing_click_rate_max') ? num(input.parameters, 'phishing_click_rate_max') : null;
    const reportMin = has('phishing_report_rate_min')
      ? num(input.parameters, 'phishing_report_rate_min')
      : null;
    const since = input.now.getTime() - intervalDays * DAY_MS;
    const parties = [
      { name: 'customer', orgId: input.customerOrgId },
      { name: 'MSP', orgId: input.mspOrgId },
    ] as const;
    const evidence: EvidenceRef[] = [];
    const observed: Record<string, unknown> = {};
    const short: string[] = [];
    const missing: string[] = [];
    const simShort: string[] = [];
    let dataAt: Date | null = null;
    let staffTotal = 0;
    let reportsSeen = false;
    for (const p of parties) {
      const t = await partyTraining(input, p.orgId, p.name === 'customer', since);
      const sims = await snapshotOf<PhishingItem>(input.db, p.orgId, 'phishing');
      const campaigns = campaignRates(sims.items);
      const recent = campaigns.filter(
        (c) => simDays === null || Date.parse(c.sentAt) >= input.now.getTime() - simDays * DAY_MS,
      );
      const latest = recent.at(-1) ?? null;
      if (campaigns.some((c) => c.reported > 0)) reportsSeen = true;
      evidence.push(
        ...importRef('identity', t.roster),
        ...importRef('training', t.training),
        ...importRef('phishing', sims),
      );
      observed[p.name === 'customer' ? 'customer' : 'msp'] = {
        staff: t.staff,
        trained: t.trained,
        trainedRatio: t.ratio === null ? null : Math.round(t.ratio * 10_000) / 10_000,
        untrained: firstOf(t.untrained),
        campaigns: campaigns.map((c) => ({
          campaign: c.campaign,
          sentAt: c.sentAt,
          delivered: c.delivered,
          clickRate: c.clickRate,
          reportRate: c.reportRate,
        })),
        latestCampaign: latest?.campaign ?? null,
      };
      if (!t.hasData) {
        missing.push(
          `${p.name}: ${t.roster.at ? 'no training records imported' : 'no staff roster (identity inventory) imported'}`,
        );
        continue;
      }
      const at = older(t.roster.at, t.training.at)!;
      dataAt = dataAt ? older(dataAt, at) : at;
      staffTotal += t.staff;
      if (t.ratio !== null && t.ratio < coverage) short.push(`${p.name} ${t.trained} of ${t.staff} trained`);
      if (t.untrained.length)
        evidence.push({
          type: 'accounts',
          summary: `${p.name} staff without training within ${intervalDays} days: ${firstOf(t.untrained, 10).join(', ')}${t.untrained.length > 10 ? ` and ${t.untrained.length - 10} more` : ''}`,
        });
      if (clickMax !== null || reportMin !== null) {
        if (!latest || latest.delivered === 0)
          simShort.push(`${p.name}: no simulation within ${simDays} days`);
        else {
          if (clickMax !== null && latest.clickRate! > clickMax)
            simShort.push(`${p.name} "${latest.campaign}" click rate ${latest.clickRate}`);
          if (reportMin !== null && latest.reportRate! < reportMin)
            simShort.push(`${p.name} "${latest.campaign}" report rate ${latest.reportRate}`);
        }
      }
    }
    const attested = reportsSeen ? null : await reportChannelAttested(input);
    const channel = reportsSeen ? 'simulation reports' : attested ? 'accepted attestation' : null;
    observed.reportChannel = channel;
    if (attested)
      evidence.push({
        type: 'evidence',
        id: attested,
        summary: 'accepted attestation of the phishing reporting channel',
      });
    const expected = {
      trainingCoverage: coverage,
      trainingIntervalDays: intervalDays,
      phishingReportChannel: true,
      ...(simDays !== null ? { phishingSimulationDays: simDays } : {}),
      ...(clickMax !== null ? { phishingClickRateMax: clickMax } : {}),
      ...(reportMin !== null ? { phishingReportRateMin: reportMin } : {}),
    };
    const base = { observed, expected, evidence, dataAt };
    if (short.length)
      return {
        ...base,
        scope: staffTotal || null,
        status: 'fail',
        reason: `training below ${coverage * 100}% within ${intervalDays} days: ${short.join('; ')}`,
      };
    if (missing.length) return { ...base, scope: staffTotal, status: 'unknown', reason: missing.join('; ') };
    const gaps = [
      ...simShort,
      ...(channel ? [] : ['no reporting channel shown (no simulation reports, no accepted attestation)']),
    ];
    if (gaps.length)
      return {
        ...base,
        scope: staffTotal,
        status: 'partial',
        reason: `training meets ${coverage * 100}%, but ${gaps.join('; ')}`,
      };
    return {
      ...base,
      scope: staffTotal,
      status: 'pass',
      reason: `both parties' staff trained at or above ${coverage * 100}% within ${intervalDays} days; reporting channel shown by ${channel}${clickMax !== null ? '; latest simulations within the agreed rates' : ''}`,
    };
  },
};

/**
 * When each party's data of the kinds the phishing checks read last changed, keyed
 * `${orgId}/${kind}`: new DNS checks of its mail domains (`mail_dns`), and the MSP's own training,
 * simulation and identity imports (verification's due-check reads only the customer's imports).
 */
export async function partyDataTimes(db: CheckInput['db'], orgIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (orgIds.length === 0) return out;
  const checks = await db
    .selectFrom('mail_domain_checks')
    .select((eb) => ['org_id', eb.fn.max('checked_at').as('at')])
    .where('org_id', 'in', orgIds)
    .groupBy('org_id')
    .execute();
  for (const r of checks) out.set(`${r.org_id}/mail_dns`, new Date(r.at as Date).getTime());
  const imports = await db
    .selectFrom('imports')
    .select((eb) => ['org_id', 'kind', eb.fn.max('created_at').as('at')])
    .where('org_id', 'in', orgIds)
    .where('kind', 'in', ['training', 'phishing', 'identity'])
    .groupBy(['org_id', 'kind'])
    .execute();
  for (const r of imports) out.set(`${r.org_id}/${r.kind}`, new Date(r.at as Date).getTime());
  return out;
}
