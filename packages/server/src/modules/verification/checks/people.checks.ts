import type { AccountItem, RosterItem } from '@accord/contracts';
import type { Check, CheckInput, EvidenceRef } from '../check.types.ts';
import { firstOf, importRef, ms, older, type Snapshot } from './inventory-data.ts';
import { runSnapshot } from './run-memo.ts';
import { num } from './params.ts';

/**
 * Checks joining the staff rosters (docs/imports.md, kind `roster`) to the customer's identity
 * inventory: the customer's own roster, and the MSP's, imported into the MSP's organisation and
 * read once per MSP per run.
 */
const lower = (s: string) => s.trim().toLowerCase();
const mspRoster = (input: CheckInput) => runSnapshot<RosterItem>(input, input.mspOrgId, 'roster');

/** The older collection time of the snapshots that exist (a result resting on them is as old). */
const oldestOf = (snaps: Snapshot<unknown>[]) =>
  snaps.filter((s) => s.at).reduce<Date | null>((a, s) => (a ? older(a, s.at) : s.at), null);

/**
 * OBS-02: every person of the customer's or the MSP's roster who left more than
 * `leaver_disable_hours` ago has none of their accounts enabled in the customer's identity
 * inventory. Scope: those leavers; `dataAt` the oldest of the identity import and the rosters.
 */
export const obs02: Check = {
  controlId: 'OBS-02',
  reads: ['identity', 'roster'],
  async run(input) {
    const hours = num(input.parameters, 'leaver_disable_hours');
    const identity = await runSnapshot<AccountItem>(input, input.customerOrgId, 'identity');
    const own = await runSnapshot<RosterItem>(input, input.customerOrgId, 'roster');
    const msp = await mspRoster(input);
    const cutoff = input.now.getTime() - hours * 3_600_000;
    const leavers = [
      ...own.items.map((p) => ({ p, of: 'customer' })),
      ...msp.items.map((p) => ({ p, of: 'MSP' })),
    ].filter(({ p }) => p.leftAt && ms(p.leftAt)! <= cutoff);
    const enabled = new Map(
      identity.items.filter((a) => a.enabled !== false).map((a) => [lower(a.account), a.account]),
    );
    const open = leavers
      .map((l) => ({ ...l, still: l.p.accounts.filter((a) => enabled.has(lower(a))) }))
      .filter((l) => l.still.length > 0);
    const rosters = [own, msp].filter((s) => s.at);
    const evidence: EvidenceRef[] = [
      ...importRef('identity', identity),
      ...importRef('roster', own),
      ...(msp.importId
        ? [{ ...importRef('roster', msp)[0]!, summary: `MSP ${importRef('roster', msp)[0]!.summary}` }]
        : []),
      ...firstOf(open).map((l) => ({
        type: 'accounts' as const,
        summary: `${l.p.person} (${l.of}) left ${l.p.leftAt!.slice(0, 10)}; still enabled: ${l.still.join(', ')}`,
      })),
    ];
    return {
      status: open.length === 0 ? 'pass' : 'fail',
      reason:
        rosters.length === 0
          ? 'neither the customer nor the MSP has imported a staff roster'
          : !identity.at
            ? "the customer's identity inventory has not been imported"
            : open.length === 0
              ? `none of the ${leavers.length} leavers has an enabled account ${hours} h after leaving`
              : `${open.length} of ${leavers.length} leavers still have enabled accounts more than ${hours} h after leaving`,
      observed: {
        leavers: leavers.length,
        withEnabledAccounts: open.length,
        people: firstOf(open).map((l) => l.p.person),
      },
      expected: { leaverDisableHours: hours, leaversWithEnabledAccounts: 0 },
      evidence,
      dataAt: identity.at && rosters.length ? older(identity.at, oldestOf(rosters)) : null,
      scope: identity.at ? leavers.length : 0,
    };
  },
};

/**
 * AUT-04: every enabled MSP-owned account of the customer's identity inventory belongs to exactly
 * one person or registered workload of the MSP's roster. An account nobody claims, or one listed
 * for two entries (a shared login), fails.
 */
export const aut04: Check = {
  controlId: 'AUT-04',
  reads: ['identity', 'roster'],
  async run(input) {
    const identity = await runSnapshot<AccountItem>(input, input.customerOrgId, 'identity');
    const roster = await mspRoster(input);
    const owners = new Map<string, RosterItem[]>();
    for (const p of roster.items)
      for (const a of p.accounts) owners.set(lower(a), [...(owners.get(lower(a)) ?? []), p]);
    const scope = identity.items.filter((a) => a.enabled !== false && a.mspOwned);
    const unmapped = scope.filter((a) => !owners.has(lower(a.account)));
    const shared = scope.filter((a) => (owners.get(lower(a.account))?.length ?? 0) > 1);
    const bad = unmapped.length + shared.length;
    return {
      status: bad === 0 ? 'pass' : 'fail',
      reason: !roster.at
        ? 'the MSP has not imported its staff roster'
        : bad === 0
          ? `all ${scope.length} enabled MSP accounts belong to one named person or workload`
          : [
              unmapped.length ? `${unmapped.length} MSP account(s) belong to nobody in the MSP's roster` : '',
              shared.length ? `${shared.length} MSP account(s) are shared by several roster entries` : '',
            ]
              .filter(Boolean)
              .join('; '),
      observed: {
        mspAccounts: scope.length,
        unmapped: firstOf(unmapped).map((a) => a.account),
        shared: firstOf(shared).map((a) => a.account),
      },
      expected: { mspAccountsNotMappedToPersonOrWorkload: 0 },
      evidence: [
        ...importRef('identity', identity),
        ...(roster.importId
          ? [
              {
                ...importRef('roster', roster)[0]!,
                summary: `MSP ${importRef('roster', roster)[0]!.summary}`,
              },
            ]
          : []),
        ...firstOf(unmapped).map((a) => ({
          type: 'accounts' as const,
          summary: `${a.account}: in no roster entry`,
        })),
        ...firstOf(shared).map((a) => ({
          type: 'accounts' as const,
          summary: `${a.account}: listed for ${owners
            .get(lower(a.account))!
            .map((p) => p.person)
            .join(' and ')}`,
        })),
      ],
      dataAt: older(identity.at, roster.at),
      scope: scope.length,
    };
  },
};
