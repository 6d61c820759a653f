import { createHash, randomUUID } from 'node:crypto';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import { requireTenant } from '../../platform/authz.ts';
import { systemContext, type RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { agreementsRepo } from '../agreements/agreements.repo.ts';
import { controlAccess, DAY_MS, parseDate, type ControlAccess } from './evidence-access.ts';
import { evidenceRepo, type ItemRow, type NewRevision, type RevisionRow } from './evidence.repo.ts';
import { assemble, type EvidenceView } from './evidence-view.ts';

export interface Facts {
  title?: string | undefined;
  effectiveAt?: string | undefined;
  expiresAt?: string | null | undefined;
  collectedBy?: string | undefined;
  note?: string | null | undefined;
}
export interface UploadedFile {
  filename: string;
  contentType: string;
  bytes: Buffer;
}
export type AddInput = Facts & { effectiveAt: string } & ({ url: string } | { file: UploadedFile });
export type ReviseInput = Facts & { url?: string | undefined; file?: UploadedFile | undefined };

/** Evidence stating a fact later than this is refused (clock skew between parties allowed). */
const FUTURE_SKEW_MS = 5 * 60_000;
const VERIFIER = systemContext('system (verification)');

export type EvidenceService = ReturnType<typeof createEvidenceService>;

export function createEvidenceService({ db, audit }: { db: Db; audit: AuditService }) {
  /** Checks the dates of a revision-to-be (effective not in the future, expiry after it). */
  function checkDates(effective: Date, expires: Date | null, now: Date) {
    if (effective.getTime() > now.getTime() + FUTURE_SKEW_MS)
      throw new AppError(
        'bad_request',
        `the effective date ${effective.toISOString()} is in the future: evidence records a fact that was already true`,
      );
    if (expires && expires.getTime() <= effective.getTime())
      throw new AppError(
        'bad_request',
        `the expiry date ${expires.toISOString()} must be after the effective date ${effective.toISOString()}`,
      );
  }

  async function storeFile(tx: Executor, acc: ControlAccess, evidenceId: string, f: UploadedFile) {
    const id = randomUUID();
    const sha256 = createHash('sha256').update(f.bytes).digest('hex');
    await evidenceRepo.insertFile(tx, {
      id,
      evidence_id: evidenceId,
      ...acc.parties,
      filename: f.filename,
      content_type: f.contentType,
      size_bytes: f.bytes.length,
      sha256,
      content: f.bytes,
    });
    return { id, sha256, size: f.bytes.length };
  }

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
  const actorOf = (ctx: RequestContext, acc: ControlAccess, now: Date) => ({
    created_by_org_id: ctx.orgId ?? acc.parties.msp_org_id,
    created_by_user_id: ctx.actor.userId,
    created_by_label: ctx.actor.label,
    created_at: now,
  });

  /** Either party attaches a file or a link to a control of the agreement. */
  async function add(
    ctx: RequestContext,
    agreementId: string,
    controlId: string,
    input: AddInput,
    now = new Date(),
  ): Promise<EvidenceView> {
    const effective = parseDate(input.effectiveAt);
    const expires = input.expiresAt ? parseDate(input.expiresAt) : null;
    checkDates(effective, expires, now);
    return db.transaction().execute(async (tx) => {
      const acc = await controlAccess(tx, ctx, agreementId, controlId, 'evidence:write', {
        write: true,
        lock: true,
      });
      const id = randomUUID();
      const isFile = 'file' in input;
      await evidenceRepo.insertItem(tx, {
        id,
        agreement_id: acc.agreement.id,
        ...acc.parties,
        control_id: controlId,
        kind: isFile ? 'file' : 'link',
        created_by_org_id: ctx.orgId!,
        created_at: now,
      });
      const file = isFile ? await storeFile(tx, acc, id, input.file) : null;
      const rev: NewRevision = {
        evidence_id: id,
        revision: 1,
        title: input.title ?? (isFile ? input.file.filename : input.url),
        effective_at: effective,
        expires_at: expires,
        collected_by: input.collectedBy ?? ctx.actor.label,
        note: input.note ?? null,
        withdraw_reason: null,
        url: isFile ? null : input.url,
        file_id: file?.id ?? null,
        ...actorOf(ctx, acc, now),
      };
      await evidenceRepo.insertRevision(tx, acc.parties, rev);
      await audit.record(tx, ctx, {
        orgIds: [acc.parties.msp_org_id, acc.parties.customer_org_id],
        action: 'evidence.added',
        targetType: 'agreement',
        targetId: acc.agreement.id,
        after: { ...rev, file },
        details: {
          evidenceId: id,
          controlId,
          revision: 1,
          kind: isFile ? 'file' : 'link',
          sha256: file?.sha256,
        },
      });
      const item = (await evidenceRepo.item(tx, acc.scope, acc.agreement.id, controlId, id))!;
      return viewOne(tx, acc.scope, item, now);
    });
  }

  /** Loads an item for a change: only the organisation that added it revises or withdraws it. */
  async function forChange(
    tx: Executor,
    ctx: RequestContext,
    agreementId: string,
    controlId: string,
    id: string,
  ) {
    const acc = await controlAccess(tx, ctx, agreementId, controlId, 'evidence:write', {
      write: true,
      lock: true,
    });
    const item = await evidenceRepo.item(tx, acc.scope, acc.agreement.id, controlId, id, true);
    if (!item) throw notFound(`evidence of ${controlId}`, id);
    if (item.created_by_org_id !== ctx.orgId)
      throw new AppError('forbidden', `only the party that added evidence ${id} can change it`);
    const view = await viewOne(tx, acc.scope, item, new Date(8.64e15));
    if (view.latest.withdrawn) throw invalidState(`evidence ${id} was withdrawn; add new evidence instead`);
    return { acc, item, latest: view.latest };
  }

  /** A new revision: the fields given replace the latest revision's; the previous one stays readable. */
  async function revise(
    ctx: RequestContext,
    agreementId: string,
    controlId: string,
    id: string,
    input: ReviseInput,
    now = new Date(),
  ): Promise<EvidenceView> {
    return db.transaction().execute(async (tx) => {
      const { acc, item, latest } = await forChange(tx, ctx, agreementId, controlId, id);
      if (item.kind === 'link' && input.file)
        throw new AppError('bad_request', `evidence ${id} is a link: send the new URL as JSON, not a file`);
      if (item.kind === 'file' && input.url)
        throw new AppError('bad_request', `evidence ${id} is a file: upload the new file, not a URL`);
      const effective = input.effectiveAt ? parseDate(input.effectiveAt) : new Date(latest.effective_at);
      const expires =
        input.expiresAt === undefined
          ? latest.expires_at && new Date(latest.expires_at)
          : input.expiresAt
            ? parseDate(input.expiresAt)
            : null;
      checkDates(effective, expires, now);
      const file = input.file ? await storeFile(tx, acc, id, input.file) : null;
      const rev: NewRevision = {
        evidence_id: id,
        revision: latest.revision + 1,
        title: input.title ?? (input.file ? input.file.filename : latest.title),
        effective_at: effective,
        expires_at: expires,
        collected_by: input.collectedBy ?? latest.collected_by,
        note: input.note === undefined ? latest.note : input.note,
        withdraw_reason: null,
        url: item.kind === 'link' ? (input.url ?? latest.url) : null,
        file_id: file?.id ?? latest.file_id,
        ...actorOf(ctx, acc, now),
      };
      await evidenceRepo.insertRevision(tx, acc.parties, rev);
      await audit.record(tx, ctx, {
        orgIds: [acc.parties.msp_org_id, acc.parties.customer_org_id],
        action: 'evidence.revised',
        targetType: 'agreement',
        targetId: acc.agreement.id,
        before: latest,
        after: rev,
        details: { evidenceId: id, controlId, revision: rev.revision, sha256: file?.sha256 },
      });
      return viewOne(tx, acc.scope, item, now);
    });
  }

  /** Withdrawal is a revision marked withdrawn: nothing is deleted, the history stays readable. */
  async function withdraw(
    ctx: RequestContext,
    agreementId: string,
    controlId: string,
    id: string,
    reason: string,
    now = new Date(),
  ): Promise<EvidenceView> {
    return db.transaction().execute(async (tx) => {
      const { acc, item, latest } = await forChange(tx, ctx, agreementId, controlId, id);
      const { withdrawn: _w, file: _f, ...prev } = latest;
      const rev: NewRevision = {
        ...prev,
        revision: latest.revision + 1,
        withdrawn: true,
        withdraw_reason: reason,
        ...actorOf(ctx, acc, now),
      };
      await evidenceRepo.insertRevision(tx, acc.parties, rev);
      await audit.record(tx, ctx, {
        orgIds: [acc.parties.msp_org_id, acc.parties.customer_org_id],
        action: 'evidence.withdrawn',
        targetType: 'agreement',
        targetId: acc.agreement.id,
        details: { evidenceId: id, controlId, revision: rev.revision, reason },
      });
      return viewOne(tx, acc.scope, item, now);
    });
  }

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

  return { add, revise, withdraw, list, get, content, expiring, expiringEvidence, currentEvidence };
}
export type CurrentEvidence = Awaited<ReturnType<EvidenceService['currentEvidence']>>[number];
export type { RevisionRow };
