import type { AssetItem, RemoteAccessItem } from '@accord/contracts';
import { openKevFindings } from '../../inventory/kev.service.ts';
import type { Check, CheckInput } from '../check.types.ts';
import { firstOf, importRef, ms, nameSet, older, snapshotOf } from './inventory-data.ts';
import { DAY_MS, list, num } from './params.ts';
import { edrReports, numOr, reportFor } from './network-endpoint.checks.ts';

const H = 3_600_000;

/**
 * LOG-06: in-scope assets run an EDR agent that reported within `edr_stale_days` and within
 * `edr_report_hours`, at `edr_coverage`. An agent's last report is the later of the inventory's
 * last-seen time and the newest event about the device from an EDR log source.
 */
export const log06: Check = {
  controlId: 'LOG-06',
  reads: ['assets', 'events'],
  async run(input) {
    const want = num(input.parameters, 'edr_coverage');
    const staleDays = num(input.parameters, 'edr_stale_days');
    const reportHours = numOr(input.parameters, 'edr_report_hours', 72);
    const exempt = list(input.parameters, 'edr_exempt_assets');
    const skip = nameSet(exempt);
    const snap = await snapshotOf<AssetItem>(input.db, input.customerOrgId, 'assets');
    const scope = snap.items.filter((a) => !skip.has(a.hostname));
    const since = input.now.getTime() - Math.min(staleDays * DAY_MS, reportHours * H);
    const reports = scope.length ? await edrReports(input, new Date(since)) : new Map<string, Date>();
    const lastReport = (a: AssetItem) =>
      Math.max(ms(a.edrLastSeen) ?? 0, reportFor(reports, a.hostname)?.getTime() ?? 0);
    const bare = scope.filter((a) => !a.edrAgent || lastReport(a) < since);
    const silentAgents = bare.filter((a) => a.edrAgent);
    const fromEvents = scope.filter((a) => reportFor(reports, a.hostname) !== null).length;
    const ratio = scope.length ? (scope.length - bare.length) / scope.length : null;
    return {
      status: ratio !== null && ratio >= want ? 'pass' : 'fail',
      reason: `${scope.length - bare.length} of ${scope.length} in-scope assets have an EDR agent that reported within ${Math.min(staleDays * 24, reportHours)} h`,
      observed: {
        assets: scope.length,
        protected: scope.length - bare.length,
        coverage: ratio,
        unprotected: firstOf(bare).map((a) => a.hostname),
        notReporting: firstOf(silentAgents).map((a) => a.hostname),
        reportedByEdrEvents: fromEvents,
      },
      expected: {
        edrCoverage: want,
        edrStaleDays: staleDays,
        edrReportHours: reportHours,
        edrExemptAssets: exempt,
      },
      evidence: [
        ...importRef('assets', snap),
        ...(reports.size
          ? [
              {
                type: 'events' as const,
                summary: `EDR events about ${fromEvents} in-scope device(s) since ${new Date(since).toISOString()}`,
              },
            ]
          : []),
        ...firstOf(bare).map((a) => {
          const last = lastReport(a);
          return {
            type: 'import' as const,
            summary: a.edrAgent
              ? `${a.hostname}: EDR agent last seen ${last ? new Date(last).toISOString() : 'never'}`
              : `${a.hostname}: no EDR agent`,
          };
        }),
      ],
      dataAt: snap.at,
      scope: scope.length,
    };
  },
};

/**
 * The open KEV findings (from the shared query of the KEV exposure page) with their age: from the
 * later of first_seen and the KEV dateAdded (dateAdded alone when first_seen is unknown).
 */
async function kevFindings(input: CheckInput, internetFacingOnly: boolean) {
  const rows = await openKevFindings(input.db, input.customerOrgId).orderBy('v.item_key').execute();
  return rows
    .filter((r) => !internetFacingOnly || r.internet_facing === 'true')
    .map((r) => {
      const v = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as {
        host: string;
        cve: string;
        firstSeen: string | null;
      };
      const from = Math.max(ms(v.firstSeen) ?? 0, Date.parse(`${r.date_added}T00:00:00Z`));
      return {
        host: v.host,
        cve: v.cve,
        from,
        dateAdded: r.date_added,
        hours: (input.now.getTime() - from) / H,
      };
    });
}

async function kevCatalogLoaded(input: CheckInput) {
  const r = await input.db.selectFrom('kev_entries').select('cve_id').limit(1).executeTakeFirst();
  return !!r;
}

/** PIC-02 and UPD-01: KEV findings open longer than the window (hours) fail. */
function kevCheck(controlId: string, internetFacingOnly: boolean): Check {
  return {
    controlId,
    reads: ['vulnerabilities', 'assets'],
    async run(input) {
      const windowHours =
        controlId === 'PIC-02'
          ? num(input.parameters, 'kev_internet_facing_hours')
          : num(input.parameters, 'kev_remediation_days') * 24;
      const expected =
        controlId === 'PIC-02'
          ? { kevInternetFacingHours: windowHours }
          : { kevRemediationDays: windowHours / 24 };
      const vulns = await snapshotOf<{ host: string }>(input.db, input.customerOrgId, 'vulnerabilities');
      const assets = await snapshotOf<AssetItem>(input.db, input.customerOrgId, 'assets');
      // Scope: the internet-facing assets (PIC-02) or the scanned hosts (UPD-01).
      const scope = internetFacingOnly
        ? assets.items.filter((a) => a.internetFacing).length
        : new Set(vulns.items.map((v) => v.host.trim().toLowerCase())).size;
      const dataAt = internetFacingOnly ? older(vulns.at, assets.at) : vulns.at;
      const evidence = [
        ...importRef('vulnerabilities', vulns),
        ...(internetFacingOnly ? importRef('assets', assets) : []),
      ];
      if (!(await kevCatalogLoaded(input)))
        return {
          status: 'unknown',
          reason: 'no KEV catalog is loaded (accord kev update)',
          observed: {},
          expected,
          evidence,
          dataAt,
          scope,
        };
      const open = await kevFindings(input, internetFacingOnly);
      const over = open.filter((f) => f.hours > windowHours);
      const where = internetFacingOnly ? 'internet-facing assets' : 'assets';
      return {
        status: over.length === 0 ? 'pass' : 'fail',
        reason:
          over.length === 0
            ? `${open.length} open KEV finding(s) on ${where}, none older than ${windowHours} h`
            : `${over.length} KEV finding(s) on ${where} open longer than ${windowHours} h`,
        observed: { openKevFindings: open.length, overWindow: over.length },
        expected,
        evidence: [
          ...evidence,
          ...firstOf(over).map((f) => ({
            type: 'import' as const,
            summary: `${f.host}: ${f.cve} open ${Math.floor(f.hours / 24)} days (since ${new Date(f.from).toISOString().slice(0, 10)}; KEV since ${f.dateAdded})`,
          })),
        ],
        dataAt,
        scope,
      };
    },
  };
}

export const pic02 = kevCheck('PIC-02', true);
export const upd01 = kevCheck('UPD-01', false);

/**
 * UPD-02: each asset was patched within its window: `patch_standard_days` for internet-facing
 * assets, `patch_internal_days` for the others (the catalog's classes). An asset without a
 * patch date is overdue.
 */
export const upd02: Check = {
  controlId: 'UPD-02',
  reads: ['assets'],
  async run(input) {
    const standard = num(input.parameters, 'patch_standard_days');
    const internal = num(input.parameters, 'patch_internal_days');
    const snap = await snapshotOf<AssetItem>(input.db, input.customerOrgId, 'assets');
    const overdue = snap.items
      .map((a) => {
        const window = a.internetFacing ? standard : internal;
        const at = ms(a.lastPatched);
        return { a, window, days: at === null ? null : Math.floor((input.now.getTime() - at) / DAY_MS) };
      })
      .filter((x) => x.days === null || x.days > x.window);
    return {
      status: overdue.length === 0 ? 'pass' : 'fail',
      reason:
        overdue.length === 0
          ? `all ${snap.items.length} assets were patched within their window`
          : `${overdue.length} of ${snap.items.length} assets are past their patch window`,
      observed: {
        assets: snap.items.length,
        overdue: overdue.length,
        overdueAssets: firstOf(overdue).map((x) => x.a.hostname),
      },
      expected: { patchStandardDays: standard, patchInternalDays: internal },
      evidence: [
        ...importRef('assets', snap),
        ...firstOf(overdue).map((x) => ({
          type: 'import' as const,
          summary:
            x.days === null
              ? `${x.a.hostname}: no patch date`
              : `${x.a.hostname}: last patched ${x.a.lastPatched!.slice(0, 10)} (${x.days} days; ${x.a.internetFacing ? 'internet-facing' : 'internal'} window ${x.window})`,
        })),
      ],
      dataAt: snap.at,
      scope: snap.items.length,
    };
  },
};

/**
 * NET-01: every remote-access tool seen in the inventory is in `approved_remote_tools` (compared
 * without case to the normalised product name or the name as reported).
 */
export const net01: Check = {
  controlId: 'NET-01',
  reads: ['remote_access'],
  async run(input) {
    const approved = list(input.parameters, 'approved_remote_tools');
    const ok = nameSet(approved);
    const snap = await snapshotOf<RemoteAccessItem>(input.db, input.customerOrgId, 'remote_access');
    const other = snap.items.filter((t) => !ok.has(t.tool) && !ok.has(t.toolAsReported));
    return {
      status: other.length === 0 ? 'pass' : 'fail',
      reason:
        other.length === 0
          ? `all ${snap.items.length} remote-access tool installation(s) are approved`
          : `${other.length} remote-access tool installation(s) not approved: ${[...new Set(other.map((t) => t.tool))].join(', ')}`,
      observed: {
        installations: snap.items.length,
        unapproved: other.length,
        unapprovedTools: [...new Set(other.map((t) => t.tool))],
      },
      expected: { approvedRemoteTools: approved },
      evidence: [
        ...importRef('remote_access', snap),
        ...firstOf(other, 50).map((t) => ({
          type: 'import' as const,
          summary: `${t.host}: ${t.tool}${t.toolAsReported !== t.tool ? ` (${t.toolAsReported})` : ''}${t.lastSeen ? `, last seen ${t.lastSeen}` : ''}`,
        })),
      ],
      dataAt: snap.at,
      scope: snap.items.length,
    };
  },
};
