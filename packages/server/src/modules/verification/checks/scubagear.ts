import { sql } from 'kysely';
import type { ScubaControlItem } from '@accord/contracts';
import type { Check } from '../check.types.ts';

/**
 * Adds the tenant's ScubaGear policy results that map to the check's control (their
 * `accordControls`) to its evidence. They inform the reader; they do not change the status.
 */
export function withScubaGear(check: Check): Check {
  return {
    controlId: check.controlId,
    reads: [...new Set([...check.reads, 'scubagear' as const])],
    async run(input) {
      const out = await check.run(input);
      const rows = await input.db
        .selectFrom('inventory_items')
        .select(['data', 'import_id'])
        .where('org_id', '=', input.customerOrgId)
        .where('kind', '=', 'scubagear')
        .where(sql<boolean>`data->'accordControls' @> ${JSON.stringify([check.controlId])}::jsonb`)
        .orderBy('item_key')
        .limit(20)
        .execute();
      if (rows.length === 0) return out;
      return {
        ...out,
        evidence: [
          ...out.evidence,
          ...rows.map((r) => {
            const p = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as ScubaControlItem;
            return {
              type: 'import' as const,
              id: r.import_id,
              summary: `ScubaGear ${p.controlId}: ${p.result}${p.requirement ? ` (${p.requirement.slice(0, 120)})` : ''}`,
            };
          }),
        ],
      };
    },
  };
}
