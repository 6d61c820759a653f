import fs from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { ago, brokenDb, checkWorld, DAY, H, runCheck as run } from '../../../test/support/verification.ts';
import type { Runtime } from '../../server.ts';

/** The staff roster import and the checks joining it to the identity inventory: OBS-02, AUT-04. */
type World = Awaited<ReturnType<typeof checkWorld>>;
const ROSTER = 'person,kind,accounts,role,left_at';
const IDENTITY = 'account,enabled,msp_owned';
const SAMPLE = new URL('../../../../../docs/samples/roster.csv', import.meta.url);

describe.each(dbTargets())('roster checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());
  const later = (ms: number) => new Date(Date.now() + ms);

  /** Imports a roster CSV into the MSP's own organisation. */
  const mspRoster = (w: World, rows: string[]) =>
    rt.services.inventory.importFile(w.m, w.msp.org.id, 'roster', {
      body: Readable.from([Buffer.from([ROSTER, ...rows].join('\n') + '\n')]),
      contentType: 'text/csv',
      format: 'csv',
      filename: 'roster.csv',
    });

  it('imports the sample roster, and rejects bad rows with their line and reason', async () => {
    const w = await checkWorld(rt, []);
    const sample = await rt.services.inventory.importFile(w.c, w.cust.org.id, 'roster', {
      body: Readable.from([fs.readFileSync(SAMPLE)]),
      contentType: 'text/csv',
      format: 'csv',
      filename: 'roster.csv',
    });
    expect(sample).toMatchObject({ kind: 'roster', accepted: 4, rejected: 0 });
    const page = await rt.services.inventory.list(w.c, w.cust.org.id, 'roster', { limit: 10 });
    expect(page.items).toContainEqual({
      person: 'Adele Vance',
      kind: 'person',
      accounts: ['adele.vance@contoso.example', 'adm-adele@contoso.example'],
      role: 'IT lead',
      leftAt: null,
    });
    const mixed = await w.importCsv('roster', ROSTER, [
      'Good Person,person,good@contoso.example,,',
      'Robot,machine,bot@contoso.example,,',
      'Leaver,person,leaver@contoso.example,,last tuesday',
      ',person,nobody@contoso.example,,',
    ]);
    expect(mixed).toMatchObject({ accepted: 1, rejected: 3 });
    expect(mixed.rejections.map((r) => r.line)).toEqual([3, 4, 5]);
    expect(mixed.rejections[0]!.reason).toBe('kind must be person or workload, not "machine"');
    expect(mixed.rejections[1]!.reason).toMatch(/left_at/);
  });

  it("OBS-02: leavers of the customer's and the MSP's rosters have no enabled account after the window", async () => {
    const w = await checkWorld(rt, ['OBS-02'], { 'OBS-02': { leaver_disable_hours: 24 } });
    await w.importCsv('identity', IDENTITY, ['alice@contoso.example,yes,no']);
    expect((await run('OBS-02', w.input('OBS-02'))).reason).toBe(
      'nothing in scope: neither the customer nor the MSP has imported a staff roster',
    );
    await w.importCsv('roster', ROSTER, ['Alice,person,alice@contoso.example,,']);
    expect((await run('OBS-02', w.input('OBS-02'))).reason).toMatch(/^nothing in scope/); // no leaver
    await w.importCsv('roster', ROSTER, [
      'Alice,person,alice@contoso.example,,',
      `Bob,person,bob@contoso.example,,${ago(10 * DAY)}`, // left, account gone from the directory
      `Carol,person,carol@contoso.example,,${ago(2 * H)}`, // left two hours ago: within the window
    ]);
    await mspRoster(w, [`Former tech,person,nw-former@contoso.example,,${ago(5 * DAY)}`]);
    await w.importCsv('identity', IDENTITY, [
      'alice@contoso.example,yes,no',
      'carol@contoso.example,yes,no',
      'nw-former@contoso.example,no,yes',
    ]);
    expect(await run('OBS-02', w.input('OBS-02'))).toMatchObject({
      status: 'pass',
      observed: { leavers: 2, withEnabledAccounts: 0 },
    });
    // The MSP's leaver is still enabled in this customer's directory.
    await w.importCsv('identity', IDENTITY, [
      'alice@contoso.example,yes,no',
      'NW-Former@contoso.example,yes,yes',
    ]);
    const fail = await run('OBS-02', w.input('OBS-02'));
    expect(fail).toMatchObject({ status: 'fail', observed: { leavers: 2, people: ['Former tech'] } });
    expect(fail.evidence.map((e) => e.summary)).toContainEqual(
      expect.stringMatching(
        /^Former tech \(MSP\) left \d{4}-\d\d-\d\d; still enabled: nw-former@contoso.example$/,
      ),
    );
    expect((await run('OBS-02', w.input('OBS-02', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('OBS-02', { ...w.input('OBS-02'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it("AUT-04: each MSP account belongs to one person or workload of the MSP's roster", async () => {
    const w = await checkWorld(rt, ['AUT-04']);
    await w.importCsv('identity', IDENTITY, ['alice@contoso.example,yes,no']);
    expect((await run('AUT-04', w.input('AUT-04'))).reason).toMatch(/^nothing in scope/); // no MSP account
    await w.importCsv('identity', IDENTITY, [
      'alice@contoso.example,yes,no',
      'nw-sam@contoso.example,yes,yes',
      'svc-rmm@contoso.example,yes,yes',
    ]);
    expect((await run('AUT-04', w.input('AUT-04'))).reason).toMatch(/^no data: the MSP has not imported/);
    await mspRoster(w, [
      'Sam Ortiz,person,NW-Sam@contoso.example,engineer,',
      'RMM agent,workload,svc-rmm@contoso.example,,',
    ]);
    expect(await run('AUT-04', w.input('AUT-04'))).toMatchObject({
      status: 'pass',
      observed: { mspAccounts: 2, unmapped: [], shared: [] },
    });
    await mspRoster(w, [
      'Sam Ortiz,person,nw-sam@contoso.example,engineer,',
      'Kim Lee,person,nw-sam@contoso.example,engineer,',
    ]);
    const fail = await run('AUT-04', w.input('AUT-04'));
    expect(fail).toMatchObject({
      status: 'fail',
      observed: { unmapped: ['svc-rmm@contoso.example'], shared: ['nw-sam@contoso.example'] },
    });
    expect(fail.evidence.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        'svc-rmm@contoso.example: in no roster entry',
        'nw-sam@contoso.example: listed for Kim Lee and Sam Ortiz',
      ]),
    );
    expect((await run('AUT-04', w.input('AUT-04', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('AUT-04', { ...w.input('AUT-04'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });
});
