import type { AssetItem, BackupItem, VulnerabilityItem } from '@accord/contracts';
import { openKevFindings } from '../../inventory/kev.service.ts';
import type { Check, CheckInput, EvidenceRef } from '../check.types.ts';
import { firstOf, importRef, ms, older, type Snapshot } from './inventory-data.ts';
import { DAY_MS, num } from './params.ts';
import { perRun, runSnapshot } from './run-memo.ts';

/*
 * Checks of the MSP's own estate (its delivery infrastructure: RMM, PSA, remote support, backup,
 * vault, identity tooling), read from the inventories the MSP imports into its own organisation.
 * They are the same for every customer of the MSP, so a run reads them once per MSP (run-memo.ts).
 */

interface Finding {
  host: string;
  cve: string;
  why: string;
  from: number;
}

/** The MSP's open findings that are KEV-listed or critical, aged from first seen (KEV: or its listing). */
async function mspFindings(input: CheckInput) {
  const vulns = await runSnapshot<VulnerabilityItem>(input, input.mspOrgId, 'vulnerabilities');
  const assets = await runSnapshot<AssetItem>(input, input.mspOrgId, 'assets');
  const kev = await openKevFindings(input.db, input.mspOrgId).orderBy('v.item_key').execute();
  const byKey = new Map<string, Finding>();
  for (const r of kev) {
    const v = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as VulnerabilityItem;
    const from = Math.max(ms(v.firstSeen) ?? 0, Date.parse(`${r.date_added}T00:00:00Z`));
    byKey.set(r.item_key, { host: v.host, cve: v.cve, why: `KEV since ${r.date_added}`, from });
  }
  for (const v of vulns.items) {
    // The same key as the inventory's (keyOf in inventory/values.ts): host and CVE, lower-case.
    const key = `${v.host.trim().toLowerCase()}|${v.cve.trim().toLowerCase()}`;
    if (v.fixedAt || v.severity !== 'critical' || byKey.has(key)) continue;
    byKey.set(key, { host: v.host, cve: v.cve, why: 'critical', from: ms(v.firstSeen) ?? 0 });
  }
  return { vulns, assets, open: [...byKey.values()] };
}

/**
 * UPD-04: no KEV-listed or critical vulnerability on the MSP's delivery infrastructure stays open
 * longer than `delivery_tooling_patch_hours`. A finding with no first-seen date counts as open
 * since ever. Scope: the assets of the MSP's own asset inventory; `dataAt` the older of the MSP's
 * asset and vulnerability imports. An MSP asset past its `end_of_support` (asset inventory) is an
 * unsupported version and fails too.
 */
export const upd04: Check = {
  controlId: 'UPD-04',
  reads: ['vulnerabilities', 'assets'],
  async run(input) {
    const hours = num(input.parameters, 'delivery_tooling_patch_hours');
    const { vulns, assets, open } = await perRun(input, `upd04|${input.mspOrgId}`, () => mspFindings(input));
    const over = open
      .map((f) => ({ ...f, hours: (input.now.getTime() - f.from) / 3_600_000 }))
      .filter((f) => f.hours > hours)
      .sort((a, b) => b.hours - a.hours);
    const unsupported = assets.items.filter(
      (a) => a.endOfSupport != null && ms(a.endOfSupport)! <= input.now.getTime(),
    );
    return {
      status: over.length === 0 && unsupported.length === 0 ? 'pass' : 'fail',
      reason:
        !assets.at || !vulns.at
          ? `the MSP has not imported its own ${!assets.at ? 'asset' : 'vulnerability'} inventory`
          : over.length === 0 && unsupported.length === 0
            ? `${open.length} open KEV or critical finding(s) on the MSP's ${assets.items.length} delivery assets, none older than ${hours} h; none past its end of support`
            : [
                over.length
                  ? `${over.length} KEV or critical finding(s) on the MSP's delivery assets open longer than ${hours} h`
                  : '',
                unsupported.length
                  ? `${unsupported.length} MSP delivery asset(s) past their end of support: ${firstOf(
                      unsupported,
                      10,
                    )
                      .map((a) => a.hostname)
                      .join(', ')}`
                  : '',
              ]
                .filter(Boolean)
                .join('; '),
      observed: {
        mspAssets: assets.items.length,
        openKevOrCritical: open.length,
        overWindow: over.length,
        unsupported: unsupported.length,
      },
      expected: { deliveryToolingPatchHours: hours, unsupportedVersions: 0 },
      evidence: [
        ...importRef('assets', assets),
        ...importRef('vulnerabilities', vulns),
        ...firstOf(over).map((f) => ({
          type: 'import' as const,
          summary: `${f.host}: ${f.cve} (${f.why}) open ${f.from ? `${Math.floor(f.hours)} h` : 'since an unknown date'}`,
        })),
        ...firstOf(unsupported).map((a) => ({
          type: 'import' as const,
          summary: `${a.hostname}: support ended ${a.endOfSupport!.slice(0, 10)}`,
        })),
      ],
      dataAt: older(assets.at, vulns.at),
      scope: assets.items.length,
    };
  },
};

/**
 * BCK-04: each system of the MSP's own backup inventory had a successful backup within the
 * control's cadence (7 days), has an offline or immutable copy, and a restore test within
 * `msp_restore_test_days`.
 */
export const bck04: Check = {
  controlId: 'BCK-04',
  reads: ['backups'],
  async run(input) {
    const testDays = num(input.parameters, 'msp_restore_test_days');
    const snap: Snapshot<BackupItem> = await runSnapshot<BackupItem>(input, input.mspOrgId, 'backups');
    const now = input.now.getTime();
    const age = (iso: string | null) => (ms(iso) === null ? null : Math.floor((now - ms(iso)!) / DAY_MS));
    const short = snap.items.flatMap((b) => {
      const why = [
        age(b.lastSuccess) === null || age(b.lastSuccess)! > 7
          ? `last successful backup ${b.lastSuccess ?? 'never'}`
          : '',
        b.offlineOrImmutable ? '' : 'no offline or immutable copy',
        age(b.lastRestoreTest) === null || age(b.lastRestoreTest)! > testDays
          ? `last restore test ${b.lastRestoreTest?.slice(0, 10) ?? 'never'}`
          : '',
      ].filter(Boolean);
      return why.length ? [{ system: b.system, why }] : [];
    });
    const evidence: EvidenceRef[] = [
      ...importRef('backups', snap),
      ...firstOf(short).map((s) => ({
        type: 'import' as const,
        summary: `${s.system}: ${s.why.join('; ')}`,
      })),
    ];
    return {
      status: short.length === 0 ? 'pass' : 'fail',
      reason: !snap.at
        ? 'the MSP has not imported its own backup inventory'
        : short.length === 0
          ? `all ${snap.items.length} MSP delivery systems have a recent, isolated and restore-tested backup`
          : `${short.length} of ${snap.items.length} MSP delivery systems fall short: ${firstOf(short, 10)
              .map((s) => s.system)
              .join(', ')}`,
      observed: {
        mspSystems: snap.items.length,
        short: short.length,
        shortSystems: firstOf(short).map((s) => s.system),
      },
      expected: { mspRestoreTestDays: testDays, backupWithinDays: 7, offlineOrImmutable: true },
      evidence,
      dataAt: snap.at,
      scope: snap.items.length,
    };
  },
};
