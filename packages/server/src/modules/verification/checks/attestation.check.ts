import type { Check, CheckOutcome } from '../check.types.ts';

/** What the evidence module answers about a control's current attestation. */
export interface AttestationFacts {
  state: string;
  attestation: {
    id: string;
    party: string;
    statement: string;
    created_by_label: string;
    created_at: Date;
    review: { decision: string; comment: string | null; user_label: string } | null;
  } | null;
}
export type AttestationOf = (agreementId: string, controlId: string, at: Date) => Promise<AttestationFacts>;

/**
 * The result of an attested (or hybrid, unchecked) control: the owner attests with evidence, the
 * other party accepts (pass) or disputes (fail). Awaiting review, none yet, or an attestation whose
 * evidence all expired is unknown. An accepted attestation holds until it is superseded or its
 * evidence expires, so it is never stale by the cadence.
 */
export function attestationCheck(controlId: string, attestationOf: AttestationOf): Check {
  return {
    controlId,
    reads: ['evidence'],
    async run(input): Promise<CheckOutcome> {
      const { state, attestation: a } = await attestationOf(input.agreementId, controlId, input.now);
      const base = {
        observed: {
          attestation: state,
          ...(a ? { attestedBy: a.party, attestedAt: new Date(a.created_at).toISOString() } : {}),
        },
        expected: { attestation: 'accepted' },
        evidence: a
          ? [
              {
                type: 'evidence' as const,
                id: a.id,
                summary: `${a.party} attested "${a.statement.slice(0, 200)}" (${a.created_by_label}, ${new Date(a.created_at).toISOString().slice(0, 10)})`,
              },
            ]
          : [],
        dataAt: input.now,
        scope: 1,
      };
      switch (state) {
        case 'accepted':
          return {
            ...base,
            status: 'pass',
            reason: `attested by the ${a!.party} and accepted by ${a!.review!.user_label}`,
          };
        case 'disputed':
          return {
            ...base,
            status: 'fail',
            reason: `attested by the ${a!.party} and disputed by ${a!.review!.user_label}${a!.review!.comment ? `: ${a!.review!.comment}` : ''}`,
          };
        case 'attested':
          return {
            ...base,
            status: 'unknown',
            reason: `attested by the ${a!.party}; awaiting the other party's review`,
          };
        case 'expired':
          return {
            ...base,
            status: 'unknown',
            reason: "the attestation's evidence has expired or was withdrawn",
          };
        default:
          return { ...base, status: 'unknown', reason: 'no attestation yet' };
      }
    },
  };
}
