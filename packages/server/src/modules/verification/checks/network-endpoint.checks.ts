import { sql } from 'kysely';
import type { AppControlItem, AssetItem } from '@accord/contracts';
import type { Check, CheckInput, EvidenceRef } from '../check.types.ts';
import { firstOf, importRef, older, snapshotOf } from './inventory-data.ts';
import { DAY_MS } from './params.ts';

/**
 * Network defence monitoring, application control and endpoint detection
 * (docs/network-and-endpoint.md): the site part of LOG-02, the reporting part of LOG-06, and LOG-07.
 * Parameters added in catalog 1.3.0 are read at their catalog default when an agreement drafted
 * from an older catalog does not have them.
 */

export function listOr(params: Record<string, unknown>, name: string, fallback: string[]): string[] {
  const v = params[name];
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new Error(`parameter ${name} is not a list of strings`);
  return v as string[];
}
export function numOr(params: Record<string, unknown>, name: string, fallback: number): number {
  const v = params[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`parameter ${name} is not a number`);
  return v;
}

const norm = (s: string) => s.trim().toLowerCase();
/** The categories whose sources monitor the network. */
export const NETWORK_CATEGORIES = ['firewall', 'ids'];

// -------------------------------------------------------------------------------------------------
// LOG-02: every agreed site has a live network monitoring source.

export interface SiteSource {
  id: string;
  name: string;
  categories: string[];
  site?: string | null;
  last_received_at: Date | null;
}

/**
 * For each agreed site: a firewall or IDS source set to that site (compared without case) that
 * delivered since `since`. Sites without any such source are unmonitored; sites whose sources are
 * all silent are silent.
 */
export function siteMonitoring(sites: string[], sources: SiteSource[], since: number) {
  const unmonitored: string[] = [];
  const silent: string[] = [];
  const evidence: EvidenceRef[] = [];
  for (const site of sites) {
    const of = sources.filter(
      (s) =>
        s.site && norm(s.site) === norm(site) && s.categories.some((c) => NETWORK_CATEGORIES.includes(c)),
    );
    if (of.length === 0) {
      unmonitored.push(site);
      evidence.push({ type: 'log_source', summary: `site ${site}: no firewall or IDS source` });
      continue;
    }
    if (!of.some((s) => s.last_received_at && s.last_received_at.getTime() >= since)) silent.push(site);
    for (const s of of)
      evidence.push({
        type: 'log_source',
        id: s.id,
        summary: `site ${site}: ${s.name} (${s.categories.filter((c) => NETWORK_CATEGORIES.includes(c)).join(', ')}), last delivery ${s.last_received_at?.toISOString() ?? 'never'}`,
      });
  }
  return { unmonitored, silent, evidence };
}

// -------------------------------------------------------------------------------------------------
// LOG-06: when each device's EDR agent last reported, from the EDR log sources.

/**
 * The newest event per device (destination host, lower case) from the organisation's EDR sources
 * (category `edr`) since `since`. An event about a device shows its agent is reporting.
 */
export async function edrReports(input: CheckInput, since: Date): Promise<Map<string, Date>> {
  const rows = await input.db
    .selectFrom('events as e')
    .innerJoin('log_sources as s', (j) =>
      j.onRef('s.id', '=', 'e.source_id').on('s.org_id', '=', input.customerOrgId),
    )
    .select([sql<string>`lower(e.dst_host)`.as('host'), (eb) => eb.fn.max('e.time').as('at')])
    .where('e.org_id', '=', input.customerOrgId)
    .where('e.time', '>=', since)
    .where('e.dst_host', 'is not', null)
    .where(sql<boolean>`s.categories::jsonb ? 'edr'`)
    .groupBy(sql`lower(e.dst_host)`)
    .execute();
  return new Map(rows.map((r) => [r.host, new Date(r.at as Date)]));
}

/** The device's newest EDR report: its full name, or its short name when either side has no domain. */
export function reportFor(reports: Map<string, Date>, hostname: string): Date | null {
  const h = norm(hostname);
  const short = h.split('.')[0]!;
  let best: Date | null = reports.get(h) ?? null;
  for (const [host, at] of reports) {
    const same = host === h || ((!host.includes('.') || !h.includes('.')) && host.split('.')[0] === short);
    if (same && (best === null || at > best)) best = at;
  }
  return best;
}

// -------------------------------------------------------------------------------------------------
// LOG-07: application allowlisting enforced on the agreed scope, denylisted tools blocked, recent
// blocks.

const SERVER_OS_RE = /\bserver\b/i;

/** The assets in LOG-07's scope: workstations, and internet-facing servers when the agreement says so. */
export function appControlScope(assets: AssetItem[], scope: string): AssetItem[] {
  const servers = scope === 'workstations_and_internet_facing_servers';
  return assets.filter((a) => {
    const server = a.os !== null && SERVER_OS_RE.test(a.os);
    return !server || (servers && a.internetFacing);
  });
}

interface HostDecisions {
  host: string;
  blocked: number;
  audited: number;
  allowed: number;
}

export const log07: Check = {
  controlId: 'LOG-07',
  reads: ['app_control', 'assets', 'events'],
  async run(input) {
    const p = input.parameters;
    const scopeName = typeof p.app_control_scope === 'string' ? p.app_control_scope : 'workstations';
    const required = listOr(p, 'app_control_required_collections', ['Exe', 'Msi', 'Script']);
    const denylist = listOr(p, 'app_control_denylist', []);
    const blockDays = numOr(p, 'app_control_block_window_days', 30);
    const expected = {
      appControlScope: scopeName,
      requiredCollections: required,
      denylist,
      blockWindowDays: blockDays,
    };
    const policy = await snapshotOf<AppControlItem>(input.db, input.customerOrgId, 'app_control');
    const assets = await snapshotOf<AssetItem>(input.db, input.customerOrgId, 'assets');
    const inScope = appControlScope(assets.items, scopeName);
    const evidence: EvidenceRef[] = [...importRef('app_control', policy), ...importRef('assets', assets)];
    const dataAt = older(policy.at, assets.at);
    if (!policy.importId)
      return {
        status: 'unknown',
        reason: 'no application-control policy has been imported (accord import app-control)',
        observed: { devicesInScope: inScope.length },
        expected,
        evidence,
        dataAt,
        scope: inScope.length,
      };

    // a. the policy: each required collection enforced.
    const byType = new Map(policy.items.map((c) => [norm(c.collection), c]));
    const notEnforced = required
      .map((r) => ({ name: r, c: byType.get(norm(r)) }))
      .filter((x) => x.c?.enforcementMode !== 'Enabled')
      .map((x) => `${x.name} (${x.c?.enforcementMode ?? 'NotConfigured'})`);

    // b. the events of the window: decisions per device, and what ran.
    const since = new Date(input.now.getTime() - blockDays * DAY_MS);
    const rows = await input.db
      .selectFrom('events')
      .select(['dst_host', 'action', 'process_name', 'time'])
      .where('org_id', '=', input.customerOrgId)
      .where('time', '>=', since)
      .where('time', '<=', input.now)
      .where((eb) =>
        eb.or([
          eb('class', '=', 'app_control'),
          // Process starts only of the denylisted tools (a tenant has many process events).
          ...(denylist.length > 0
            ? [
                eb.and([
                  eb('class', '=', 'process'),
                  eb.or(
                    denylist.map((t) =>
                      eb('process_name', 'ilike', `%${t.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`),
                    ),
                  ),
                ]),
              ]
            : []),
        ]),
      )
      .execute();
    const hosts = new Map<string, HostDecisions>();
    let lastBlock: Date | null = null;
    let blocks = 0;
    const ran: { tool: string; host: string | null; file: string }[] = [];
    for (const r of rows) {
      const isDecision = r.action === 'blocked' || r.action === 'audited' || r.action === 'allowed';
      if (isDecision && r.dst_host) {
        const k = norm(r.dst_host);
        const h = hosts.get(k) ?? { host: r.dst_host, blocked: 0, audited: 0, allowed: 0 };
        h[r.action as 'blocked' | 'audited' | 'allowed']++;
        hosts.set(k, h);
      }
      if (r.action === 'blocked') {
        blocks++;
        const t = new Date(r.time);
        if (!lastBlock || t > lastBlock) lastBlock = t;
      } else if (r.process_name) {
        const file = r.process_name.toLowerCase();
        for (const tool of denylist)
          if (file.includes(norm(tool))) ran.push({ tool, host: r.dst_host, file: r.process_name });
      }
    }
    const decisionsOf = (hostname: string): HostDecisions | null => {
      const h = norm(hostname);
      for (const [k, d] of hosts)
        if (k === h || ((!k.includes('.') || !h.includes('.')) && k.split('.')[0] === h.split('.')[0]))
          return d;
      return null;
    };
    const auditOnly = inScope
      .filter((a) => (decisionsOf(a.hostname)?.audited ?? 0) > 0)
      .map((a) => a.hostname);
    const withoutEnforcement = notEnforced.length > 0 ? inScope.map((a) => a.hostname) : auditOnly;

    // c. denylisted tools: denied by a rule of an enforced collection, and never seen running.
    const enforcedDeny = policy.items
      .filter((c) => c.enforcementMode === 'Enabled')
      .flatMap((c) => c.rules.filter((r) => r.action === 'Deny'));
    const denylistFindings = denylist.map((tool) => {
      const t = norm(tool);
      const denied = enforcedDeny.some(
        (r) => r.name.toLowerCase().includes(t) || r.matches.some((m) => m.toLowerCase().includes(t)),
      );
      const seen = ran.filter((x) => x.tool === tool);
      return { tool, denied, seen };
    });
    const notBlocked = denylistFindings.filter((d) => !d.denied || d.seen.length > 0);

    for (const n of notEnforced)
      evidence.push({ type: 'import', id: policy.importId, summary: `collection ${n} is not enforced` });
    for (const h of firstOf(auditOnly))
      evidence.push({
        type: 'events',
        summary: `${h}: files allowed that the policy would block (audit only)`,
      });
    for (const d of notBlocked)
      evidence.push({
        type: d.seen.length ? 'events' : 'import',
        summary: d.denied
          ? `${d.tool} ran despite a deny rule: ${d.seen[0]!.file}${d.seen[0]!.host ? ` on ${d.seen[0]!.host}` : ''}`
          : `${d.tool}: no deny rule in an enforced collection${d.seen.length ? `; ran on ${d.seen[0]!.host ?? 'a device'}` : ''}`,
      });
    evidence.push({
      type: 'events',
      summary: lastBlock
        ? `${blocks} blocked execution(s) in ${blockDays} days, the last at ${lastBlock.toISOString()}`
        : `no blocked execution in ${blockDays} days`,
    });

    const observed = {
      devicesInScope: inScope.length,
      devicesWithoutEnforcement: withoutEnforcement.length,
      devicesAuditOnly: firstOf(auditOnly),
      collectionsNotEnforced: notEnforced,
      denylistedToolsNotBlocked: notBlocked.map((d) => d.tool),
      blocksInWindow: blocks,
      lastBlock: lastBlock?.toISOString() ?? null,
    };
    const failed = withoutEnforcement.length > 0 || notBlocked.length > 0;
    const reasons = [
      notEnforced.length ? `not enforced: ${notEnforced.join(', ')}` : '',
      notEnforced.length === 0 && auditOnly.length
        ? `${auditOnly.length} device(s) only audit: ${firstOf(auditOnly, 5).join(', ')}`
        : '',
      notBlocked.length ? `denylisted tools not blocked: ${notBlocked.map((d) => d.tool).join(', ')}` : '',
    ].filter(Boolean);
    return {
      status: failed ? 'fail' : blocks === 0 ? 'partial' : 'pass',
      reason: failed
        ? reasons.join('; ')
        : blocks === 0
          ? `enforced on all ${inScope.length} device(s) in scope by policy, but no block was seen in ${blockDays} days to show it is active`
          : `enforced on all ${inScope.length} device(s) in scope; ${blocks} block(s) in ${blockDays} days`,
      observed,
      expected,
      evidence,
      dataAt,
      scope: inScope.length,
    };
  },
};
