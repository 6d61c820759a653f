import type { AgreementContent, Permission } from '@accord/contracts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import { requirePermission } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Executor } from '../../platform/db/db.ts';
import { agreementsRepo, type AgreementRow } from '../agreements/agreements.repo.ts';
import type { Party } from '../agreements/agreements.service.ts';

export type AgreedControl = AgreementContent['controls'][number];

export interface ControlAccess {
  agreement: AgreementRow;
  /** The caller's side; null for the system. */
  party: Party | null;
  /** The caller's organisation filter for repos (null for the system). */
  scope: string | null;
  /** The control as the governing version states it (active version first, else the open one). */
  control: AgreedControl;
  parties: { msp_org_id: string; customer_org_id: string };
}

export const DAY_MS = 86_400_000;

/**
 * Loads an agreement the caller is a party to and one of its controls, after checking the
 * permission. Another organisation's agreement, or a control the agreement does not have, is 404.
 * Writes (`write`) also need the agreement to be in force or being drafted, and not ended, and are
 * made by a member of one of the parties; `lock` locks the agreement row for the transaction.
 */
export async function controlAccess(
  tx: Executor,
  ctx: RequestContext,
  agreementId: string,
  controlId: string,
  permission: Permission,
  opts: { write?: boolean; lock?: boolean } = {},
): Promise<ControlAccess> {
  requirePermission(ctx, permission);
  const scope = ctx.actor.kind === 'system' ? null : ctx.orgId;
  const agreement = await agreementsRepo.get(tx, scope, agreementId, opts.lock ?? false);
  if (!agreement) throw notFound('agreement', agreementId);
  const party: Party | null = scope === null ? null : ctx.orgId === agreement.msp_org_id ? 'msp' : 'customer';
  const versions = await agreementsRepo.versions(tx, [agreement.id]);
  const active = versions.find((v) => v.state === 'active');
  const open = versions.find((v) => v.state === 'draft' || v.state === 'proposed');
  const find = (c: AgreementContent | undefined) => c?.controls.find((x) => x.controlId === controlId);
  let control: AgreedControl | undefined;
  if (opts.write) {
    if (agreement.ended_at)
      throw invalidState(`agreement ${agreement.id} has ended with the MSP relationship; it is read-only`);
    if (!active && !open)
      throw invalidState(`agreement ${agreement.id} is neither in force nor being drafted`);
    if (!ctx.orgId || party === null)
      throw new AppError('forbidden', 'evidence and attestations are made by a member of one of the parties');
    control = find(active?.content) ?? find(open?.content);
  } else {
    // Reads also reach controls an amendment has since dropped: their evidence stays readable.
    control = find(active?.content) ?? find(open?.content);
    for (const v of [...versions].reverse()) control ??= find(v.content);
  }
  if (!control) throw notFound(`control ${controlId} in agreement`, agreementId);
  return {
    agreement,
    party,
    scope,
    control,
    parties: { msp_org_id: agreement.msp_org_id, customer_org_id: agreement.customer_org_id },
  };
}

/** A date from the API (YYYY-MM-DD is midnight UTC). */
export function parseDate(s: string): Date {
  return new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
}

/** Whole days from `at` until `expires` (negative once past); null when it does not expire. */
export function daysUntil(expires: Date | null, at: Date): number | null {
  if (!expires) return null;
  return Math.floor((expires.getTime() - at.getTime()) / DAY_MS);
}
