import { z } from 'zod';
import { Catalog, CatalogControl } from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import type { CatalogService } from './catalog.service.ts';

const tags = ['catalog'];

export function catalogRoutes(app: AccordApp, { catalog }: { catalog: CatalogService }) {
  app.get(
    '/api/v1/catalog',
    {
      schema: {
        tags,
        summary: 'The control catalog (groups, controls, parameters, mappings)',
        response: { 200: Catalog },
      },
    },
    async (req) => catalog.get(ctxOf(req)),
  );
  app.get(
    '/api/v1/catalog/controls/:controlId',
    {
      schema: {
        tags,
        summary: 'One catalog control',
        params: z.object({ controlId: z.string().max(16) }),
        response: { 200: CatalogControl },
      },
    },
    async (req) => catalog.getControl(ctxOf(req), req.params.controlId),
  );
}
