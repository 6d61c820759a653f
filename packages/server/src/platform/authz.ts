import type { Permission } from '@accord/contracts';
import { AppError, notFound } from './errors.ts';
import type { RequestContext } from './context.ts';
import type { Executor } from './db/db.ts';

export function requirePermission(ctx: RequestContext, permission: Permission): void {
  if (!ctx.permissions.has(permission)) {
    throw new AppError('forbidden', `your role does not allow ${permission}`);
  }
}

export type TenantAccess = 'system' | 'own' | 'managed';

/**
 * Decides whether the caller may act on organisation `orgId` with `permission`.
 * - own organisation: allowed when the role has the permission;
 * - an MSP acting on a customer: allowed only while their relationship is *active*
 *   (and never for auditors, whose access is to their own organisation only);
 * - anything else answers 404 as if the organisation did not exist.
 */
export async function requireTenant(
  db: Executor,
  ctx: RequestContext,
  orgId: string,
  permission: Permission,
): Promise<TenantAccess> {
  requirePermission(ctx, permission);
  if (ctx.actor.kind === 'system') return 'system';
  if (ctx.orgId === orgId) return 'own';
  if (
    ctx.orgKind === 'msp' &&
    ctx.orgId &&
    ctx.role !== 'auditor' &&
    (await managesCustomer(db, ctx.orgId, orgId))
  ) {
    return 'managed';
  }
  throw notFound('organisation', orgId);
}

export async function managesCustomer(
  db: Executor,
  mspOrgId: string,
  customerOrgId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('relationships')
    .select('id')
    .where('msp_org_id', '=', mspOrgId)
    .where('customer_org_id', '=', customerOrgId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return row !== undefined;
}

/** Only the caller's own organisation (not customers it manages): for membership, token and key changes. */
export function requireOwnOrg(ctx: RequestContext, orgId: string, permission: Permission): void {
  requirePermission(ctx, permission);
  if (ctx.actor.kind === 'system') return;
  if (ctx.orgId !== orgId) throw notFound('organisation', orgId);
}
