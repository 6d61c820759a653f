import { z } from 'zod';
import { IdParams } from '@accord/contracts';
import type { FastifyReply } from 'fastify';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import type { IssuedReport, ReportsService } from './reports.service.ts';

const tags = ['reports'];
const Format = z.enum(['html', 'pdf']).default('html');
const ReportQuery = z.object({
  from: z.string().datetime({ offset: true }).or(z.string().date()).optional(),
  to: z.string().datetime({ offset: true }).or(z.string().date()).optional(),
  format: Format,
});
const SigningKey = z.object({ algorithm: z.literal('Ed25519'), keyId: z.string(), publicKey: z.string() });

function send(reply: FastifyReply, r: IssuedReport) {
  return reply
    .header('content-type', r.contentType)
    .header('content-disposition', `attachment; filename="${r.filename}"`)
    .header('x-report-sha256', r.sha256)
    .send(r.bytes);
}

export function reportsRoutes(app: AccordApp, { reports }: { reports: ReportsService }) {
  app.get(
    '/api/v1/reports/signing-key',
    {
      schema: {
        tags,
        summary: "The public key that signs Accord's reports (compare a report's key id with it)",
        response: { 200: SigningKey },
      },
    },
    async (req) => {
      ctxOf(req);
      return reports.publicKey();
    },
  );
  app.get(
    '/api/v1/agreements/:id/report',
    {
      schema: {
        tags,
        summary:
          'A signed assurance report of the agreement for a period (HTML or PDF; default the last 30 days)',
        params: IdParams,
        querystring: ReportQuery,
      },
    },
    async (req, reply) => send(reply, await reports.agreementReport(ctxOf(req), req.params.id, req.query)),
  );
  app.get(
    '/api/v1/portfolio/report',
    {
      schema: {
        tags,
        summary: "MSP: a signed portfolio report across its customers' agreements (HTML or PDF)",
        querystring: z.object({ format: Format }),
      },
    },
    async (req, reply) => send(reply, await reports.portfolioReport(ctxOf(req), req.query.format)),
  );
  app.get(
    '/api/v1/agreements/:id/export/controls.csv',
    {
      schema: {
        tags,
        summary: "The agreement's controls with their current status, as CSV",
        params: IdParams,
      },
    },
    async (req, reply) =>
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="controls-${req.params.id}.csv"`)
        .send(await reports.controlsCsv(ctxOf(req), req.params.id)),
  );
  app.get(
    '/api/v1/agreements/:id/export/evidence.csv',
    {
      schema: {
        tags,
        summary: "The agreement's evidence on file (SHA-256 or link, dates), as CSV",
        params: IdParams,
      },
    },
    async (req, reply) =>
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="evidence-${req.params.id}.csv"`)
        .send(await reports.evidenceCsv(ctxOf(req), req.params.id)),
  );
}
