import { z } from 'zod';
import {
  ControlHistoryEntry,
  ControlHistoryQuery,
  ControlStatus,
  IdParams,
  Portfolio,
  VerificationRun,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import { isoOrNull } from '../../platform/http/mappers.ts';
import type { VerificationService } from './verification.service.ts';

const tags = ['verification'];
const ControlParams = z.object({
  id: z.string().uuid(),
  controlId: z.string().min(1).max(64),
});
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

export function verificationRoutes(app: AccordApp, { verification }: { verification: VerificationService }) {
  app.get(
    '/api/v1/portfolio',
    {
      schema: {
        tags,
        summary: "Every agreement of the caller's organisation with each control's current status",
        response: { 200: Portfolio },
      },
    },
    async (req) => {
      const p = await verification.portfolio(ctxOf(req));
      return {
        agreements: p.agreements.map((a) => ({
          ...a,
          controls: a.controls.map((c) => ({
            ...c,
            status: c.status as z.infer<typeof ControlStatus>['status'],
            changedAt: isoOrNull(c.changedAt),
          })),
        })),
      };
    },
  );
  app.get(
    '/api/v1/agreements/:id/verification',
    {
      schema: {
        tags,
        summary: "The agreement's controls: status, owner, observed against expected, evidence, last change",
        params: IdParams,
        response: { 200: z.array(ControlStatus) },
      },
    },
    async (req) =>
      (await verification.status(ctxOf(req), req.params.id)).map((c) => ({
        ...c,
        status: c.status as z.infer<typeof ControlStatus>['status'],
        observed: json<Record<string, unknown>>(c.observed),
        expected: json<Record<string, unknown>>(c.expected),
        evidence: json<z.infer<typeof ControlStatus>['evidence']>(c.evidence),
        dataAt: isoOrNull(c.dataAt),
        evaluatedAt: isoOrNull(c.evaluatedAt),
        changedAt: isoOrNull(c.changedAt),
      })),
  );
  app.post(
    '/api/v1/agreements/:id/verification/run',
    {
      schema: {
        tags,
        summary: "Evaluate the agreement's checked controls now",
        params: IdParams,
        response: { 200: VerificationRun },
      },
    },
    async (req) => verification.runAgreement(ctxOf(req), req.params.id),
  );
  app.get(
    '/api/v1/agreements/:id/controls/:controlId/history',
    {
      schema: {
        tags,
        summary: "One control's status changes and daily points, newest first",
        params: ControlParams,
        querystring: ControlHistoryQuery,
        response: { 200: z.array(ControlHistoryEntry) },
      },
    },
    async (req) =>
      (await verification.history(ctxOf(req), req.params.id, req.params.controlId, req.query)).map((h) => ({
        kind: h.kind,
        day: typeof h.day === 'string' ? h.day.slice(0, 10) : new Date(h.day).toISOString().slice(0, 10),
        status: h.status as z.infer<typeof ControlHistoryEntry>['status'],
        previousStatus: h.previous_status as z.infer<typeof ControlHistoryEntry>['previousStatus'],
        reason: h.reason,
        observed: json<Record<string, unknown>>(h.observed),
        expected: json<Record<string, unknown>>(h.expected),
        evidence: json<z.infer<typeof ControlHistoryEntry>['evidence']>(h.evidence),
        dataAt: isoOrNull(h.data_at),
        evaluatedAt: new Date(h.evaluated_at).toISOString(),
      })),
  );
}
