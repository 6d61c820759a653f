import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { ago, brokenDb, checkWorld, DAY, H, runCheck as run } from '../../../test/support/verification.ts';
import type { Runtime } from '../../server.ts';

/** Identity-inventory checks: OBS-01, AUT-03, MFA-03 and MFA-01 (inventory and sign-ins combined). */
const ID_HEADER =
  'account,display_name,enabled,mfa_registered,mfa_methods,mfa_enforced,mfa_enforced_by,privileged_roles,last_sign_in,created,msp_owned';
const acct = (
  account: string,
  o: {
    enabled?: string;
    reg?: string;
    enforced?: string;
    last?: string;
    created?: string;
    msp?: string;
  } = {},
) =>
  [
    account,
    account,
    o.enabled ?? 'yes',
    o.reg ?? 'yes',
    '',
    o.enforced ?? 'yes',
    '',
    '',
    o.last ?? ago(2 * DAY),
    o.created ?? ago(400 * DAY),
    o.msp ?? 'no',
  ].join(',');

const MAPPING = {
  time: { path: 't' },
  class: { default: 'authentication' },
  activity: { default: 'sign_in' },
  outcome: 'o',
  user: 'u',
  srcIp: 'ip',
  mfaUsed: { path: 'mfa', map: { yes: true, no: false } },
};

describe.each(dbTargets())('identity checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());
  const later = (ms: number) => new Date(Date.now() + ms);

  it('OBS-01: enabled accounts idle beyond dormant_days fail, minus the exempt ones', async () => {
    const w = await checkWorld(rt, ['OBS-01'], {
      'OBS-01': { dormant_days: 45, dormancy_exempt_accounts: ['BreakGlass@contoso.example'] },
    });
    expect((await run('OBS-01', w.input('OBS-01'))).reason).toMatch(/^no data|^nothing in scope/); // no import
    await w.importCsv('identity', ID_HEADER, [
      acct('alice@contoso.example', { enabled: 'no', last: ago(90 * DAY) }),
    ]);
    expect((await run('OBS-01', w.input('OBS-01'))).reason).toMatch(/^nothing in scope/); // only disabled accounts
    await w.importCsv('identity', ID_HEADER, [
      acct('alice@contoso.example'),
      acct('breakglass@contoso.example', { last: ago(200 * DAY) }),
      acct('gone@contoso.example', { enabled: 'no', last: ago(300 * DAY) }),
    ]);
    const pass = await run('OBS-01', w.input('OBS-01'));
    expect(pass).toMatchObject({ status: 'pass', observed: { enabledAccounts: 1, dormant: 0 } });
    expect(pass.evidence[0]).toMatchObject({ type: 'import' });
    const imp = await w.importCsv('identity', ID_HEADER, [
      acct('alice@contoso.example'),
      acct('breakglass@contoso.example', { last: ago(200 * DAY) }),
      acct('old@contoso.example', { last: ago(60 * DAY) }),
      acct('never@contoso.example', { last: '', created: ago(50 * DAY) }),
      acct('new@contoso.example', { last: '', created: ago(3 * DAY) }),
    ]);
    const fail = await run('OBS-01', w.input('OBS-01'));
    expect(fail).toMatchObject({
      status: 'fail',
      observed: {
        enabledAccounts: 4,
        dormant: 2,
        dormantAccounts: ['never@contoso.example', 'old@contoso.example'],
      },
      dataAt: new Date(imp.importedAt),
    });
    expect(fail.evidence[0]).toMatchObject({ type: 'import', id: imp.id });
    expect(fail.evidence.map((e) => e.summary)).toEqual([
      expect.stringContaining('identity import'),
      expect.stringMatching(/^never@contoso.example: enabled, never signed in, created .* \(50 days\)/),
      expect.stringMatching(/^old@contoso.example: enabled, last sign-in .* \(60 days\)/),
    ]);
    const stale = await run('OBS-01', w.input('OBS-01', later(2 * DAY)));
    expect(stale.status).toBe('unknown');
    expect(stale.reason).toMatch(/^stale/);
    const broken = await run('OBS-01', { ...w.input('OBS-01'), db: brokenDb(rt.database.db) });
    expect(broken).toMatchObject({ status: 'error', reason: expect.stringContaining('connection refused') });
  });

  it('AUT-03: MSP accounts idle beyond msp_idle_days and still enabled fail', async () => {
    const w = await checkWorld(rt, ['AUT-03'], { 'AUT-03': { msp_idle_days: 30 } });
    await w.importCsv('identity', ID_HEADER, [acct('alice@contoso.example', { last: ago(90 * DAY) })]);
    expect((await run('AUT-03', w.input('AUT-03'))).reason).toMatch(/^nothing in scope/); // no MSP account
    await w.importCsv('identity', ID_HEADER, [
      acct('alice@contoso.example', { last: ago(90 * DAY) }), // a customer user: OBS-01's business
      acct('tech@msp.example', { msp: 'yes', last: ago(DAY) }),
      acct('old-tech@msp.example', { msp: 'yes', enabled: 'no', last: ago(90 * DAY) }),
    ]);
    expect(await run('AUT-03', w.input('AUT-03'))).toMatchObject({
      status: 'pass',
      observed: { enabledMspAccounts: 1, idle: 0 },
    });
    await w.importCsv('identity', ID_HEADER, [
      acct('tech@msp.example', { msp: 'yes', last: ago(DAY) }),
      acct('old-tech@msp.example', { msp: 'yes', last: ago(40 * DAY) }),
    ]);
    const fail = await run('AUT-03', w.input('AUT-03'));
    expect(fail).toMatchObject({
      status: 'fail',
      observed: { idle: 1, idleAccounts: ['old-tech@msp.example'] },
    });
    expect(fail.evidence[1]!.summary).toMatch(/^old-tech@msp.example: enabled, last sign-in .*\(40 days\)/);
    expect((await run('AUT-03', w.input('AUT-03', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('AUT-03', { ...w.input('AUT-03'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('MFA-03: customer users have MFA enforced (registered counts where enforcement is not reported)', async () => {
    const w = await checkWorld(rt, ['MFA-03'], {
      'MFA-03': { mfa_exempt_accounts: ['breakglass@contoso.example'] },
    });
    await w.importCsv('identity', ID_HEADER, [acct('tech@msp.example', { msp: 'yes', enforced: 'no' })]);
    expect((await run('MFA-03', w.input('MFA-03'))).reason).toMatch(/^nothing in scope/); // MSP accounts only
    await w.importCsv('identity', ID_HEADER, [
      acct('alice@contoso.example'),
      acct('bob@contoso.example', { enforced: '' }),
      acct('breakglass@contoso.example', { reg: 'no', enforced: 'no' }),
      acct('tech@msp.example', { msp: 'yes', enforced: 'no' }),
    ]);
    const pass = await run('MFA-03', w.input('MFA-03'));
    expect(pass).toMatchObject({ status: 'pass', observed: { users: 2, withMfa: 2, registeredOnly: 1 } });
    expect(pass.evidence.map((e) => e.summary)).toContain(
      'bob@contoso.example: MFA registered (the export does not say whether it is enforced)',
    );
    await w.importCsv('identity', ID_HEADER, [
      acct('alice@contoso.example'),
      acct('carol@contoso.example', { reg: 'yes', enforced: 'no' }),
      acct('dave@contoso.example', { reg: 'no', enforced: '' }),
    ]);
    const fail = await run('MFA-03', w.input('MFA-03'));
    expect(fail).toMatchObject({ status: 'fail', observed: { users: 3, withoutMfa: 2 } });
    expect(fail.evidence.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        'carol@contoso.example: MFA not enforced',
        'dave@contoso.example: MFA not registered',
      ]),
    );
    expect((await run('MFA-03', w.input('MFA-03', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('MFA-03', { ...w.input('MFA-03'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('MFA-01: the identity inventory and the sign-ins must both hold; one alone is partial at best', async () => {
    const w = await checkWorld(rt, ['MFA-01']);
    expect((await run('MFA-01', w.input('MFA-01'))).status).toBe('unknown'); // neither source
    // Inventory only, MSP account with MFA enforced: holds, but the sign-ins cannot confirm it.
    await w.importCsv('identity', ID_HEADER, [
      acct('alice@contoso.example', { enforced: 'no' }), // a customer user: not MFA-01's scope
      acct('nw-admin', { msp: 'yes' }),
    ]);
    const onlyInventory = await run('MFA-01', w.input('MFA-01'));
    expect(onlyInventory).toMatchObject({
      status: 'partial',
      observed: { sourcesInScope: 1, inventory: { mspAccounts: 1, coverage: 1 } },
    });
    expect(onlyInventory.reason).toContain('no MSP sign-in with a known MFA state');
    // MSP sign-ins with MFA as well: both hold.
    const src = await rt.services.sources.create(w.c, w.cust.org.id, {
      kind: 'generic_json',
      name: 'idp',
      expectedIntervalMinutes: 60,
      mapping: MAPPING,
      categories: ['identity_signin'],
    });
    const signIn = (u: string, mfa: string) =>
      rt.services.ingest.ingest(src, [
        { line: 1, text: JSON.stringify({ t: ago(H), o: 'success', u, ip: '198.51.100.7', mfa }) },
      ]);
    await signIn('nw-admin', 'yes');
    expect(await run('MFA-01', w.input('MFA-01'))).toMatchObject({
      status: 'pass',
      observed: { sourcesInScope: 2, signIns: { mspSignIns: 1, coverage: 1 } },
    });
    // An MSP account in the inventory without MFA fails it, though every sign-in used MFA.
    await w.importCsv('identity', ID_HEADER, [
      acct('nw-admin', { msp: 'yes' }),
      acct('nw-ops', { msp: 'yes', reg: 'no', enforced: 'no' }),
    ]);
    const invFail = await run('MFA-01', w.input('MFA-01'));
    expect(invFail).toMatchObject({
      status: 'fail',
      observed: { inventory: { mspAccounts: 2, withMfa: 1 } },
    });
    expect(invFail.evidence.map((e) => e.summary)).toContain('nw-ops: MFA not enforced');
    // Inventory fixed, a sign-in without MFA: fails from the sign-ins.
    await w.importCsv('identity', ID_HEADER, [
      acct('nw-admin', { msp: 'yes' }),
      acct('nw-ops', { msp: 'yes' }),
    ]);
    await signIn('nw-ops', 'no');
    const sigFail = await run('MFA-01', w.input('MFA-01'));
    expect(sigFail).toMatchObject({ status: 'fail', observed: { signIns: { mspSignIns: 2, withMfa: 1 } } });
    expect((await run('MFA-01', w.input('MFA-01', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('MFA-01', { ...w.input('MFA-01'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('runDue re-evaluates the checks reading an inventory when a new import of that kind arrives', async () => {
    const w = await checkWorld(rt, ['OBS-01', 'BCK-01']);
    const runDue = (now = new Date()) =>
      rt.services.verification.runDue(now, { agreementIds: [w.agreementId] });
    const statusOf = async (id: string) =>
      (await rt.services.verification.status(w.c, w.agreementId)).find((s) => s.controlId === id)!;
    // First evaluation of both, and of LOG-05 (its own check: MSP events and the review attestation).
    expect(await runDue()).toMatchObject({ evaluated: 3 });
    expect(await runDue()).toMatchObject({ evaluated: 0 }); // nothing new
    expect((await statusOf('OBS-01')).status).toBe('unknown');
    await w.importCsv('identity', ID_HEADER, [acct('old@contoso.example', { last: ago(60 * DAY) })]);
    expect(await runDue()).toMatchObject({ evaluated: 1, drifts: 1 }); // OBS-01 only, not BCK-01
    expect(await statusOf('OBS-01')).toMatchObject({ status: 'fail', observed: { dormant: 1 } });
    expect(await runDue()).toMatchObject({ evaluated: 0 });
    await w.importCsv('backups', 'system,last_success,offline_or_immutable,encrypted,last_restore_test', [
      `srv-01,${ago(H)},yes,yes,${ago(10 * DAY)}`,
    ]);
    expect(await runDue()).toMatchObject({ evaluated: 1 }); // BCK-01 only
    expect((await statusOf('BCK-01')).status).toBe('pass');
  });
});
