import { randomUUID } from 'node:crypto';
import type { OrgKind, Permission } from '@accord/contracts';
import { AppError, notFound } from '../../platform/errors.ts';
import { requireOwnOrg } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import { randomToken, safeEqual, sha256Hex } from '../../platform/crypto.ts';
import type { Db } from '../../platform/db/db.ts';
import type { AuditService } from '../audit/audit.service.ts';

/**
 * API tokens: `acc_<id>_<secret>`. Only the SHA-256 of the 256-bit secret is stored (a fast hash is
 * enough for a random secret of that size); the token is shown once, at creation.
 */
export interface TokenRow {
  id: string;
  org_id: string;
  name: string;
  scopes: Permission[];
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = [
  'id',
  'org_id',
  'name',
  'scopes',
  'created_at',
  'expires_at',
  'revoked_at',
  'last_used_at',
] as const;
const TOKEN_RE = /^acc_([0-9a-f-]{36})_([A-Za-z0-9_-]{43})$/;

export type TokensService = ReturnType<typeof createTokensService>;

export function createTokensService({ db, audit }: { db: Db; audit: AuditService }) {
  async function create(
    ctx: RequestContext,
    input: { name: string; scopes: Permission[]; expiresInDays: number },
  ): Promise<TokenRow & { token: string }> {
    const orgId = ctx.orgId ?? '';
    requireOwnOrg(ctx, orgId, 'tokens:manage');
    const beyond = input.scopes.filter((s) => !ctx.permissions.has(s));
    if (beyond.length)
      throw new AppError('forbidden', `a token cannot have scopes you do not hold: ${beyond.join(', ')}`);
    if (ctx.actor.kind === 'token') throw new AppError('forbidden', 'an API token cannot create tokens');
    const id = randomUUID();
    const secret = randomToken(32);
    return db.transaction().execute(async (tx) => {
      const row = (await tx
        .insertInto('api_tokens')
        .values({
          id,
          org_id: orgId,
          name: input.name,
          secret_hash: sha256Hex(secret),
          scopes: JSON.stringify([...new Set(input.scopes)].sort()),
          created_by: ctx.actor.userId,
          expires_at: new Date(Date.now() + input.expiresInDays * 86_400_000),
        })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow()) as TokenRow;
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'token.created',
        targetType: 'api_token',
        targetId: id,
        after: { name: row.name, scopes: row.scopes, expiresAt: row.expires_at },
      });
      return { ...row, token: `acc_${id}_${secret}` };
    });
  }

  async function list(ctx: RequestContext): Promise<TokenRow[]> {
    const orgId = ctx.orgId ?? '';
    requireOwnOrg(ctx, orgId, 'tokens:manage');
    return (await db
      .selectFrom('api_tokens')
      .select(COLUMNS)
      .where('org_id', '=', orgId)
      .orderBy('created_at')
      .execute()) as TokenRow[];
  }

  async function revoke(ctx: RequestContext, id: string): Promise<TokenRow> {
    const orgId = ctx.orgId ?? '';
    requireOwnOrg(ctx, orgId, 'tokens:manage');
    return db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('api_tokens')
        .select(COLUMNS)
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw notFound('API token', id);
      if (row.revoked_at) return row as TokenRow;
      const after = (await tx
        .updateTable('api_tokens')
        .set({ revoked_at: new Date() })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .returning(COLUMNS)
        .executeTakeFirstOrThrow()) as TokenRow;
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'token.revoked',
        targetType: 'api_token',
        targetId: id,
      });
      return after;
    });
  }

  /** Authenticates a bearer token into a request context with exactly the token's scopes. */
  async function authenticate(
    token: string,
    meta: { ip: string; requestId: string },
  ): Promise<RequestContext> {
    const m = TOKEN_RE.exec(token);
    if (!m) throw new AppError('unauthenticated', 'the API token is malformed');
    const [, id, secret] = m as unknown as [string, string, string];
    const row = await db
      .selectFrom('api_tokens as t')
      .innerJoin('orgs as o', 'o.id', 't.org_id')
      .select([
        't.id',
        't.org_id',
        't.name',
        't.secret_hash',
        't.scopes',
        't.expires_at',
        't.revoked_at',
        't.last_used_at',
        'o.kind',
      ])
      .where('t.id', '=', id)
      .executeTakeFirst();
    if (!row || !safeEqual(row.secret_hash, sha256Hex(secret)))
      throw new AppError('unauthenticated', 'the API token is not valid');
    if (row.revoked_at) throw new AppError('token_revoked', `API token ${id} has been revoked`);
    if (new Date(row.expires_at) <= new Date())
      throw new AppError('token_expired', `API token ${id} has expired`);
    if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > 60_000) {
      await db.updateTable('api_tokens').set({ last_used_at: new Date() }).where('id', '=', id).execute();
    }
    return {
      requestId: meta.requestId,
      actor: { kind: 'token', userId: null, tokenId: row.id, label: `token ${row.name}` },
      orgId: row.org_id,
      orgKind: row.kind as OrgKind,
      role: null,
      permissions: new Set(row.scopes as unknown as Permission[]),
      ip: meta.ip,
    };
  }

  return { create, list, revoke, authenticate };
}
