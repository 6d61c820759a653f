import type { Permission } from '@accord/contracts';
import { requireTenant, type TenantAccess } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { isoOrNull } from '../../platform/http/mappers.ts';
import type { AuditService } from '../audit/audit.service.ts';

/**
 * What the incident-response services share: the tenant check, the people a plan, incident or
 * exercise may name, the append-only timeline, the audit entry and the activity marker that makes
 * verification re-run the controls reading these records.
 */
export interface IrDeps {
  db: Db;
  audit: AuditService;
}

export interface Person {
  userId: string;
  orgId: string;
  name: string;
  email: string;
}

export async function irTenant(
  db: Executor,
  ctx: RequestContext,
  orgId: string,
  permission: Permission,
): Promise<TenantAccess> {
  return requireTenant(db, ctx, orgId, permission);
}

/**
 * The organisations whose members may be named in `orgId`'s records: the organisation itself and,
 * for a customer, every MSP with an ACTIVE relationship to it (people from both parties).
 */
export async function partyOrgs(db: Executor, orgId: string): Promise<string[]> {
  const msps = await db
    .selectFrom('relationships')
    .select('msp_org_id')
    .where('customer_org_id', '=', orgId)
    .where('status', '=', 'active')
    .orderBy('msp_org_id')
    .execute();
  return [orgId, ...msps.map((m) => m.msp_org_id)];
}

/**
 * The current members (active, unexpired memberships) among `userIds` of the organisation or its
 * MSPs. A person who is a member of several of them is counted for the organisation itself first.
 */
export async function peopleOf(
  db: Executor,
  orgId: string,
  userIds: string[],
  now = new Date(),
): Promise<Map<string, Person>> {
  const ids = [...new Set(userIds)];
  const out = new Map<string, Person>();
  if (ids.length === 0) return out;
  const orgs = await partyOrgs(db, orgId);
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'm.org_id', 'u.name', 'u.email', 'm.expires_at'])
    .where('m.user_id', 'in', ids)
    .where('m.org_id', 'in', orgs)
    .where('m.status', '=', 'active')
    .execute();
  const rank = (o: string) => orgs.indexOf(o);
  for (const r of rows.sort((a, b) => rank(a.org_id) - rank(b.org_id))) {
    if (r.expires_at && new Date(r.expires_at).getTime() <= now.getTime()) continue;
    if (!out.has(r.user_id))
      out.set(r.user_id, { userId: r.user_id, orgId: r.org_id, name: r.name, email: r.email });
  }
  return out;
}

/** Like peopleOf, but every id must resolve: an unknown person is a 400 naming where it was used. */
export async function requirePeople(
  db: Executor,
  orgId: string,
  refs: { userId: string; where: string }[],
): Promise<Map<string, Person>> {
  const people = await peopleOf(
    db,
    orgId,
    refs.map((r) => r.userId),
  );
  const unknown = refs.filter((r) => !people.has(r.userId));
  if (unknown.length)
    throw new AppError(
      'bad_request',
      `${unknown.map((u) => `${u.where}: user ${u.userId}`).join('; ')} is not a current member of organisation ${orgId} or of an MSP working for it`,
      { unknownPeople: unknown },
    );
  return people;
}

export type SubjectType = 'incident' | 'exercise';

/** Appends one entry to an incident's or exercise's timeline (inside the caller's transaction). */
export async function appendTimeline(
  tx: Executor,
  ctx: RequestContext,
  e: {
    orgId: string;
    subjectType: SubjectType;
    subjectId: string;
    kind: string;
    text: string;
    details?: Record<string, unknown>;
    at?: Date;
  },
): Promise<void> {
  await tx
    .insertInto('ir_timeline')
    .values({
      org_id: e.orgId,
      subject_type: e.subjectType,
      subject_id: e.subjectId,
      at: e.at ?? new Date(),
      actor_org_id: ctx.orgId,
      actor_user_id: ctx.actor.userId,
      actor_label: ctx.actor.label,
      kind: e.kind,
      text: e.text,
      details: JSON.stringify(e.details ?? {}),
    })
    .execute();
}

export async function readTimeline(db: Executor, orgId: string, subjectType: SubjectType, subjectId: string) {
  const rows = await db
    .selectFrom('ir_timeline')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('subject_type', '=', subjectType)
    .where('subject_id', '=', subjectId)
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: isoOrNull(r.at)!,
    actor: { orgId: r.actor_org_id, userId: r.actor_user_id, label: r.actor_label },
    kind: r.kind,
    text: r.text,
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>,
  }));
}

export type IrKind = 'ir_plans' | 'exercises' | 'incidents' | 'ir_actions';

/** Marks that `orgId`'s records of `kind` changed: verification re-runs the controls reading them. */
export async function touch(tx: Executor, orgId: string, kind: IrKind, at = new Date()): Promise<void> {
  await tx
    .insertInto('ir_activity')
    .values({ org_id: orgId, kind, changed_at: at })
    .onConflict((oc) => oc.columns(['org_id', 'kind']).doUpdateSet({ changed_at: at }))
    .execute();
}

/** The audit entry of an IR change: in the tenant's trail and, when another party acted, in its own. */
export async function auditIr(
  audit: AuditService,
  tx: Executor,
  ctx: RequestContext,
  orgId: string,
  e: {
    action: string;
    targetType: string;
    targetId: string;
    before?: unknown;
    after?: unknown;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  await audit.record(tx, ctx, {
    orgIds: ctx.orgId && ctx.orgId !== orgId ? [orgId, ctx.orgId] : [orgId],
    ...e,
  });
}

/** Today's date (UTC) as YYYY-MM-DD. */
export const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/** A time sent by a client may not be in the future (a little clock skew is allowed). */
export function notInFuture(at: Date, field: string, now = new Date()): void {
  if (at.getTime() > now.getTime() + 5 * 60_000)
    throw new AppError('bad_request', `${field} ${at.toISOString()} is in the future`);
}
