import { verifyStoredLogs } from '../../telemetry/logs.service.ts';
import type { Check, CheckInput, EvidenceRef } from '../check.types.ts';
import { DAY_MS, days, isoDay, lastDelivery, list, num, share } from './params.ts';
import { listOr, siteMonitoring } from './network-endpoint.checks.ts';

interface SourceFacts {
  id: string;
  name: string;
  categories: string[];
  created_at: Date;
  last_received_at: Date | null;
  oldest: Date | null;
  site: string | null;
}

const categoriesOf = (c: unknown): string[] =>
  typeof c === 'string' ? (JSON.parse(c) as string[]) : ((c as string[] | null) ?? []);

/** The organisation's enabled sources with the oldest event each still holds. */
async function sourcesOf({ db }: CheckInput, orgId: string): Promise<SourceFacts[]> {
  const rows = await db
    .selectFrom('log_sources as s')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('ingest_batches')
          .select((b) => ['source_id', b.fn.min('min_time').as('oldest')])
          .where('org_id', '=', orgId)
          .where('expired_at', 'is', null)
          .groupBy('source_id')
          .as('b'),
      (j) => j.onRef('b.source_id', '=', 's.id'),
    )
    .select(['s.id', 's.name', 's.categories', 's.created_at', 's.last_received_at', 'b.oldest', 's.site'])
    .where('s.org_id', '=', orgId)
    .where('s.disabled_at', 'is', null)
    .orderBy('s.name')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    categories: categoriesOf(r.categories),
    created_at: new Date(r.created_at),
    last_received_at: r.last_received_at ? new Date(r.last_received_at) : null,
    oldest: r.oldest ? new Date(r.oldest as Date) : null,
    site: r.site ?? null,
  }));
}

/** LOG-01: every required source holds events as far back as the agreed retention (or its own age). */
export const log01: Check = {
  controlId: 'LOG-01',
  reads: ['events', 'sources'],
  async run(input) {
    const required = list(input.parameters, 'required_log_sources');
    const need = num(input.parameters, 'log_retention_days');
    const now = input.now.getTime();
    const sources = (await sourcesOf(input, input.customerOrgId)).filter((s) =>
      s.categories.some((c) => required.includes(c)),
    );
    const evidence: EvidenceRef[] = [];
    const short: string[] = [];
    let minHeld: number | null = null;
    for (const s of sources) {
      // A source younger than the retention can only hold its own age; one day of slack for the
      // retention job's schedule and the first delivery.
      const owed = Math.min(need, days(now - s.created_at.getTime()));
      const held = s.oldest ? days(now - s.oldest.getTime()) : 0;
      minHeld = minHeld === null ? held : Math.min(minHeld, held);
      const ok = held + 1 >= owed;
      if (!ok) short.push(s.name);
      evidence.push({
        type: 'log_source',
        id: s.id,
        summary: s.oldest
          ? `${s.name}: oldest event held ${isoDay(s.oldest)} (${held} days; owes ${owed})`
          : `${s.name}: no events held (owes ${owed} days)`,
      });
    }
    const covered = new Set(sources.flatMap((s) => s.categories));
    const uncovered = required.filter((c) => !covered.has(c));
    const status = short.length > 0 ? 'fail' : uncovered.length > 0 ? 'partial' : 'pass';
    return {
      status,
      reason:
        short.length > 0
          ? `${short.length} required source(s) hold less than the agreed retention: ${short.join(', ')}`
          : uncovered.length > 0
            ? `no source is connected for ${uncovered.join(', ')}`
            : `every required source holds ${need} days or its whole life`,
      observed: { minRetentionDaysHeld: minHeld, sourcesShort: short, categoriesWithoutSource: uncovered },
      expected: { logRetentionDays: need, requiredLogSources: required },
      evidence,
      dataAt: await lastDelivery(input.db, input.customerOrgId),
      scope: sources.length,
    };
  },
};

/**
 * LOG-02: every required category has a connected source that is not silent, and every agreed site
 * (`monitored_sites`) a firewall or IDS source of that site that is not silent. It measures silence
 * itself, so its data is the source list read now and is never stale: old data is its fail.
 */
export const log02: Check = {
  controlId: 'LOG-02',
  reads: ['sources'],
  async run(input) {
    const required = list(input.parameters, 'required_log_sources');
    const hours = num(input.parameters, 'silence_threshold_hours');
    const since = input.now.getTime() - hours * 3_600_000;
    const sources = await sourcesOf(input, input.customerOrgId);
    const notConnected: string[] = [];
    const silent: string[] = [];
    const evidence: EvidenceRef[] = [];
    for (const c of required) {
      const of = sources.filter((s) => s.categories.includes(c));
      if (of.length === 0) {
        notConnected.push(c);
        continue;
      }
      const alive = of.filter((s) => s.last_received_at && s.last_received_at.getTime() >= since);
      if (alive.length === 0) silent.push(c);
      for (const s of of)
        evidence.push({
          type: 'log_source',
          id: s.id,
          summary: `${c}: ${s.name}, last delivery ${s.last_received_at?.toISOString() ?? 'never'}`,
        });
    }
    // Every agreed site needs a live network monitoring source (docs/network-and-endpoint.md).
    const sites = listOr(input.parameters, 'monitored_sites', []);
    const net = siteMonitoring(sites, sources, since);
    evidence.push(...net.evidence);
    const ok = required.length - notConnected.length - silent.length;
    const sitesOk = sites.length - net.unmonitored.length - net.silent.length;
    const all = required.length + sites.length;
    return {
      status: share(ok + sitesOk, all),
      reason:
        ok + sitesOk === all
          ? `all ${required.length} required log sources delivered within ${hours} h` +
            (sites.length ? `; all ${sites.length} site(s) have live network monitoring` : '')
          : [
              notConnected.length ? `not connected: ${notConnected.join(', ')}` : '',
              silent.length ? `silent over ${hours} h: ${silent.join(', ')}` : '',
              net.unmonitored.length ? `sites without network monitoring: ${net.unmonitored.join(', ')}` : '',
              net.silent.length
                ? `sites whose network monitoring is silent over ${hours} h: ${net.silent.join(', ')}`
                : '',
            ]
              .filter(Boolean)
              .join('; '),
      observed: {
        connectedAndAlive: ok,
        notConnected,
        silent,
        ...(sites.length
          ? { sitesMonitored: sitesOk, sitesUnmonitored: net.unmonitored, sitesSilent: net.silent }
          : {}),
      },
      expected: {
        requiredLogSources: required,
        silenceThresholdHours: hours,
        ...(sites.length ? { monitoredSites: sites } : {}),
      },
      evidence,
      dataAt: input.now,
      scope: all,
    };
  },
};

/** How far back LOG-03 re-verifies the seal chain at each run (each batch is verified after arrival). */
export const SEAL_WINDOW_DAYS = 7;

/** LOG-03: the stored logs' seal chain verifies (the recent window, every run). */
export const log03: Check = {
  controlId: 'LOG-03',
  reads: ['events'],
  async run(input) {
    const from = new Date(input.now.getTime() - SEAL_WINDOW_DAYS * DAY_MS).toISOString();
    const v = await verifyStoredLogs(input.db, input.customerOrgId, { from });
    const evidence: EvidenceRef[] = [
      {
        type: 'seal_chain',
        summary: v.ok
          ? `${v.batches} batches (${v.events} events) since ${from.slice(0, 10)} verify`
          : `batch ${v.firstBrokenSeq}: ${v.reason}`,
      },
    ];
    return {
      status: v.ok ? 'pass' : 'fail',
      reason: v.ok
        ? `the seal chain of the last ${SEAL_WINDOW_DAYS} days verifies (${v.batches} batches)`
        : `the seal chain is broken at batch ${v.firstBrokenSeq}: ${v.reason}`,
      observed: { batchesVerified: v.batches, eventsVerified: v.events, firstBrokenSeq: v.firstBrokenSeq },
      expected: { chainIntact: true },
      evidence,
      dataAt: await lastDelivery(input.db, input.customerOrgId),
      scope: v.batches,
    };
  },
};

/** LOG-04: the MSP's own (delivery infrastructure) sources deliver (like LOG-02, never stale). */
export const log04: Check = {
  controlId: 'LOG-04',
  reads: ['sources'],
  async run(input) {
    const hours = num(input.parameters, 'delivery_silence_hours');
    const since = input.now.getTime() - hours * 3_600_000;
    const sources = await sourcesOf(input, input.mspOrgId);
    const silent = sources.filter((s) => !s.last_received_at || s.last_received_at.getTime() < since);
    return {
      status: share(sources.length - silent.length, sources.length),
      reason:
        silent.length === 0
          ? `all ${sources.length} delivery-infrastructure sources delivered within ${hours} h`
          : `silent over ${hours} h: ${silent.map((s) => s.name).join(', ')}`,
      observed: { sources: sources.length, silent: silent.map((s) => s.name) },
      expected: { deliverySilenceHours: hours },
      evidence: sources.map((s) => ({
        type: 'log_source' as const,
        id: s.id,
        summary: `${s.name}: last delivery ${s.last_received_at?.toISOString() ?? 'never'}`,
      })),
      dataAt: input.now,
      scope: sources.length,
    };
  },
};
