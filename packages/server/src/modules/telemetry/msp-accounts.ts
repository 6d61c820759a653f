import type { Db } from '../../platform/db/db.ts';
import type { EventRow } from './event-row.ts';

/**
 * Which accounts in a tenant's logs belong to the MSP. The parties say so in their agreement
 * (control LOG-05: `msp_account_upn_suffixes`, `msp_account_names` and `msp_account_groups`, whose
 * members come from the tenant's directory groups); the rules of every active
 * agreement the tenant is a party to apply. Resolved per tenant and cached briefly, because ingest
 * asks once per batch and an agreement change may take up to a minute to apply.
 */
export interface MspAccountRules {
  suffixes: string[];
  names: Set<string>;
}

const TTL_MS = 60_000;

export function matchesMsp(rules: MspAccountRules, e: Pick<EventRow, 'user' | 'userDomain'>): boolean {
  if (!e.user) return false;
  const user = e.user.toLowerCase();
  const domain = e.userDomain?.toLowerCase() ?? null;
  // DOMAIN\name and name@domain are both common; compare the bare name and the qualified forms.
  const bare = user.includes('\\') ? user.slice(user.lastIndexOf('\\') + 1) : user;
  if (rules.names.has(user) || rules.names.has(bare) || (domain && rules.names.has(`${domain}\\${bare}`)))
    return true;
  for (const s of rules.suffixes) {
    if (user.endsWith(`@${s}`) || domain === s || user.startsWith(`${s}\\`)) return true;
  }
  return false;
}

export function createMspAccountResolver(
  db: Db,
  /** The lower-case members of a tenant's named directory groups. */
  groupMembers: (orgId: string, groups: string[]) => Promise<Set<string>> = async () => new Set(),
) {
  const cache = new Map<string, { at: number; rules: MspAccountRules }>();

  async function rulesFor(orgId: string, now = Date.now()): Promise<MspAccountRules> {
    const hit = cache.get(orgId);
    if (hit && now - hit.at < TTL_MS) return hit.rules;
    const rows = await db
      .selectFrom('agreement_versions')
      .select('content')
      .where('state', '=', 'active')
      .where((eb) => eb.or([eb('customer_org_id', '=', orgId), eb('msp_org_id', '=', orgId)]))
      .execute();
    const suffixes = new Set<string>();
    const names = new Set<string>();
    const groups = new Set<string>();
    for (const r of rows) {
      const content = (typeof r.content === 'string' ? JSON.parse(r.content) : r.content) as {
        controls: { controlId: string; parameters: Record<string, unknown> }[];
      };
      const log05 = content.controls.find((c) => c.controlId === 'LOG-05');
      for (const s of (log05?.parameters.msp_account_upn_suffixes as string[] | undefined) ?? []) {
        suffixes.add(s.trim().toLowerCase().replace(/^@/, ''));
      }
      for (const n of (log05?.parameters.msp_account_names as string[] | undefined) ?? [])
        names.add(n.trim().toLowerCase());
      for (const g of (log05?.parameters.msp_account_groups as string[] | undefined) ?? [])
        if (g.trim()) groups.add(g.trim().toLowerCase());
    }
    // A group's members are MSP accounts as much as the listed names are.
    for (const m of await groupMembers(orgId, [...groups])) names.add(m);
    const rules = { suffixes: [...suffixes].filter(Boolean), names };
    cache.set(orgId, { at: now, rules });
    return rules;
  }

  /** Forgets a tenant's rules (an agreement of theirs became active, its groups changed). */
  const forget = (orgId: string) => cache.delete(orgId);

  return { rulesFor, forget };
}
export type MspAccountResolver = ReturnType<typeof createMspAccountResolver>;
