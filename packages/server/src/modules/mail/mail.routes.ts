import { z } from 'zod';
import {
  IdParams,
  MailCheck,
  MailChecksQuery,
  MailDomain,
  MailDomainCreate,
  MailDomainParams,
  MailDomainUpdate,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import type { MailService } from './mail.service.ts';

const tags = ['mail'];

/** Mail domains of an organisation and their DNS checks (docs/phishing.md). */
export function mailRoutes(app: AccordApp, { mail }: { mail: MailService }) {
  app.post(
    '/api/v1/orgs/:id/mail-domains',
    {
      schema: {
        tags,
        summary: 'Register a mail domain of the organisation, with its DKIM selectors',
        params: IdParams,
        body: MailDomainCreate,
        response: { 201: MailDomain },
      },
    },
    async (req, reply) => reply.status(201).send(await mail.register(ctxOf(req), req.params.id, req.body)),
  );
  app.get(
    '/api/v1/orgs/:id/mail-domains',
    {
      schema: {
        tags,
        summary: "The organisation's mail domains, each with its newest DNS check",
        params: IdParams,
        response: { 200: z.array(MailDomain) },
      },
    },
    async (req) => mail.list(ctxOf(req), req.params.id),
  );
  app.get(
    '/api/v1/orgs/:id/mail-domains/:domainId',
    {
      schema: {
        tags,
        summary: 'One mail domain with its newest DNS check',
        params: MailDomainParams,
        response: { 200: MailDomain },
      },
    },
    async (req) => mail.get(ctxOf(req), req.params.id, req.params.domainId),
  );
  app.put(
    '/api/v1/orgs/:id/mail-domains/:domainId',
    {
      schema: {
        tags,
        summary: "Replace a mail domain's DKIM selectors",
        params: MailDomainParams,
        body: MailDomainUpdate,
        response: { 200: MailDomain },
      },
    },
    async (req) => mail.update(ctxOf(req), req.params.id, req.params.domainId, req.body),
  );
  app.delete(
    '/api/v1/orgs/:id/mail-domains/:domainId',
    {
      schema: {
        tags,
        summary: 'Remove a mail domain (it and its checks stay stored)',
        params: MailDomainParams,
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await mail.remove(ctxOf(req), req.params.id, req.params.domainId);
      return reply.status(204).send(null);
    },
  );
  app.post(
    '/api/v1/orgs/:id/mail-domains/:domainId/check',
    {
      schema: {
        tags,
        summary: 'Resolve SPF, DMARC, DKIM and MX of the domain now and store the result',
        params: MailDomainParams,
        response: { 200: MailCheck },
      },
    },
    async (req) => mail.checkNow(ctxOf(req), req.params.id, req.params.domainId),
  );
  app.get(
    '/api/v1/orgs/:id/mail-domains/:domainId/checks',
    {
      schema: {
        tags,
        summary: "The domain's DNS checks, newest first",
        params: MailDomainParams,
        querystring: MailChecksQuery,
        response: { 200: z.array(MailCheck) },
      },
    },
    async (req) => mail.history(ctxOf(req), req.params.id, req.params.domainId, req.query.limit),
  );
}
