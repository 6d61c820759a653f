import { z } from 'zod';
import {
  IdParams,
  PublishedSupplier,
  Questionnaire,
  RegisterSettingsBody,
  RetireBody,
  RegisterReviewBody,
  Supplier,
  SupplierBody,
  SupplierParams,
  SupplierRanking,
  SupplierRegister,
  SuppliersQuery,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';
import type { AssessmentsService } from './assessments.service.ts';
import { assessmentRoutes } from './assessments.routes.ts';
import type { RankingService } from './ranking.service.ts';
import { toRanked, toSupplier } from './suppliers-mappers.ts';
import type { SuppliersService } from './suppliers.service.ts';

const tags = ['supply chain'];
const ORG = '/api/v1/orgs/:id';

const ImportBody = z.object({ suppliers: z.array(z.unknown()).min(1).max(1000) }).strict();
const ImportResult = z.object({
  added: z.array(Supplier),
  rejected: z.array(z.object({ at: z.number(), name: z.string().nullable(), reason: z.string() })),
});

export function suppliersRoutes(
  app: AccordApp,
  deps: {
    suppliers: SuppliersService;
    supplierAssessments: AssessmentsService;
    supplierRanking: RankingService;
  },
) {
  const { suppliers, supplierRanking } = deps;
  const toRegister = (r: Awaited<ReturnType<SuppliersService['register']>>) => ({
    orgId: r.orgId,
    reviewedAt: isoOrNull(r.register?.reviewed_at),
    reviewedBy: r.register?.reviewed_by ?? null,
    changedAt: isoOrNull(r.register?.changed_at),
    reassessmentDays: r.reassessmentDays,
    counts: r.counts,
    reviews: r.reviews.map((v) => ({ at: iso(v.reviewed_at), by: v.actor_label, note: v.note })),
  });

  app.get(
    '/api/v1/supplier-questionnaire',
    {
      schema: {
        tags,
        summary: "The supplier questionnaire: the catalog's supply chain and MSP controls",
        response: { 200: Questionnaire },
      },
    },
    async (req) => deps.supplierAssessments.questionnaire(ctxOf(req)),
  );
  app.get(
    `${ORG}/suppliers`,
    {
      schema: {
        tags,
        summary: 'The supplier register (active entries; ?includeRetired=true for all)',
        params: IdParams,
        querystring: SuppliersQuery,
        response: { 200: z.array(Supplier) },
      },
    },
    async (req) =>
      (await suppliers.list(ctxOf(req), req.params.id, req.query.includeRetired ?? false)).map(toSupplier),
  );
  app.post(
    `${ORG}/suppliers`,
    {
      schema: {
        tags,
        summary: 'Add a supplier to the register',
        params: IdParams,
        body: SupplierBody,
        response: { 201: Supplier },
      },
    },
    async (req, reply) =>
      reply.status(201).send(toSupplier(await suppliers.create(ctxOf(req), req.params.id, req.body))),
  );
  app.post(
    `${ORG}/suppliers/import`,
    {
      schema: {
        tags,
        summary:
          'Add many suppliers: good entries are added, each bad one is reported with its number and reason',
        params: IdParams,
        body: ImportBody,
        response: { 200: ImportResult },
      },
    },
    async (req) => {
      const r = await suppliers.importEntries(
        ctxOf(req),
        req.params.id,
        req.body.suppliers.map((raw, i) => ({ at: i + 1, raw })),
      );
      return { added: r.added.map(toSupplier), rejected: r.rejected };
    },
  );
  app.get(
    `${ORG}/suppliers/:supplierId`,
    { schema: { tags, summary: 'One register entry', params: SupplierParams, response: { 200: Supplier } } },
    async (req) => toSupplier(await suppliers.get(ctxOf(req), req.params.id, req.params.supplierId)),
  );
  app.put(
    `${ORG}/suppliers/:supplierId`,
    {
      schema: {
        tags,
        summary: 'Replace a register entry',
        params: SupplierParams,
        body: SupplierBody,
        response: { 200: Supplier },
      },
    },
    async (req) =>
      toSupplier(await suppliers.update(ctxOf(req), req.params.id, req.params.supplierId, req.body)),
  );
  app.post(
    `${ORG}/suppliers/:supplierId/retire`,
    {
      schema: {
        tags,
        summary: 'Retire a supplier no longer used (the entry and its assessments stay readable)',
        params: SupplierParams,
        body: RetireBody,
        response: { 200: Supplier },
      },
    },
    async (req) =>
      toSupplier(await suppliers.retire(ctxOf(req), req.params.id, req.params.supplierId, req.body.reason)),
  );
  app.get(
    `${ORG}/supplier-register`,
    {
      schema: {
        tags,
        summary: 'The register as a whole: last review, reassessment cadence, counts',
        params: IdParams,
        response: { 200: SupplierRegister },
      },
    },
    async (req) => toRegister(await suppliers.register(ctxOf(req), req.params.id)),
  );
  app.put(
    `${ORG}/supplier-register`,
    {
      schema: {
        tags,
        summary: 'Set the reassessment cadence (days) by criticality',
        params: IdParams,
        body: RegisterSettingsBody,
        response: { 200: SupplierRegister },
      },
    },
    async (req) =>
      toRegister(await suppliers.setReassessmentDays(ctxOf(req), req.params.id, req.body.reassessmentDays)),
  );
  app.post(
    `${ORG}/supplier-register/reviews`,
    {
      schema: {
        tags,
        summary: 'Record a review of the register (SCR-01; for an MSP also an update of its published list)',
        params: IdParams,
        body: RegisterReviewBody,
        response: { 201: SupplierRegister },
      },
    },
    async (req, reply) =>
      reply.status(201).send(toRegister(await suppliers.review(ctxOf(req), req.params.id, req.body.note))),
  );
  app.get(
    `${ORG}/published-suppliers`,
    {
      schema: {
        tags,
        summary: "The suppliers and sub-processors the organisation's MSPs publish to it (read-only)",
        params: IdParams,
        response: { 200: z.array(PublishedSupplier) },
      },
    },
    async (req) =>
      (await suppliers.published(ctxOf(req), req.params.id)).map((p) => ({
        msp: p.msp,
        id: p.row.id,
        name: p.row.name,
        kind: p.row.kind,
        services: p.row.services,
        products: p.row.products,
        privilegedAccess: p.row.privileged_access,
        dataCategories: p.row.data_categories,
        criticality: p.row.criticality,
        contractEnd: p.row.contract_end,
        updatedAt: iso(p.row.updated_at),
        lastAssessedAt: isoOrNull(p.lastAssessedAt),
        residualBand: p.residualBand,
      })),
  );
  app.get(
    `${ORG}/supplier-ranking`,
    {
      schema: {
        tags,
        summary: 'Suppliers ranked by residual risk and criticality, with open treatments and overdue flags',
        params: IdParams,
        response: { 200: SupplierRanking },
      },
    },
    async (req) => {
      const now = new Date();
      const ranked = await supplierRanking.ranking(ctxOf(req), req.params.id, now);
      return {
        orgId: req.params.id,
        generatedAt: now.toISOString(),
        suppliers: ranked.map((r) => toRanked(r, now)),
      };
    },
  );

  assessmentRoutes(app, deps);
}
