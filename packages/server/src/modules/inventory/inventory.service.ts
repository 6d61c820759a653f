import { randomUUID } from 'node:crypto';
import { sql, type Expression, type SqlBool } from 'kysely';
import {
  IMPORT_FORMATS,
  IMPORT_MAX_BYTES,
  type AccountItem,
  type PhishingItem,
  type ImportKind,
  type ImportResult,
  type ImportSummary,
  type Rejection,
} from '@accord/contracts';
import { requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { matchesMsp, type MspAccountResolver } from '../telemetry/msp-accounts.ts';
import { readUpload } from './upload.ts';
import { parseIdentity } from './parsers/identity.parser.ts';
import { parseScuba } from './parsers/scubagear.parser.ts';
import { isTabular, parseTabular } from './parsers/tabular.parsers.ts';
import { parseAppLocker } from './parsers/applocker.parser.ts';
import type { Parsed } from './parsers/parser.types.ts';
import { parsePhishing, parseTraining } from './parsers/awareness.parsers.ts';

/**
 * Inventory imports: a file is parsed (bad rows rejected with line and reason), then, in one
 * transaction, recorded in `imports` (SHA-256, who, when, counts: the evidence of the import) and
 * made the tenant's snapshot of its kind, replacing the previous one. A file that cannot be read
 * at all, or whose every row is rejected, is refused (400) and changes nothing.
 */
export interface ImportRequest {
  body: AsyncIterable<Buffer | string>;
  contentType?: string;
  contentEncoding?: string;
  format?: string;
  filename?: string;
  maxBytes?: number;
}

export type InventoryService = ReturnType<typeof createInventoryService>;
type ImportRow = {
  id: string;
  org_id: string;
  kind: string;
  format: string;
  mode: 'replace' | 'merge';
  filename: string | null;
  sha256: string;
  bytes: string | number | bigint;
  accepted: number;
  rejected: number;
  rejections: unknown;
  actor_label: string;
  created_at: Date;
};
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

export const toSummary = (r: ImportRow): ImportSummary => ({
  id: r.id,
  orgId: r.org_id,
  kind: r.kind as ImportKind,
  format: r.format,
  mode: r.mode,
  filename: r.filename,
  sha256: r.sha256,
  bytes: Number(r.bytes),
  accepted: r.accepted,
  rejected: r.rejected,
  importedBy: r.actor_label,
  importedAt: new Date(r.created_at).toISOString(),
});

/** JSON or CSV, from ?format= first, then Content-Type. */
function bodyType(kind: ImportKind, format: string | undefined, contentType: string | undefined) {
  if (format !== undefined && !IMPORT_FORMATS[kind].includes(format))
    throw new AppError(
      'bad_request',
      `the ${kind} import does not take format ${format}: use ${IMPORT_FORMATS[kind].join(', ')}`,
    );
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const isJson = type === 'application/json' || type.endsWith('+json');
  const isCsv = type === 'text/csv' || type === 'application/csv';
  if (format === 'csv' && !isJson) return 'csv';
  if (format !== undefined && format !== 'csv' && !isCsv) return 'json';
  if (isJson && IMPORT_FORMATS[kind].some((f) => f !== 'csv')) return 'json';
  if (isCsv && IMPORT_FORMATS[kind].includes('csv')) return 'csv';
  throw new AppError(
    'bad_request',
    `unsupported Content-Type ${type || '(none)'} for the ${kind} import: send ${[
      IMPORT_FORMATS[kind].includes('csv') ? 'text/csv' : null,
      IMPORT_FORMATS[kind].some((f) => f !== 'csv') ? 'application/json' : null,
    ]
      .filter(Boolean)
      .join(' or ')}${format ? ` for format ${format}` : ''}`,
  );
}

/** Application-control policies are XML (AppLocker); the format names the product. */
function xmlType(format: string | undefined, contentType: string | undefined): 'xml' {
  if (format !== undefined && !IMPORT_FORMATS.app_control.includes(format))
    throw new AppError(
      'bad_request',
      `the app_control import does not take format ${format}: use ${IMPORT_FORMATS.app_control.join(', ')}`,
    );
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml')) return 'xml';
  throw new AppError(
    'bad_request',
    `unsupported Content-Type ${type || '(none)'} for the app_control import: send application/xml (an AppLocker policy export)`,
  );
}

export function createInventoryService({
  db,
  audit,
  mspAccounts,
}: {
  db: Db;
  audit: AuditService;
  mspAccounts: MspAccountResolver;
}) {
  async function snapshot<T>(orgId: string, kind: ImportKind): Promise<Map<string, T>> {
    const rows = await db
      .selectFrom('inventory_items')
      .select(['item_key', 'data'])
      .where('org_id', '=', orgId)
      .where('kind', '=', kind)
      .execute();
    return new Map(rows.map((r) => [r.item_key, json<T>(r.data)]));
  }

  async function parse(orgId: string, kind: ImportKind, req: ImportRequest) {
    // app_control files are XML; every other kind is CSV or JSON.
    const type =
      kind === 'app_control'
        ? xmlType(req.format, req.contentType)
        : bodyType(kind, req.format, req.contentType);
    const tabular = type as 'csv' | 'json';
    const upload = readUpload(req.body, {
      encoding: req.contentEncoding,
      maxBytes: req.maxBytes ?? IMPORT_MAX_BYTES,
    });
    let parsed: Parsed;
    if (kind === 'identity') {
      const rules = await mspAccounts.rulesFor(orgId);
      parsed = await parseIdentity(upload, tabular, req.format, {
        previous: await snapshot<AccountItem>(orgId, 'identity'),
        isMspAccount: (account) => matchesMsp(rules, { user: account, userDomain: null }),
      });
    } else if (kind === 'scubagear') parsed = await parseScuba(upload);
    else if (kind === 'training') parsed = await parseTraining(upload);
    else if (kind === 'phishing')
      parsed = await parsePhishing(upload, await snapshot<PhishingItem>(orgId, 'phishing'));
    else if (kind === 'app_control') parsed = await parseAppLocker(upload);
    else if (isTabular(kind)) parsed = await parseTabular(kind, upload, tabular);
    else throw new AppError('bad_request', `unknown import kind ${kind}`);
    await drain(upload.chunks); // a reader may stop early; the digest needs the whole file
    return { parsed, ...upload.digest() };
  }

  /** Imports one file as the tenant's new snapshot of `kind`. Needs inventory:manage. */
  async function importFile(
    ctx: RequestContext,
    orgId: string,
    kind: ImportKind,
    req: ImportRequest,
  ): Promise<ImportResult> {
    await requireTenant(db, ctx, orgId, 'inventory:manage');
    const { parsed, sha256, bytes } = await parse(orgId, kind, req);
    const items = [...parsed.items];
    const accepted = parsed.accepted ?? parsed.items.size;
    if (accepted === 0 && parsed.rejected > 0)
      throw new AppError(
        'bad_request',
        `no row of the ${kind} file could be read (${parsed.rejected} rejected); nothing was changed`,
        { rejections: parsed.rejections },
      );
    const id = randomUUID();
    const now = new Date();
    const row = {
      id,
      org_id: orgId,
      kind,
      format: parsed.format,
      mode: parsed.mode,
      filename: req.filename ?? null,
      sha256,
      bytes,
      accepted,
      rejected: parsed.rejected,
      rejections: JSON.stringify(parsed.rejections),
      actor_label: ctx.actor.label,
      actor_user_id: ctx.actor.userId,
      actor_token_id: ctx.actor.tokenId,
      created_at: now,
    };
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('imports').values(row).execute();
      await tx.deleteFrom('inventory_items').where('org_id', '=', orgId).where('kind', '=', kind).execute();
      for (let i = 0; i < items.length; i += 500)
        await tx
          .insertInto('inventory_items')
          .values(
            items.slice(i, i + 500).map(([key, data]) => ({
              org_id: orgId,
              kind,
              item_key: key,
              data: JSON.stringify(data),
              import_id: id,
            })),
          )
          .execute();
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'inventory.imported',
        targetType: 'import',
        targetId: id,
        details: {
          kind,
          format: parsed.format,
          mode: parsed.mode,
          sha256,
          accepted,
          rejected: parsed.rejected,
        },
      });
    });
    return {
      ...toSummary({ ...row, rejections: parsed.rejections }),
      rejections: parsed.rejections,
      rejectionsTruncated: parsed.rejections.length < parsed.rejected,
    };
  }

  /** The tenant's imports, newest first. */
  async function history(
    ctx: RequestContext,
    orgId: string,
    q: { kind?: ImportKind; cursor?: string; limit: number },
  ) {
    await requireTenant(db, ctx, orgId, 'inventory:read');
    let query = db.selectFrom('imports').selectAll().where('org_id', '=', orgId);
    if (q.kind) query = query.where('kind', '=', q.kind);
    if (q.cursor) {
      const [at, cid] = decodeCursor(q.cursor).split('|');
      if (!at || !cid || Number.isNaN(Date.parse(at))) throw badCursor();
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', new Date(at)),
          eb.and([eb('created_at', '=', new Date(at)), eb('id', '<', cid)]),
        ]),
      );
    }
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const more = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => ({ ...toSummary(r), rejections: json<Rejection[]>(r.rejections) })),
      nextCursor: more && last ? encodeCursor(`${new Date(last.created_at).toISOString()}|${last.id}`) : null,
    };
  }

  /**
   * One page of a snapshot in item-key order. `filters` are conditions on the stored item
   * (`data`), built by the caller from validated query values only.
   */
  async function list<T>(
    ctx: RequestContext,
    orgId: string,
    kind: ImportKind,
    q: { cursor?: string; limit: number },
    filters: Expression<SqlBool>[] = [],
  ) {
    await requireTenant(db, ctx, orgId, 'inventory:read');
    let query = db
      .selectFrom('inventory_items')
      .select(['item_key', 'data'])
      .where('org_id', '=', orgId)
      .where('kind', '=', kind);
    for (const f of filters) query = query.where(f);
    if (q.cursor) query = query.where('item_key', '>', decodeCursor(q.cursor));
    const rows = await query
      .orderBy('item_key')
      .limit(q.limit + 1)
      .execute();
    const more = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    const latest = await db
      .selectFrom('imports')
      .select(['id', 'created_at'])
      .where('org_id', '=', orgId)
      .where('kind', '=', kind)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return {
      items: page.map((r) => json<T>(r.data)),
      nextCursor: more ? encodeCursor(page.at(-1)!.item_key) : null,
      importId: latest?.id ?? null,
      importedAt: latest ? new Date(latest.created_at).toISOString() : null,
    };
  }

  return { importFile, history, list };
}

async function drain(chunks: AsyncIterable<unknown>): Promise<void> {
  const it = chunks[Symbol.asyncIterator]();
  while (!(await it.next()).done);
}

export const encodeCursor = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const badCursor = () => new AppError('validation_failed', 'the cursor is not one this API gave');
export function decodeCursor(c: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(c)) throw badCursor();
  return Buffer.from(c, 'base64url').toString('utf8');
}

/** A condition on a stored item's field (`data->>'field'`); the field name is a constant. */
export const field = (name: string) => sql<string>`data->>${sql.lit(name)}`;
export const fieldIs = (name: string, value: string | boolean): Expression<SqlBool> =>
  sql<SqlBool>`data->>${sql.lit(name)} = ${String(value)}`;
export const fieldContains = (name: string, value: string): Expression<SqlBool> =>
  sql<SqlBool>`lower(data->>${sql.lit(name)}) like ${`%${value.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`}`;
