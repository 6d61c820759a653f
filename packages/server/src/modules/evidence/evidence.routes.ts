import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AddLinkEvidenceBody,
  ControlParams,
  Evidence,
  EvidenceDetail,
  EvidenceParams,
  ExpiringQuery,
  FileRevisionQuery,
  FileUploadQuery,
  IdParams,
  ReviseEvidenceBody,
  RevisionParams,
  UploadQuery,
  WithdrawEvidenceBody,
} from '@accord/contracts';
import { AppError } from '../../platform/errors.ts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';
import type { EvidenceService, UploadedFile } from './evidence.service.ts';
import type { EvidenceView, RevisionView } from './evidence-view.ts';
import type { AttestationsService } from './attestations.service.ts';
import { attestationRoutes } from './attestations.routes.ts';

const tags = ['evidence'];
const BASE = '/api/v1/agreements/:id/controls/:controlId/evidence';

const toRevision = (r: RevisionView) => ({
  revision: r.revision,
  title: r.title,
  effectiveAt: iso(r.effective_at),
  expiresAt: isoOrNull(r.expires_at),
  collectedBy: r.collected_by,
  note: r.note,
  withdrawn: r.withdrawn,
  withdrawReason: r.withdraw_reason,
  url: r.url,
  file: r.file
    ? {
        filename: r.file.filename,
        contentType: r.file.content_type,
        sizeBytes: r.file.size_bytes,
        sha256: r.file.sha256,
      }
    : null,
  createdBy: { orgId: r.created_by_org_id, userId: r.created_by_user_id, label: r.created_by_label },
  createdAt: iso(r.created_at),
});
export const toEvidence = (v: EvidenceView) => ({
  id: v.item.id,
  agreementId: v.item.agreement_id,
  controlId: v.item.control_id,
  kind: v.item.kind,
  createdByOrgId: v.item.created_by_org_id,
  createdAt: iso(v.item.created_at),
  status: v.status,
  expired: v.expired,
  expiresInDays: v.expiresInDays,
  latest: toRevision(v.latest),
});
const toDetail = (v: EvidenceView) => ({ ...toEvidence(v), revisions: v.revisions.map(toRevision) });

const CONTENT_TYPE_RE =
  /^[\w!#$&^.+-]{1,127}\/[\w!#$&^.+-]{1,127}(\s*;\s*[\w!#$&^.+-]+=("[^"\r\n]*"|[\w!#$&^.+-]+))*$/;

/** The upload's Content-Type as stored (and later answered): a well-formed media type, or octet-stream. */
function uploadedType(header: string | undefined): string {
  if (!header) return 'application/octet-stream';
  const t = header.trim();
  if (t.length > 255 || !CONTENT_TYPE_RE.test(t))
    throw new AppError('bad_request', `Content-Type ${JSON.stringify(t.slice(0, 80))} is not a media type`);
  return t.toLowerCase();
}

/** attachment; filename="ascii" with the exact name in filename* (RFC 6266 / 8187). */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

type Body =
  | { kind: 'file'; file: UploadedFile; query: z.infer<typeof FileRevisionQuery> }
  | { kind: 'json'; json: unknown };

/** Validates what an upload route parsed itself, with the same 400 the other routes give. */
function valid<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  throw new AppError(
    'validation_failed',
    `the request is not valid: ${where}/${first.path.join('/')} ${first.message}`,
    { issues: r.error.issues },
  );
}

/** A file (raw body, ?filename=...) or a JSON document (no query string), from an upload route. */
function readUpload(
  req: {
    query: z.infer<typeof UploadQuery>;
    body: unknown;
    headers: { 'content-type'?: string | undefined };
  },
  revision: boolean,
): Body {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (req.query.filename !== undefined) {
    const query = valid(revision ? FileRevisionQuery : FileUploadQuery, req.query, 'querystring');
    if (body.length === 0)
      throw new AppError(
        'bad_request',
        `the file ${query.filename} is empty: send its bytes as the request body`,
      );
    return {
      kind: 'file',
      query,
      file: { filename: query.filename, contentType: uploadedType(req.headers['content-type']), bytes: body },
    };
  }
  if (Object.keys(req.query).length > 0)
    throw new AppError(
      'bad_request',
      'query parameters describe a file upload: add ?filename=, or send a link as JSON',
    );
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw new AppError('bad_request', 'send a file with ?filename=NAME, or a link as application/json');
  try {
    return { kind: 'json', json: JSON.parse(body.toString('utf8')) };
  } catch (e) {
    throw new AppError('bad_request', `the body is not valid JSON: ${(e as Error).message}`);
  }
}

export function evidenceRoutes(
  app: AccordApp,
  deps: { evidence: EvidenceService; attestations: AttestationsService; evidenceMaxBytes: number },
) {
  const { evidence } = deps;

  app.get(
    BASE,
    {
      schema: {
        tags,
        summary: 'Evidence of a control of an agreement, latest revision of each item',
        params: ControlParams,
        response: { 200: z.array(Evidence) },
      },
    },
    async (req) => (await evidence.list(ctxOf(req), req.params.id, req.params.controlId)).map(toEvidence),
  );
  app.get(
    `${BASE}/:evidenceId`,
    {
      schema: {
        tags,
        summary: 'One evidence item with every revision',
        params: EvidenceParams,
        response: { 200: EvidenceDetail },
      },
    },
    async (req) =>
      toDetail(await evidence.get(ctxOf(req), req.params.id, req.params.controlId, req.params.evidenceId)),
  );
  app.get(
    `${BASE}/:evidenceId/revisions/:rev/content`,
    {
      schema: {
        tags,
        summary:
          'The exact bytes of a revision’s file (always as an attachment), checked against its SHA-256',
        params: RevisionParams,
      },
    },
    async (req, reply) => {
      const p = req.params;
      const f = await evidence.content(ctxOf(req), p.id, p.controlId, p.evidenceId, p.rev);
      // Never rendered inline: an uploaded HTML page must not run in Accord's origin.
      return reply
        .header('content-type', f.contentType)
        .header('content-disposition', contentDisposition(f.filename))
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('x-evidence-sha256', f.sha256)
        .send(f.bytes);
    },
  );
  app.post(
    `${BASE}/:evidenceId/withdraw`,
    {
      schema: {
        tags,
        summary: 'Withdraw evidence (a revision marked withdrawn; the history stays)',
        params: EvidenceParams,
        body: WithdrawEvidenceBody,
        response: { 200: EvidenceDetail },
      },
    },
    async (req) => {
      const p = req.params;
      return toDetail(await evidence.withdraw(ctxOf(req), p.id, p.controlId, p.evidenceId, req.body.reason));
    },
  );
  app.get(
    '/api/v1/orgs/:id/evidence/expiring',
    {
      schema: {
        tags,
        summary: 'Evidence of your agreements with this organisation that expires within ?days (default 30)',
        params: IdParams,
        querystring: ExpiringQuery,
        response: { 200: z.array(Evidence) },
      },
    },
    async (req) => (await evidence.expiring(ctxOf(req), req.params.id, req.query.days)).map(toEvidence),
  );

  // Uploads: their own body parsing (the raw file, up to evidenceMaxBytes) and JSON parsed here.
  void app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: deps.evidenceMaxBytes },
      (_req, body, done) => done(null, body),
    );
    scope.post(
      BASE,
      {
        schema: {
          tags,
          summary:
            'Add evidence: a file as the raw body with ?filename=&effectiveAt=..., or a link as JSON {url, title, effectiveAt}',
          params: ControlParams,
          querystring: UploadQuery,
          response: { 201: EvidenceDetail },
        },
      },
      async (req, reply) => {
        const up = readUpload(req, false);
        const { id, controlId } = req.params;
        const view =
          up.kind === 'file'
            ? await evidence.add(ctxOf(req), id, controlId, {
                ...up.query,
                effectiveAt: up.query.effectiveAt!, // required for a new item (FileUploadQuery)
                file: up.file,
              })
            : await evidence.add(ctxOf(req), id, controlId, valid(AddLinkEvidenceBody, up.json, 'body'));
        return reply.status(201).send(toDetail(view));
      },
    );
    scope.post(
      `${BASE}/:evidenceId/revisions`,
      {
        schema: {
          tags,
          summary: 'Revise evidence: a new file (raw body, ?filename=) or changed facts as JSON',
          params: EvidenceParams,
          querystring: UploadQuery,
          response: { 201: EvidenceDetail },
        },
      },
      async (req, reply) => {
        const up = readUpload(req, true);
        const { id, controlId, evidenceId } = req.params;
        const input =
          up.kind === 'file' ? { ...up.query, file: up.file } : valid(ReviseEvidenceBody, up.json, 'body');
        return reply
          .status(201)
          .send(toDetail(await evidence.revise(ctxOf(req), id, controlId, evidenceId, input)));
      },
    );
  });

  attestationRoutes(app, deps);
}
