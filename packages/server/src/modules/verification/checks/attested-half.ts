import type { Executor } from '../../../platform/db/db.ts';
import { attestationsRepo } from '../../evidence/attestations.repo.ts';
import { evidenceRepo } from '../../evidence/evidence.repo.ts';
import { assemble } from '../../evidence/evidence-view.ts';
import type { CheckInput, CheckOutcome, EvidenceRef } from '../check.types.ts';

/**
 * The attested half of a hybrid control whose data half Accord checks: the control's current
 * attestation (docs/evidence.md) as of `now`, read with the same rules as attested controls: the
 * last attestation is current; its review decides; every cited evidence expired or withdrawn makes
 * it `expired`.
 */
export interface AttestedHalf {
  state: 'none' | 'attested' | 'accepted' | 'disputed' | 'expired';
  id: string | null;
  party: string | null;
  /** When the attestation was made, and when it was reviewed (null while awaiting review). */
  attestedAt: Date | null;
  reviewedAt: Date | null;
  summary: string;
}

export async function attestedHalf(
  db: Executor,
  input: Pick<CheckInput, 'agreementId' | 'controlId' | 'now'>,
): Promise<AttestedHalf> {
  const at = input.now.getTime();
  const rows = (await attestationsRepo.list(db, null, input.agreementId, input.controlId)).filter(
    (a) => new Date(a.created_at).getTime() <= at,
  );
  const a = rows[rows.length - 1];
  if (!a)
    return {
      state: 'none',
      id: null,
      party: null,
      attestedAt: null,
      reviewedAt: null,
      summary: 'no attestation yet',
    };
  const review =
    (await attestationsRepo.reviews(db, null, [a.id])).find((r) => new Date(r.reviewed_at).getTime() <= at) ??
    null;
  let state: AttestedHalf['state'] = review ? review.decision : 'attested';
  if (a.evidence_ids.length > 0) {
    const items = (await evidenceRepo.itemsById(db, null, a.evidence_ids)).filter(
      (i) => i.agreement_id === input.agreementId && i.control_id === input.controlId,
    );
    const revs = await evidenceRepo.revisions(
      db,
      null,
      items.map((i) => i.id),
    );
    if (!assemble(items, revs, [], input.now).some((v) => v.status === 'current')) state = 'expired';
  }
  const attestedAt = new Date(a.created_at);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return {
    state,
    id: a.id,
    party: a.party,
    attestedAt,
    reviewedAt: review ? new Date(review.reviewed_at) : null,
    summary: `${a.party} attested "${a.statement.slice(0, 160)}" on ${day(attestedAt)}: ${
      state === 'attested'
        ? 'awaiting review'
        : `${state}${review ? ` by ${review.user_label} on ${day(new Date(review.reviewed_at))}` : ''}`
    }`,
  };
}

export const attestationRef = (a: AttestedHalf): EvidenceRef[] =>
  a.id ? [{ type: 'evidence', id: a.id, summary: a.summary }] : [];

/**
 * Combines a checked data half with the attested half, as MFA-01 combines its two sources: the
 * data failing or the attestation disputed fails; pass needs the data to hold and the attestation
 * to be accepted; the data holding alone is partial. With no data in scope the attestation alone
 * makes at best a partial result; with neither, nothing is in scope. `dataAt` is the data's.
 */
export function withAttestedHalf(
  data: CheckOutcome,
  att: AttestedHalf,
  attestedWhat: string,
  now: Date,
): CheckOutcome {
  const dataIn = (data.scope ?? 0) > 0 && data.status !== 'unknown';
  const accepted = att.state === 'accepted';
  const status =
    (dataIn && data.status === 'fail') || att.state === 'disputed'
      ? 'fail'
      : dataIn && data.status === 'pass' && accepted
        ? 'pass'
        : dataIn || accepted
          ? 'partial'
          : 'unknown';
  return {
    ...data,
    status,
    reason: `${data.reason}; ${attestedWhat}: ${att.state === 'none' ? 'no attestation yet' : att.state === 'attested' ? 'attested, awaiting review' : att.state}`,
    observed: { ...data.observed, attestation: att.state },
    expected: { ...data.expected, attestation: 'accepted' },
    evidence: [...data.evidence, ...attestationRef(att)],
    dataAt: dataIn ? data.dataAt : accepted ? now : data.dataAt,
    scope: (data.scope ?? 0) + (accepted ? 1 : 0),
  };
}
