import { z } from 'zod';
import { EvidenceUrl } from './evidence.ts';
import { Day } from './text.ts';
import {
  ANSWERS,
  ASSESSMENT_STATUSES,
  RISK_BANDS,
  SIGNOFF_FUNCTIONS,
  Supplier,
  TREATMENT_STATUSES,
  TREATMENT_TYPES,
} from './suppliers.ts';

/**
 * Supplier risk assessments (docs/supply-chain.md): the questionnaire, scores on the 5x5 matrix,
 * treatments, the three-function sign-off, and the ranked view of a register.
 */

const Uuid = z.string().uuid();
const Line = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => ![...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f), {
      message: 'must not contain control characters',
    });
const Prose = (max: number) => z.string().trim().min(1).max(max);

/** A score on the documented 5x5 matrix (docs/supply-chain.md). */
export const ScoreBody = z
  .object({
    likelihood: z
      .number()
      .int('must be a whole number')
      .min(1, 'likelihood is 1 (rare) to 5 (almost certain) on the 5x5 matrix')
      .max(5, 'likelihood is 1 (rare) to 5 (almost certain) on the 5x5 matrix'),
    impact: z
      .number()
      .int('must be a whole number')
      .min(1, 'impact is 1 (negligible) to 5 (severe) on the 5x5 matrix')
      .max(5, 'impact is 1 (negligible) to 5 (severe) on the 5x5 matrix'),
  })
  .strict();

export const AnswerEvidence = z.union([
  z.object({ evidenceId: Uuid }).strict(),
  z.object({ url: EvidenceUrl, title: Line(200) }).strict(),
]);
export const AnswerBody = z
  .object({
    controlId: z.string().regex(/^[A-Z]{3}-\d{2}$/, 'control ids look like SCR-01'),
    answer: z.enum(ANSWERS),
    comment: Prose(4000).nullable().optional(),
    evidence: z.array(AnswerEvidence).max(20).default([]),
  })
  .strict();

export const UpdateAssessmentBody = z
  .object({
    answers: z.array(AnswerBody).max(200).optional(),
    inherent: ScoreBody.optional(),
    residual: ScoreBody.optional(),
    rationale: Prose(4000).nullable().optional(),
  })
  .strict();
export const ReopenBody = z.object({ reason: Prose(1000) }).strict();
export const SignoffBody = z
  .object({ function: z.enum(SIGNOFF_FUNCTIONS), comment: Prose(2000).optional() })
  .strict();
export const TreatmentBody = z
  .object({
    type: z.enum(TREATMENT_TYPES),
    description: Prose(2000),
    /** A member of the organisation who owns the treatment. */
    ownerUserId: Uuid,
    dueDate: Day,
  })
  .strict();
export const CloseTreatmentBody = z
  .object({ status: z.enum(['done', 'cancelled']), note: Prose(2000) })
  .strict();

export const Risk = z.object({
  likelihood: z.number(),
  impact: z.number(),
  score: z.number(),
  band: z.enum(RISK_BANDS),
});

export const Treatment = z.object({
  id: Uuid,
  assessmentId: Uuid,
  supplierId: Uuid,
  type: z.enum(TREATMENT_TYPES),
  description: z.string(),
  owner: z.object({ userId: Uuid, name: z.string(), email: z.string() }),
  dueDate: z.string(),
  status: z.enum(TREATMENT_STATUSES),
  /** Open after its due date, or closed after it. */
  late: z.boolean(),
  closedAt: z.string().nullable(),
  closedNote: z.string().nullable(),
  createdAt: z.string(),
});

export const Signoff = z.object({
  function: z.enum(SIGNOFF_FUNCTIONS),
  userId: Uuid,
  signedBy: z.string(),
  revision: z.number(),
  /** Given on the assessment's current revision (a reopened assessment needs new sign-offs). */
  current: z.boolean(),
  comment: z.string().nullable(),
  signedAt: z.string(),
});

const StoredEvidence = z.union([
  z.object({ evidenceId: Uuid, title: z.string().nullable() }),
  z.object({ url: z.string(), title: z.string() }),
]);

export const Assessment = z.object({
  id: Uuid,
  orgId: Uuid,
  supplierId: Uuid,
  supplierName: z.string(),
  revision: z.number(),
  status: z.enum(ASSESSMENT_STATUSES),
  catalogVersion: z.string(),
  questions: z.array(
    z.object({
      controlId: z.string(),
      group: z.string(),
      title: z.string(),
      objective: z.string(),
      answer: z
        .object({
          answer: z.enum(ANSWERS),
          comment: z.string().nullable(),
          evidence: z.array(StoredEvidence),
          answeredBy: z.string(),
          answeredAt: z.string(),
        })
        .nullable(),
    }),
  ),
  summary: z.object({
    questions: z.number(),
    answered: z.number(),
    yes: z.number(),
    partial: z.number(),
    no: z.number(),
    notApplicable: z.number(),
  }),
  inherent: Risk.nullable(),
  residual: Risk.nullable(),
  rationale: z.string().nullable(),
  treatments: z.array(Treatment),
  signoffs: z.array(Signoff),
  missingSignoffs: z.array(z.enum(SIGNOFF_FUNCTIONS)),
  createdBy: z.string(),
  createdAt: z.string(),
  submittedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  /** When a complete assessment stops being current (its criticality's reassessment cadence). */
  reassessmentDueAt: z.string().nullable(),
});

export const Questionnaire = z.object({
  catalogVersion: z.string(),
  questions: z.array(
    z.object({ controlId: z.string(), group: z.string(), title: z.string(), objective: z.string() }),
  ),
});

export const RankedSupplier = z.object({
  rank: z.number(),
  /** Residual score (1-25) x criticality weight (critical 4 ... low 1); docs/supply-chain.md. */
  priority: z.number(),
  supplier: Supplier.pick({
    id: true,
    name: true,
    kind: true,
    criticality: true,
    privilegedAccess: true,
    published: true,
  }),
  inherent: Risk.nullable(),
  residual: Risk.nullable(),
  /** Where the priority's residual score came from: a complete assessment, or an assumption. */
  basis: z.enum(['assessed', 'assessment_in_progress', 'unassessed']),
  assessment: z.object({
    state: z.enum(['current', 'overdue', 'never']),
    lastCompletedId: Uuid.nullable(),
    lastCompletedAt: z.string().nullable(),
    dueAt: z.string().nullable(),
    inProgress: z.object({ id: Uuid, status: z.enum(ASSESSMENT_STATUSES) }).nullable(),
  }),
  openTreatments: z.array(Treatment),
  lateTreatments: z.number(),
});
export const SupplierRanking = z.object({
  orgId: Uuid,
  generatedAt: z.string(),
  suppliers: z.array(RankedSupplier),
});
