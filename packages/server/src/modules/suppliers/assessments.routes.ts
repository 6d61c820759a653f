import { z } from 'zod';
import {
  Assessment,
  AssessmentParams,
  CloseTreatmentBody,
  ReopenBody,
  SignoffBody,
  SupplierParams,
  TreatmentBody,
  TreatmentParams,
  UpdateAssessmentBody,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import type { AssessmentsService } from './assessments.service.ts';
import { toAssessment } from './suppliers-mappers.ts';

const tags = ['supply chain'];
const BASE = '/api/v1/orgs/:id/supplier-assessments/:assessmentId';

/** Risk assessments of suppliers: questionnaire, scores, treatments, and the three-function sign-off. */
export function assessmentRoutes(app: AccordApp, deps: { supplierAssessments: AssessmentsService }) {
  const svc = deps.supplierAssessments;

  app.get(
    '/api/v1/orgs/:id/suppliers/:supplierId/assessments',
    {
      schema: {
        tags,
        summary: "A supplier's assessments, newest first",
        params: SupplierParams,
        response: { 200: z.array(Assessment) },
      },
    },
    async (req) => (await svc.list(ctxOf(req), req.params.id, req.params.supplierId)).map(toAssessment),
  );
  app.post(
    '/api/v1/orgs/:id/suppliers/:supplierId/assessments',
    {
      schema: {
        tags,
        summary: 'Start an assessment (a draft with the questionnaire of the current catalog)',
        params: SupplierParams,
        response: { 201: Assessment },
      },
    },
    async (req, reply) =>
      reply.status(201).send(toAssessment(await svc.start(ctxOf(req), req.params.id, req.params.supplierId))),
  );
  app.get(
    BASE,
    { schema: { tags, summary: 'One assessment', params: AssessmentParams, response: { 200: Assessment } } },
    async (req) => toAssessment(await svc.get(ctxOf(req), req.params.id, req.params.assessmentId)),
  );
  app.put(
    BASE,
    {
      schema: {
        tags,
        summary:
          'Answer questions (merged by control), score inherent and residual risk, state the rationale',
        params: AssessmentParams,
        body: UpdateAssessmentBody,
        response: { 200: Assessment },
      },
    },
    async (req) =>
      toAssessment(await svc.update(ctxOf(req), req.params.id, req.params.assessmentId, req.body)),
  );
  app.post(
    `${BASE}/submit`,
    {
      schema: {
        tags,
        summary: 'Submit for sign-off (every question answered, both risks scored, a treatment decided)',
        params: AssessmentParams,
        response: { 200: Assessment },
      },
    },
    async (req) => toAssessment(await svc.submit(ctxOf(req), req.params.id, req.params.assessmentId)),
  );
  app.post(
    `${BASE}/reopen`,
    {
      schema: {
        tags,
        summary: 'Reopen a submitted assessment (a new revision: sign-offs given so far stop counting)',
        params: AssessmentParams,
        body: ReopenBody,
        response: { 200: Assessment },
      },
    },
    async (req) =>
      toAssessment(await svc.reopen(ctxOf(req), req.params.id, req.params.assessmentId, req.body.reason)),
  );
  app.post(
    `${BASE}/signoffs`,
    {
      schema: {
        tags,
        summary: 'Sign off as security, legal or procurement (a member whose function it is)',
        params: AssessmentParams,
        body: SignoffBody,
        response: { 201: Assessment },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(toAssessment(await svc.signoff(ctxOf(req), req.params.id, req.params.assessmentId, req.body))),
  );
  app.post(
    `${BASE}/treatments`,
    {
      schema: {
        tags,
        summary: 'Add a treatment (accept, mitigate, transfer, avoid) with its owner and due date',
        params: AssessmentParams,
        body: TreatmentBody,
        response: { 201: Assessment },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          toAssessment(await svc.addTreatment(ctxOf(req), req.params.id, req.params.assessmentId, req.body)),
        ),
  );
  app.post(
    `${BASE}/treatments/:treatmentId/close`,
    {
      schema: {
        tags,
        summary: 'Close a treatment as done or cancelled, with a note',
        params: TreatmentParams,
        body: CloseTreatmentBody,
        response: { 200: Assessment },
      },
    },
    async (req) => {
      const p = req.params;
      return toAssessment(
        await svc.closeTreatment(ctxOf(req), p.id, p.assessmentId, p.treatmentId, req.body),
      );
    },
  );
}
