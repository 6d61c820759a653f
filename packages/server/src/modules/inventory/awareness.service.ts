import type { PhishingCampaign, PhishingItem } from '@accord/contracts';
import { requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/db.ts';
import { latestImport } from './kev.service.ts';
import { campaignRates } from './parsers/awareness.parsers.ts';

/** Reads over the phishing-simulation snapshot: each campaign's click and report rates, oldest first. */
export type AwarenessService = ReturnType<typeof createAwarenessService>;

export function createAwarenessService({ db }: { db: Db }) {
  async function campaigns(
    ctx: RequestContext,
    orgId: string,
  ): Promise<{ campaigns: PhishingCampaign[]; importId: string | null; importedAt: string | null }> {
    await requireTenant(db, ctx, orgId, 'inventory:read');
    const latest = await latestImport(db, orgId, 'phishing');
    const rows = await db
      .selectFrom('inventory_items')
      .select('data')
      .where('org_id', '=', orgId)
      .where('kind', '=', 'phishing')
      .execute();
    const items = rows.map((r) => (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as PhishingItem);
    return {
      campaigns: campaignRates(items),
      importId: latest?.id ?? null,
      importedAt: latest ? latest.at.toISOString() : null,
    };
  }
  return { campaigns };
}
