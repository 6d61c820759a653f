import { Readable } from 'node:stream';
import type { ImportKind } from '@accord/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import {
  ago,
  brokenDb,
  checkWorld,
  DAY,
  H,
  loadKev,
  runCheck as run,
} from '../../../test/support/verification.ts';
import type { Runtime } from '../../server.ts';

/** Checks of the MSP's own delivery estate, read from the MSP organisation's inventories: UPD-04, BCK-04. */
type World = Awaited<ReturnType<typeof checkWorld>>;

describe.each(dbTargets())('MSP estate checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
    await loadKev(rt);
  });
  afterAll(() => rt.close());
  const later = (ms: number) => new Date(Date.now() + ms);

  /** Imports a CSV into the MSP's own organisation. */
  const mspImport = (w: World, kind: ImportKind, header: string, rows: string[]) =>
    rt.services.inventory.importFile(w.m, w.msp.org.id, kind, {
      body: Readable.from([Buffer.from([header, ...rows].join('\n') + '\n')]),
      contentType: 'text/csv',
      format: 'csv',
      filename: `${kind}.csv`,
    });
  const ASSETS = 'hostname,internet_facing,edr_agent';
  const VULNS = 'host,cve,first_seen,fixed_at,severity';

  it("UPD-04: no KEV or critical finding on the MSP's delivery assets open beyond the window", async () => {
    const w = await checkWorld(rt, ['UPD-04'], { 'UPD-04': { delivery_tooling_patch_hours: 48 } });
    // The customer's own findings are not the MSP's delivery tooling.
    await w.importCsv('vulnerabilities', VULNS, [`pc-1,CVE-2025-48384,${ago(30 * DAY)},,critical`]);
    expect((await run('UPD-04', w.input('UPD-04'), 'continuous')).reason).toBe(
      'nothing in scope: the MSP has not imported its own asset inventory',
    );
    await mspImport(w, 'assets', ASSETS, []);
    await mspImport(w, 'vulnerabilities', VULNS, []);
    expect((await run('UPD-04', w.input('UPD-04'), 'continuous')).reason).toMatch(/^nothing in scope/);
    await mspImport(w, 'assets', ASSETS, ['rmm-01,yes,yes', 'psa-01,no,yes']);
    await mspImport(w, 'vulnerabilities', VULNS, [
      `rmm-01,CVE-2025-48384,${ago(10 * H)},,high`, // KEV, within 48 h
      `psa-01,CVE-2024-0001,${ago(30 * DAY)},,medium`, // neither KEV nor critical
      `psa-01,CVE-2024-0002,${ago(30 * DAY)},${ago(20 * DAY)},critical`, // fixed
    ]);
    expect(await run('UPD-04', w.input('UPD-04'), 'continuous')).toMatchObject({
      status: 'pass',
      observed: { mspAssets: 2, openKevOrCritical: 1, overWindow: 0 },
    });
    await mspImport(w, 'vulnerabilities', VULNS, [
      `rmm-01,CVE-2025-48384,${ago(3 * DAY)},,high`, // KEV, open 72 h
      `psa-01,CVE-2024-0003,${ago(5 * DAY)},,critical`, // critical, open 5 days
      `psa-01,CVE-2024-0004,${ago(H)},,9.8`, // critical (CVSS), open an hour
    ]);
    const fail = await run('UPD-04', w.input('UPD-04'), 'continuous');
    expect(fail).toMatchObject({ status: 'fail', observed: { openKevOrCritical: 3, overWindow: 2 } });
    expect(fail.evidence.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^psa-01: CVE-2024-0003 \(critical\) open 1\d\d h$/),
        expect.stringMatching(/^rmm-01: CVE-2025-48384 \(KEV since 2025-08-25\) open 7\d h$/),
      ]),
    );
    // A delivery asset past its vendor's end of support fails, whatever its findings.
    await mspImport(w, 'vulnerabilities', VULNS, []);
    await mspImport(w, 'assets', 'hostname,internet_facing,edr_agent,end_of_support', [
      'rmm-01,yes,yes,2031-10-14',
      'vault-01,no,yes,2024-10-08',
    ]);
    const eol = await run('UPD-04', w.input('UPD-04'), 'continuous');
    expect(eol).toMatchObject({ status: 'fail', observed: { overWindow: 0, unsupported: 1 } });
    expect(eol.reason).toBe('1 MSP delivery asset(s) past their end of support: vault-01');
    expect(eol.evidence.map((e) => e.summary)).toContain('vault-01: support ended 2024-10-08');
    expect((await run('UPD-04', w.input('UPD-04', later(2 * H)), 'continuous')).reason).toMatch(/^stale/);
    expect((await run('UPD-04', { ...w.input('UPD-04'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it("BCK-04: the MSP's own systems have a recent, isolated, restore-tested backup", async () => {
    const w = await checkWorld(rt, ['BCK-04'], { 'BCK-04': { msp_restore_test_days: 90 } });
    const HEADER = 'system,last_success,offline_or_immutable,encrypted,last_restore_test';
    await w.importCsv('backups', HEADER, [`fileserver,,no,no,`]); // the customer's: not BCK-04's
    expect((await run('BCK-04', w.input('BCK-04'), 'weekly')).reason).toBe(
      'nothing in scope: the MSP has not imported its own backup inventory',
    );
    await mspImport(w, 'backups', HEADER, []);
    expect((await run('BCK-04', w.input('BCK-04'), 'weekly')).reason).toMatch(/^nothing in scope/);
    await mspImport(w, 'backups', HEADER, [
      `rmm-db,${ago(H)},yes,yes,${ago(30 * DAY)}`,
      `vault,${ago(2 * DAY)},yes,yes,${ago(80 * DAY)}`,
    ]);
    expect(await run('BCK-04', w.input('BCK-04'), 'weekly')).toMatchObject({
      status: 'pass',
      observed: { mspSystems: 2, short: 0 },
    });
    await mspImport(w, 'backups', HEADER, [
      `rmm-db,${ago(H)},yes,yes,${ago(30 * DAY)}`,
      `psa-db,${ago(10 * DAY)},no,yes,`,
      `vault,${ago(H)},yes,yes,${ago(120 * DAY)}`,
    ]);
    const fail = await run('BCK-04', w.input('BCK-04'), 'weekly');
    expect(fail).toMatchObject({ status: 'fail', observed: { short: 2, shortSystems: ['psa-db', 'vault'] } });
    expect(fail.evidence.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^psa-db: last successful backup .*; no offline or immutable copy; last restore test never$/,
        ),
        expect.stringMatching(/^vault: last restore test \d{4}-\d\d-\d\d$/),
      ]),
    );
    expect((await run('BCK-04', w.input('BCK-04', later(8 * DAY)), 'weekly')).reason).toMatch(/^stale/);
    expect((await run('BCK-04', { ...w.input('BCK-04'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });
});
