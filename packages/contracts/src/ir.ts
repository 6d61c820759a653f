import { z } from 'zod';
import { Text, LongText } from './text.ts';

/**
 * Incident response and recovery (AA22-131A: "develop and exercise incident response and recovery
 * plans"): plans with named roles, incidents with an append-only timeline, exercises with
 * attendance, findings and follow-up actions. Everything belongs to one organisation (a customer,
 * or an MSP for its own internal plan); people named in it are members of that organisation or of
 * an MSP with an active relationship to it.
 */

const Uuid = z.string().uuid();
const Ts = z.string().datetime({ offset: true });

export const PLAN_KINDS = ['incident_response', 'recovery'] as const;
export type PlanKind = (typeof PLAN_KINDS)[number];
export const PLAN_ROLES = [
  'executive_sponsor',
  'incident_lead',
  'technical_lead',
  'procurement_officer',
  'legal',
  'communications',
  'msp_contact',
] as const;
export type PlanRole = (typeof PLAN_ROLES)[number];
/** The advisory's three roles: a plan without a named person for each cannot be approved. */
export const ADVISORY_ROLES: readonly PlanRole[] = [
  'executive_sponsor',
  'technical_lead',
  'procurement_officer',
];
/**
 * What the names of IRP-01's `required_roles` parameter mean in a plan: the catalog's compound
 * `legal_communications` needs both a legal and a communications role.
 */
export const REQUIRED_ROLE_MEANING: Readonly<Record<string, readonly PlanRole[]>> = {
  executive: ['executive_sponsor'],
  technical_lead: ['technical_lead'],
  procurement_officer: ['procurement_officer'],
  procurement: ['procurement_officer'],
  msp_contact: ['msp_contact'],
  legal_communications: ['legal', 'communications'],
  ...Object.fromEntries(PLAN_ROLES.map((r) => [r, [r]])),
};
/** The playbooks every incident response plan has before it can be approved. */
export const STANDARD_PLAYBOOKS = [
  'compromised_msp_account',
  'ransomware',
  'password_spraying',
  'rogue_remote_access_tool',
  'data_exfiltration',
] as const;
export const INCIDENT_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];
export const SEVERITY_RANK: Record<IncidentSeverity, number> = { critical: 3, high: 2, medium: 1, low: 0 };
export const RECIPIENTS = [
  'customer',
  'msp',
  'authority',
  'regulator',
  'insurer',
  'law_enforcement',
  'data_subjects',
  'executive',
  'other',
] as const;
export type Recipient = (typeof RECIPIENTS)[number];

const PlaybookKey = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,63}$/, 'must be a lower-case key such as ransomware or supplier_breach');

// ---- plans ----

export const PlanContent = z
  .object({
    title: Text(200),
    scope: LongText(8000),
    severityScale: z
      .array(z.object({ level: z.enum(INCIDENT_SEVERITIES), description: LongText(2000) }).strict())
      .max(4),
    roles: z
      .array(
        z
          .object({
            role: z.enum(PLAN_ROLES),
            userId: Uuid,
            deputyUserId: Uuid.nullable().optional(),
            responsibilities: LongText(4000).optional(),
          })
          .strict(),
      )
      .max(50),
    /** Who is called, in which order, and how to reach them when normal channels are down. */
    contactTree: z
      .array(
        z
          .object({
            userId: Uuid,
            escalationOrder: z.number().int().min(1).max(100),
            outOfBand: z
              .array(
                z
                  .object({ kind: z.enum(['phone', 'email', 'messenger', 'other']), value: Text(200) })
                  .strict(),
              )
              .min(1, 'give at least one out-of-band contact')
              .max(10),
            notes: LongText(2000).optional(),
          })
          .strict(),
      )
      .max(100),
    externalContacts: z
      .array(
        z
          .object({
            name: Text(200),
            purpose: Text(500),
            phone: Text(100).optional(),
            email: Text(254).optional(),
          })
          .strict(),
      )
      .max(50)
      .default([]),
    notificationDuties: z
      .array(
        z
          .object({
            recipient: z.enum(RECIPIENTS),
            withinHours: z.number().int().min(1).max(720),
            minSeverity: z.enum(INCIDENT_SEVERITIES).default('low'),
            description: LongText(2000),
          })
          .strict(),
      )
      .max(50)
      .default([]),
    recoveryObjectives: z
      .array(
        z
          .object({
            system: Text(200),
            rtoHours: z.number().min(0).max(8760),
            rpoHours: z.number().min(0).max(8760),
            notes: LongText(2000).optional(),
          })
          .strict(),
      )
      .max(200)
      .default([]),
    playbooks: z
      .array(
        z
          .object({
            incidentType: PlaybookKey,
            title: Text(200),
            steps: z
              .array(z.object({ text: LongText(2000), role: z.enum(PLAN_ROLES).optional() }).strict())
              .min(1)
              .max(100),
          })
          .strict(),
      )
      .max(50)
      .default([]),
    /** How often the plan is exercised (IRP-02's exercise_interval_days is the agreed longest gap). */
    exerciseCadenceDays: z.number().int().min(1).max(730).default(365),
    /** Where the printed copy is kept (the hard copy itself is attested on IRP-01). */
    hardCopyLocation: Text(500).optional(),
  })
  .strict();
export type PlanContent = z.infer<typeof PlanContent>;

export const CreatePlanBody = z
  .object({
    kind: z.enum(PLAN_KINDS),
    /** The first draft; without it the draft starts from Accord's template (standard playbooks). */
    content: PlanContent.optional(),
  })
  .strict();
export const UpdatePlanDraftBody = z.object({ content: PlanContent }).strict();
export const ApprovePlanBody = z
  .object({ digest: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 digest of the version you approve') })
  .strict();
export const ReviewPlanBody = z.object({ note: LongText(2000) }).strict();
export const PlanParams = z.object({ id: Uuid, planId: Uuid });
export const PlanVersionParams = PlanParams.extend({ version: z.coerce.number().int().min(1).max(100_000) });
export const PlanExportQuery = z.object({ format: z.enum(['markdown', 'html']).default('markdown') });

export const Person = z.object({ userId: Uuid, orgId: Uuid, name: z.string(), email: z.string() });
export const PlanApproval = z.object({
  orgId: Uuid,
  userLabel: z.string(),
  digest: z.string(),
  approvedAt: Ts,
});
export const PlanVersion = z.object({
  planId: Uuid,
  orgId: Uuid,
  kind: z.enum(PLAN_KINDS),
  version: z.number().int(),
  state: z.enum(['draft', 'approved', 'superseded']),
  digest: z.string(),
  content: PlanContent,
  createdBy: z.string(),
  createdAt: Ts,
  updatedAt: Ts,
  approvedAt: Ts.nullable(),
  /** Organisations whose approval the version needs (the plan's owner, and each party named in it). */
  approvalsNeeded: z.array(Uuid),
  approvals: z.array(PlanApproval),
  /** Why the version cannot be approved yet (empty when it can). */
  missing: z.array(z.string()),
  people: z.array(Person),
});
export const Plan = z.object({
  id: Uuid,
  orgId: Uuid,
  kind: z.enum(PLAN_KINDS),
  title: z.string(),
  approvedVersion: z.number().int().nullable(),
  draftVersion: z.number().int().nullable(),
  approvedAt: Ts.nullable(),
  lastReviewedAt: Ts.nullable(),
  exercise: z.object({
    cadenceDays: z.number().int().nullable(),
    lastHeldAt: Ts.nullable(),
    nextDueBy: Ts.nullable(),
  }),
  reviews: z.array(z.object({ version: z.number().int(), note: z.string(), by: z.string(), at: Ts })),
});
