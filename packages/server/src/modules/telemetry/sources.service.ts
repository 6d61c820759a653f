import { randomUUID } from 'node:crypto';
import type { SourceCategory, SourceKind } from '@accord/contracts';
import { AppError, notFound } from '../../platform/errors.ts';
import { requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import { randomToken, safeEqual, sha256Hex } from '../../platform/crypto.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import type { AuditService } from '../audit/audit.service.ts';

/**
 * Log sources. Each has its own ingest token `acs_<sourceId>_<secret>`, scoped to that one source of
 * that one tenant; only the SHA-256 of the secret is stored, and the token is shown once.
 */
export interface SourceRow {
  id: string;
  org_id: string;
  kind: SourceKind;
  name: string;
  expected_interval_minutes: number;
  utc_offset_minutes: number;
  mapping: unknown;
  categories: string[];
  created_at: Date;
  disabled_at: Date | null;
  last_received_at: Date | null;
  last_event_at: Date | null;
  /** The site the source monitors (LOG-02's monitored_sites); null when not set. */
  site?: string | null;
}
const COLUMNS = [
  'id',
  'org_id',
  'kind',
  'name',
  'expected_interval_minutes',
  'utc_offset_minutes',
  'mapping',
  'categories',
  'created_at',
  'disabled_at',
  'last_received_at',
  'last_event_at',
  'site',
] as const;
const TOKEN_RE = /^acs_([0-9a-f-]{36})_([A-Za-z0-9_-]{43})$/;

/** The categories a source of this kind stands for unless its owner says otherwise. */
export function defaultCategories(kind: SourceKind): SourceCategory[] {
  if (kind === 'entra_signin' || kind === 'okta_system_log') return ['identity_signin'];
  if (kind === 'windows_security') return ['directory_audit'];
  if (kind === 'linux_syslog') return ['server_auth'];
  if (kind === 'suricata_eve') return ['ids'];
  if (kind === 'netfilter' || kind === 'filterlog') return ['firewall'];
  if (kind === 'mde_alerts') return ['edr'];
  return [];
}

export function isSilent(s: SourceRow, now = Date.now()): boolean {
  const since = s.last_received_at ?? s.created_at;
  return !s.disabled_at && now - new Date(since).getTime() > s.expected_interval_minutes * 60_000;
}

export type SourcesService = ReturnType<typeof createSourcesService>;

export function createSourcesService({
  db,
  audit,
  validateMapping,
}: {
  db: Db;
  audit: AuditService;
  /** Checks a generic_json mapping; throws an AppError naming what is wrong. */
  validateMapping: (kind: SourceKind, mapping: unknown) => void;
}) {
  const get = async (tx: Executor, orgId: string, id: string) =>
    (await tx
      .selectFrom('log_sources')
      .select(COLUMNS)
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst()) as SourceRow | undefined;

  async function create(
    ctx: RequestContext,
    orgId: string,
    input: {
      kind: SourceKind;
      name: string;
      expectedIntervalMinutes: number;
      utcOffsetMinutes?: number;
      mapping?: unknown;
      categories?: SourceCategory[] | undefined;
      site?: string | undefined;
    },
  ): Promise<SourceRow & { ingestToken: string }> {
    await requireTenant(db, ctx, orgId, 'logs:manage');
    validateMapping(input.kind, input.mapping);
    const id = randomUUID();
    const secret = randomToken(32);
    return db.transaction().execute(async (tx) => {
      const clash = await tx
        .selectFrom('log_sources')
        .select('id')
        .where('org_id', '=', orgId)
        .where((eb) => eb(eb.fn('lower', ['name']), '=', input.name.toLowerCase()))
        .executeTakeFirst();
      if (clash) throw new AppError('conflict', `a log source named "${input.name}" already exists`);
      await tx
        .insertInto('log_sources')
        .values({
          id,
          org_id: orgId,
          kind: input.kind,
          name: input.name,
          expected_interval_minutes: input.expectedIntervalMinutes,
          utc_offset_minutes: input.utcOffsetMinutes ?? 0,
          mapping: input.mapping === undefined ? null : JSON.stringify(input.mapping),
          categories: JSON.stringify(input.categories ?? defaultCategories(input.kind)),
          token_hash: sha256Hex(secret),
          site: input.site ?? null,
        })
        .execute();
      const row = (await get(tx, orgId, id))!;
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'log_source.created',
        targetType: 'log_source',
        targetId: id,
        after: {
          kind: row.kind,
          name: row.name,
          expectedIntervalMinutes: row.expected_interval_minutes,
          ...(row.site ? { site: row.site } : {}),
        },
      });
      return { ...row, ingestToken: `acs_${id}_${secret}` };
    });
  }

  async function list(ctx: RequestContext, orgId: string): Promise<SourceRow[]> {
    await requireTenant(db, ctx, orgId, 'logs:read');
    return (await db
      .selectFrom('log_sources')
      .select(COLUMNS)
      .where('org_id', '=', orgId)
      .orderBy('name')
      .execute()) as SourceRow[];
  }

  async function one(ctx: RequestContext, orgId: string, id: string): Promise<SourceRow> {
    await requireTenant(db, ctx, orgId, 'logs:read');
    const s = await get(db, orgId, id);
    if (!s) throw notFound('log source', id);
    return s;
  }

  /** A new ingest token; the old one stops working at once. */
  async function rotateToken(
    ctx: RequestContext,
    orgId: string,
    id: string,
  ): Promise<SourceRow & { ingestToken: string }> {
    await requireTenant(db, ctx, orgId, 'logs:manage');
    const secret = randomToken(32);
    return db.transaction().execute(async (tx) => {
      const res = await tx
        .updateTable('log_sources')
        .set({ token_hash: sha256Hex(secret) })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (res.numUpdatedRows === 0n) throw notFound('log source', id);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'log_source.token_rotated',
        targetType: 'log_source',
        targetId: id,
      });
      return { ...(await get(tx, orgId, id))!, ingestToken: `acs_${id}_${secret}` };
    });
  }

  async function setDisabled(
    ctx: RequestContext,
    orgId: string,
    id: string,
    disabled: boolean,
  ): Promise<SourceRow> {
    await requireTenant(db, ctx, orgId, 'logs:manage');
    return db.transaction().execute(async (tx) => {
      const res = await tx
        .updateTable('log_sources')
        .set({ disabled_at: disabled ? new Date() : null })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (res.numUpdatedRows === 0n) throw notFound('log source', id);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: disabled ? 'log_source.disabled' : 'log_source.enabled',
        targetType: 'log_source',
        targetId: id,
      });
      return (await get(tx, orgId, id))!;
    });
  }

  /** Sets what a source stands for in agreements (LOG-01/LOG-02 required log sources). */
  async function setCategories(
    ctx: RequestContext,
    orgId: string,
    id: string,
    categories: SourceCategory[],
  ): Promise<SourceRow> {
    await requireTenant(db, ctx, orgId, 'logs:manage');
    return db.transaction().execute(async (tx) => {
      const before = await get(tx, orgId, id);
      if (!before) throw notFound('log source', id);
      await tx
        .updateTable('log_sources')
        .set({ categories: JSON.stringify(categories) })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .execute();
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'log_source.categories_set',
        targetType: 'log_source',
        targetId: id,
        before: { categories: before.categories },
        after: { categories },
      });
      return (await get(tx, orgId, id))!;
    });
  }

  /** Sets (or clears, with null) the site a source monitors (LOG-02 monitored_sites). */
  async function setSite(
    ctx: RequestContext,
    orgId: string,
    id: string,
    site: string | null,
  ): Promise<SourceRow> {
    await requireTenant(db, ctx, orgId, 'logs:manage');
    return db.transaction().execute(async (tx) => {
      const before = await get(tx, orgId, id);
      if (!before) throw notFound('log source', id);
      await tx
        .updateTable('log_sources')
        .set({ site })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .execute();
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'log_source.site_set',
        targetType: 'log_source',
        targetId: id,
        before: { site: before.site ?? null },
        after: { site },
      });
      return (await get(tx, orgId, id))!;
    });
  }

  /** The source an ingest token belongs to, or a 401 that does not say which part was wrong. */
  async function authenticateIngest(token: string): Promise<SourceRow> {
    const m = TOKEN_RE.exec(token);
    const bad = () => new AppError('unauthenticated', 'the ingest token is not valid');
    if (!m) throw bad();
    const row = await db
      .selectFrom('log_sources')
      .select([...COLUMNS, 'token_hash'])
      .where('id', '=', m[1]!)
      .executeTakeFirst();
    if (!row || !safeEqual(row.token_hash, sha256Hex(m[2]!))) throw bad();
    if (row.disabled_at) throw new AppError('forbidden', `log source ${row.id} is disabled`);
    const { token_hash: _unused, ...source } = row;
    return source as SourceRow;
  }

  return { create, list, one, rotateToken, setDisabled, setCategories, setSite, authenticateIngest };
}
