import type { Executor } from '../../platform/db/db.ts';

export interface AttestationRow {
  id: string;
  agreement_id: string;
  control_id: string;
  party: 'msp' | 'customer';
  statement: string;
  evidence_ids: string[];
  created_by_org_id: string;
  created_by_user_id: string | null;
  created_by_label: string;
  created_at: Date;
}
export interface ReviewRow {
  attestation_id: string;
  decision: 'accepted' | 'disputed';
  comment: string | null;
  party: 'msp' | 'customer';
  org_id: string;
  user_id: string | null;
  user_label: string;
  reviewed_at: Date;
}
type Parties = { msp_org_id: string; customer_org_id: string };

const COLS = [
  'id',
  'agreement_id',
  'control_id',
  'party',
  'statement',
  'evidence_ids',
  'created_by_org_id',
  'created_by_user_id',
  'created_by_label',
  'created_at',
] as const;

const parse = (r: Record<string, unknown>): AttestationRow =>
  ({
    ...r,
    evidence_ids: typeof r.evidence_ids === 'string' ? JSON.parse(r.evidence_ids) : r.evidence_ids,
  }) as AttestationRow;

/** Attestations and their reviews; every read filters by the caller's organisation (null: system). */
export const attestationsRepo = {
  async insert(db: Executor, a: AttestationRow & Parties) {
    await db
      .insertInto('attestations')
      .values({ ...a, evidence_ids: JSON.stringify(a.evidence_ids) })
      .execute();
  },
  /** A control's attestations, oldest first: the last one is the current one. */
  async list(
    db: Executor,
    orgId: string | null,
    agreementId: string,
    controlId: string,
  ): Promise<AttestationRow[]> {
    let q = db
      .selectFrom('attestations')
      .select(COLS)
      .where('agreement_id', '=', agreementId)
      .where('control_id', '=', controlId);
    if (orgId !== null)
      q = q.where((eb) => eb.or([eb('msp_org_id', '=', orgId), eb('customer_org_id', '=', orgId)]));
    return (await q.orderBy('seq').execute()).map(parse);
  },
  async reviews(db: Executor, orgId: string | null, attestationIds: string[]): Promise<ReviewRow[]> {
    if (attestationIds.length === 0) return [];
    let q = db
      .selectFrom('attestation_reviews')
      .select([
        'attestation_id',
        'decision',
        'comment',
        'party',
        'org_id',
        'user_id',
        'user_label',
        'reviewed_at',
      ])
      .where('attestation_id', 'in', attestationIds);
    if (orgId !== null)
      q = q.where((eb) => eb.or([eb('msp_org_id', '=', orgId), eb('customer_org_id', '=', orgId)]));
    return q.execute() as Promise<ReviewRow[]>;
  },
  async insertReview(db: Executor, r: ReviewRow & Parties) {
    await db.insertInto('attestation_reviews').values(r).execute();
  },
};
