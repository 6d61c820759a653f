import { createHash, randomUUID } from 'node:crypto';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { controlAccess, parseDate, type ControlAccess } from './evidence-access.ts';
import { evidenceRepo, type NewRevision } from './evidence.repo.ts';
import type { EvidenceView } from './evidence-view.ts';
import { createEvidenceReads } from './evidence-reads.ts';

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

export type EvidenceService = ReturnType<typeof createEvidenceService>;

export function createEvidenceService({ db, audit }: { db: Db; audit: AuditService }) {
  const reads = createEvidenceReads({ db });
  const { viewOne } = reads;
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

  async function storeFile(tx: Executor, acc: ControlAccess, evidenceId: string, f: UploadedFile, now: Date) {
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
      created_at: now,
    });
    return { id, sha256, size: f.bytes.length };
  }

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
    return db.transaction().execute(async (tx) => {
      const acc = await controlAccess(tx, ctx, agreementId, controlId, 'evidence:write', {
        write: true,
        lock: true,
      });
      checkDates(effective, expires, now); // after the access check: an outsider learns nothing
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
      const file = isFile ? await storeFile(tx, acc, id, input.file, now) : null;
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
      const file = input.file ? await storeFile(tx, acc, id, input.file, now) : null;
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

  return { add, revise, withdraw, ...reads };
}
