import { randomUUID } from 'node:crypto';
import { sql, type SqlBool } from 'kysely';
import { IMPORT_MAX_BYTES, type KevCatalogStatus } from '@accord/contracts';
import { requirePermission, requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import { AppError, forbidden } from '../../platform/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { decodeCursor, encodeCursor } from './inventory.service.ts';
import { readJson, readUpload } from './upload.ts';

/**
 * The CISA Known Exploited Vulnerabilities catalog: shared reference data, the same for every
 * tenant. An import replaces the stored catalog whole. Who may refresh it: the system (CLI) and
 * the admins of an MSP organisation (org:manage acting for an MSP) or their tokens with
 * inventory:manage and org:manage; customers read it through their exposure only.
 */
export const KEV_FEED_URL =
  'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json';

const CVE = /^CVE-\d{4}-\d{4,}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
type Obj = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');

export type KevService = ReturnType<typeof createKevService>;

export function createKevService({ db, audit }: { db: Db; audit: AuditService }) {
  function mayRefresh(ctx: RequestContext): void {
    if (ctx.actor.kind === 'system') return;
    requirePermission(ctx, 'inventory:manage');
    if (ctx.orgKind !== 'msp' || !ctx.permissions.has('org:manage'))
      throw forbidden('only an MSP administrator refreshes the KEV catalog (shared by every tenant)');
  }

  /** Validates and stores a KEV catalog document (the JSON CISA publishes). */
  async function importCatalog(
    ctx: RequestContext,
    body: AsyncIterable<Buffer | string>,
    opts: { contentEncoding?: string } = {},
  ): Promise<KevCatalogStatus & { rejected: { index: number; reason: string }[] }> {
    mayRefresh(ctx);
    const upload = readUpload(body, { encoding: opts.contentEncoding, maxBytes: IMPORT_MAX_BYTES });
    const doc = (await readJson(upload)) as Obj | null;
    const { sha256 } = upload.digest();
    const list = doc && typeof doc === 'object' ? doc.vulnerabilities : undefined;
    if (!Array.isArray(list) || typeof doc?.catalogVersion !== 'string')
      throw new AppError(
        'bad_request',
        'this is not the CISA KEV catalog: it needs "catalogVersion" and a "vulnerabilities" array',
      );
    const rejected: { index: number; reason: string }[] = [];
    const rows = new Map<string, ReturnType<typeof toRow>>();
    list.forEach((v: Obj, i) => {
      const reason =
        !v || typeof v !== 'object'
          ? 'not an object'
          : !CVE.test(str(v.cveID))
            ? `cveID ${JSON.stringify(v.cveID)} is not a CVE id`
            : !DATE.test(str(v.dateAdded)) || !DATE.test(str(v.dueDate))
              ? 'dateAdded and dueDate must be YYYY-MM-DD'
              : null;
      if (reason) rejected.push({ index: i + 1, reason });
      else rows.set(str(v.cveID), toRow(v));
    });
    if (rows.size === 0)
      throw new AppError('bad_request', 'the KEV catalog has no valid entry; nothing was changed');
    const released = Date.parse(str(doc.dateReleased));
    const cat = {
      id: randomUUID(),
      catalog_version: doc.catalogVersion,
      date_released: Number.isNaN(released) ? null : new Date(released),
      count: rows.size,
      sha256,
      actor_label: ctx.actor.label,
      imported_at: new Date(),
    };
    const all = [...rows.values()];
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('kev_entries').execute();
      for (let i = 0; i < all.length; i += 500)
        await tx
          .insertInto('kev_entries')
          .values(all.slice(i, i + 500))
          .execute();
      await tx.insertInto('kev_catalogs').values(cat).execute();
      if (ctx.orgId)
        await audit.record(tx, ctx, {
          orgIds: [ctx.orgId],
          action: 'kev.imported',
          targetType: 'kev_catalog',
          targetId: cat.id,
          details: { catalogVersion: cat.catalog_version, count: cat.count, sha256 },
        });
    });
    return { ...(await status()), rejected };
  }

  /** Downloads the published feed and imports it; a clear error when it cannot be reached. */
  async function update(ctx: RequestContext, url = KEV_FEED_URL, timeoutMs = 30_000) {
    mayRefresh(ctx);
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new AppError(
        'unavailable',
        `could not download the KEV catalog from ${url} (${cause?.code ?? cause?.message ?? (e as Error).message}); offline, import a copy with "accord kev import FILE"`,
      );
    }
    if (!res.ok || !res.body)
      throw new AppError('unavailable', `downloading the KEV catalog from ${url} answered ${res.status}`);
    return importCatalog(ctx, res.body as unknown as AsyncIterable<Buffer>);
  }

  async function status(): Promise<KevCatalogStatus> {
    const c = await db
      .selectFrom('kev_catalogs')
      .selectAll()
      .orderBy('imported_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    const n = await db
      .selectFrom('kev_entries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirst();
    return {
      catalogVersion: c?.catalog_version ?? null,
      dateReleased: c?.date_released ? new Date(c.date_released).toISOString() : null,
      count: Number(n?.n ?? 0),
      sha256: c?.sha256 ?? null,
      importedAt: c ? new Date(c.imported_at).toISOString() : null,
      importedBy: c?.actor_label ?? null,
    };
  }

  /** KEV entries for these CVE ids (vulnerability pages show the match). */
  async function lookup(cves: string[]) {
    if (cves.length === 0)
      return new Map<string, { dateAdded: string; dueDate: string; knownRansomwareCampaignUse: string }>();
    const rows = await db
      .selectFrom('kev_entries')
      .select([
        'cve_id',
        sql<string>`to_char(date_added, 'YYYY-MM-DD')`.as('date_added'),
        sql<string>`to_char(due_date, 'YYYY-MM-DD')`.as('due_date'),
        'known_ransomware',
      ])
      .where('cve_id', 'in', [...new Set(cves)])
      .execute();
    return new Map(
      rows.map((r) => [
        r.cve_id,
        { dateAdded: r.date_added, dueDate: r.due_date, knownRansomwareCampaignUse: r.known_ransomware },
      ]),
    );
  }

  /**
   * A tenant's open vulnerabilities that are in the KEV catalog, with the catalog's dates and
   * whether the asset is internet-facing (from the asset inventory; null when not listed there).
   */
  async function exposure(
    ctx: RequestContext,
    orgId: string,
    q: { internetFacing?: boolean; cursor?: string; limit: number },
    now = new Date(),
  ) {
    await requireTenant(db, ctx, orgId, 'inventory:read');
    let query = openKevFindings(db, orgId);
    if (q.internetFacing !== undefined)
      query = query.where(
        sql<boolean>`coalesce(a.data->>'internetFacing', 'false') = ${String(q.internetFacing)}`,
      );
    if (q.cursor) query = query.where('v.item_key', '>', decodeCursor(q.cursor));
    const rows = await query
      .orderBy('v.item_key')
      .limit(q.limit + 1)
      .execute();
    const more = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    const latest = await latestImport(db, orgId, 'vulnerabilities');
    const today = now.toISOString().slice(0, 10);
    return {
      items: page.map((r) => {
        const v = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Obj;
        const due = r.due_date;
        return {
          host: str(v.host),
          cve: str(v.cve),
          severity: (v.severity ?? null) as never,
          firstSeen: (v.firstSeen as string | null) ?? null,
          vendorProject: r.vendor_project,
          product: r.product,
          vulnerabilityName: r.vulnerability_name,
          dateAdded: r.date_added,
          dueDate: due,
          knownRansomwareCampaignUse: r.known_ransomware,
          internetFacing: r.internet_facing === null ? null : r.internet_facing === 'true',
          overdue: due < today,
        };
      }),
      nextCursor: more ? encodeCursor(page.at(-1)!.item_key) : null,
      importId: latest?.id ?? null,
      importedAt: latest ? latest.at.toISOString() : null,
      kevCatalogVersion: (await status()).catalogVersion,
    };
  }

  return { importCatalog, update, status, lookup, exposure };
}

/**
 * A tenant's open vulnerabilities (no fixedAt) whose CVE is in the KEV catalog, joined to the asset
 * inventory for internet exposure: the query behind the exposure page and the KEV checks (PIC-02,
 * UPD-01). Callers add filters, order and paging.
 */
export function openKevFindings(db: Executor, orgId: string) {
  return db
    .selectFrom('inventory_items as v')
    .innerJoin('kev_entries as k', (j) => j.on(sql<SqlBool>`k.cve_id = v.data->>'cve'`))
    .leftJoin('inventory_items as a', (j) =>
      j
        .onRef('a.org_id', '=', 'v.org_id')
        .on('a.kind', '=', 'assets')
        .on('a.item_key', '=', sql<string>`lower(trim(v.data->>'host'))`),
    )
    .select([
      'v.item_key',
      'v.data',
      'k.vendor_project',
      'k.product',
      'k.vulnerability_name',
      sql<string>`to_char(k.date_added, 'YYYY-MM-DD')`.as('date_added'),
      sql<string>`to_char(k.due_date, 'YYYY-MM-DD')`.as('due_date'),
      'k.known_ransomware',
      sql<string | null>`a.data->>'internetFacing'`.as('internet_facing'),
    ])
    .where('v.org_id', '=', orgId)
    .where('v.kind', '=', 'vulnerabilities')
    .where(sql<boolean>`v.data->>'fixedAt' is null`);
}

/** The newest import of a kind for a tenant (its created_at is when the snapshot's data was taken). */
export async function latestImport(db: Executor, orgId: string, kind: string) {
  const r = await db
    .selectFrom('imports')
    .select(['id', 'created_at'])
    .where('org_id', '=', orgId)
    .where('kind', '=', kind)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return r ? { id: r.id, at: new Date(r.created_at) } : null;
}

function toRow(v: Obj) {
  return {
    cve_id: str(v.cveID),
    vendor_project: str(v.vendorProject),
    product: str(v.product),
    vulnerability_name: str(v.vulnerabilityName),
    date_added: str(v.dateAdded),
    due_date: str(v.dueDate),
    known_ransomware: str(v.knownRansomwareCampaignUse) || 'Unknown',
    short_description: str(v.shortDescription),
    required_action: str(v.requiredAction),
  };
}
