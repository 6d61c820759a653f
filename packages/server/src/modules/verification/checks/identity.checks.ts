import type { AccountItem } from '@accord/contracts';
import type { Check, CheckInput, CheckOutcome, EvidenceRef } from '../check.types.ts';
import { mfa01SignIns } from './access.checks.ts';
import { firstOf, importRef, ms, nameSet, older, snapshotOf } from './inventory-data.ts';
import { DAY_MS, list, num } from './params.ts';

/** An account counts as enabled unless the export says it is disabled. */
const enabled = (a: AccountItem) => a.enabled !== false;

/**
 * MFA as Accord reads it from an identity export: enforced (per user or by policy). Where the
 * export does not say whether MFA is enforced (`mfaEnforced` null), a registered method counts,
 * and the evidence says "registered" so the two are never confused.
 */
function mfaState(a: AccountItem): 'enforced' | 'registered' | 'none' {
  if (a.mfaEnforced === true) return 'enforced';
  if (a.mfaEnforced === null && a.mfaRegistered === true) return 'registered';
  return 'none';
}

/** Days since the account last signed in (or was created, if it never did); null when neither is known. */
function idleDays(a: AccountItem, now: Date): number | null {
  const at = ms(a.lastSignIn) ?? ms(a.created);
  return at === null ? null : Math.floor((now.getTime() - at) / DAY_MS);
}

const idleText = (a: AccountItem, d: number | null) =>
  d === null
    ? `${a.account}: enabled, never signed in, creation date unknown`
    : `${a.account}: enabled, ${a.lastSignIn ? `last sign-in ${a.lastSignIn.slice(0, 10)}` : `never signed in, created ${a.created!.slice(0, 10)}`} (${d} days)`;

/** Enabled accounts idle beyond `limit` days (an account with no date at all is idle). */
async function idle(input: CheckInput, limit: number, exempt: string[], mspOnly: boolean) {
  const snap = await snapshotOf<AccountItem>(input.db, input.customerOrgId, 'identity');
  const skip = nameSet(exempt);
  const scope = snap.items.filter((a) => enabled(a) && (!mspOnly || a.mspOwned) && !skip.has(a.account));
  const over = scope
    .map((a) => ({ a, d: idleDays(a, input.now) }))
    .filter(({ d }) => d === null || d > limit);
  return { snap, scope, over };
}

/** OBS-01: enabled accounts without a sign-in for more than `dormant_days`, minus the exempt ones. */
export const obs01: Check = {
  controlId: 'OBS-01',
  reads: ['identity'],
  async run(input) {
    const days = num(input.parameters, 'dormant_days');
    const exempt = list(input.parameters, 'dormancy_exempt_accounts');
    const { snap, scope, over } = await idle(input, days, exempt, false);
    return {
      status: over.length === 0 ? 'pass' : 'fail',
      reason:
        over.length === 0
          ? `all ${scope.length} enabled accounts signed in within ${days} days`
          : `${over.length} of ${scope.length} enabled accounts have not signed in for more than ${days} days`,
      observed: {
        enabledAccounts: scope.length,
        dormant: over.length,
        dormantAccounts: firstOf(over).map((o) => o.a.account),
      },
      expected: { dormantDays: days, dormancyExemptAccounts: exempt, enabledDormantAccounts: 0 },
      evidence: [
        ...importRef('identity', snap),
        ...firstOf(over).map((o) => ({ type: 'accounts' as const, summary: idleText(o.a, o.d) })),
      ],
      dataAt: snap.at,
      scope: scope.length,
    };
  },
};

/** AUT-03: MSP accounts idle beyond `msp_idle_days` are disabled. */
export const aut03: Check = {
  controlId: 'AUT-03',
  reads: ['identity'],
  async run(input) {
    const days = num(input.parameters, 'msp_idle_days');
    const { snap, scope, over } = await idle(input, days, [], true);
    return {
      status: over.length === 0 ? 'pass' : 'fail',
      reason:
        over.length === 0
          ? `all ${scope.length} enabled MSP accounts signed in within ${days} days`
          : `${over.length} of ${scope.length} enabled MSP accounts are idle beyond ${days} days and still enabled`,
      observed: {
        enabledMspAccounts: scope.length,
        idle: over.length,
        idleAccounts: firstOf(over).map((o) => o.a.account),
      },
      expected: { mspIdleDays: days, idleEnabledMspAccounts: 0 },
      evidence: [
        ...importRef('identity', snap),
        ...firstOf(over).map((o) => ({ type: 'accounts' as const, summary: idleText(o.a, o.d) })),
      ],
      dataAt: snap.at,
      scope: scope.length,
    };
  },
};

/** The accounts of `scope` whose MFA state falls short, and how many hold only a registration. */
function mfaCoverage(scope: AccountItem[]) {
  const without = scope.filter((a) => mfaState(a) === 'none');
  const registeredOnly = scope.filter((a) => mfaState(a) === 'registered');
  const covered = scope.length - without.length;
  return { without, registeredOnly, covered, ratio: scope.length ? covered / scope.length : null };
}

const mfaEvidence = (without: AccountItem[], registeredOnly: AccountItem[]): EvidenceRef[] => [
  ...firstOf(without).map((a) => ({
    type: 'accounts' as const,
    summary: `${a.account}: MFA not ${a.mfaEnforced === false ? 'enforced' : 'registered'}`,
  })),
  ...firstOf(registeredOnly).map((a) => ({
    type: 'accounts' as const,
    summary: `${a.account}: MFA registered (the export does not say whether it is enforced)`,
  })),
];

/** MFA-03: customer users (not MSP-owned, enabled) have MFA, except `mfa_exempt_accounts`. */
export const mfa03: Check = {
  controlId: 'MFA-03',
  reads: ['identity'],
  async run(input) {
    const exempt = list(input.parameters, 'mfa_exempt_accounts');
    const skip = nameSet(exempt);
    const snap = await snapshotOf<AccountItem>(input.db, input.customerOrgId, 'identity');
    const scope = snap.items.filter((a) => enabled(a) && !a.mspOwned && !skip.has(a.account));
    const { without, registeredOnly, covered } = mfaCoverage(scope);
    return {
      status: without.length === 0 ? 'pass' : 'fail',
      reason:
        without.length === 0
          ? `all ${scope.length} enabled customer users have MFA${registeredOnly.length ? ` (${registeredOnly.length} registered, enforcement not reported)` : ''}`
          : `${without.length} of ${scope.length} enabled customer users have no MFA`,
      observed: {
        users: scope.length,
        withMfa: covered,
        registeredOnly: registeredOnly.length,
        withoutMfa: without.length,
      },
      expected: { usersWithoutMfa: 0, mfaExemptAccounts: exempt },
      evidence: [...importRef('identity', snap), ...mfaEvidence(without, registeredOnly)],
      dataAt: snap.at,
      scope: scope.length,
    };
  },
};

/** MFA-01 from the identity inventory: the MSP-owned accounts have MFA at `msp_mfa_coverage`. */
async function mfa01Inventory(input: CheckInput): Promise<CheckOutcome> {
  const want = num(input.parameters, 'msp_mfa_coverage');
  const snap = await snapshotOf<AccountItem>(input.db, input.customerOrgId, 'identity');
  const scope = snap.items.filter((a) => enabled(a) && a.mspOwned);
  const { without, registeredOnly, covered, ratio } = mfaCoverage(scope);
  return {
    status: ratio !== null && ratio >= want ? 'pass' : 'fail',
    reason:
      scope.length === 0
        ? 'no enabled MSP account in the identity inventory'
        : `${covered} of ${scope.length} enabled MSP accounts have MFA${registeredOnly.length ? ` (${registeredOnly.length} registered only)` : ''}`,
    observed: {
      mspAccounts: scope.length,
      withMfa: covered,
      registeredOnly: registeredOnly.length,
      coverage: ratio,
    },
    expected: { mspMfaCoverage: want },
    evidence: [...importRef('identity', snap), ...mfaEvidence(without, registeredOnly)],
    dataAt: snap.at,
    scope: scope.length,
  };
}

/**
 * MFA-01: both the identity inventory (MSP-owned accounts have MFA) and the sign-ins (MSP sign-ins
 * used MFA) at `msp_mfa_coverage`. Either failing fails. Pass needs both to hold; with only one of
 * the two sources in scope, a holding half is `partial` (it cannot confirm the other). With neither,
 * nothing is in scope. `dataAt` is the older of the halves in scope.
 */
export const mfa01: Check = {
  controlId: 'MFA-01',
  reads: ['events', 'identity'],
  async run(input) {
    const inv = await mfa01Inventory(input);
    const sig = await mfa01SignIns.run(input);
    const present = [inv, sig].filter((h) => (h.scope ?? 0) > 0);
    const failing = present.filter((h) => h.status === 'fail');
    const status =
      failing.length > 0
        ? 'fail'
        : present.length === 2
          ? 'pass'
          : present.length === 1
            ? 'partial'
            : 'unknown';
    const missing =
      present.length === 1
        ? present[0] === inv
          ? 'no MSP sign-in with a known MFA state'
          : 'no MSP account in the identity inventory'
        : null;
    return {
      status,
      reason:
        present.length === 0
          ? `${inv.reason}; ${sig.reason}`
          : [
              `identity inventory: ${inv.reason}`,
              `sign-ins: ${sig.reason}`,
              missing ? `only one source in scope (${missing})` : '',
            ]
              .filter(Boolean)
              .join('; '),
      observed: { inventory: inv.observed, signIns: sig.observed, sourcesInScope: present.length },
      expected: inv.expected,
      evidence: [...inv.evidence, ...sig.evidence],
      dataAt:
        present.length === 2
          ? older(inv.dataAt, sig.dataAt)
          : present.length === 1
            ? present[0]!.dataAt
            : null,
      scope: (inv.scope ?? 0) + (sig.scope ?? 0),
    };
  },
};
