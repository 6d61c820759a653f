import { randomUUID } from 'node:crypto';
import { ROLE_ORG_KINDS, type MemberFunction, type Role } from '@accord/contracts';
import { AppError, notFound } from '../../platform/errors.ts';
import { requireOwnOrg, requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { hashPassword } from '../auth/password.ts';
import { usersRepo, type MemberRow } from './users.repo.ts';

export interface NewMember {
  email: string;
  name: string;
  role: Role;
  function?: MemberFunction | undefined;
  expiresAt?: string | undefined;
  password?: string | undefined;
  /** Set by `prepare`: the argon2id hash, computed before any transaction opens. */
  passwordHash?: string | undefined;
}

/**
 * Hashes the initial password outside the transaction: argon2id takes tens of milliseconds, and on
 * the embedded database an open transaction holds the only connection.
 */
export async function prepareMember(m: NewMember): Promise<NewMember> {
  return m.password && !m.passwordHash ? { ...m, passwordHash: await hashPassword(m.password) } : m;
}

export type UsersService = ReturnType<typeof createUsersService>;

export function createUsersService({ db, audit }: { db: Db; audit: AuditService }) {
  /** Adds a membership (creating the user when the e-mail is new) inside the caller's transaction. */
  async function addMemberTx(
    tx: Executor,
    ctx: RequestContext,
    org: { id: string; kind: 'msp' | 'customer' },
    m: NewMember,
  ): Promise<MemberRow> {
    if (!ROLE_ORG_KINDS[m.role].includes(org.kind)) {
      throw new AppError(
        'validation_failed',
        `role ${m.role} cannot be granted in a ${org.kind} organisation`,
      );
    }
    if (m.role === 'auditor' && !m.expiresAt)
      throw new AppError('validation_failed', 'auditor access needs an expiry');
    if (m.expiresAt && new Date(m.expiresAt) <= new Date()) {
      throw new AppError('validation_failed', 'expiresAt must be in the future');
    }
    let user = await usersRepo.byEmail(tx, m.email);
    // An existing account is invited, not linked: its owner accepts (or declines) after signing in.
    // The operator (CLI) is trusted to link directly.
    const status = user && ctx.actor.kind !== 'system' ? 'invited' : 'active';
    if (!user) {
      if (!m.passwordHash)
        throw new AppError('validation_failed', `${m.email} has no account yet: give an initial password`);
      const id = randomUUID();
      await usersRepo.insert(tx, {
        id,
        email: m.email,
        name: m.name,
        password_hash: m.passwordHash,
      });
      user = (await usersRepo.byId(tx, id))!;
    }
    if (await usersRepo.member(tx, org.id, user.id)) {
      throw new AppError('conflict', `${m.email} is already a member of this organisation`);
    }
    await usersRepo.insertMembership(tx, {
      user_id: user.id,
      org_id: org.id,
      role: m.role,
      function: m.function ?? null,
      expires_at: m.expiresAt ?? null,
      status,
      invited_by: status === 'invited' ? ctx.actor.userId : null,
    });
    const member = (await usersRepo.member(tx, org.id, user.id))!;
    await audit.record(tx, ctx, {
      orgIds: [org.id],
      action: status === 'invited' ? 'member.invited' : 'member.added',
      targetType: 'user',
      targetId: user.id,
      after: {
        email: member.email,
        role: member.role,
        function: member.function,
        expiresAt: member.expires_at,
      },
    });
    return member;
  }

  async function addMember(ctx: RequestContext, orgId: string, m: NewMember): Promise<MemberRow> {
    requireOwnOrg(ctx, orgId, 'users:manage');
    const prepared = await prepareMember(m);
    return db.transaction().execute(async (tx) => {
      const org = await tx
        .selectFrom('orgs')
        .select(['id', 'kind'])
        .where('id', '=', orgId)
        .executeTakeFirst();
      if (!org) throw notFound('organisation', orgId);
      return addMemberTx(tx, ctx, org, prepared);
    });
  }

  async function listMembers(ctx: RequestContext, orgId: string): Promise<MemberRow[]> {
    await requireTenant(db, ctx, orgId, 'users:read');
    return usersRepo.members(db, orgId);
  }

  async function removeMember(ctx: RequestContext, orgId: string, userId: string): Promise<void> {
    requireOwnOrg(ctx, orgId, 'users:manage');
    await db.transaction().execute(async (tx) => {
      const member = await usersRepo.member(tx, orgId, userId);
      if (!member) throw notFound('member', userId);
      if (
        (member.role === 'msp_admin' || member.role === 'customer_admin') &&
        (await usersRepo.countAdmins(tx, orgId)) <= 1
      ) {
        throw new AppError('invalid_state', 'the last admin of an organisation cannot be removed');
      }
      await usersRepo.deleteMembership(tx, orgId, userId);
      // API tokens the member created for this organisation stop working with them.
      const revoked = await tx
        .updateTable('api_tokens')
        .set({ revoked_at: new Date() })
        .where('org_id', '=', orgId)
        .where('created_by', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'member.removed',
        targetType: 'user',
        targetId: userId,
        before: { email: member.email, role: member.role },
        details: { tokensRevoked: Number(revoked.numUpdatedRows) },
      });
    });
  }

  /** The invited user answers an invitation to `orgId` (their own account only). */
  async function answerInvitation(
    who: { userId: string; email: string; ip: string | null; requestId: string },
    orgId: string,
    accept: boolean,
  ): Promise<void> {
    await db.transaction().execute(async (tx) => {
      const m = await usersRepo.member(tx, orgId, who.userId);
      if (!m || m.status !== 'invited') throw notFound('invitation to organisation', orgId);
      if (accept) await usersRepo.setMembershipStatus(tx, orgId, who.userId, 'active');
      else await usersRepo.deleteMembership(tx, orgId, who.userId);
      const ctx: RequestContext = {
        requestId: who.requestId,
        actor: { kind: 'user', userId: who.userId, tokenId: null, label: who.email },
        orgId,
        orgKind: null,
        role: null,
        permissions: new Set(),
        ip: who.ip,
      };
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: accept ? 'member.invitation_accepted' : 'member.invitation_declined',
        targetType: 'user',
        targetId: who.userId,
        details: { role: m.role },
      });
    });
  }

  return { addMemberTx, addMember, listMembers, removeMember, answerInvitation };
}
