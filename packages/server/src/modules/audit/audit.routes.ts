import { z } from 'zod';
import { AuditEntry, AuditQuery, AuditVerifyResult, IdParams } from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import type { AuditService } from './audit.service.ts';
import type { StoredEntry } from './audit.repo.ts';

const tags = ['audit'];
const toEntry = (e: StoredEntry) => ({
  seq: e.seq,
  orgId: e.orgId,
  at: e.at,
  actor: { userId: e.actorUserId, tokenId: e.actorTokenId, orgId: e.actorOrgId, label: e.actorLabel },
  action: e.action,
  targetType: e.targetType,
  targetId: e.targetId,
  beforeDigest: e.beforeDigest,
  afterDigest: e.afterDigest,
  ip: e.ip,
  requestId: e.requestId,
  details: e.details,
  prevHash: e.prevHash,
  hash: e.hash,
});

export function auditRoutes(app: AccordApp, { audit }: { audit: AuditService }) {
  app.get(
    '/api/v1/orgs/:id/audit',
    {
      schema: {
        tags,
        summary: "An organisation's audit trail, including its MSP's actions",
        params: IdParams,
        querystring: AuditQuery,
        response: { 200: z.array(AuditEntry) },
      },
    },
    async (req) =>
      (await audit.list(ctxOf(req), req.params.id, req.query.afterSeq ?? 0, req.query.limit)).map(toEntry),
  );

  app.get(
    '/api/v1/orgs/:id/audit/verify',
    {
      schema: {
        tags,
        summary: "Recompute the organisation's audit hash chain",
        params: IdParams,
        response: { 200: AuditVerifyResult },
      },
    },
    async (req) => audit.verifyOrg(ctxOf(req), req.params.id),
  );
}
