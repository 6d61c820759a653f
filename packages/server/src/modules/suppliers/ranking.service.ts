import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/db.ts';
import { rank, registerState } from './register-state.ts';
import { registerAccess } from './suppliers-access.ts';

export type RankingService = ReturnType<typeof createRankingService>;

/** The prioritised view of an organisation's suppliers (register-state.ts says how it is ordered). */
export function createRankingService({ db }: { db: Db }) {
  async function ranking(ctx: RequestContext, orgId: string, now = new Date()) {
    await registerAccess(db, ctx, orgId, 'suppliers:read');
    const state = await registerState(db, orgId, now);
    return rank(state.suppliers, now);
  }
  return { ranking };
}
