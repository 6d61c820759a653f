import { z } from 'zod';
import { Text as Line, LongText as Prose, Day } from './text.ts';

/**
 * Supply chain risk (AA22-131A: "understand and proactively manage supply chain risk ... across
 * security, legal, and procurement groups, using risk assessments to identify and prioritize the
 * allocation of resources"): each organisation's supplier register, risk assessments built from the
 * catalog, the three-function sign-off and the ranked view. docs/supply-chain.md.
 */

/** `msp`: the customer's MSP itself; `supplier`: an ICT supplier; `sub_processor`: processes data on the owner's behalf. */
export const SUPPLIER_KINDS = ['msp', 'supplier', 'sub_processor'] as const;
export type SupplierKind = (typeof SUPPLIER_KINDS)[number];

/** Highest first: the order the ranked view and the reassessment cadence use. */
export const CRITICALITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

/** Kinds of data a supplier holds or can reach. */
export const DATA_CATEGORIES = [
  'personal',
  'special_category',
  'financial',
  'payment_card',
  'health',
  'credentials',
  'confidential',
  'security_logs',
  'backups',
] as const;

/** The three functions whose sign-off completes an assessment (the advisory's three groups). */
export const SIGNOFF_FUNCTIONS = ['security', 'legal', 'procurement'] as const;
export type SignoffFunction = (typeof SIGNOFF_FUNCTIONS)[number];

export const ANSWERS = ['yes', 'partial', 'no', 'not_applicable'] as const;
export const TREATMENT_TYPES = ['accept', 'mitigate', 'transfer', 'avoid'] as const;
export const TREATMENT_STATUSES = ['open', 'done', 'cancelled'] as const;
/** draft (being filled in) -> submitted (frozen, awaiting sign-off) -> complete (all three signed). */
export const ASSESSMENT_STATUSES = ['draft', 'submitted', 'complete'] as const;
export const RISK_BANDS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskBand = (typeof RISK_BANDS)[number];

const Uuid = z.string().uuid();

export const SupplierParams = z.object({ id: Uuid, supplierId: Uuid });
export const AssessmentParams = z.object({ id: Uuid, assessmentId: Uuid });
export const TreatmentParams = AssessmentParams.extend({ treatmentId: Uuid });
export const SuppliersQuery = z
  .object({
    includeRetired: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
  })
  .strict();

export const SupplierBody = z
  .object({
    name: Line(200),
    kind: z.enum(SUPPLIER_KINDS),
    /** For kind `msp`: the MSP organisation in Accord this entry stands for (one of the customer's MSPs). */
    mspOrgId: Uuid.nullable().optional(),
    /** The services it provides (RMM, backup, SOC, payroll SaaS, ...). */
    services: z.array(Line(200)).max(50).default([]),
    /** Products and tools it supplies, as inventories name them (e.g. ScreenConnect): SCR-01 matches them. */
    products: z.array(Line(200)).max(50).default([]),
    /** Privileged access to the owner's networks or systems. */
    privilegedAccess: z.boolean().default(false),
    accessDescription: Prose(2000).nullable().optional(),
    dataCategories: z.array(z.enum(DATA_CATEGORIES)).max(DATA_CATEGORIES.length).default([]),
    contractStart: Day.nullable().optional(),
    contractEnd: Day.nullable().optional(),
    criticality: z.enum(CRITICALITIES),
    /** MSP registers only: show this entry to the MSP's customers (transparency). */
    published: z.boolean().default(false),
    notes: Prose(4000).nullable().optional(),
  })
  .strict()
  .refine((b) => !b.contractStart || !b.contractEnd || b.contractEnd >= b.contractStart, {
    message: 'the contract cannot end before it starts: contractEnd must be on or after contractStart',
    path: ['contractEnd'],
  })
  .refine((b) => b.kind === 'msp' || !b.mspOrgId, {
    message: 'mspOrgId is only given for an entry of kind msp',
    path: ['mspOrgId'],
  });
export type SupplierBody = z.infer<typeof SupplierBody>;

export const RetireBody = z.object({ reason: Prose(1000) }).strict();
export const RegisterReviewBody = z.object({ note: Prose(2000).optional() }).strict();

const CadenceDays = z.number().int().min(30, 'at least 30 days').max(1095, 'at most 1095 days (3 years)');
export const RegisterSettingsBody = z
  .object({
    /** Days an assessment stays current, by the supplier's criticality. */
    reassessmentDays: z
      .object({ critical: CadenceDays, high: CadenceDays, medium: CadenceDays, low: CadenceDays })
      .partial()
      .strict(),
  })
  .strict();

export const Supplier = z.object({
  id: Uuid,
  orgId: Uuid,
  name: z.string(),
  kind: z.enum(SUPPLIER_KINDS),
  mspOrgId: Uuid.nullable(),
  services: z.array(z.string()),
  products: z.array(z.string()),
  privilegedAccess: z.boolean(),
  accessDescription: z.string().nullable(),
  dataCategories: z.array(z.string()),
  contractStart: z.string().nullable(),
  contractEnd: z.string().nullable(),
  criticality: z.enum(CRITICALITIES),
  published: z.boolean(),
  notes: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  retiredAt: z.string().nullable(),
  retiredReason: z.string().nullable(),
});

export const SupplierRegister = z.object({
  orgId: Uuid,
  reviewedAt: z.string().nullable(),
  reviewedBy: z.string().nullable(),
  changedAt: z.string().nullable(),
  reassessmentDays: z.record(z.enum(CRITICALITIES), z.number()),
  counts: z.object({ active: z.number(), critical: z.number(), published: z.number(), retired: z.number() }),
  reviews: z.array(z.object({ at: z.string(), by: z.string(), note: z.string().nullable() })),
});

/** What an MSP published, as its customers see it. */
export const PublishedSupplier = z.object({
  msp: z.object({ id: Uuid, name: z.string() }),
  id: Uuid,
  name: z.string(),
  kind: z.enum(SUPPLIER_KINDS),
  services: z.array(z.string()),
  products: z.array(z.string()),
  privilegedAccess: z.boolean(),
  dataCategories: z.array(z.string()),
  criticality: z.enum(CRITICALITIES),
  contractEnd: z.string().nullable(),
  updatedAt: z.string(),
  /** The MSP's latest completed assessment of it: when, and the residual risk band. */
  lastAssessedAt: z.string().nullable(),
  residualBand: z.enum(RISK_BANDS).nullable(),
});
