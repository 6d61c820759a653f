import { randomUUID } from 'node:crypto';
import {
  MFA_REQUIRED_ROLES,
  permissionsFor,
  type OrgKind,
  type Role,
  type MemberFunction,
} from '@accord/contracts';
import { AppError } from '../../platform/errors.ts';
import type { Config } from '../../platform/config.ts';
import type { RequestContext } from '../../platform/context.ts';
import { randomToken, seal, sha256Hex, unseal } from '../../platform/crypto.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { usersRepo } from '../users/users.repo.ts';
import { dummyHash, hashPassword, verifyPassword } from './password.ts';
import { IpThrottle } from './ip-throttle.ts';
import { matchTotp, newTotpSecret, otpauthUri } from './totp.ts';

export type SessionStatus = 'mfa_required' | 'mfa_enrollment_required' | 'authenticated';

export interface SessionView {
  status: SessionStatus;
  user: { id: string; email: string; name: string; mfaEnrolled: boolean };
  activeOrgId: string | null;
  memberships: {
    orgId: string;
    orgName: string;
    orgKind: OrgKind;
    role: Role;
    function: MemberFunction | null;
    expiresAt: string | null;
  }[];
  invitations: { orgId: string; orgName: string; orgKind: OrgKind; role: Role }[];
  csrfToken: string;
  expiresAt: string;
}

export interface ResolvedSession {
  idHash: string;
  view: SessionView;
  ctx: RequestContext | null;
}

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService({
  db,
  audit,
  config,
  secretKey,
}: {
  db: Db;
  audit: AuditService;
  config: Config;
  secretKey: Buffer;
}) {
  const ipThrottle = new IpThrottle(config.loginIpMaxFailures, config.loginLockoutMinutes * 60_000);
  const idleMs = config.sessionIdleMinutes * 60_000;
  const absoluteMs = config.sessionAbsoluteHours * 3_600_000;
  const tooMany = () =>
    new AppError('too_many_attempts', 'too many failed sign-in attempts; try again later');

  async function memberships(tx: Executor, userId: string): Promise<SessionView['memberships']> {
    const rows = await usersRepo.activeMemberships(tx, userId);
    return rows.map((r) => ({
      orgId: r.org_id,
      orgName: r.org_name,
      orgKind: r.org_kind,
      role: r.role as Role,
      function: r.function as MemberFunction | null,
      expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null,
    }));
  }

  async function registerFailure(userId: string | null, ip: string): Promise<void> {
    ipThrottle.fail(ip);
    if (!userId) return;
    const windowStart = new Date(Date.now() - config.loginLockoutMinutes * 60_000);
    await db.transaction().execute(async (tx) => {
      const u = await tx
        .selectFrom('users')
        .select(['failed_logins', 'last_failed_at'])
        .where('id', '=', userId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const inWindow = u.last_failed_at && new Date(u.last_failed_at) > windowStart ? u.failed_logins : 0;
      const failed = inWindow + 1;
      const lock = failed >= config.loginMaxFailures;
      await tx
        .updateTable('users')
        .set({
          failed_logins: lock ? 0 : failed,
          last_failed_at: new Date(),
          ...(lock ? { locked_until: new Date(Date.now() + config.loginLockoutMinutes * 60_000) } : {}),
        })
        .where('id', '=', userId)
        .execute();
    });
  }

  /** Checks a TOTP code (refusing a replayed step) or consumes a recovery code. */
  async function checkSecondFactor(
    tx: Executor,
    userId: string,
    sealedSecret: string,
    code: string,
  ): Promise<'totp' | 'recovery' | null> {
    const clean = code.replace(/[\s-]/g, '');
    if (/^\d{6}$/.test(clean)) {
      const step = matchTotp(unseal(secretKey, sealedSecret), clean);
      if (step === null) return null;
      const res = await tx
        .updateTable('users')
        .set({ totp_last_step: step })
        .where('id', '=', userId)
        .where('totp_last_step', '<', step)
        .executeTakeFirst();
      return res.numUpdatedRows > 0n ? 'totp' : null; // 0 rows: this step was already used (replay)
    }
    const res = await tx
      .updateTable('recovery_codes')
      .set({ used_at: new Date() })
      .where('user_id', '=', userId)
      .where('code_hash', '=', sha256Hex(clean.toLowerCase()))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return res.numUpdatedRows > 0n ? 'recovery' : null;
  }

  function contextFor(
    requestId: string,
    ip: string | null,
    user: { id: string; email: string },
    m: SessionView['memberships'][number] | undefined,
  ): RequestContext | null {
    if (!m) return null;
    return {
      requestId,
      actor: { kind: 'user', userId: user.id, tokenId: null, label: user.email },
      orgId: m.orgId,
      orgKind: m.orgKind,
      role: m.role,
      permissions: permissionsFor(m.role),
      ip,
    };
  }

  async function view(
    tx: Executor,
    s: {
      user_id: string;
      status: SessionStatus;
      active_org_id: string | null;
      csrf_token: string;
      expires_at: Date;
    },
    opts: { invitations: boolean } = { invitations: true },
  ): Promise<SessionView> {
    const user = (await usersRepo.byId(tx, s.user_id))!;
    const ms = await memberships(tx, user.id);
    const mfaEnrolled = user.totp_enabled_at !== null;
    // A role that needs MFA may arrive after sign-in (an accepted invitation, an operator's MFA
    // reset): the session then can only enrol, whatever it could do before.
    const status: SessionStatus =
      s.status === 'authenticated' && !mfaEnrolled && ms.some((m) => MFA_REQUIRED_ROLES.includes(m.role))
        ? 'mfa_enrollment_required'
        : s.status;
    const invitations = (opts.invitations ? await usersRepo.invitations(tx, user.id) : []).map((i) => ({
      orgId: i.org_id,
      orgName: i.org_name,
      orgKind: i.org_kind,
      role: i.role as Role,
    }));
    return {
      status,
      user: { id: user.id, email: user.email, name: user.name, mfaEnrolled },
      activeOrgId: s.active_org_id,
      memberships: ms,
      invitations,
      csrfToken: s.csrf_token,
      expiresAt: new Date(s.expires_at).toISOString(),
    };
  }

  /**
   * Password sign-in. Unknown e-mail and wrong password give the same answer after the same work.
   * A user with MFA must present a code (here or in a second step); a user whose role requires MFA
   * but who has not enrolled gets a session that can only enrol.
   */
  async function login(
    meta: { ip: string; userAgent: string | null; requestId: string },
    input: { email: string; password: string; code?: string | undefined },
  ): Promise<{ token: string; view: SessionView }> {
    if (ipThrottle.blocked(meta.ip)) throw tooMany();
    const user = await usersRepo.byEmail(db, input.email);
    const passwordOk = await verifyPassword(user?.password_hash ?? (await dummyHash()), input.password);
    if (user?.locked_until && new Date(user.locked_until) > new Date()) throw tooMany();
    if (!user || !passwordOk) {
      await registerFailure(user?.id ?? null, meta.ip);
      throw new AppError('invalid_credentials', 'the e-mail or password is wrong');
    }
    const ms = await memberships(db, user.id);
    let status: SessionStatus = 'authenticated';
    if (user.totp_secret_sealed) {
      status = 'mfa_required';
      if (input.code) {
        const ok = await checkSecondFactor(db, user.id, user.totp_secret_sealed, input.code);
        if (!ok) {
          await registerFailure(user.id, meta.ip);
          throw new AppError('invalid_mfa_code', 'the authentication code is wrong or was already used');
        }
        status = 'authenticated';
      }
    } else if (ms.some((m) => MFA_REQUIRED_ROLES.includes(m.role))) {
      status = 'mfa_enrollment_required';
    }
    const token = randomToken();
    const now = Date.now();
    const row = {
      id_hash: sha256Hex(token),
      user_id: user.id,
      active_org_id: ms[0]?.orgId ?? null,
      status,
      csrf_token: randomToken(24),
      ip: meta.ip,
      user_agent: meta.userAgent?.slice(0, 400) ?? null,
      expires_at: new Date(now + absoluteMs),
    };
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('sessions').values(row).execute();
      // Failures are cleared only once sign-in is complete (or, for mfa_required, in upgrade() after
      // the second factor). Clearing them on the password alone would let someone holding the
      // password guess TOTP codes for ever, resetting the lockout count between guesses.
      if (status !== 'mfa_required') {
        await tx
          .updateTable('users')
          .set({ failed_logins: 0, locked_until: null })
          .where('id', '=', user.id)
          .execute();
      }
      if (status === 'authenticated' && row.active_org_id) {
        const ctx = contextFor(meta.requestId, meta.ip, user, ms[0]);
        if (ctx)
          await audit.record(tx, ctx, {
            orgIds: [row.active_org_id],
            action: 'auth.signed_in',
            targetType: 'user',
            targetId: user.id,
          });
      }
    });
    return { token, view: await view(db, row) };
  }

  /** Looks up a session cookie; enforces revocation, absolute and idle expiry; slides idle expiry. */
  async function resolve(token: string, meta: { ip: string; requestId: string }): Promise<ResolvedSession> {
    const idHash = sha256Hex(token);
    const s = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    const now = Date.now();
    if (!s || s.revoked_at) throw new AppError('unauthenticated', 'sign in first');
    if (new Date(s.expires_at).getTime() <= now || new Date(s.last_seen_at).getTime() + idleMs <= now) {
      throw new AppError('session_expired', 'your session has expired; sign in again');
    }
    if (now - new Date(s.last_seen_at).getTime() > 30_000) {
      await db
        .updateTable('sessions')
        .set({ last_seen_at: new Date(now) })
        .where('id_hash', '=', idHash)
        .execute();
    }
    // Per request: no invitations (only the session answer shows them; see sessionView).
    const v = await view(db, s, { invitations: false });
    const m = v.memberships.find((x) => x.orgId === s.active_org_id);
    const ctx = v.status === 'authenticated' ? contextFor(meta.requestId, meta.ip, v.user, m) : null;
    return { idHash, view: v, ctx };
  }

  /** The whole session answer, invitations included (GET /auth/session and after answering one). */
  async function sessionView(idHash: string): Promise<SessionView> {
    return view(db, await loadSession(idHash));
  }

  async function loadSession(idHash: string) {
    return db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirstOrThrow();
  }

  async function verifyMfa(
    idHash: string,
    code: string,
    meta: { ip: string; requestId: string },
  ): Promise<SessionView> {
    if (ipThrottle.blocked(meta.ip)) throw tooMany();
    const s = await loadSession(idHash);
    if (s.status !== 'mfa_required')
      throw new AppError('invalid_state', 'this session is not waiting for an authentication code');
    const user = (await usersRepo.byId(db, s.user_id))!;
    if (user.locked_until && new Date(user.locked_until) > new Date()) throw tooMany();
    const ok = await checkSecondFactor(db, user.id, user.totp_secret_sealed!, code);
    if (!ok) {
      await registerFailure(user.id, meta.ip);
      throw new AppError('invalid_mfa_code', 'the authentication code is wrong or was already used');
    }
    return upgrade(s, user, meta, ok === 'recovery' ? 'auth.recovery_code_used' : 'auth.signed_in');
  }

  async function upgrade(
    s: { id_hash: string; active_org_id: string | null },
    user: { id: string; email: string },
    meta: { ip: string; requestId: string },
    action: string,
  ): Promise<SessionView> {
    return db.transaction().execute(async (tx) => {
      await tx
        .updateTable('sessions')
        .set({ status: 'authenticated', last_seen_at: new Date() })
        .where('id_hash', '=', s.id_hash)
        .execute();
      await tx.updateTable('users').set({ failed_logins: 0 }).where('id', '=', user.id).execute();
      const ms = await memberships(tx, user.id);
      const ctx = contextFor(
        meta.requestId,
        meta.ip,
        user,
        ms.find((m) => m.orgId === s.active_org_id),
      );
      if (ctx && s.active_org_id) {
        await audit.record(tx, ctx, {
          orgIds: [s.active_org_id],
          action,
          targetType: 'user',
          targetId: user.id,
        });
      }
      return view(
        tx,
        await tx
          .selectFrom('sessions')
          .selectAll()
          .where('id_hash', '=', s.id_hash)
          .executeTakeFirstOrThrow(),
      );
    });
  }

  /** Starts TOTP enrolment: a new secret, held pending until a code from it is confirmed. */
  async function startEnrollment(idHash: string): Promise<{ secret: string; otpauthUri: string }> {
    const s = await loadSession(idHash);
    const user = (await usersRepo.byId(db, s.user_id))!;
    if (s.status === 'mfa_required')
      throw new AppError('mfa_required', 'enter your authentication code first');
    if (user.totp_secret_sealed) throw new AppError('conflict', 'MFA is already enrolled for this account');
    const secret = newTotpSecret();
    await db
      .updateTable('users')
      .set({ totp_pending_sealed: seal(secretKey, secret) })
      .where('id', '=', user.id)
      .execute();
    return { secret, otpauthUri: otpauthUri(secret, user.email) };
  }

  /** Confirms enrolment with a first code; returns ten recovery codes, shown this once only. */
  async function confirmEnrollment(
    idHash: string,
    code: string,
    meta: { ip: string; requestId: string },
  ): Promise<{ recoveryCodes: string[]; view: SessionView }> {
    const s = await loadSession(idHash);
    const user = (await usersRepo.byId(db, s.user_id))!;
    if (!user.totp_pending_sealed) throw new AppError('invalid_state', 'start MFA enrolment first');
    const step = matchTotp(unseal(secretKey, user.totp_pending_sealed), code.trim());
    if (step === null) {
      await registerFailure(user.id, meta.ip);
      throw new AppError('invalid_mfa_code', 'the authentication code does not match the new secret');
    }
    const recoveryCodes = Array.from({ length: 10 }, () =>
      randomToken(10)
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 10)
        .padEnd(10, '0'),
    );
    await db.transaction().execute(async (tx) => {
      await tx
        .updateTable('users')
        .set({
          totp_secret_sealed: user.totp_pending_sealed,
          totp_pending_sealed: null,
          totp_enabled_at: new Date(),
          totp_last_step: step,
        })
        .where('id', '=', user.id)
        .execute();
      await tx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
      await tx
        .insertInto('recovery_codes')
        .values(recoveryCodes.map((c) => ({ user_id: user.id, code_hash: sha256Hex(c) })))
        .execute();
    });
    const v = await upgrade(s, user, meta, 'auth.mfa_enrolled');
    return { recoveryCodes, view: v };
  }

  async function logout(idHash: string): Promise<void> {
    await db.updateTable('sessions').set({ revoked_at: new Date() }).where('id_hash', '=', idHash).execute();
  }

  async function switchOrg(idHash: string, orgId: string): Promise<SessionView> {
    const s = await loadSession(idHash);
    const ms = await memberships(db, s.user_id);
    if (!ms.some((m) => m.orgId === orgId))
      throw new AppError('not_found', `organisation ${orgId} was not found`);
    await db.updateTable('sessions').set({ active_org_id: orgId }).where('id_hash', '=', idHash).execute();
    return view(db, { ...s, active_org_id: orgId });
  }

  async function changePassword(
    ctx: RequestContext,
    idHash: string,
    current: string,
    next: string,
  ): Promise<void> {
    const s = await loadSession(idHash);
    const user = (await usersRepo.byId(db, s.user_id))!;
    if (!(await verifyPassword(user.password_hash, current)))
      throw new AppError('invalid_credentials', 'the current password is wrong');
    const hash = await hashPassword(next);
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('users').set({ password_hash: hash }).where('id', '=', user.id).execute();
      // Every other session of the user ends: a changed password must lock out whoever had the old one.
      await tx
        .updateTable('sessions')
        .set({ revoked_at: new Date() })
        .where('user_id', '=', user.id)
        .where('id_hash', '<>', idHash)
        .execute();
      if (ctx.orgId)
        await audit.record(tx, ctx, {
          orgIds: [ctx.orgId],
          action: 'auth.password_changed',
          targetType: 'user',
          targetId: user.id,
        });
    });
  }

  /** Operator recovery (CLI): clears a user's MFA so they enrol again; audited in every org of theirs. */
  async function resetMfa(ctx: RequestContext, email: string): Promise<void> {
    if (ctx.actor.kind !== 'system') throw new AppError('forbidden', 'only an operator can reset MFA');
    const user = await usersRepo.byEmail(db, email);
    if (!user) throw new AppError('not_found', `user ${email} was not found`);
    await db.transaction().execute(async (tx) => {
      await tx
        .updateTable('users')
        .set({ totp_secret_sealed: null, totp_pending_sealed: null, totp_enabled_at: null })
        .where('id', '=', user.id)
        .execute();
      await tx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
      await tx
        .updateTable('sessions')
        .set({ revoked_at: new Date() })
        .where('user_id', '=', user.id)
        .execute();
      const orgIds = (await memberships(tx, user.id)).map((m) => m.orgId);
      if (orgIds.length)
        await audit.record(tx, ctx, {
          orgIds,
          action: 'auth.mfa_reset',
          targetType: 'user',
          targetId: user.id,
        });
    });
  }

  /** Enrols TOTP directly (demo seeding and operator tooling); returns the secret. */
  async function enrollDirect(tx: Executor, userId: string, secret = newTotpSecret()): Promise<string> {
    await tx
      .updateTable('users')
      .set({ totp_secret_sealed: seal(secretKey, secret), totp_enabled_at: new Date() })
      .where('id', '=', userId)
      .execute();
    return secret;
  }

  return {
    login,
    resolve,
    sessionView,
    verifyMfa,
    startEnrollment,
    confirmEnrollment,
    logout,
    switchOrg,
    changePassword,
    resetMfa,
    enrollDirect,
    newRequestId: () => randomUUID(),
  };
}
