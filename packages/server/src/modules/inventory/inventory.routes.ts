import type { FastifyRequest } from 'fastify';
import type { Expression, SqlBool } from 'kysely';
import {
  AccountsPage,
  APP_CONTROL_COLLECTIONS,
  AppControlPolicy,
  type AppControlItem,
  AccountsQuery,
  AssetsPage,
  AssetsQuery,
  BackupsPage,
  BackupsQuery,
  IdParams,
  IMPORT_FORMATS,
  IMPORT_KINDS,
  IMPORT_PATHS,
  ImportQuery,
  ImportResult,
  ImportsPage,
  ImportsQuery,
  KevCatalogStatus,
  KevExposurePage,
  KevExposureQuery,
  RemoteAccessPage,
  RemoteAccessQuery,
  RosterPage,
  RosterQuery,
  ScubaPage,
  ScubaQuery,
  VulnerabilitiesPage,
  VulnerabilitiesQuery,
  type VulnerabilityItem,
} from '@accord/contracts';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import { fieldContains, fieldIs, type InventoryService } from './inventory.service.ts';
import { sql } from 'kysely';
import type { KevService } from './kev.service.ts';

const tags = ['inventory'];
const header = (req: FastifyRequest, name: string) => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};
type Cond = Expression<SqlBool>;
const when = (c: Cond | false | undefined): Cond[] => (c ? [c] : []);

export function inventoryRoutes(
  app: AccordApp,
  deps: { inventory: InventoryService; kev: KevService; importMaxBytes: number },
) {
  const { inventory, kev } = deps;

  // Imports take the file itself as the body, read as a stream (the service caps its size).
  void app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    for (const kind of IMPORT_KINDS) {
      scope.post(
        `/api/v1/orgs/:id/imports/${IMPORT_PATHS[kind]}`,
        {
          schema: {
            tags,
            summary: `Import the tenant's ${kind.replace('_', '-')} inventory (replaces the previous snapshot)`,
            description: `Body: the file (formats: ${IMPORT_FORMATS[kind].join(', ')}; text/csv or application/json; Content-Encoding gzip accepted; at most ${deps.importMaxBytes} bytes). See docs/imports.md.`,
            params: IdParams,
            querystring: ImportQuery,
            response: { 201: ImportResult },
          },
        },
        async (req, reply) => {
          const result = await inventory.importFile(ctxOf(req), req.params.id, kind, {
            body: req.body as AsyncIterable<Buffer>,
            contentType: header(req, 'content-type'),
            contentEncoding: header(req, 'content-encoding'),
            format: req.query.format,
            filename: req.query.filename,
            maxBytes: deps.importMaxBytes,
          });
          return reply.status(201).send(result);
        },
      );
    }
    scope.post(
      '/api/v1/kev',
      {
        schema: {
          tags,
          summary: 'Import the CISA Known Exploited Vulnerabilities catalog (MSP administrators)',
          response: {
            200: KevCatalogStatus.extend({
              rejected: z.array(z.object({ index: z.number().int(), reason: z.string() })),
            }),
          },
        },
      },
      async (req) =>
        kev.importCatalog(ctxOf(req), req.body as AsyncIterable<Buffer>, {
          contentEncoding: header(req, 'content-encoding'),
        }),
    );
  });

  app.get(
    '/api/v1/kev',
    {
      schema: {
        tags,
        summary: 'The KEV catalog stored: version, entries, when and by whom',
        response: { 200: KevCatalogStatus },
      },
    },
    async (req) => {
      ctxOf(req);
      return kev.status();
    },
  );

  app.get(
    '/api/v1/orgs/:id/imports',
    {
      schema: {
        tags,
        summary: 'Import history, newest first',
        params: IdParams,
        querystring: ImportsQuery,
        response: { 200: ImportsPage },
      },
    },
    async (req) => inventory.history(ctxOf(req), req.params.id, req.query),
  );

  app.get(
    '/api/v1/orgs/:id/inventory/accounts',
    {
      schema: {
        tags,
        summary: 'Accounts (identity inventory)',
        params: IdParams,
        querystring: AccountsQuery,
        response: { 200: AccountsPage },
      },
    },
    async (req) => {
      const q = req.query;
      return inventory.list(ctxOf(req), req.params.id, 'identity', q, [
        ...when(q.enabled !== undefined && fieldIs('enabled', q.enabled)),
        ...when(q.mfaRegistered !== undefined && fieldIs('mfaRegistered', q.mfaRegistered)),
        ...when(q.privileged !== undefined && fieldIs('privileged', q.privileged)),
        ...when(q.mspOwned !== undefined && fieldIs('mspOwned', q.mspOwned)),
        ...when(q.q !== undefined && fieldContains('account', q.q)),
      ]);
    },
  );
  app.get(
    '/api/v1/orgs/:id/inventory/assets',
    {
      schema: {
        tags,
        summary: 'Assets',
        params: IdParams,
        querystring: AssetsQuery,
        response: { 200: AssetsPage },
      },
    },
    async (req) => {
      const q = req.query;
      return inventory.list(ctxOf(req), req.params.id, 'assets', q, [
        ...when(q.internetFacing !== undefined && fieldIs('internetFacing', q.internetFacing)),
        ...when(q.edrAgent !== undefined && fieldIs('edrAgent', q.edrAgent)),
        ...when(q.q !== undefined && fieldContains('hostname', q.q)),
      ]);
    },
  );
  app.get(
    '/api/v1/orgs/:id/inventory/vulnerabilities',
    {
      schema: {
        tags,
        summary: 'Vulnerabilities from scans, each with its KEV match',
        params: IdParams,
        querystring: VulnerabilitiesQuery,
        response: { 200: VulnerabilitiesPage },
      },
    },
    async (req) => {
      const q = req.query;
      const { sql } = await import('kysely');
      const page = await inventory.list<VulnerabilityItem>(ctxOf(req), req.params.id, 'vulnerabilities', q, [
        ...when(q.host !== undefined && fieldContains('host', q.host)),
        ...when(q.cve !== undefined && fieldIs('cve', q.cve.toUpperCase())),
        ...when(q.severity !== undefined && fieldIs('severity', q.severity)),
        ...when(q.open !== undefined && sql<SqlBool>`(data->>'fixedAt' is null) = ${q.open}`),
        ...when(
          q.kev !== undefined &&
            sql<SqlBool>`exists (select 1 from kev_entries k where k.cve_id = data->>'cve') = ${q.kev}`,
        ),
      ]);
      const matches = await kev.lookup(page.items.map((v) => v.cve));
      return {
        ...page,
        items: page.items.map((v) => ({ ...v, open: v.fixedAt === null, kev: matches.get(v.cve) ?? null })),
      };
    },
  );
  app.get(
    '/api/v1/orgs/:id/inventory/kev',
    {
      schema: {
        tags,
        summary: 'Open vulnerabilities in the KEV catalog: date added, due date, internet-facing',
        params: IdParams,
        querystring: KevExposureQuery,
        response: { 200: KevExposurePage },
      },
    },
    async (req) => kev.exposure(ctxOf(req), req.params.id, req.query),
  );
  app.get(
    '/api/v1/orgs/:id/inventory/backups',
    {
      schema: {
        tags,
        summary: 'Backup jobs',
        params: IdParams,
        querystring: BackupsQuery,
        response: { 200: BackupsPage },
      },
    },
    async (req) =>
      inventory.list(ctxOf(req), req.params.id, 'backups', req.query, [
        ...when(req.query.q !== undefined && fieldContains('system', req.query.q)),
      ]),
  );
  app.get(
    '/api/v1/orgs/:id/inventory/remote-access',
    {
      schema: {
        tags,
        summary: 'Remote-access tools per host',
        params: IdParams,
        querystring: RemoteAccessQuery,
        response: { 200: RemoteAccessPage },
      },
    },
    async (req) =>
      inventory.list(ctxOf(req), req.params.id, 'remote_access', req.query, [
        ...when(req.query.host !== undefined && fieldContains('host', req.query.host)),
        ...when(req.query.tool !== undefined && fieldContains('tool', req.query.tool)),
      ]),
  );
  app.get(
    '/api/v1/orgs/:id/inventory/scubagear',
    {
      schema: {
        tags,
        summary: 'ScubaGear results per policy, with the Accord controls they evidence',
        params: IdParams,
        querystring: ScubaQuery,
        response: { 200: ScubaPage },
      },
    },
    async (req) =>
      inventory.list(ctxOf(req), req.params.id, 'scubagear', req.query, [
        ...when(req.query.result !== undefined && fieldIs('result', req.query.result)),
        ...when(req.query.product !== undefined && fieldContains('product', req.query.product)),
      ]),
  );
  app.get(
    '/api/v1/orgs/:id/inventory/roster',
    {
      schema: {
        tags,
        summary: 'The staff roster: people and workloads, their accounts and leaving dates',
        params: IdParams,
        querystring: RosterQuery,
        response: { 200: RosterPage },
      },
    },
    async (req) =>
      inventory.list(ctxOf(req), req.params.id, 'roster', req.query, [
        ...when(req.query.q !== undefined && fieldContains('person', req.query.q)),
        ...when(
          req.query.left !== undefined &&
            (req.query.left
              ? sql<SqlBool>`data->>'leftAt' is not null`
              : sql<SqlBool>`data->>'leftAt' is null`),
        ),
      ]),
  );
  app.get(
    '/api/v1/orgs/:id/inventory/app-control',
    {
      schema: {
        tags,
        summary: 'The imported application-control policy: enforcement mode and rules per rule collection',
        params: IdParams,
        response: { 200: AppControlPolicy },
      },
    },
    async (req) => {
      const page = await inventory.list<AppControlItem>(ctxOf(req), req.params.id, 'app_control', {
        limit: APP_CONTROL_COLLECTIONS.length,
      });
      return { importId: page.importId, importedAt: page.importedAt, collections: page.items };
    },
  );
}
