import { z } from 'zod';
import { ApiToken, CreatedApiToken, CreateTokenBody, IdParams } from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';
import type { TokenRow, TokensService } from './tokens.service.ts';

const tags = ['api tokens'];
const toToken = (t: TokenRow) => ({
  id: t.id,
  orgId: t.org_id,
  name: t.name,
  scopes: t.scopes,
  createdAt: iso(t.created_at),
  expiresAt: iso(t.expires_at),
  revokedAt: isoOrNull(t.revoked_at),
  lastUsedAt: isoOrNull(t.last_used_at),
});

export function tokensRoutes(app: AccordApp, { tokens }: { tokens: TokensService }) {
  app.get(
    '/api/v1/tokens',
    { schema: { tags, summary: "Your organisation's API tokens", response: { 200: z.array(ApiToken) } } },
    async (req) => (await tokens.list(ctxOf(req))).map(toToken),
  );
  app.post(
    '/api/v1/tokens',
    {
      schema: {
        tags,
        summary: 'Create a scoped, expiring API token (shown once)',
        body: CreateTokenBody,
        response: { 201: CreatedApiToken },
      },
    },
    async (req, reply) => {
      const t = await tokens.create(ctxOf(req), req.body);
      return reply.status(201).send({ ...toToken(t), token: t.token });
    },
  );
  app.post(
    '/api/v1/tokens/:id/revoke',
    { schema: { tags, summary: 'Revoke an API token', params: IdParams, response: { 200: ApiToken } } },
    async (req) => toToken(await tokens.revoke(ctxOf(req), req.params.id)),
  );
}
