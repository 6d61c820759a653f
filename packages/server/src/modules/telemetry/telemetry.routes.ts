import { z } from 'zod';
import {
  CreatedLogSource,
  CreateSourceBody,
  EventPage,
  EventQuery,
  IdParams,
  IngestResult,
  LogSource,
  LogsVerifyQuery,
  LogsVerifyResult,
  QuarantineEntry,
  SourceCategoriesBody,
  SourceSiteBody,
} from '@accord/contracts';
import { AppError } from '../../platform/errors.ts';
import type { AccordApp } from '../../platform/http/app.ts';
import { toCsv } from '../../platform/csv.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';
import { decodeBody, SourceRateLimiter } from './ingest-body.ts';
import type { IngestService } from './ingest.service.ts';
import type { LogsService } from './logs.service.ts';
import type { CoverageService } from './coverage.service.ts';
import type { QuarantineService } from './quarantine.service.ts';
import { isSilent, type SourceRow, type SourcesService } from './sources.service.ts';
import type { StoredEventRow } from './events.repo.ts';

const tags = ['logs'];
const SourceParams = z.object({ id: z.string().uuid(), sourceId: z.string().uuid() });

export const toSource = (s: SourceRow) => ({
  id: s.id,
  orgId: s.org_id,
  kind: s.kind,
  name: s.name,
  expectedIntervalMinutes: s.expected_interval_minutes,
  utcOffsetMinutes: s.utc_offset_minutes,
  categories: typeof s.categories === 'string' ? (JSON.parse(s.categories) as string[]) : s.categories,
  site: s.site ?? null,
  createdAt: iso(s.created_at),
  disabledAt: isoOrNull(s.disabled_at),
  lastReceivedAt: isoOrNull(s.last_received_at),
  lastEventAt: isoOrNull(s.last_event_at),
  silent: isSilent(s),
});

const CSV_COLUMNS = [
  'time',
  'sourceId',
  'class',
  'activity',
  'outcome',
  'reason',
  'user',
  'userDomain',
  'srcIp',
  'srcPort',
  'dstHost',
  'app',
  'mfaUsed',
  'processName',
  'vendorEventId',
  'dstIp',
  'dstPort',
  'protocol',
  'action',
  'signature',
  'severity',
  'raw',
] as const;
const eventsCsv = (events: StoredEventRow[]) => toCsv(CSV_COLUMNS, events);

export function telemetryRoutes(
  app: AccordApp,
  deps: {
    sources: SourcesService;
    ingest: IngestService;
    logs: LogsService;
    coverage: CoverageService;
    quarantine: QuarantineService;
    ingestMaxBytes: number;
    ingestRatePerSource: number;
  },
) {
  const { sources, ingest, logs } = deps;
  const limiter = new SourceRateLimiter(deps.ingestRatePerSource);

  app.post(
    '/api/v1/orgs/:id/sources',
    {
      schema: {
        tags,
        summary: 'Register a log source; its ingest token is shown once',
        params: IdParams,
        body: CreateSourceBody,
        response: { 201: CreatedLogSource },
      },
    },
    async (req, reply) => {
      const s = await sources.create(ctxOf(req), req.params.id, req.body);
      return reply.status(201).send({ ...toSource(s), ingestToken: s.ingestToken });
    },
  );
  app.get(
    '/api/v1/orgs/:id/sources',
    {
      schema: {
        tags,
        summary: 'Log sources, with last delivery and silence',
        params: IdParams,
        response: { 200: z.array(LogSource) },
      },
    },
    async (req) => (await sources.list(ctxOf(req), req.params.id)).map(toSource),
  );
  app.get(
    '/api/v1/orgs/:id/sources/:sourceId',
    { schema: { tags, summary: 'One log source', params: SourceParams, response: { 200: LogSource } } },
    async (req) => toSource(await sources.one(ctxOf(req), req.params.id, req.params.sourceId)),
  );
  app.post(
    '/api/v1/orgs/:id/sources/:sourceId/rotate-token',
    {
      schema: {
        tags,
        summary: 'Issue a new ingest token (the old one stops at once)',
        params: SourceParams,
        response: { 200: CreatedLogSource },
      },
    },
    async (req) => {
      const s = await sources.rotateToken(ctxOf(req), req.params.id, req.params.sourceId);
      return { ...toSource(s), ingestToken: s.ingestToken };
    },
  );
  app.put(
    '/api/v1/orgs/:id/sources/:sourceId/categories',
    {
      schema: {
        tags,
        summary: 'Set what a source stands for in agreements (LOG-01/LOG-02 required log sources)',
        params: SourceParams,
        body: SourceCategoriesBody,
        response: { 200: LogSource },
      },
    },
    async (req) =>
      toSource(
        await sources.setCategories(ctxOf(req), req.params.id, req.params.sourceId, req.body.categories),
      ),
  );
  app.put(
    '/api/v1/orgs/:id/sources/:sourceId/site',
    {
      schema: {
        tags,
        summary: 'Set the site a source monitors (LOG-02: every agreed site has live network monitoring)',
        params: SourceParams,
        body: SourceSiteBody,
        response: { 200: LogSource },
      },
    },
    async (req) =>
      toSource(await sources.setSite(ctxOf(req), req.params.id, req.params.sourceId, req.body.site)),
  );
  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(
      `/api/v1/orgs/:id/sources/:sourceId/${verb}`,
      {
        schema: {
          tags,
          summary: disabled ? 'Stop accepting logs from a source' : 'Accept logs from a source again',
          params: SourceParams,
          response: { 200: LogSource },
        },
      },
      async (req) =>
        toSource(await sources.setDisabled(ctxOf(req), req.params.id, req.params.sourceId, disabled)),
    );
  }

  app.get(
    '/api/v1/orgs/:id/events',
    {
      schema: {
        tags,
        summary: "Search a tenant's events (cursor pages; json, ndjson or csv)",
        params: IdParams,
        querystring: EventQuery,
        response: { 200: z.union([EventPage, z.string()]) },
      },
    },
    async (req, reply) => {
      const page = await logs.search(ctxOf(req), req.params.id, req.query);
      if (page.nextCursor) void reply.header('x-next-cursor', page.nextCursor);
      if (req.query.format === 'ndjson') {
        void reply.header('content-type', 'application/x-ndjson; charset=utf-8');
        return page.events.map((e) => JSON.stringify(e)).join('\n') + (page.events.length ? '\n' : '');
      }
      if (req.query.format === 'csv') {
        void reply.header('content-type', 'text/csv; charset=utf-8');
        return eventsCsv(page.events);
      }
      return page;
    },
  );

  app.get(
    '/api/v1/orgs/:id/logs/verify',
    {
      schema: {
        tags,
        summary: "Recompute the tenant's log seal chain from the stored events",
        params: IdParams,
        querystring: LogsVerifyQuery,
        response: { 200: LogsVerifyResult },
      },
    },
    async (req) => logs.verify(ctxOf(req), req.params.id, req.query),
  );

  app.get(
    '/api/v1/orgs/:id/logs/coverage',
    {
      schema: {
        tags,
        summary:
          'Log coverage: per-source history, daily counts, gap days and silence; retention held against required',
        params: IdParams,
        querystring: z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }),
      },
    },
    async (req) => deps.coverage.coverage(ctxOf(req), req.params.id, new Date(), { days: req.query.days }),
  );

  app.post(
    '/api/v1/orgs/:id/quarantine/replay',
    {
      schema: {
        tags,
        summary:
          'Re-parse quarantined records with the current parsers; those that parse are stored and sealed',
        params: IdParams,
        body: z.object({ sourceId: z.string().uuid().optional() }),
        response: { 200: z.object({ replayed: z.number().int(), stillRejected: z.number().int() }) },
      },
    },
    async (req) => deps.quarantine.replay(ctxOf(req), req.params.id, req.body),
  );

  app.get(
    '/api/v1/orgs/:id/quarantine',
    {
      schema: {
        tags,
        summary: 'Records that could not be parsed, with line and reason',
        params: IdParams,
        response: { 200: z.array(QuarantineEntry) },
      },
    },
    async (req) =>
      (await logs.quarantine(ctxOf(req), req.params.id)).map((q) => ({
        id: q.id,
        sourceId: q.source_id,
        batchId: q.batch_id,
        receivedAt: iso(q.received_at),
        line: q.line_no,
        reason: q.reason,
        raw: q.raw,
      })),
  );

  // Ingest: its own body parsing (raw bytes, gzip) and its own credential (a source's ingest token).
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: deps.ingestMaxBytes },
      (_req, body, done) => done(null, body),
    );
    scope.post(
      '/api/v1/ingest',
      {
        config: { auth: 'ingest' },
        schema: {
          tags,
          summary:
            'Send log records (NDJSON, text lines or a JSON array; gzip accepted) with a source ingest token',
          security: [{ token: [] }],
          response: { 200: IngestResult },
        },
      },
      async (req) => {
        const auth = req.headers.authorization;
        if (!auth?.startsWith('Bearer '))
          throw new AppError(
            'unauthenticated',
            'send the source ingest token as "Authorization: Bearer acs_..."',
          );
        const source = await sources.authenticateIngest(auth.slice(7).trim());
        if (!limiter.take(source.id))
          throw new AppError(
            'too_many_attempts',
            `log source ${source.id} is sending faster than ${deps.ingestRatePerSource} requests per second; slow down and batch`,
          );
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const records = decodeBody(
          body,
          req.headers['content-type'],
          req.headers['content-encoding'] as string | undefined,
          deps.ingestMaxBytes,
        );
        const key = req.headers['idempotency-key'];
        if (key !== undefined && (typeof key !== 'string' || !/^[A-Za-z0-9._:-]{1,200}$/.test(key))) {
          throw new AppError(
            'validation_failed',
            'Idempotency-Key must be 1 to 200 letters, digits or . _ : -',
          );
        }
        return ingest.ingest(source, records, new Date(), { idempotencyKey: key });
      },
    );
  });
}
