import type { Permission } from '@accord/contracts';
import { requireTenant, type TenantAccess } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Executor } from '../../platform/db/db.ts';
import { AppError, notFound } from '../../platform/errors.ts';

export interface RegisterAccess {
  access: TenantAccess;
  org: { id: string; kind: 'msp' | 'customer'; name: string };
}

/**
 * Who reaches an organisation's supplier register: its own members (with the permission), and its
 * MSPs while their relationship is active, for reading only. A customer's supplier risk is the
 * customer's own: an MSP reads the register (it is one of the suppliers in it) but does not change
 * it (403). Anyone else gets 404, as for an organisation that does not exist.
 */
export async function registerAccess(
  db: Executor,
  ctx: RequestContext,
  orgId: string,
  permission: Permission,
  { write = false }: { write?: boolean } = {},
): Promise<RegisterAccess> {
  const access = await requireTenant(db, ctx, orgId, permission);
  if (write && access === 'managed')
    throw new AppError(
      'forbidden',
      `the supplier register of organisation ${orgId} is kept by its own members; its MSP can read it`,
    );
  const org = await db
    .selectFrom('orgs')
    .select(['id', 'kind', 'name'])
    .where('id', '=', orgId)
    .executeTakeFirst();
  if (!org) throw notFound('organisation', orgId);
  return { access, org };
}
