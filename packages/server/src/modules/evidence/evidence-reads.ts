import { createHash } from 'node:crypto';
import { AppError, notFound } from '../../platform/errors.ts';
import { requireTenant } from '../../platform/authz.ts';
import { systemContext, type RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import { agreementsRepo } from '../agreements/agreements.repo.ts';
import { controlAccess, DAY_MS } from './evidence-access.ts';
import { evidenceRepo, type ItemRow } from './evidence.repo.ts';
import { assemble, type EvidenceView } from './evidence-view.ts';

const VERIFIER = systemContext('system (verification)');

/** Reading evidence: lists, one item with its revisions, file bytes, expiry, and for verification. */
export function createEvidenceReads({ db }: { db: Db }) {
  async function viewOne(tx: Executor, scope: string | null, item: ItemRow, at: Date): Promise<EvidenceView> {
    const revs = await evidenceRepo.revisions(tx, scope, [item.id]);
    const files = await evidenceRepo.fileMeta(
      tx,
      scope,
      revs.flatMap((r) => (r.file_id ? [r.file_id] : [])),
    );
    return assemble([item], revs, files, at)[0]!;
  }

  async function viewMany(scope: string | null, items: ItemRow[], at: Date): Promise<EvidenceView[]> {
    const revs = await evidenceRepo.revisions(
      db,
      scope,
      items.map((i) => i.id),
    );
    const files = await evidenceRepo.fileMeta(
      db,
      scope,
      revs.flatMap((r) => (r.file_id ? [r.file_id] : [])),
    );
    return assemble(items, revs, files, at);
  }

  /** Who made a revision, and when: the service's clock, so that a view at `now` includes it. */
  async function list(ctx: RequestContext, agreementId: string, controlId: string, at = new Date()) {
    const acc = await controlAccess(db, ctx, agreementId, controlId, 'evidence:read');
    return viewMany(acc.scope, await evidenceRepo.items(db, acc.scope, acc.agreement.id, controlId), at);
  }

  async function get(
    ctx: RequestContext,
    agreementId: string,
    controlId: string,
    id: string,
    at = new Date(),
  ) {
    const acc = await controlAccess(db, ctx, agreementId, controlId, 'evidence:read');
    const item = await evidenceRepo.item(db, acc.scope, acc.agreement.id, controlId, id);
    if (!item) throw notFound(`evidence of ${controlId}`, id);
    return viewOne(db, acc.scope, item, at);
  }

  /** The exact bytes of one revision's file, checked against the SHA-256 stored with them. */
  async function content(
    ctx: RequestContext,
    agreementId: string,
    controlId: string,
    id: string,
    rev: number,
  ) {
    const view = await get(ctx, agreementId, controlId, id, new Date(8.64e15));
    const r = view.revisions.find((x) => x.revision === rev);
    if (!r) throw notFound(`revision ${rev} of evidence`, id);
    if (!r.file_id) throw new AppError('bad_request', `evidence ${id} is a link (${r.url}); it has no file`);
    const f = await evidenceRepo.fileContent(
      db,
      ctx.actor.kind === 'system' ? null : ctx.orgId,
      id,
      r.file_id,
    );
    if (!f) throw notFound(`revision ${rev} of evidence`, id);
    const actual = createHash('sha256').update(f.content).digest('hex');
    if (actual !== f.sha256)
      throw new AppError(
        'internal',
        `the stored file of evidence ${id} revision ${rev} fails its SHA-256 check`,
        {
          expected: f.sha256,
        },
      );
    return { filename: f.filename, contentType: f.content_type, sha256: f.sha256, bytes: f.content };
  }

  /**
   * Evidence of agreements `orgId` is a party to (and the caller reaches) whose latest revision
   * expires within `days` from `now` and has not expired yet.
   */
  async function expiring(ctx: RequestContext, orgId: string, days: number, now = new Date()) {
    const access = await requireTenant(db, ctx, orgId, 'evidence:read');
    const visible =
      access === 'system' ? undefined : (await agreementsRepo.list(db, ctx.orgId)).map((a) => a.id);
    const rows = await evidenceRepo.expiring(
      db,
      orgId,
      now,
      new Date(now.getTime() + days * DAY_MS),
      visible,
    );
    const views = await viewMany(orgId, rows, now);
    return views.sort((a, b) => (a.expiresInDays ?? 0) - (b.expiresInDays ?? 0));
  }

  /** For background work and the verification module: the same, as the system. */
  const expiringEvidence = (orgId: string, withinDays: number, now = new Date()) =>
    expiring(systemContext('system (evidence expiry)'), orgId, withinDays, now);

  /**
   * For the verification module: the evidence that counts for a control at `at`, that is the latest
   * revision (as of `at`) of every item that is not withdrawn and already effective. Expired items
   * are returned with `expired: true` and must not count.
   */
  async function currentEvidence(agreementId: string, controlId: string, at = new Date(), ctx = VERIFIER) {
    const views = await list(ctx, agreementId, controlId, at);
    return views
      .filter((v) => v.status === 'current' || v.status === 'expired')
      .map((v) => ({
        evidenceId: v.item.id,
        kind: v.item.kind,
        revision: v.latest.revision,
        title: v.latest.title,
        effectiveAt: new Date(v.latest.effective_at),
        expiresAt: v.latest.expires_at && new Date(v.latest.expires_at),
        sha256: v.latest.file?.sha256 ?? null,
        url: v.latest.url,
        expired: v.expired,
        expiresInDays: v.expiresInDays,
      }));
  }

  return { viewOne, list, get, content, expiring, expiringEvidence, currentEvidence };
}
export type EvidenceReads = ReturnType<typeof createEvidenceReads>;
export type CurrentEvidence = Awaited<ReturnType<EvidenceReads['currentEvidence']>>[number];
