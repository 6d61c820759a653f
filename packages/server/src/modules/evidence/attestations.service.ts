import { randomUUID } from 'node:crypto';
import type { AttestationStateName } from '@accord/contracts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import { systemContext, type RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Party } from '../agreements/agreements.service.ts';
import { controlAccess, type ControlAccess } from './evidence-access.ts';
import { evidenceRepo } from './evidence.repo.ts';
import { assemble } from './evidence-view.ts';
import { attestationsRepo, type AttestationRow, type ReviewRow } from './attestations.repo.ts';

export interface AttestationView extends AttestationRow {
  review: ReviewRow | null;
  superseded: boolean;
  state: Exclude<AttestationStateName, 'none'>;
}
export interface ControlAttestationsView {
  agreementId: string;
  controlId: string;
  owner: 'msp' | 'customer' | 'shared';
  state: AttestationStateName;
  current: AttestationView | null;
  history: AttestationView[];
}

const VERIFIER = systemContext('system (verification)');
const ms = (d: Date | string) => new Date(d).getTime();

export type AttestationsService = ReturnType<typeof createAttestationsService>;

/**
 * Attestations for attested and hybrid controls. The control's owner attests (either party for a
 * shared control); the other party accepts or disputes; a new attestation supersedes the previous
 * one, whose history stays. State per control: none | attested | accepted | disputed, or expired
 * when every piece of evidence the current attestation cites has expired (or was withdrawn).
 */
export function createAttestationsService({ db, audit }: { db: Db; audit: AuditService }) {
  /** Evidence ids of the control whose latest revision (as of `at`) is current. */
  async function currentIds(tx: Executor, acc: ControlAccess, ids: string[], at: Date): Promise<Set<string>> {
    const items = (await evidenceRepo.itemsById(tx, acc.scope, ids)).filter(
      (i) => i.agreement_id === acc.agreement.id && i.control_id === acc.control.controlId,
    );
    const revs = await evidenceRepo.revisions(
      tx,
      acc.scope,
      items.map((i) => i.id),
    );
    return new Set(
      assemble(items, revs, [], at)
        .filter((v) => v.status === 'current')
        .map((v) => v.item.id),
    );
  }

  async function views(tx: Executor, acc: ControlAccess, at: Date): Promise<ControlAttestationsView> {
    const rows = (await attestationsRepo.list(tx, acc.scope, acc.agreement.id, acc.control.controlId)).filter(
      (a) => ms(a.created_at) <= at.getTime(),
    );
    const reviews = await attestationsRepo.reviews(
      tx,
      acc.scope,
      rows.map((r) => r.id),
    );
    const last = rows[rows.length - 1];
    const history: AttestationView[] = [];
    for (const a of rows) {
      const r = reviews.find((x) => x.attestation_id === a.id && ms(x.reviewed_at) <= at.getTime()) ?? null;
      let state: AttestationView['state'] = r ? r.decision : 'attested';
      if (a.evidence_ids.length > 0 && (await currentIds(tx, acc, a.evidence_ids, at)).size === 0)
        state = 'expired';
      history.push({ ...a, review: r, superseded: a !== last, state });
    }
    const current = history[history.length - 1] ?? null;
    return {
      agreementId: acc.agreement.id,
      controlId: acc.control.controlId,
      owner: acc.control.owner,
      state: current?.state ?? 'none',
      current,
      history,
    };
  }

  /** The control's owner party (either party when shared) states that the control is met. */
  async function attest(
    ctx: RequestContext,
    agreementId: string,
    controlId: string,
    input: { statement: string; evidenceIds: string[] },
    now = new Date(),
  ): Promise<ControlAttestationsView> {
    return db.transaction().execute(async (tx) => {
      const acc = await controlAccess(tx, ctx, agreementId, controlId, 'attest', { write: true, lock: true });
      const party = acc.party as Party;
      if (acc.control.verification === 'automatic')
        throw new AppError(
          'bad_request',
          `control ${controlId} is verified automatically; attestations are for attested and hybrid controls`,
        );
      if (acc.control.owner !== 'shared' && acc.control.owner !== party)
        throw new AppError(
          'forbidden',
          `control ${controlId} is owned by the ${acc.control.owner}: only the ${acc.control.owner} attests it`,
        );
      const ids = [...new Set(input.evidenceIds)];
      const current = await currentIds(tx, acc, ids, now);
      const missing = ids.filter((id) => !current.has(id));
      if (missing.length)
        throw new AppError(
          'bad_request',
          `evidence ${missing.join(', ')} is not current evidence of ${controlId} in agreement ${agreementId}`,
          { evidenceIds: missing },
        );
      const row = {
        id: randomUUID(),
        agreement_id: acc.agreement.id,
        ...acc.parties,
        control_id: controlId,
        party,
        statement: input.statement,
        evidence_ids: ids,
        created_by_org_id: ctx.orgId!,
        created_by_user_id: ctx.actor.userId,
        created_by_label: ctx.actor.label,
        created_at: now,
      };
      await attestationsRepo.insert(tx, row);
      await audit.record(tx, ctx, {
        orgIds: [acc.parties.msp_org_id, acc.parties.customer_org_id],
        action: 'attestation.made',
        targetType: 'agreement',
        targetId: acc.agreement.id,
        after: { statement: input.statement, evidenceIds: ids },
        details: { attestationId: row.id, controlId, party, evidenceIds: ids },
      });
      return views(tx, acc, now);
    });
  }

  /** The other party accepts or disputes the current attestation, once. */
  async function review(
    ctx: RequestContext,
    agreementId: string,
    controlId: string,
    attestationId: string,
    decision: 'accepted' | 'disputed',
    comment: string | null,
    now = new Date(),
  ): Promise<ControlAttestationsView> {
    return db.transaction().execute(async (tx) => {
      const acc = await controlAccess(tx, ctx, agreementId, controlId, 'attest', { write: true, lock: true });
      const all = await attestationsRepo.list(tx, acc.scope, acc.agreement.id, controlId);
      const a = all.find((x) => x.id === attestationId);
      if (!a) throw notFound(`attestation of ${controlId}`, attestationId);
      if (a.party === acc.party)
        throw new AppError(
          'forbidden',
          `the ${a.party} made attestation ${attestationId}; the other party reviews it`,
        );
      if (all[all.length - 1]!.id !== a.id)
        throw invalidState(`attestation ${attestationId} was superseded by a later one`);
      if ((await attestationsRepo.reviews(tx, acc.scope, [a.id])).length)
        throw new AppError('conflict', `attestation ${attestationId} was already reviewed`);
      await attestationsRepo.insertReview(tx, {
        attestation_id: a.id,
        ...acc.parties,
        decision,
        comment,
        party: acc.party!,
        org_id: ctx.orgId!,
        user_id: ctx.actor.userId,
        user_label: ctx.actor.label,
        reviewed_at: now,
      });
      await audit.record(tx, ctx, {
        orgIds: [acc.parties.msp_org_id, acc.parties.customer_org_id],
        action: `attestation.${decision}`,
        targetType: 'agreement',
        targetId: acc.agreement.id,
        details: { attestationId: a.id, controlId, party: acc.party, ...(comment ? { comment } : {}) },
      });
      return views(tx, acc, now);
    });
  }

  async function list(ctx: RequestContext, agreementId: string, controlId: string, at = new Date()) {
    const acc = await controlAccess(db, ctx, agreementId, controlId, 'evidence:read');
    return views(db, acc, at);
  }

  /** For the verification module: the control's attestation state at `at`, with the attestation. */
  async function attestationState(agreementId: string, controlId: string, at = new Date(), ctx = VERIFIER) {
    const v = await list(ctx, agreementId, controlId, at);
    return { state: v.state, attestation: v.current };
  }

  return { attest, review, list, attestationState };
}
