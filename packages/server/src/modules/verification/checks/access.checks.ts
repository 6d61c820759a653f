import { sql } from 'kysely';
import { parseCidr } from '../../../platform/net.ts';
import type { Check, CheckInput } from '../check.types.ts';
import { DAY_MS, lastDelivery, list, num } from './params.ts';

/** How far back the sign-in checks look. */
export const SIGNIN_WINDOW_DAYS = 30;

const since = (now: Date, d = SIGNIN_WINDOW_DAYS) => new Date(now.getTime() - d * DAY_MS);

/**
 * MFA-01 from sign-ins: the MSP accounts' successful sign-ins into the customer used MFA. One half
 * of MFA-01; identity.checks.ts combines it with the identity inventory.
 */
export const mfa01SignIns: Check = {
  controlId: 'MFA-01',
  reads: ['events'],
  async run(input) {
    const want = num(input.parameters, 'msp_mfa_coverage');
    const rows = await input.db
      .selectFrom('events')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.count<number>(eb.case().when('mfa_used', '=', true).then(1).end()).as('with_mfa'),
      ])
      .where('org_id', '=', input.customerOrgId)
      .where('time', '>=', since(input.now))
      .where('is_msp', '=', true)
      .where('class', '=', 'authentication')
      .where('outcome', '=', 'success')
      .where('mfa_used', 'is not', null)
      .executeTakeFirstOrThrow();
    const without = await input.db
      .selectFrom('events')
      .select((eb) => ['username', eb.fn.countAll<number>().as('n')])
      .where('org_id', '=', input.customerOrgId)
      .where('time', '>=', since(input.now))
      .where('is_msp', '=', true)
      .where('class', '=', 'authentication')
      .where('outcome', '=', 'success')
      .where('mfa_used', '=', false)
      .groupBy('username')
      .orderBy('username')
      .limit(20)
      .execute();
    const n = Number(rows.n);
    const ratio = n === 0 ? null : Number(rows.with_mfa) / n;
    return {
      status: ratio !== null && ratio >= want ? 'pass' : 'fail',
      reason:
        n === 0
          ? `no MSP sign-in with a known MFA state in ${SIGNIN_WINDOW_DAYS} days`
          : `${Number(rows.with_mfa)} of ${n} MSP sign-ins in ${SIGNIN_WINDOW_DAYS} days used MFA`,
      observed: { mspSignIns: n, withMfa: Number(rows.with_mfa), coverage: ratio },
      expected: { mspMfaCoverage: want },
      evidence: without.map((w) => ({
        type: 'events' as const,
        summary: `${w.username ?? '(no name)'}: ${Number(w.n)} sign-in(s) without MFA`,
      })),
      dataAt: await lastDelivery(input.db, input.customerOrgId),
      scope: n,
    };
  },
};

/** NET-02: MSP accounts arrive only from the agreed networks. */
export const net02: Check = {
  controlId: 'NET-02',
  reads: ['events'],
  async run(input) {
    const agreed = list(input.parameters, 'msp_source_networks');
    const nets = agreed.map((c) => parseCidr(c));
    const rows = await input.db
      .selectFrom('events')
      .select((eb) => ['src_ip', eb.fn.countAll<number>().as('n')])
      .where('org_id', '=', input.customerOrgId)
      .where('time', '>=', since(input.now, 7))
      .where('is_msp', '=', true)
      .where('class', '=', 'authentication')
      .where('outcome', '=', 'success')
      .where('src_ip', 'is not', null)
      .groupBy('src_ip')
      .execute();
    const outside = rows.filter((r) => !nets.some((c) => c.contains(r.src_ip!)));
    const total = rows.reduce((a, r) => a + Number(r.n), 0);
    const bad = outside.reduce((a, r) => a + Number(r.n), 0);
    if (nets.length === 0)
      return {
        status: 'unknown',
        reason: 'the agreement lists no MSP source networks (msp_source_networks)',
        observed: { mspSignIns: total },
        expected: { mspSourceNetworks: agreed },
        evidence: [],
        dataAt: await lastDelivery(input.db, input.customerOrgId),
        scope: total,
      };
    return {
      status: bad === 0 ? 'pass' : 'fail',
      reason:
        bad === 0
          ? `all ${total} MSP sign-ins in 7 days came from the agreed networks`
          : `${bad} of ${total} MSP sign-ins in 7 days came from ${outside.length} address(es) outside the agreed networks`,
      observed: {
        mspSignIns: total,
        outside: bad,
        outsideAddresses: outside.map((r) => r.src_ip).slice(0, 20),
      },
      expected: { mspSourceNetworks: agreed },
      evidence: outside.slice(0, 20).map((r) => ({
        type: 'events' as const,
        summary: `${Number(r.n)} MSP sign-in(s) from ${r.src_ip}`,
      })),
      dataAt: await lastDelivery(input.db, input.customerOrgId),
      scope: total,
    };
  },
};

/**
 * NET-04: no MSP account signs in to this customer and to another customer of the same MSP (the
 * other customers are counted, never named).
 */
/** MSP account -> the customers of the MSP where it signed in: one read per MSP per evaluation. */
type AccountUse = Map<string, Set<string>>;
const accountUse = new Map<string, Promise<AccountUse>>();

/**
 * Every MSP account's sign-ins across the MSP's active customers in the window, read once for all
 * the MSP's agreements evaluated at the same instant (a run shares its `now`), so a portfolio costs
 * one query per MSP, not one per customer pair.
 */
function mspAccountUse(input: CheckInput, from: Date): Promise<AccountUse> {
  const key = `${input.mspOrgId}|${input.now.getTime()}`;
  let hit = accountUse.get(key);
  if (!hit) {
    if (accountUse.size > 64) accountUse.clear();
    hit = input.db
      .selectFrom('events')
      .select([sql<string>`lower(username)`.as('account'), 'org_id'])
      .distinct()
      .where(
        'org_id',
        'in',
        input.db
          .selectFrom('relationships')
          .select('customer_org_id')
          .where('msp_org_id', '=', input.mspOrgId)
          .where('status', '=', 'active'),
      )
      .where('time', '>=', from)
      .where('is_msp', '=', true)
      .where('class', '=', 'authentication')
      .where('username', 'is not', null)
      .execute()
      .then((rows) => {
        const m: AccountUse = new Map();
        for (const r of rows) {
          const orgs = m.get(r.account) ?? m.set(r.account, new Set()).get(r.account)!;
          orgs.add(r.org_id);
        }
        return m;
      });
    // A failed read is not remembered: the next evaluation tries again.
    hit.catch(() => accountUse.delete(key));
    accountUse.set(key, hit);
  }
  return hit;
}

/**
 * NET-04: no MSP account signs in to this customer and to another customer of the same MSP (the
 * other customers are counted, never named).
 */
export const net04: Check = {
  controlId: 'NET-04',
  reads: ['events'],
  async run(input) {
    const use = await mspAccountUse(input, since(input.now));
    const accounts = [...use.entries()]
      .filter(([, orgs]) => orgs.has(input.customerOrgId))
      .map(([account, orgs]) => ({ account, others: orgs.size - 1 }))
      .sort((a, b) => (a.account < b.account ? -1 : 1));
    const dataAt = await lastDelivery(input.db, input.customerOrgId);
    if (accounts.length === 0)
      return {
        status: 'unknown',
        reason: `no MSP account signed in within ${SIGNIN_WINDOW_DAYS} days`,
        observed: { mspAccounts: 0 },
        expected: { reusedAcrossCustomers: 0 },
        evidence: [],
        dataAt,
        scope: 0,
      };
    const reused = accounts.filter((a) => a.others > 0);
    return {
      status: reused.length === 0 ? 'pass' : 'fail',
      reason:
        reused.length === 0
          ? `none of the ${accounts.length} MSP accounts seen here signs in to another customer`
          : `${reused.length} of the ${accounts.length} MSP accounts seen here also sign in to other customers`,
      observed: { mspAccounts: accounts.length, reused: reused.length },
      expected: { reusedAcrossCustomers: 0 },
      evidence: reused.slice(0, 20).map((r) => ({
        type: 'accounts' as const,
        summary: `${r.account}: also used at ${r.others} other customer(s)`,
      })),
      dataAt,
      scope: accounts.length,
    };
  },
};
