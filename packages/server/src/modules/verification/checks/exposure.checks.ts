import type { AssetItem } from '@accord/contracts';
import type { Check, CheckOutcome } from '../check.types.ts';
import { firstOf, importRef, ms } from './inventory-data.ts';
import { runSnapshot } from './run-memo.ts';
import { DAY_MS, num } from './params.ts';

const H = 3_600_000;
const scannedAt = (a: AssetItem) => ms(a.lastScanned);

/** Hours since an asset was last scanned, or null when the inventory says it never was. */
const scanAge = (a: AssetItem, now: Date) => {
  const at = scannedAt(a);
  return at === null ? null : (now.getTime() - at) / H;
};

const scanText = (a: AssetItem, now: Date) => {
  const h = scanAge(a, now);
  return h === null ? 'no scan recorded' : `last scanned ${a.lastScanned} (${Math.floor(h / 24)} days ago)`;
};

/** The asset inventory's scan times are a column older imports lack: none at all is no data, not a fail. */
const noScanColumn = (assets: AssetItem[]) => assets.length > 0 && assets.every((a) => a.lastScanned == null);

/**
 * UPD-03: each asset was scanned within its class's window (`internet_facing_scan_hours` for
 * internet-facing assets, `internal_scan_days` for the others), read from the asset inventory's
 * `last_scanned`; the inventory itself is the discovery run, so its import must be within
 * `asset_discovery_days` (the daily cadence asks more: a day-old import is already stale).
 */
export const upd03: Check = {
  controlId: 'UPD-03',
  reads: ['assets'],
  async run(input) {
    const extHours = num(input.parameters, 'internet_facing_scan_hours');
    const intDays = num(input.parameters, 'internal_scan_days');
    const discoveryDays = num(input.parameters, 'asset_discovery_days');
    const snap = await runSnapshot<AssetItem>(input, input.customerOrgId, 'assets');
    const expected = {
      internetFacingScanHours: extHours,
      internalScanDays: intDays,
      assetDiscoveryDays: discoveryDays,
    };
    const discoveredDays = snap.at ? Math.floor((input.now.getTime() - snap.at.getTime()) / DAY_MS) : null;
    if (noScanColumn(snap.items))
      return {
        status: 'unknown',
        reason: 'the asset inventory does not report when assets were scanned (last_scanned)',
        observed: { assets: snap.items.length, daysSinceAssetDiscovery: discoveredDays },
        expected,
        evidence: importRef('assets', snap),
        dataAt: snap.at,
        scope: snap.items.length,
      };
    const late = snap.items.filter((a) => {
      const h = scanAge(a, input.now);
      return h === null || h > (a.internetFacing ? extHours : intDays * 24);
    });
    const ext = late.filter((a) => a.internetFacing).length;
    const discoveryLate = discoveredDays !== null && discoveredDays > discoveryDays;
    return {
      status: late.length === 0 && !discoveryLate ? 'pass' : 'fail',
      reason: [
        late.length === 0
          ? `all ${snap.items.length} assets were scanned within their window`
          : `${late.length} of ${snap.items.length} assets were not scanned within their window (${ext} internet-facing)`,
        discoveryLate
          ? `the asset inventory is ${discoveredDays} days old (discovery agreed every ${discoveryDays})`
          : '',
      ]
        .filter(Boolean)
        .join('; '),
      observed: {
        assets: snap.items.length,
        internetFacingNotScanned: ext,
        internalNotScanned: late.length - ext,
        notScanned: firstOf(late).map((a) => a.hostname),
        daysSinceAssetDiscovery: discoveredDays,
      },
      expected,
      evidence: [
        ...importRef('assets', snap),
        ...firstOf(late).map((a) => ({
          type: 'import' as const,
          summary: `${a.hostname} (${a.internetFacing ? `internet-facing, window ${extHours} h` : `internal, window ${intDays} days`}): ${scanText(a, input.now)}`,
        })),
      ],
      dataAt: snap.at,
      scope: snap.items.length,
    };
  },
};

/**
 * PIC-01 (its inventory half): every internet-facing asset of the inventory has an owner and a
 * scan within `asset_discovery_interval_days`. Accord imports no external exposure scan, so it
 * cannot see exposed endpoints missing from the inventory: when every recorded asset holds, the
 * result is `partial`, never pass.
 */
export const pic01: Check = {
  controlId: 'PIC-01',
  reads: ['assets'],
  async run(input) {
    const days = num(input.parameters, 'asset_discovery_interval_days');
    const snap = await runSnapshot<AssetItem>(input, input.customerOrgId, 'assets');
    const scope = snap.items.filter((a) => a.internetFacing);
    const expected = { assetDiscoveryIntervalDays: days, exposedEndpointsUnmatchedOrUnscanned: 0 };
    if (noScanColumn(scope))
      return {
        status: 'unknown',
        reason: 'the asset inventory does not report when assets were scanned (last_scanned)',
        observed: { internetFacingAssets: scope.length },
        expected,
        evidence: importRef('assets', snap),
        dataAt: snap.at,
        scope: scope.length,
      };
    const short = scope.flatMap((a) => {
      const h = scanAge(a, input.now);
      const why = [
        a.owner ? '' : 'no owner',
        h === null || h > days * 24 ? scanText(a, input.now) : '',
      ].filter(Boolean);
      return why.length ? [{ a, why }] : [];
    });
    const out: CheckOutcome = {
      status: short.length > 0 ? 'fail' : 'partial',
      reason:
        short.length > 0
          ? `${short.length} of ${scope.length} internet-facing assets have no owner or no scan within ${days} days`
          : `all ${scope.length} internet-facing assets in the inventory have an owner and a scan within ${days} days; no external exposure scan is imported, so endpoints missing from the inventory are not seen`,
      observed: {
        internetFacingAssets: scope.length,
        withoutOwnerOrScan: short.length,
        assets: firstOf(short).map((s) => s.a.hostname),
        exposureScan: 'not imported',
      },
      expected,
      evidence: [
        ...importRef('assets', snap),
        ...firstOf(short).map((s) => ({
          type: 'import' as const,
          summary: `${s.a.hostname}: ${s.why.join('; ')}`,
        })),
      ],
      dataAt: snap.at,
      scope: scope.length,
    };
    return out;
  },
};

/**
 * OBS-05: no internet-facing asset is past its `end_of_support`, and an unsupported internal
 * asset has a recorded `compensating_control`. Assets whose end of support the inventory does
 * not give are not assessed: with any of them the result is at best `partial`; with none given at
 * all it is unknown.
 */
export const obs05: Check = {
  controlId: 'OBS-05',
  reads: ['assets'],
  async run(input) {
    const snap = await runSnapshot<AssetItem>(input, input.customerOrgId, 'assets');
    const now = input.now.getTime();
    const known = snap.items.filter((a) => a.endOfSupport != null);
    const unknown = snap.items.length - known.length;
    const unsupported = known.filter((a) => ms(a.endOfSupport)! <= now);
    const exposed = unsupported.filter((a) => a.internetFacing);
    const uncompensated = unsupported.filter((a) => !a.internetFacing && !a.compensatingControl);
    const compensated = unsupported.filter((a) => !a.internetFacing && a.compensatingControl);
    const bad = [...exposed, ...uncompensated];
    const expected = { internetFacingAssetsUnsupported: 0, internalUnsupportedWithoutCompensatingRecord: 0 };
    if (snap.items.length > 0 && known.length === 0)
      return {
        status: 'unknown',
        reason: 'the asset inventory gives no end-of-support date (end_of_support) for any asset',
        observed: { assets: snap.items.length },
        expected,
        evidence: importRef('assets', snap),
        dataAt: snap.at,
        scope: snap.items.length,
      };
    return {
      status: bad.length > 0 ? 'fail' : unknown > 0 ? 'partial' : 'pass',
      reason:
        bad.length > 0
          ? `${exposed.length} unsupported internet-facing asset(s) and ${uncompensated.length} unsupported internal asset(s) without a compensating control`
          : `no unsupported internet-facing asset; ${compensated.length} unsupported internal asset(s), each with a compensating control${unknown ? `; ${unknown} asset(s) without an end-of-support date were not assessed` : ''}`,
      observed: {
        assets: snap.items.length,
        notAssessed: unknown,
        internetFacingUnsupported: exposed.length,
        internalUnsupportedWithoutCompensatingControl: uncompensated.length,
        internalUnsupportedCompensated: compensated.length,
        assetsFailing: firstOf(bad).map((a) => a.hostname),
      },
      expected,
      evidence: [
        ...importRef('assets', snap),
        ...firstOf([...bad, ...compensated]).map((a) => ({
          type: 'import' as const,
          summary: `${a.hostname} (${a.internetFacing ? 'internet-facing' : 'internal'}, ${[a.os, a.osVersion].filter(Boolean).join(' ') || 'OS not given'}): support ended ${a.endOfSupport!.slice(0, 10)}${a.compensatingControl ? `; compensating control: ${a.compensatingControl}` : ''}`,
        })),
      ],
      dataAt: snap.at,
      scope: snap.items.length,
    };
  },
};
