import { z } from 'zod';
import {
  AcceptBody,
  Agreement,
  AgreementVersion,
  AmendBody,
  CreateAgreementBody,
  ExportQuery,
  IdParams,
  RejectBody,
  UpdateDraftBody,
  VersionParams,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';
import type { AgreementsService, AgreementView, VersionView } from './agreements.service.ts';
import { renderHtml, renderJson, renderMarkdown } from './agreement-export.ts';

const tags = ['agreements'];

const toAgreement = (v: AgreementView) => ({
  id: v.agreement.id,
  title: v.agreement.title,
  mspOrgId: v.agreement.msp_org_id,
  customerOrgId: v.agreement.customer_org_id,
  status: v.status,
  activeVersion: v.activeVersion,
  openVersion: v.openVersion,
  createdAt: iso(v.agreement.created_at),
  updatedAt: iso(v.agreement.updated_at),
});
export const toVersion = (v: VersionView) => ({
  id: v.id,
  agreementId: v.agreement_id,
  version: v.version,
  state: v.state,
  digest: v.digest,
  createdByOrgId: v.created_by_org_id,
  createdAt: iso(v.created_at),
  proposedAt: isoOrNull(v.proposed_at),
  activatedAt: isoOrNull(v.activated_at),
  note: v.note,
  acceptances: v.acceptances.map((a) => ({
    orgId: a.org_id,
    party: a.party,
    userId: a.user_id,
    userLabel: a.user_label,
    digest: a.digest,
    acceptedAt: iso(a.accepted_at),
  })),
  content: v.content,
});

export function agreementsRoutes(app: AccordApp, { agreements }: { agreements: AgreementsService }) {
  app.get(
    '/api/v1/agreements',
    {
      schema: {
        tags,
        summary: 'Agreements your organisation is a party to',
        response: { 200: z.array(Agreement) },
      },
    },
    async (req) => (await agreements.list(ctxOf(req))).map(toAgreement),
  );
  app.post(
    '/api/v1/agreements',
    {
      schema: {
        tags,
        summary: 'MSP: draft an agreement for a customer from the catalog',
        body: CreateAgreementBody,
        response: { 201: AgreementVersion },
      },
    },
    async (req, reply) => reply.status(201).send(toVersion(await agreements.create(ctxOf(req), req.body))),
  );
  app.get(
    '/api/v1/agreements/:id',
    {
      schema: {
        tags,
        summary: 'An agreement and its status',
        params: IdParams,
        response: { 200: Agreement },
      },
    },
    async (req) => toAgreement(await agreements.get(ctxOf(req), req.params.id)),
  );
  app.get(
    '/api/v1/agreements/:id/versions',
    {
      schema: {
        tags,
        summary: 'Every version (history)',
        params: IdParams,
        response: { 200: z.array(AgreementVersion) },
      },
    },
    async (req) => (await agreements.versions(ctxOf(req), req.params.id)).map(toVersion),
  );
  app.get(
    '/api/v1/agreements/:id/versions/:version',
    { schema: { tags, summary: 'One version', params: VersionParams, response: { 200: AgreementVersion } } },
    async (req) => toVersion(await agreements.version(ctxOf(req), req.params.id, req.params.version)),
  );
  app.put(
    '/api/v1/agreements/:id/draft',
    {
      schema: {
        tags,
        summary: 'Edit the open draft (the party that started it)',
        params: IdParams,
        body: UpdateDraftBody,
        response: { 200: AgreementVersion },
      },
    },
    async (req) => toVersion(await agreements.updateDraft(ctxOf(req), req.params.id, req.body)),
  );
  app.post(
    '/api/v1/agreements/:id/amendments',
    {
      schema: {
        tags,
        summary: 'Either party: start an amendment (new draft version)',
        params: IdParams,
        body: AmendBody,
        response: { 201: AgreementVersion },
      },
    },
    async (req, reply) =>
      reply.status(201).send(toVersion(await agreements.amend(ctxOf(req), req.params.id, req.body))),
  );
  app.post(
    '/api/v1/agreements/:id/versions/:version/propose',
    {
      schema: {
        tags,
        summary: 'Propose a draft: its content and digest are frozen',
        params: VersionParams,
        response: { 200: AgreementVersion },
      },
    },
    async (req) => toVersion(await agreements.propose(ctxOf(req), req.params.id, req.params.version)),
  );
  app.post(
    '/api/v1/agreements/:id/versions/:version/accept',
    {
      schema: {
        tags,
        summary: 'Accept exactly this version (name its digest)',
        params: VersionParams,
        body: AcceptBody,
        response: { 200: AgreementVersion },
      },
    },
    async (req) =>
      toVersion(await agreements.accept(ctxOf(req), req.params.id, req.params.version, req.body.digest)),
  );
  app.post(
    '/api/v1/agreements/:id/versions/:version/reject',
    {
      schema: {
        tags,
        summary: "Decline the other party's proposal",
        params: VersionParams,
        body: RejectBody,
        response: { 200: AgreementVersion },
      },
    },
    async (req) =>
      toVersion(await agreements.reject(ctxOf(req), req.params.id, req.params.version, req.body.reason)),
  );
  app.post(
    '/api/v1/agreements/:id/versions/:version/withdraw',
    {
      schema: {
        tags,
        summary: 'Withdraw your own draft or proposal',
        params: VersionParams,
        response: { 200: AgreementVersion },
      },
    },
    async (req) => toVersion(await agreements.withdraw(ctxOf(req), req.params.id, req.params.version)),
  );
  app.get(
    '/api/v1/agreements/:id/versions/:version/export',
    {
      schema: {
        tags,
        summary: 'The version as a contract schedule (Markdown, HTML or JSON) with its digest',
        params: VersionParams,
        querystring: ExportQuery,
        response: { 200: z.string() },
      },
    },
    async (req, reply) => {
      const v = await agreements.version(ctxOf(req), req.params.id, req.params.version);
      const f = req.query.format;
      const [body, type, ext] =
        f === 'html'
          ? [renderHtml(v), 'text/html', 'html']
          : f === 'json'
            ? [renderJson(v), 'application/json', 'json']
            : [renderMarkdown(v), 'text/markdown', 'md'];
      void reply.header('content-type', `${type}; charset=utf-8`);
      void reply.header(
        'content-disposition',
        `attachment; filename="agreement-${v.agreement_id}-v${v.version}.${ext}"`,
      );
      return body;
    },
  );
}
