import { z } from 'zod';
import { IdParams, OscalImportResult, VersionParams } from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import type { OscalService } from './oscal.service.ts';

const tags = ['oscal'];
const OscalDocument = z.record(z.unknown()).describe('An OSCAL 1.2.1 JSON document');
/** NIST's example documents are tens of kilobytes; a large catalog (SP 800-53) is about 10 MB. */
const IMPORT_MAX_BYTES = 16 * 1024 * 1024;

export function oscalRoutes(app: AccordApp, { oscal }: { oscal: OscalService }) {
  const download = (name: string) => ({ 'content-disposition': `attachment; filename="${name}.json"` });

  app.get(
    '/api/v1/oscal/catalog',
    {
      schema: {
        tags,
        summary: "Accord's control catalog as an OSCAL catalog",
        response: { 200: OscalDocument },
      },
    },
    async (req, reply) => reply.headers(download('accord-catalog')).send(oscal.exportCatalog(ctxOf(req))),
  );
  app.get(
    '/api/v1/agreements/:id/versions/:version/oscal/profile',
    {
      schema: {
        tags,
        summary: 'An agreement version as an OSCAL profile: selected controls and agreed parameter values',
        params: VersionParams,
        response: { 200: OscalDocument },
      },
    },
    async (req, reply) =>
      reply
        .headers(download(`agreement-${req.params.id}-v${req.params.version}-profile`))
        .send(await oscal.exportProfile(ctxOf(req), req.params.id, req.params.version)),
  );
  app.get(
    '/api/v1/agreements/:id/versions/:version/oscal/component-definition',
    {
      schema: {
        tags,
        summary: 'An agreement version as an OSCAL component definition: which party implements what',
        params: VersionParams,
        response: { 200: OscalDocument },
      },
    },
    async (req, reply) =>
      reply
        .headers(download(`agreement-${req.params.id}-v${req.params.version}-components`))
        .send(await oscal.exportComponentDefinition(ctxOf(req), req.params.id, req.params.version)),
  );
  app.get(
    '/api/v1/agreements/:id/oscal/assessment-results',
    {
      schema: {
        tags,
        summary: "The active version's current verification results as OSCAL assessment results",
        params: IdParams,
        response: { 200: OscalDocument },
      },
    },
    async (req, reply) =>
      reply
        .headers(download(`agreement-${req.params.id}-assessment-results`))
        .send(await oscal.exportAssessmentResults(ctxOf(req), req.params.id)),
  );
  app.get(
    '/api/v1/agreements/:id/oscal/poam',
    {
      schema: {
        tags,
        summary: 'Failing and partly met controls as an OSCAL plan of action and milestones',
        params: IdParams,
        response: { 200: OscalDocument },
      },
    },
    async (req, reply) =>
      reply
        .headers(download(`agreement-${req.params.id}-poam`))
        .send(await oscal.exportPoam(ctxOf(req), req.params.id)),
  );
  app.post(
    '/api/v1/oscal/import',
    {
      bodyLimit: IMPORT_MAX_BYTES,
      schema: {
        tags,
        summary:
          'Read an OSCAL document (any model): schema-checked, problems with their JSON path; a profile over ' +
          "Accord's catalog yields the controls to draft an agreement from. Nothing is stored.",
        body: z.unknown(),
        response: { 200: OscalImportResult },
      },
    },
    async (req) => oscal.importDocument(ctxOf(req), req.body),
  );
}
