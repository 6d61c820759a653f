import { z } from 'zod';
import {
  ApprovePlanBody,
  CreatePlanBody,
  IdParams,
  Plan,
  PlanExportQuery,
  PlanParams,
  PlanVersion,
  PlanVersionParams,
  ReviewPlanBody,
  UpdatePlanDraftBody,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import type { PlansService } from './plans.service.ts';

const tags = ['incident response'];
const BASE = '/api/v1/orgs/:id/ir/plans';

export function planRoutes(app: AccordApp, { plans }: { plans: PlansService }) {
  app.get(
    BASE,
    {
      schema: {
        tags,
        summary: "The organisation's incident response and recovery plans, with review and exercise dates",
        params: IdParams,
        response: { 200: z.array(Plan) },
      },
    },
    async (req) => plans.list(ctxOf(req), req.params.id),
  );
  app.post(
    BASE,
    {
      schema: {
        tags,
        summary: 'Start a plan of a kind (version 1 is a draft; without content, from the template)',
        params: IdParams,
        body: CreatePlanBody,
        response: { 201: PlanVersion },
      },
    },
    async (req, reply) => reply.status(201).send(await plans.create(ctxOf(req), req.params.id, req.body)),
  );
  app.get(
    `${BASE}/:planId`,
    {
      schema: { tags, summary: 'One plan', params: PlanParams, response: { 200: Plan } },
    },
    async (req) => plans.get(ctxOf(req), req.params.id, req.params.planId),
  );
  app.put(
    `${BASE}/:planId/draft`,
    {
      schema: {
        tags,
        summary: 'Replace the draft (or open the next version as a draft when none is open)',
        params: PlanParams,
        body: UpdatePlanDraftBody,
        response: { 200: PlanVersion },
      },
    },
    async (req) => plans.updateDraft(ctxOf(req), req.params.id, req.params.planId, req.body.content),
  );
  app.post(
    `${BASE}/:planId/review`,
    {
      schema: {
        tags,
        summary: 'Record a review of the approved version (it stays in force unchanged)',
        params: PlanParams,
        body: ReviewPlanBody,
        response: { 200: Plan },
      },
    },
    async (req) => plans.review(ctxOf(req), req.params.id, req.params.planId, req.body.note),
  );
  app.get(
    `${BASE}/:planId/versions/:version`,
    {
      schema: {
        tags,
        summary: 'A version with its digest, approvals and what it still misses for approval',
        params: PlanVersionParams,
        response: { 200: PlanVersion },
      },
    },
    async (req) => plans.version(ctxOf(req), req.params.id, req.params.planId, req.params.version),
  );
  app.post(
    `${BASE}/:planId/versions/:version/approve`,
    {
      schema: {
        tags,
        summary: "Approve the draft's exact content for your organisation (approved once every party has)",
        params: PlanVersionParams,
        body: ApprovePlanBody,
        response: { 200: PlanVersion },
      },
    },
    async (req) =>
      plans.approve(ctxOf(req), req.params.id, req.params.planId, req.params.version, req.body.digest),
  );
  app.get(
    `${BASE}/:planId/versions/:version/export`,
    {
      schema: {
        tags,
        summary: 'The version as a printable document (Markdown or self-contained HTML)',
        params: PlanVersionParams,
        querystring: PlanExportQuery,
        response: { 200: z.string() },
      },
    },
    async (req, reply) => {
      const p = req.params;
      const f = req.query.format;
      const body = await plans.exportVersion(ctxOf(req), p.id, p.planId, p.version, f);
      void reply.header('content-type', `${f === 'html' ? 'text/html' : 'text/markdown'}; charset=utf-8`);
      void reply.header(
        'content-disposition',
        `attachment; filename="plan-${p.planId}-v${p.version}.${f === 'html' ? 'html' : 'md'}"`,
      );
      return body;
    },
  );
}
