import { sql } from 'kysely';
import type { AccountItem } from '@accord/contracts';
import type { Check } from '../check.types.ts';
import { firstOf, importRef, nameSet, older } from './inventory-data.ts';
import { DAY_MS, list, num } from './params.ts';
import { runLastDelivery, runSnapshot } from './run-memo.ts';

const enabled = (a: AccountItem) => a.enabled !== false;
const isPrivileged = (a: AccountItem) => a.privileged || a.privilegedRoles.length > 0;

/**
 * Authentication method names as identity providers report them, reduced to one name per kind:
 * Entra's `methodsRegistered` (fido2, passKeyDeviceBound, windowsHelloForBusiness, ...), Okta's
 * factor types (webauthn, u2f, ...) and the catalog's names compare equal after this.
 */
const METHOD_ALIASES: Record<string, string> = {
  webauthn: 'fido2',
  u2f: 'fido2',
  passkey: 'fido2',
  passkeydevicebound: 'fido2',
  passkeydeviceboundauthenticator: 'fido2',
  passkeydeviceboundwindowshello: 'windowshelloforbusiness',
  securitykey: 'fido2',
  fido2securitykey: 'fido2',
  whfb: 'windowshelloforbusiness',
  x509certificate: 'certificate',
  certificatebasedauthentication: 'certificate',
  cba: 'certificate',
  smartcard: 'certificate',
};
export function methodKind(name: string): string {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return METHOD_ALIASES[n] ?? n;
}

/**
 * MFA-04: enabled privileged and MSP-owned accounts whose registered MFA methods are all
 * phishing-resistant (`allowed_mfa_methods`), at `phishing_resistant_ratio`. An account without a
 * listed method does not count. An export that lists no method for any account in scope says
 * nothing about methods: unknown, not fail.
 */
export const mfa04: Check = {
  controlId: 'MFA-04',
  reads: ['identity'],
  async run(input) {
    const want = num(input.parameters, 'phishing_resistant_ratio');
    const allowed = list(input.parameters, 'allowed_mfa_methods');
    const ok = new Set(allowed.map(methodKind));
    const snap = await runSnapshot<AccountItem>(input, input.customerOrgId, 'identity');
    const scope = snap.items.filter((a) => enabled(a) && (isPrivileged(a) || a.mspOwned));
    const expected = { phishingResistantRatio: want, allowedMfaMethods: allowed };
    if (scope.length > 0 && scope.every((a) => a.mfaMethods.length === 0))
      return {
        status: 'unknown',
        reason: `the identity export lists no MFA methods for the ${scope.length} privileged and MSP accounts`,
        observed: { accounts: scope.length },
        expected,
        evidence: importRef('identity', snap),
        dataAt: snap.at,
        scope: scope.length,
      };
    const weak = scope.filter(
      (a) => a.mfaMethods.length === 0 || a.mfaMethods.some((m) => !ok.has(methodKind(m))),
    );
    const ratio = scope.length ? (scope.length - weak.length) / scope.length : null;
    return {
      status: ratio !== null && ratio >= want ? 'pass' : 'fail',
      reason: `${scope.length - weak.length} of ${scope.length} enabled privileged and MSP accounts are limited to phishing-resistant methods`,
      observed: {
        accounts: scope.length,
        phishingResistant: scope.length - weak.length,
        ratio,
        notPhishingResistant: firstOf(weak).map((a) => a.account),
      },
      expected,
      evidence: [
        ...importRef('identity', snap),
        ...firstOf(weak).map((a) => ({
          type: 'accounts' as const,
          summary:
            a.mfaMethods.length === 0
              ? `${a.account}: no MFA method listed`
              : `${a.account}: also ${a.mfaMethods.filter((m) => !ok.has(methodKind(m))).join(', ')}`,
        })),
      ],
      dataAt: snap.at,
      scope: scope.length,
    };
  },
};

/** PRV-01: enabled MSP-owned accounts hold no privileged role outside `approved_msp_roles`. */
export const prv01: Check = {
  controlId: 'PRV-01',
  reads: ['identity'],
  async run(input) {
    const approved = list(input.parameters, 'approved_msp_roles');
    const okRole = nameSet(approved);
    const snap = await runSnapshot<AccountItem>(input, input.customerOrgId, 'identity');
    const scope = snap.items.filter((a) => enabled(a) && a.mspOwned);
    const over = scope
      .map((a) => ({ a, roles: a.privilegedRoles.filter((r) => !okRole.has(r)) }))
      .filter((x) => x.roles.length > 0);
    return {
      status: over.length === 0 ? 'pass' : 'fail',
      reason:
        over.length === 0
          ? `all ${scope.length} enabled MSP accounts hold only approved roles`
          : `${over.length} of ${scope.length} enabled MSP accounts hold roles outside approved_msp_roles`,
      observed: {
        mspAccounts: scope.length,
        withUnapprovedRoles: over.length,
        accounts: firstOf(over).map((x) => x.a.account),
        unapprovedRoles: [...new Set(over.flatMap((x) => x.roles))].sort(),
      },
      expected: { approvedMspRoles: approved, unapprovedPrivilegedMemberships: 0 },
      evidence: [
        ...importRef('identity', snap),
        ...firstOf(over).map((x) => ({
          type: 'accounts' as const,
          summary: `${x.a.account}: ${x.roles.join(', ')}`,
        })),
      ],
      dataAt: snap.at,
      scope: scope.length,
    };
  },
};

/** How far back PRV-02 looks for privileged accounts' sign-ins into mail. */
export const MAIL_WINDOW_DAYS = 30;
/** Application names of mail services in sign-in logs (compared as lower-case substrings). */
export const MAIL_APPS = ['exchange', 'outlook', 'owa', 'mail'];

/**
 * PRV-02: enabled privileged accounts did not sign in to a mail application over 30 days. It
 * needs both the identity inventory (who is privileged) and the sign-ins: `dataAt` is the older of
 * the identity import and the newest log delivery. Mailbox licences are not imported.
 */
export const prv02: Check = {
  controlId: 'PRV-02',
  reads: ['identity', 'events'],
  async run(input) {
    const snap = await runSnapshot<AccountItem>(input, input.customerOrgId, 'identity');
    const scope = snap.items.filter((a) => enabled(a) && isPrivileged(a));
    const privileged = new Set(scope.map((a) => a.account.trim().toLowerCase()));
    const rows = scope.length
      ? await input.db
          .selectFrom('events')
          .select((eb) => [
            sql<string>`lower(username)`.as('account'),
            'app',
            eb.fn.countAll<number>().as('n'),
          ])
          .where('org_id', '=', input.customerOrgId)
          .where('time', '>=', new Date(input.now.getTime() - MAIL_WINDOW_DAYS * DAY_MS))
          .where('class', '=', 'authentication')
          .where('outcome', '=', 'success')
          .where('username', 'is not', null)
          .where((eb) => eb.or(MAIL_APPS.map((m) => eb(sql`lower(app)`, 'like', `%${m}%`))))
          .groupBy([sql`lower(username)`, 'app'])
          .execute()
      : [];
    const hits = rows
      .filter((r) => privileged.has(r.account))
      .sort((a, b) => (a.account < b.account ? -1 : 1));
    const accounts = [...new Set(hits.map((h) => h.account))];
    return {
      status: accounts.length === 0 ? 'pass' : 'fail',
      reason:
        accounts.length === 0
          ? `none of the ${scope.length} privileged accounts signed in to a mail application in ${MAIL_WINDOW_DAYS} days`
          : `${accounts.length} of ${scope.length} privileged accounts signed in to a mail application in ${MAIL_WINDOW_DAYS} days`,
      observed: { privilegedAccounts: scope.length, usingMail: accounts.length, accounts: firstOf(accounts) },
      expected: { privilegedAccountsUsingMail: 0, mailApplications: MAIL_APPS },
      evidence: [
        ...importRef('identity', snap),
        ...firstOf(hits).map((h) => ({
          type: 'events' as const,
          summary: `${h.account}: ${Number(h.n)} sign-in(s) to ${h.app}`,
        })),
      ],
      dataAt: older(snap.at, await runLastDelivery(input, input.customerOrgId)),
      scope: scope.length,
    };
  },
};
