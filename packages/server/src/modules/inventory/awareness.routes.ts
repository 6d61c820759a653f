import {
  IdParams,
  PhishingCampaigns,
  PhishingPage,
  PhishingQuery,
  TrainingPage,
  TrainingQuery,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import type { AwarenessService } from './awareness.service.ts';
import { fieldContains, type InventoryService } from './inventory.service.ts';

const tags = ['inventory'];

/** Training records and phishing-simulation results (imported with the other inventories). */
export function awarenessRoutes(
  app: AccordApp,
  { inventory, awareness }: { inventory: InventoryService; awareness: AwarenessService },
) {
  app.get(
    '/api/v1/orgs/:id/inventory/training',
    {
      schema: {
        tags,
        summary: 'Security-awareness training records',
        params: IdParams,
        querystring: TrainingQuery,
        response: { 200: TrainingPage },
      },
    },
    async (req) =>
      inventory.list(ctxOf(req), req.params.id, 'training', req.query, [
        ...(req.query.user !== undefined ? [fieldContains('user', req.query.user)] : []),
        ...(req.query.course !== undefined ? [fieldContains('course', req.query.course)] : []),
      ]),
  );
  app.get(
    '/api/v1/orgs/:id/inventory/phishing',
    {
      schema: {
        tags,
        summary: 'Phishing-simulation results, one per campaign and user',
        params: IdParams,
        querystring: PhishingQuery,
        response: { 200: PhishingPage },
      },
    },
    async (req) =>
      inventory.list(ctxOf(req), req.params.id, 'phishing', req.query, [
        ...(req.query.campaign !== undefined ? [fieldContains('campaign', req.query.campaign)] : []),
        ...(req.query.user !== undefined ? [fieldContains('user', req.query.user)] : []),
      ]),
  );
  app.get(
    '/api/v1/orgs/:id/inventory/phishing/campaigns',
    {
      schema: {
        tags,
        summary: 'Click and report rates of each phishing-simulation campaign, oldest first',
        params: IdParams,
        response: { 200: PhishingCampaigns },
      },
    },
    async (req) => awareness.campaigns(ctxOf(req), req.params.id),
  );
}
