import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { ago, brokenDb, checkWorld, DAY, H, runCheck as run } from '../../../test/support/verification.ts';
import type { Runtime } from '../../server.ts';
import { methodKind } from './checks/privilege.checks.ts';

/** Privileged-account checks: MFA-04, PRV-01 and PRV-02. */
const HEADER = 'account,enabled,mfa_methods,privileged,privileged_roles,last_sign_in,msp_owned';
const acct = (
  account: string,
  o: { enabled?: string; methods?: string; priv?: string; roles?: string; msp?: string } = {},
) =>
  [account, o.enabled ?? 'yes', o.methods ?? '', o.priv ?? '', o.roles ?? '', ago(DAY), o.msp ?? 'no'].join(
    ',',
  );

describe.each(dbTargets())('privilege checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());
  const later = (ms: number) => new Date(Date.now() + ms);

  it('method names of Entra, Okta and the catalog compare as one kind', () => {
    expect(methodKind('windowsHelloForBusiness')).toBe(methodKind('windows_hello_for_business'));
    expect(methodKind('passKeyDeviceBound')).toBe('fido2');
    expect(methodKind('webauthn')).toBe('fido2');
    expect(methodKind('microsoftAuthenticatorPush')).not.toBe('fido2');
  });

  it('MFA-04: privileged and MSP accounts are limited to phishing-resistant methods', async () => {
    const w = await checkWorld(rt, ['MFA-04']);
    // Only a customer user without privilege: nothing in scope.
    await w.importCsv('identity', HEADER, [acct('alice@contoso.example', { methods: 'mobilePhone' })]);
    expect((await run('MFA-04', w.input('MFA-04'))).reason).toMatch(/^nothing in scope/);
    // An export listing no method at all for the accounts in scope says nothing: unknown.
    await w.importCsv('identity', HEADER, [acct('admin@contoso.example', { roles: 'Global Administrator' })]);
    expect((await run('MFA-04', w.input('MFA-04'))).reason).toMatch(/lists no MFA methods/);
    await w.importCsv('identity', HEADER, [
      acct('admin@contoso.example', {
        roles: 'Global Administrator',
        methods: 'fido2;windowsHelloForBusiness',
      }),
      acct('tech@msp.example', { msp: 'yes', methods: 'passKeyDeviceBound' }),
      acct('alice@contoso.example', { methods: 'mobilePhone' }),
      acct('old-admin@contoso.example', { enabled: 'no', priv: 'yes', methods: 'sms' }),
    ]);
    expect(await run('MFA-04', w.input('MFA-04'))).toMatchObject({
      status: 'pass',
      observed: { accounts: 2, phishingResistant: 2, ratio: 1 },
    });
    const imp = await w.importCsv('identity', HEADER, [
      acct('admin@contoso.example', {
        roles: 'Global Administrator',
        methods: 'fido2;microsoftAuthenticatorPush',
      }),
      acct('tech@msp.example', { msp: 'yes', methods: 'passKeyDeviceBound' }),
      acct('ops@msp.example', { msp: 'yes' }),
    ]);
    const fail = await run('MFA-04', w.input('MFA-04'));
    expect(fail).toMatchObject({
      status: 'fail',
      observed: {
        accounts: 3,
        phishingResistant: 1,
        notPhishingResistant: ['admin@contoso.example', 'ops@msp.example'],
      },
      dataAt: new Date(imp.importedAt),
    });
    expect(fail.evidence.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        'admin@contoso.example: also microsoftAuthenticatorPush',
        'ops@msp.example: no MFA method listed',
      ]),
    );
    // A lower agreed ratio: one in three phishing-resistant meets 0.3.
    const p = w.params.get('MFA-04')!;
    expect(
      (await run('MFA-04', w.input('MFA-04', new Date(), { ...p, phishing_resistant_ratio: 0.3 }))).status,
    ).toBe('pass');
    expect((await run('MFA-04', w.input('MFA-04', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('MFA-04', { ...w.input('MFA-04'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('PRV-01: MSP accounts hold only the approved roles', async () => {
    const w = await checkWorld(rt, ['PRV-01'], {
      'PRV-01': { approved_msp_roles: ['Helpdesk Administrator', 'Intune Administrator'] },
    });
    await w.importCsv('identity', HEADER, [acct('admin@contoso.example', { roles: 'Global Administrator' })]);
    expect((await run('PRV-01', w.input('PRV-01'))).reason).toMatch(/^nothing in scope/); // no MSP account
    await w.importCsv('identity', HEADER, [
      acct('admin@contoso.example', { roles: 'Global Administrator' }), // a customer admin: not PRV-01's
      acct('tech@msp.example', { msp: 'yes', roles: 'helpdesk administrator' }),
      acct('ops@msp.example', { msp: 'yes' }),
      acct('gone@msp.example', { msp: 'yes', enabled: 'no', roles: 'Global Administrator' }),
    ]);
    expect(await run('PRV-01', w.input('PRV-01'))).toMatchObject({
      status: 'pass',
      observed: { mspAccounts: 2, withUnapprovedRoles: 0 },
    });
    await w.importCsv('identity', HEADER, [
      acct('tech@msp.example', { msp: 'yes', roles: 'Helpdesk Administrator;Global Administrator' }),
      acct('ops@msp.example', { msp: 'yes', roles: 'Intune Administrator' }),
    ]);
    const fail = await run('PRV-01', w.input('PRV-01'));
    expect(fail).toMatchObject({
      status: 'fail',
      observed: {
        withUnapprovedRoles: 1,
        accounts: ['tech@msp.example'],
        unapprovedRoles: ['Global Administrator'],
      },
    });
    expect(fail.evidence[1]!.summary).toBe('tech@msp.example: Global Administrator');
    expect((await run('PRV-01', w.input('PRV-01', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('PRV-01', { ...w.input('PRV-01'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('PRV-02: privileged accounts do not sign in to mail applications', async () => {
    const w = await checkWorld(rt, ['PRV-02']);
    const src = await rt.services.sources.create(w.c, w.cust.org.id, {
      kind: 'generic_json',
      name: 'entra sign-ins',
      expectedIntervalMinutes: 60,
      mapping: {
        time: { path: 't' },
        class: { default: 'authentication' },
        activity: { default: 'sign_in' },
        outcome: { default: 'success' },
        user: 'u',
        app: 'app',
      },
      categories: ['identity_signin'],
    });
    const signIn = (u: string, app: string, at = ago(H)) =>
      rt.services.ingest.ingest(src, [{ line: 1, text: JSON.stringify({ t: at, u, app }) }]);
    await w.importCsv('identity', HEADER, [acct('alice@contoso.example')]);
    await signIn('alice@contoso.example', 'Office 365 Exchange Online');
    expect((await run('PRV-02', w.input('PRV-02'))).reason).toMatch(/^nothing in scope/); // no privileged account
    await w.importCsv('identity', HEADER, [
      acct('alice@contoso.example'),
      acct('adm-alice@contoso.example', { roles: 'Global Administrator' }),
    ]);
    await signIn('adm-alice@contoso.example', 'Azure Portal');
    await signIn('adm-alice@contoso.example', 'Outlook Web App', ago(40 * DAY)); // before the window
    const pass = await run('PRV-02', w.input('PRV-02'));
    expect(pass).toMatchObject({ status: 'pass', observed: { privilegedAccounts: 1, usingMail: 0 } });
    await signIn('ADM-alice@contoso.example', 'Office 365 Exchange Online');
    const fail = await run('PRV-02', w.input('PRV-02'));
    expect(fail).toMatchObject({
      status: 'fail',
      observed: { usingMail: 1, accounts: ['adm-alice@contoso.example'] },
    });
    expect(fail.evidence.map((e) => e.summary)).toContain(
      'adm-alice@contoso.example: 1 sign-in(s) to Office 365 Exchange Online',
    );
    expect((await run('PRV-02', w.input('PRV-02', later(2 * DAY)))).reason).toMatch(/^stale/);
    expect((await run('PRV-02', { ...w.input('PRV-02'), db: brokenDb(rt.database.db) })).status).toBe(
      'error',
    );
  });

  it('PRV-02 without any sign-in data is unknown, not a pass', async () => {
    const w = await checkWorld(rt, ['PRV-02']);
    await w.importCsv('identity', HEADER, [acct('adm@contoso.example', { roles: 'Global Administrator' })]);
    expect((await run('PRV-02', w.input('PRV-02'))).reason).toMatch(/^no data/);
  });
});
