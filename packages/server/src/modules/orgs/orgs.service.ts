import { randomUUID } from 'node:crypto';
import type { OrgKind } from '@accord/contracts';
import { AppError, notFound, invalidState } from '../../platform/errors.ts';
import { requireOwnOrg, requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/db.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { prepareMember, type UsersService } from '../users/users.service.ts';
import { orgsRepo, type OrgRow, type RelationshipView } from './orgs.repo.ts';

export type OrgsService = ReturnType<typeof createOrgsService>;

export function createOrgsService({
  db,
  audit,
  users,
}: {
  db: Db;
  audit: AuditService;
  users: UsersService;
}) {
  const requireSystem = (ctx: RequestContext) => {
    if (ctx.actor.kind !== 'system')
      throw new AppError('forbidden', 'organisations are created by an operator (accord org create)');
  };

  /** Operator-only (CLI): creating a top-level organisation. */
  async function create(ctx: RequestContext, input: { name: string; kind: OrgKind }): Promise<OrgRow> {
    requireSystem(ctx);
    return db.transaction().execute(async (tx) => {
      const org = await orgsRepo.insert(tx, { id: randomUUID(), ...input });
      await audit.record(tx, ctx, {
        orgIds: [org.id],
        action: 'org.created',
        targetType: 'org',
        targetId: org.id,
        after: org,
      });
      return org;
    });
  }

  async function get(ctx: RequestContext, orgId: string): Promise<OrgRow> {
    await requireTenant(db, ctx, orgId, 'org:read');
    const org = await orgsRepo.get(db, orgId);
    if (!org) throw notFound('organisation', orgId);
    return org;
  }

  async function listAllForOperator(ctx: RequestContext): Promise<OrgRow[]> {
    requireSystem(ctx);
    return orgsRepo.listAll(db);
  }

  /**
   * An MSP onboards a new customer: the customer organisation, its first customer_admin and an
   * invitation. The MSP has no access until the customer's admin accepts the invitation.
   */
  async function createCustomer(
    ctx: RequestContext,
    input: { name: string; admin: { email: string; name: string; password: string } },
  ): Promise<{ org: OrgRow; relationship: RelationshipView }> {
    const mspOrgId = requireMsp(ctx);
    const admin = await prepareMember({ ...input.admin, role: 'customer_admin' });
    return db.transaction().execute(async (tx) => {
      const org = await orgsRepo.insert(tx, { id: randomUUID(), name: input.name, kind: 'customer' });
      const relId = randomUUID();
      await orgsRepo.insertRelationship(tx, {
        id: relId,
        msp_org_id: mspOrgId,
        customer_org_id: org.id,
        status: 'invited',
      });
      await users.addMemberTx(tx, ctx, org, admin);
      const relationship = (await orgsRepo.getRelationshipById(tx, relId))!;
      await audit.record(tx, ctx, {
        orgIds: [org.id, mspOrgId],
        action: 'customer.onboarded',
        targetType: 'relationship',
        targetId: relId,
        after: relationship,
      });
      return { org, relationship };
    });
  }

  function requireMsp(ctx: RequestContext): string {
    requireOwnOrg(ctx, ctx.orgId ?? '', 'relationships:manage');
    if (ctx.orgKind !== 'msp' || !ctx.orgId) throw new AppError('forbidden', 'only an MSP can do this');
    return ctx.orgId;
  }

  /** An MSP invites an existing customer organisation (a customer may have several MSPs). */
  async function invite(ctx: RequestContext, customerOrgId: string): Promise<RelationshipView> {
    return openRelationship(ctx, requireMsp(ctx), customerOrgId, 'invited');
  }

  /** Operator link (CLI/demo): an MSP and a customer, optionally active at once. */
  async function link(
    ctx: RequestContext,
    mspOrgId: string,
    customerOrgId: string,
    activate: boolean,
  ): Promise<RelationshipView> {
    requireSystem(ctx);
    const msp = await orgsRepo.get(db, mspOrgId);
    if (!msp || msp.kind !== 'msp') throw notFound('MSP organisation', mspOrgId);
    return openRelationship(ctx, mspOrgId, customerOrgId, activate ? 'active' : 'invited');
  }

  async function openRelationship(
    ctx: RequestContext,
    mspOrgId: string,
    customerOrgId: string,
    status: 'invited' | 'active',
  ): Promise<RelationshipView> {
    return db.transaction().execute(async (tx) => {
      const customer = await orgsRepo.get(tx, customerOrgId);
      if (!customer || customer.kind !== 'customer') throw notFound('customer organisation', customerOrgId);
      if (await orgsRepo.openRelationship(tx, mspOrgId, customerOrgId)) {
        throw new AppError('conflict', `a relationship with ${customerOrgId} is already open`);
      }
      const id = randomUUID();
      await orgsRepo.insertRelationship(tx, {
        id,
        msp_org_id: mspOrgId,
        customer_org_id: customerOrgId,
        status,
      });
      const rel = (await orgsRepo.getRelationshipById(tx, id))!;
      await audit.record(tx, ctx, {
        orgIds: [mspOrgId, customerOrgId],
        action: status === 'active' ? 'relationship.linked' : 'relationship.invited',
        targetType: 'relationship',
        targetId: id,
        after: rel,
      });
      return rel;
    });
  }

  async function listRelationships(ctx: RequestContext, orgId: string): Promise<RelationshipView[]> {
    requireOwnOrg(ctx, orgId, 'org:read');
    return orgsRepo.listRelationships(db, orgId);
  }

  async function accept(ctx: RequestContext, relationshipId: string): Promise<RelationshipView> {
    return transition(ctx, relationshipId, 'accept');
  }
  async function end(ctx: RequestContext, relationshipId: string): Promise<RelationshipView> {
    return transition(ctx, relationshipId, 'end');
  }

  async function transition(
    ctx: RequestContext,
    relationshipId: string,
    op: 'accept' | 'end',
  ): Promise<RelationshipView> {
    requireOwnOrg(ctx, ctx.orgId ?? '', 'relationships:manage');
    const orgId = ctx.orgId!;
    return db.transaction().execute(async (tx) => {
      const rel = await orgsRepo.getRelationship(tx, orgId, relationshipId, true);
      if (!rel) throw notFound('relationship', relationshipId);
      if (op === 'accept') {
        if (rel.customer_org_id !== orgId)
          throw new AppError('forbidden', 'only the customer accepts an invitation');
        if (rel.status !== 'invited')
          throw invalidState(`relationship ${relationshipId} is ${rel.status}, not invited`);
        await orgsRepo.setRelationshipStatus(tx, rel.id, 'active');
      } else {
        if (rel.status === 'ended') throw invalidState(`relationship ${relationshipId} has already ended`);
        await orgsRepo.setRelationshipStatus(tx, rel.id, 'ended');
        // Agreements between the two end with the relationship; the customer keeps them read-only.
        await tx
          .updateTable('agreements')
          .set({ ended_at: new Date(), updated_at: new Date() })
          .where('msp_org_id', '=', rel.msp_org_id)
          .where('customer_org_id', '=', rel.customer_org_id)
          .where('ended_at', 'is', null)
          .execute();
      }
      const after = (await orgsRepo.getRelationshipById(tx, rel.id))!;
      await audit.record(tx, ctx, {
        orgIds: [rel.msp_org_id, rel.customer_org_id],
        action: op === 'accept' ? 'relationship.activated' : 'relationship.ended',
        targetType: 'relationship',
        targetId: rel.id,
        before: rel,
        after,
      });
      return after;
    });
  }

  return { create, get, listAllForOperator, createCustomer, invite, link, listRelationships, accept, end };
}
