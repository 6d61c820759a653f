import { z } from 'zod';
import { Text, LongText } from './text.ts';

/**
 * Evidence and attestations for the controls of an agreement. Evidence items are append-only: a
 * change is a new revision, a withdrawal is a revision marked withdrawn.
 */

const Uuid = z.string().uuid();

/** A calendar day (YYYY-MM-DD, midnight UTC) or an ISO 8601 time with an offset. */
export const EvidenceDate = z.union([
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD or an ISO 8601 time with an offset')
    .refine(
      (s) =>
        !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
      {
        message: 'is not a calendar date',
      },
    ),
  z.string().datetime({ offset: true }),
]);

/** A catalog control id such as IRP-01; one the agreement does not have answers 404. */
export const ControlIdParam = Text(64);

export const ControlParams = z.object({ id: Uuid, controlId: ControlIdParam });
export const EvidenceParams = ControlParams.extend({ evidenceId: Uuid });
export const RevisionParams = EvidenceParams.extend({ rev: z.coerce.number().int().min(1).max(1_000_000) });
export const AttestationParams = ControlParams.extend({ attestationId: Uuid });

/** An http(s) link to evidence kept elsewhere (a ticket, a report in a document system). */
export const EvidenceUrl = z
  .string()
  .trim()
  .max(2048)
  .url()
  .refine((u) => /^https?:\/\/[^/]/i.test(u), { message: 'must be an http:// or https:// URL' });

/** The facts every revision states. */
const Facts = {
  title: Text(200),
  /** When the fact the evidence shows was true (not when it was uploaded). */
  effectiveAt: EvidenceDate,
  expiresAt: EvidenceDate.nullable().optional(),
  /** Who collected it (a person, a team, a tool), in the uploader's words. */
  collectedBy: Text(200).optional(),
  note: LongText(4000).nullable().optional(),
};

/** A link, sent as JSON to POST .../evidence (a file is sent as the raw body with ?filename=). */
export const AddLinkEvidenceBody = z.object({ url: EvidenceUrl, ...Facts }).strict();

/** The query string of a file upload: the body is the file, its Content-Type is stored. */
export const FileUploadQuery = z
  .object({
    filename: Text(255).refine((s) => !/[/\\]/.test(s), { message: 'must be a file name without a path' }),
    title: Facts.title.optional(),
    effectiveAt: Facts.effectiveAt,
    expiresAt: Facts.expiresAt,
    collectedBy: Facts.collectedBy,
    note: Facts.note,
  })
  .strict();
/** A new file as a revision: the facts not given are kept from the previous revision. */
export const FileRevisionQuery = FileUploadQuery.partial().required({ filename: true });
export const UploadQuery = FileUploadQuery.partial();

/** A revision sent as JSON: the fields given replace the previous revision's (a link may change url). */
export const ReviseEvidenceBody = z
  .object({
    url: EvidenceUrl.optional(),
    title: Facts.title.optional(),
    effectiveAt: Facts.effectiveAt.optional(),
    expiresAt: Facts.expiresAt,
    collectedBy: Facts.collectedBy,
    note: Facts.note,
  })
  .strict();

export const WithdrawEvidenceBody = z.object({ reason: Text(1000) }).strict();

export const EvidenceFile = z.object({
  filename: z.string(),
  contentType: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
});

export const EvidenceRevision = z.object({
  revision: z.number().int(),
  title: z.string(),
  effectiveAt: z.string(),
  expiresAt: z.string().nullable(),
  collectedBy: z.string(),
  note: z.string().nullable(),
  withdrawn: z.boolean(),
  withdrawReason: z.string().nullable(),
  url: z.string().nullable(),
  file: EvidenceFile.nullable(),
  createdBy: z.object({ orgId: Uuid, userId: Uuid.nullable(), label: z.string() }),
  createdAt: z.string(),
});

export const EVIDENCE_STATUSES = ['current', 'expired', 'withdrawn', 'not_yet_effective'] as const;
export const Evidence = z.object({
  id: Uuid,
  agreementId: Uuid,
  controlId: z.string(),
  kind: z.enum(['file', 'link']),
  createdByOrgId: Uuid,
  createdAt: z.string(),
  status: z.enum(EVIDENCE_STATUSES),
  expired: z.boolean(),
  /** Whole days until expiry (negative once expired); null when it does not expire. */
  expiresInDays: z.number().int().nullable(),
  latest: EvidenceRevision,
});
export const EvidenceDetail = Evidence.extend({ revisions: z.array(EvidenceRevision) });

export const ExpiringQuery = z.object({ days: z.coerce.number().int().min(0).max(366).default(30) });

// ---- attestations ----

export const AttestBody = z
  .object({
    statement: LongText(8000),
    evidenceIds: z.array(Uuid).max(50).default([]),
  })
  .strict();
export const ReviewBody = z.object({ comment: LongText(4000).optional() }).strict();
export const DisputeBody = z.object({ comment: LongText(4000) }).strict();

export const ATTESTATION_STATES = ['none', 'attested', 'accepted', 'disputed', 'expired'] as const;
export type AttestationStateName = (typeof ATTESTATION_STATES)[number];

export const Attestation = z.object({
  id: Uuid,
  agreementId: Uuid,
  controlId: z.string(),
  party: z.enum(['msp', 'customer']),
  statement: z.string(),
  evidenceIds: z.array(Uuid),
  createdBy: z.object({ orgId: Uuid, userId: Uuid.nullable(), label: z.string() }),
  createdAt: z.string(),
  /** A later attestation for the same control replaced this one. */
  superseded: z.boolean(),
  review: z
    .object({
      decision: z.enum(['accepted', 'disputed']),
      comment: z.string().nullable(),
      party: z.enum(['msp', 'customer']),
      orgId: Uuid,
      userLabel: z.string(),
      reviewedAt: z.string(),
    })
    .nullable(),
  state: z.enum(ATTESTATION_STATES),
});
export const ControlAttestations = z.object({
  agreementId: Uuid,
  controlId: z.string(),
  state: z.enum(ATTESTATION_STATES),
  /** Which party attests: the control's owner, or either for a shared control. */
  owner: z.enum(['msp', 'customer', 'shared']),
  current: Attestation.nullable(),
  history: z.array(Attestation),
});
