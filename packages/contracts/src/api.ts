import { z } from 'zod';
import { MEMBER_FUNCTIONS, ORG_KINDS, PERMISSIONS, ROLES } from './permissions.ts';
import { OWNERS, VERIFICATION_MODES, CADENCES } from './catalog.ts';

/** Zod schemas of the REST API's bodies and answers. Routes validate with these and OpenAPI is
 * generated from them, so the documentation cannot drift from what the server accepts. */

export const Id = z.string().uuid();
export const IdParams = z.object({ id: Id });
export const Email = z.string().trim().toLowerCase().email().max(254);
export const Timestamp = z.string().datetime({ offset: true });

// ---- auth ----
export const LoginBody = z.object({
  email: Email,
  password: z.string().min(1).max(1024),
  /** Optional: a TOTP or recovery code in the same request (CLI and scripts). */
  code: z.string().trim().min(6).max(32).optional(),
});
export const MfaCodeBody = z.object({ code: z.string().trim().min(6).max(32) });
export const SessionInfo = z.object({
  status: z.enum(['authenticated', 'mfa_required', 'mfa_enrollment_required']),
  user: z.object({ id: Id, email: z.string(), name: z.string(), mfaEnrolled: z.boolean() }),
  activeOrgId: Id.nullable(),
  memberships: z.array(
    z.object({
      orgId: Id,
      orgName: z.string(),
      orgKind: z.enum(ORG_KINDS),
      role: z.enum(ROLES),
      function: z.enum(MEMBER_FUNCTIONS).nullable(),
      expiresAt: Timestamp.nullable(),
    }),
  ),
  invitations: z.array(
    z.object({ orgId: Id, orgName: z.string(), orgKind: z.enum(ORG_KINDS), role: z.enum(ROLES) }),
  ),
  csrfToken: z.string(),
  expiresAt: Timestamp,
});
export const MfaEnrollment = z.object({ secret: z.string(), otpauthUri: z.string() });
export const RecoveryCodes = z.object({ recoveryCodes: z.array(z.string()) });
export const SwitchOrgBody = z.object({ orgId: Id });
export const ChangePasswordBody = z.object({
  currentPassword: z.string().min(1).max(1024),
  newPassword: z.string().min(12, 'passwords have at least 12 characters').max(1024),
});

// ---- organisations and relationships ----
export const Org = z.object({
  id: Id,
  name: z.string(),
  kind: z.enum(ORG_KINDS),
  createdAt: Timestamp,
});
export const CreateOrgBody = z.object({
  name: z.string().trim().min(2).max(200),
  kind: z.enum(ORG_KINDS),
});
export const RelationshipStatus = z.enum(['invited', 'active', 'ended']);
export const Relationship = z.object({
  id: Id,
  mspOrgId: Id,
  mspName: z.string(),
  customerOrgId: Id,
  customerName: z.string(),
  status: RelationshipStatus,
  createdAt: Timestamp,
  activatedAt: Timestamp.nullable(),
  endedAt: Timestamp.nullable(),
});
export const InviteCustomerBody = z.object({ customerOrgId: Id });
export const CreateCustomerBody = z.object({ name: z.string().trim().min(2).max(200) });

// ---- users and memberships ----
export const Membership = z.object({
  userId: Id,
  email: z.string(),
  name: z.string(),
  orgId: Id,
  role: z.enum(ROLES),
  function: z.enum(MEMBER_FUNCTIONS).nullable(),
  expiresAt: Timestamp.nullable(),
  /** `invited`: an existing account was added and has not accepted yet (no access until then). */
  status: z.enum(['active', 'invited']),
  /** null while invited: an account's MFA state is not shown to an organisation it has not joined. */
  mfaEnrolled: z.boolean().nullable(),
  createdAt: Timestamp,
});
export const AddMemberBody = z
  .object({
    email: Email,
    name: z.string().trim().min(1).max(200),
    role: z.enum(ROLES),
    function: z.enum(MEMBER_FUNCTIONS).optional(),
    /** Required for auditors: read-only access ends at this time. */
    expiresAt: Timestamp.optional(),
    /** Initial password for a new user; omitted for an existing user. */
    password: z.string().min(12, 'passwords have at least 12 characters').max(1024).optional(),
  })
  .refine((b) => b.role !== 'auditor' || b.expiresAt !== undefined, {
    message: 'auditor access needs an expiry (expiresAt)',
    path: ['expiresAt'],
  })
  // Any member but an auditor may hold a function: an admin can be the security lead who signs off
  // supplier assessments, and the MSP's own staff sign off the MSP's supplier assessments.
  .refine((b) => b.role !== 'auditor' || b.function === undefined, {
    message: 'an auditor has no function (auditors only read)',
    path: ['function'],
  });
export const UserParams = z.object({ id: Id, userId: Id });

// ---- API tokens ----
export const CreateTokenBody = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.enum(PERMISSIONS)).min(1),
  expiresInDays: z.number().int().min(1).max(365),
});
export const ApiToken = z.object({
  id: Id,
  orgId: Id,
  name: z.string(),
  scopes: z.array(z.enum(PERMISSIONS)),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  revokedAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
});
export const CreatedApiToken = ApiToken.extend({ token: z.string() });

// ---- audit ----
export const AuditEntry = z.object({
  seq: z.number().int(),
  orgId: Id,
  at: Timestamp,
  actor: z.object({
    userId: Id.nullable(),
    tokenId: Id.nullable(),
    orgId: Id.nullable(),
    label: z.string(),
  }),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  beforeDigest: z.string().nullable(),
  afterDigest: z.string().nullable(),
  ip: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.record(z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});
export const AuditQuery = z.object({
  afterSeq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const AuditVerifyResult = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  firstBrokenSeq: z.number().int().nullable(),
  reason: z.string().nullable(),
});

// ---- agreements ----
export const ParameterValue = z.union([z.number(), z.boolean(), z.string(), z.array(z.string())]);
export const ParameterOverride = z.object({
  parameter: z.string(),
  justification: z.string().trim().min(20, 'an override needs a written justification (20+ characters)'),
});
export const AgreementControlInput = z.object({
  controlId: z.string().regex(/^[A-Z]{3}-\d{2}$/),
  owner: z.enum(OWNERS).optional(),
  parameters: z.record(ParameterValue).optional(),
  verification: z.enum(VERIFICATION_MODES).optional(),
  cadence: z.enum(CADENCES).optional(),
  notificationSlaHours: z.number().int().min(1).max(8760).optional(),
  overrides: z.array(ParameterOverride).optional(),
});
export const AgreementControl = z.object({
  controlId: z.string(),
  title: z.string(),
  group: z.string(),
  owner: z.enum(OWNERS),
  parameters: z.record(ParameterValue),
  verification: z.enum(VERIFICATION_MODES),
  cadence: z.enum(CADENCES),
  notificationSlaHours: z.number().int(),
  overrides: z.array(
    ParameterOverride.extend({ value: ParameterValue, limit: z.number(), recordedBy: z.string() }),
  ),
});
export const AgreementContent = z.object({
  agreementId: Id,
  title: z.string(),
  version: z.number().int(),
  catalog: z.object({ id: z.string(), version: z.string() }),
  msp: z.object({ id: Id, name: z.string() }),
  customer: z.object({ id: Id, name: z.string() }),
  controls: z.array(AgreementControl),
});
export type AgreementContent = z.infer<typeof AgreementContent>;
export const VersionState = z.enum(['draft', 'proposed', 'active', 'superseded', 'rejected', 'withdrawn']);
export const Acceptance = z.object({
  orgId: Id,
  party: z.enum(['msp', 'customer']),
  userId: Id.nullable(),
  userLabel: z.string(),
  digest: z.string(),
  acceptedAt: Timestamp,
});
export const AgreementVersion = z.object({
  id: Id,
  agreementId: Id,
  version: z.number().int(),
  state: VersionState,
  digest: z.string().nullable(),
  createdByOrgId: Id,
  createdAt: Timestamp,
  proposedAt: Timestamp.nullable(),
  activatedAt: Timestamp.nullable(),
  note: z.string().nullable(),
  acceptances: z.array(Acceptance),
  content: AgreementContent,
});
export const Agreement = z.object({
  id: Id,
  title: z.string(),
  mspOrgId: Id,
  customerOrgId: Id,
  status: z.enum([
    'draft',
    'awaiting_acceptance',
    'awaiting_msp',
    'awaiting_customer',
    'active',
    'active_amendment_pending',
    'ended',
  ]),
  activeVersion: z.number().int().nullable(),
  openVersion: z.number().int().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const CreateAgreementBody = z.object({
  customerOrgId: Id,
  title: z.string().trim().min(3).max(200),
  controls: z.array(AgreementControlInput).min(1),
  note: z.string().max(2000).optional(),
});
export const UpdateDraftBody = z.object({
  title: z.string().trim().min(3).max(200).optional(),
  controls: z.array(AgreementControlInput).min(1),
  note: z.string().max(2000).optional(),
});
export const AmendBody = z.object({ note: z.string().max(2000).optional() });
export const AcceptBody = z.object({
  digest: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'the SHA-256 digest (64 hex characters) of the version you accept'),
});
export const RejectBody = z.object({ reason: z.string().trim().min(3).max(2000) });
export const VersionParams = z.object({ id: Id, version: z.coerce.number().int().min(1) });
export const ExportQuery = z.object({ format: z.enum(['markdown', 'html', 'json']).default('markdown') });

export const HealthStatus = z.object({
  status: z.enum(['ok', 'starting', 'stopping']),
  checks: z.record(z.string()),
});
