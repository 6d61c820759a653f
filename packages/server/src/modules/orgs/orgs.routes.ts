import { z } from 'zod';
import {
  CreateCustomerBody,
  Email,
  IdParams,
  InviteCustomerBody,
  Org,
  Relationship,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';
import type { OrgsService } from './orgs.service.ts';
import type { OrgRow, RelationshipView } from './orgs.repo.ts';

const tags = ['organisations'];
export const toOrg = (o: OrgRow) => ({ id: o.id, name: o.name, kind: o.kind, createdAt: iso(o.created_at) });
export const toRelationship = (r: RelationshipView) => ({
  id: r.id,
  mspOrgId: r.msp_org_id,
  mspName: r.msp_name,
  customerOrgId: r.customer_org_id,
  customerName: r.customer_name,
  status: r.status,
  createdAt: iso(r.created_at),
  activatedAt: isoOrNull(r.activated_at),
  endedAt: isoOrNull(r.ended_at),
});

export function orgsRoutes(app: AccordApp, { orgs }: { orgs: OrgsService }) {
  app.get(
    '/api/v1/orgs/current',
    { schema: { tags, summary: 'The organisation you act as', response: { 200: Org } } },
    async (req) => {
      const ctx = ctxOf(req);
      return toOrg(await orgs.get(ctx, ctx.orgId!));
    },
  );

  app.get(
    '/api/v1/orgs/:id',
    {
      schema: {
        tags,
        summary: 'Your organisation or a customer you manage',
        params: IdParams,
        response: { 200: Org },
      },
    },
    async (req) => toOrg(await orgs.get(ctxOf(req), req.params.id)),
  );

  app.get(
    '/api/v1/relationships',
    {
      schema: {
        tags,
        summary: 'MSP-customer relationships of your organisation',
        response: { 200: z.array(Relationship) },
      },
    },
    async (req) => {
      const ctx = ctxOf(req);
      return (await orgs.listRelationships(ctx, ctx.orgId!)).map(toRelationship);
    },
  );

  app.post(
    '/api/v1/customers',
    {
      schema: {
        tags,
        summary: 'MSP: onboard a new customer (organisation, first admin, invitation)',
        body: CreateCustomerBody.extend({
          admin: z.object({
            email: Email,
            name: z.string().trim().min(1).max(200),
            password: z.string().min(12).max(1024),
          }),
        }),
        response: { 201: z.object({ org: Org, relationship: Relationship }) },
      },
    },
    async (req, reply) => {
      const r = await orgs.createCustomer(ctxOf(req), req.body);
      return reply.status(201).send({ org: toOrg(r.org), relationship: toRelationship(r.relationship) });
    },
  );

  app.post(
    '/api/v1/relationships',
    {
      schema: {
        tags,
        summary: 'MSP: invite an existing customer organisation',
        body: InviteCustomerBody,
        response: { 201: Relationship },
      },
    },
    async (req, reply) =>
      reply.status(201).send(toRelationship(await orgs.invite(ctxOf(req), req.body.customerOrgId))),
  );

  app.post(
    '/api/v1/relationships/:id/accept',
    {
      schema: {
        tags,
        summary: 'Customer: accept an MSP invitation (gives the MSP access)',
        params: IdParams,
        response: { 200: Relationship },
      },
    },
    async (req) => toRelationship(await orgs.accept(ctxOf(req), req.params.id)),
  );

  app.post(
    '/api/v1/relationships/:id/end',
    {
      schema: {
        tags,
        summary: 'Either party: end the relationship (MSP access stops at once)',
        params: IdParams,
        response: { 200: Relationship },
      },
    },
    async (req) => toRelationship(await orgs.end(ctxOf(req), req.params.id)),
  );
}
