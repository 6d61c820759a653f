import {
  AttestationParams,
  AttestBody,
  ControlAttestations,
  ControlParams,
  DisputeBody,
  ReviewBody,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import { iso } from '../../platform/http/mappers.ts';
import type {
  AttestationsService,
  AttestationView,
  ControlAttestationsView,
} from './attestations.service.ts';

const tags = ['attestations'];
const BASE = '/api/v1/agreements/:id/controls/:controlId/attestations';

const toAttestation = (a: AttestationView) => ({
  id: a.id,
  agreementId: a.agreement_id,
  controlId: a.control_id,
  party: a.party,
  statement: a.statement,
  evidenceIds: a.evidence_ids,
  createdBy: { orgId: a.created_by_org_id, userId: a.created_by_user_id, label: a.created_by_label },
  createdAt: iso(a.created_at),
  superseded: a.superseded,
  review: a.review
    ? {
        decision: a.review.decision,
        comment: a.review.comment,
        party: a.review.party,
        orgId: a.review.org_id,
        userLabel: a.review.user_label,
        reviewedAt: iso(a.review.reviewed_at),
      }
    : null,
  state: a.state,
});
const toControl = (v: ControlAttestationsView) => ({
  agreementId: v.agreementId,
  controlId: v.controlId,
  state: v.state,
  owner: v.owner,
  current: v.current ? toAttestation(v.current) : null,
  history: v.history.map(toAttestation),
});

export function attestationRoutes(app: AccordApp, { attestations }: { attestations: AttestationsService }) {
  app.get(
    BASE,
    {
      schema: {
        tags,
        summary: 'The attestation state of a control, its current attestation and the history',
        params: ControlParams,
        response: { 200: ControlAttestations },
      },
    },
    async (req) => toControl(await attestations.list(ctxOf(req), req.params.id, req.params.controlId)),
  );
  app.post(
    BASE,
    {
      schema: {
        tags,
        summary:
          'The control’s owner attests it (either party for a shared control); supersedes the previous',
        params: ControlParams,
        body: AttestBody,
        response: { 201: ControlAttestations },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          toControl(await attestations.attest(ctxOf(req), req.params.id, req.params.controlId, req.body)),
        ),
  );
  app.post(
    `${BASE}/:attestationId/accept`,
    {
      schema: {
        tags,
        summary: 'The other party accepts the current attestation',
        params: AttestationParams,
        body: ReviewBody,
        response: { 200: ControlAttestations },
      },
    },
    async (req) => {
      const p = req.params;
      const v = await attestations.review(
        ctxOf(req),
        p.id,
        p.controlId,
        p.attestationId,
        'accepted',
        req.body.comment ?? null,
      );
      return toControl(v);
    },
  );
  app.post(
    `${BASE}/:attestationId/dispute`,
    {
      schema: {
        tags,
        summary: 'The other party disputes the current attestation, saying why',
        params: AttestationParams,
        body: DisputeBody,
        response: { 200: ControlAttestations },
      },
    },
    async (req) => {
      const p = req.params;
      const v = await attestations.review(
        ctxOf(req),
        p.id,
        p.controlId,
        p.attestationId,
        'disputed',
        req.body.comment,
      );
      return toControl(v);
    },
  );
}
