/**
 * Roles and permissions. A membership gives a user one role in one organisation; the role's
 * permissions apply to that organisation and, for MSP roles, to customers the MSP has an *active*
 * relationship with. API tokens carry a subset of these permissions as scopes.
 */
export const ORG_KINDS = ['msp', 'customer'] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

export const ROLES = ['msp_admin', 'msp_engineer', 'customer_admin', 'customer_member', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const MEMBER_FUNCTIONS = [
  'executive',
  'technical_lead',
  'procurement',
  'legal',
  // Supply chain: supplier risk assessments are signed off by security, legal and procurement.
  'security',
] as const;
export type MemberFunction = (typeof MEMBER_FUNCTIONS)[number];

export const PERMISSIONS = [
  'org:read',
  'org:manage',
  'relationships:manage',
  'users:read',
  'users:manage',
  'tokens:manage',
  'catalog:read',
  'agreements:read',
  'agreements:draft',
  'agreements:accept',
  'audit:read',
  'logs:read',
  'logs:manage',
  'verification:run',
  'alerts:read',
  'alerts:manage',
  'rules:manage',
  'inventory:read',
  'inventory:manage',
  'evidence:read',
  'evidence:write',
  'attest',
  // Supply chain: the supplier register, risk assessments, and the three-function sign-off.
  'suppliers:read',
  'suppliers:manage',
  'suppliers:signoff',
  // Incident response: plans, incidents, exercises and their follow-up actions.
  'ir:read',
  'ir:manage',
  'ir:approve',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: Permission[] = [
  'org:read',
  'catalog:read',
  'agreements:read',
  'audit:read',
  'logs:read',
  'alerts:read',
  'inventory:read',
  'evidence:read',
  'suppliers:read',
  'ir:read',
];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  msp_admin: [...PERMISSIONS],
  msp_engineer: [
    ...READ,
    'users:read',
    'agreements:draft',
    'logs:manage',
    'alerts:manage',
    'rules:manage',
    'verification:run',
    'inventory:manage',
    // Engineers collect evidence; attesting and reviewing attestations are admin acts, like accepting.
    'evidence:write',
    // A sign-off also needs the member's function to be security, legal or procurement.
    'suppliers:signoff',
    // Engineers draft plans and run incidents and exercises; approving a plan is an admin act.
    'ir:manage',
  ],
  customer_admin: [...PERMISSIONS],
  customer_member: [
    ...READ,
    'users:read',
    // Procurement and legal staff are often members, not admins: they sign off supplier assessments.
    'suppliers:signoff',
  ],
  auditor: READ,
};

/** Which organisation kinds a role may be granted in. */
export const ROLE_ORG_KINDS: Record<Role, readonly OrgKind[]> = {
  msp_admin: ['msp'],
  msp_engineer: ['msp'],
  customer_admin: ['customer'],
  customer_member: ['customer'],
  auditor: ['msp', 'customer'],
};

/** MFA is mandatory for every MSP role and every admin role (AA22-131A: MFA on MSP accounts). */
export const MFA_REQUIRED_ROLES: readonly Role[] = ['msp_admin', 'msp_engineer', 'customer_admin'];

export function permissionsFor(role: Role): Set<Permission> {
  return new Set(ROLE_PERMISSIONS[role]);
}
