import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPORT_PATHS, PERMISSIONS, ROLE_PERMISSIONS, type Permission, type Role } from '@accord/contracts';
import { dbTargets, startTestServer, type TestServer } from './support/harness.ts';
import {
  addUser,
  createCustomer,
  createMsp,
  ctxFor,
  SAMPLE_CONTROLS,
  type TestUser,
} from './support/factories.ts';
import { ApiClient, signIn, type ApiResponse } from './support/api-client.ts';
import { recordDetections } from '../src/modules/detection/alerts.repo.ts';
import { supplierInput } from './support/suppliers.ts';

/**
 * Tenant isolation, end to end over HTTP. Two MSPs (A with customers A1 and A2, B with B1) share
 * one server. For every /api/v1 route that takes an id, a user or an API token of an unrelated
 * organisation must get exactly what it gets for an id that does not exist (404; 403 only when its
 * own role lacks the permission, which says nothing about the target), and the owner must see
 * nothing changed. A route added without a case in ROUTES fails the completeness test.
 */

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** The objects of one organisation, as seen from that organisation (the victim in the table). */
interface Side {
  name: string;
  org: string;
  /** A member who is not the last admin (so removing them would succeed for the owner). */
  member: string;
  relationship: string;
  token: string;
  /** An agreement whose version 1 is proposed (so it has a digest). */
  agreement: string;
  digest: string;
  /** An agreement whose version 1 is still a draft. */
  draft: string;
  /** A log source of the organisation. */
  source: string;
  /** An open alert, a suppression and a notification channel of the organisation. */
  alert: string;
  suppression: string;
  channel: string;
  /** A file evidence item of IRP-01 in `agreement`, and an attestation of IRP-01 citing it. */
  evidence: string;
  attestation: string;
  /** A register entry, a draft assessment of it and a treatment (set by supplyChainObjects). */
  supplier?: string;
  assessment?: string;
  treatment?: string;
}

interface RouteCase {
  method: Method;
  /** The path as the OpenAPI document spells it. */
  route: string;
  /** The permission the route requires of the caller's role or token. */
  permission: Permission;
  params: (s: Side) => Record<string, string | number>;
  body?: (s: Side) => unknown;
  query?: string;
  /** What the owner gets when it is not 200 (e.g. a report of an agreement not yet active: 409). */
  ownerStatus?: number;
}
/** The status a reader entitled to the object gets. */
const ownerOk = (c: RouteCase) => c.ownerStatus ?? 200;

const inOneDay = () => new Date(Date.now() + 86_400_000).toISOString();
const newEmail = () => `intruder-${randomUUID().slice(0, 8)}@test.example`;

/** Every /api/v1 route with a path parameter that reaches a tenant's object. */
const ROUTES: RouteCase[] = [
  { method: 'GET', route: '/api/v1/orgs/{id}', permission: 'org:read', params: (s) => ({ id: s.org }) },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/members',
    permission: 'users:read',
    params: (s) => ({ id: s.org }),
  },
  {
    method: 'POST',
    route: '/api/v1/orgs/{id}/members',
    permission: 'users:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({
      email: newEmail(),
      name: 'Intruder',
      role: 'auditor',
      expiresAt: inOneDay(),
      password: 'correct horse battery staple',
    }),
  },
  {
    method: 'DELETE',
    route: '/api/v1/orgs/{id}/members/{userId}',
    permission: 'users:manage',
    params: (s) => ({ id: s.org, userId: s.member }),
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/audit',
    permission: 'audit:read',
    params: (s) => ({ id: s.org }),
    query: '?limit=5',
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/audit/verify',
    permission: 'audit:read',
    params: (s) => ({ id: s.org }),
  },
  {
    method: 'POST',
    route: '/api/v1/relationships/{id}/accept',
    permission: 'relationships:manage',
    params: (s) => ({ id: s.relationship }),
  },
  {
    method: 'POST',
    route: '/api/v1/relationships/{id}/end',
    permission: 'relationships:manage',
    params: (s) => ({ id: s.relationship }),
  },
  {
    method: 'POST',
    route: '/api/v1/tokens/{id}/revoke',
    permission: 'tokens:manage',
    params: (s) => ({ id: s.token }),
  },
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement }),
  },
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}/versions',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement }),
  },
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}/verification',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement }),
  },
  {
    method: 'POST',
    route: '/api/v1/agreements/{id}/verification/run',
    permission: 'verification:run',
    params: (s) => ({ id: s.agreement }),
  },
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}/controls/{controlId}/history',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement, controlId: 'LOG-01' }),
  },
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}/versions/{version}',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement, version: 1 }),
  },
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}/versions/{version}/export',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement, version: 1 }),
    query: '?format=json',
  },
  {
    method: 'PUT',
    route: '/api/v1/agreements/{id}/draft',
    permission: 'agreements:draft',
    params: (s) => ({ id: s.draft }),
    body: () => ({ title: 'Taken over', controls: SAMPLE_CONTROLS }),
  },
  {
    method: 'POST',
    route: '/api/v1/agreements/{id}/amendments',
    permission: 'agreements:draft',
    params: (s) => ({ id: s.agreement }),
    body: () => ({ note: 'not yours' }),
  },
  {
    method: 'POST',
    route: '/api/v1/agreements/{id}/versions/{version}/propose',
    permission: 'agreements:draft',
    params: (s) => ({ id: s.draft, version: 1 }),
  },
  {
    method: 'POST',
    route: '/api/v1/agreements/{id}/versions/{version}/accept',
    permission: 'agreements:accept',
    params: (s) => ({ id: s.agreement, version: 1 }),
    body: (s) => ({ digest: s.digest }),
  },
  {
    method: 'POST',
    route: '/api/v1/agreements/{id}/versions/{version}/reject',
    permission: 'agreements:accept',
    params: (s) => ({ id: s.agreement, version: 1 }),
    body: () => ({ reason: 'not acceptable' }),
  },
  {
    method: 'POST',
    route: '/api/v1/agreements/{id}/versions/{version}/withdraw',
    permission: 'agreements:draft',
    params: (s) => ({ id: s.agreement, version: 1 }),
  },
];

const LOG_ROUTES: RouteCase[] = [
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/sources',
    permission: 'logs:read',
    params: (s) => ({ id: s.org }),
  },
  {
    method: 'POST',
    route: '/api/v1/orgs/{id}/sources',
    permission: 'logs:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({ kind: 'cef', name: `intruder-${randomUUID().slice(0, 8)}`, expectedIntervalMinutes: 5 }),
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/sources/{sourceId}',
    permission: 'logs:read',
    params: (s) => ({ id: s.org, sourceId: s.source }),
  },
  ...(['rotate-token', 'disable', 'enable'] as const).map((verb): RouteCase => ({
    method: 'POST',
    route: `/api/v1/orgs/{id}/sources/{sourceId}/${verb}`,
    permission: 'logs:manage',
    params: (s) => ({ id: s.org, sourceId: s.source }),
  })),
  {
    method: 'PUT',
    route: '/api/v1/orgs/{id}/sources/{sourceId}/categories',
    permission: 'logs:manage',
    params: (s) => ({ id: s.org, sourceId: s.source }),
    body: () => ({ categories: ['firewall'] }),
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/events',
    permission: 'logs:read',
    params: (s) => ({ id: s.org }),
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/logs/verify',
    permission: 'logs:read',
    params: (s) => ({ id: s.org }),
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/quarantine',
    permission: 'logs:read',
    params: (s) => ({ id: s.org }),
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/logs/coverage',
    permission: 'logs:read',
    params: (s) => ({ id: s.org }),
  },
  {
    method: 'POST',
    route: '/api/v1/orgs/{id}/quarantine/replay',
    permission: 'logs:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({}),
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/groups',
    permission: 'logs:read',
    params: (s) => ({ id: s.org }),
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/groups/{group}/members',
    permission: 'logs:read',
    params: (s) => ({ id: s.org, group: 'MSP Technicians' }),
  },
  {
    method: 'PUT',
    route: '/api/v1/orgs/{id}/groups/{group}/members',
    permission: 'logs:manage',
    params: (s) => ({ id: s.org, group: 'MSP Technicians' }),
    body: () => ({ members: ['intruder@evil.example'] }),
  },
];
ROUTES.push(...LOG_ROUTES);

const inOneWeek = () => new Date(Date.now() + 7 * 86_400_000).toISOString();
const DETECTION_ROUTES: RouteCase[] = [
  ...(['rules', 'alerts', 'suppressions', 'notification-channels', 'notifications'] as const).map(
    (what): RouteCase => ({
      method: 'GET',
      route: `/api/v1/orgs/{id}/${what}`,
      permission: 'alerts:read',
      params: (s) => ({ id: s.org }),
    }),
  ),
  {
    method: 'POST',
    route: '/api/v1/orgs/{id}/rules',
    permission: 'rules:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({
      yaml: 'title: not yours\nid: intruder-rule\nlogsource: {}\ndetection: {sel: {class: x}, condition: sel}\n',
    }),
  },
  {
    method: 'PUT',
    route: '/api/v1/orgs/{id}/rules/{ruleId}/settings',
    permission: 'rules:manage',
    params: (s) => ({ id: s.org, ruleId: 'any-rule' }),
    body: () => ({ enabled: false }),
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/alerts/{alertId}',
    permission: 'alerts:read',
    params: (s) => ({ id: s.org, alertId: s.alert }),
  },
  {
    method: 'POST',
    route: '/api/v1/orgs/{id}/alerts/{alertId}/status',
    permission: 'alerts:manage',
    params: (s) => ({ id: s.org, alertId: s.alert }),
    body: () => ({ status: 'false_positive', reason: 'not yours' }),
  },
  {
    method: 'POST',
    route: '/api/v1/orgs/{id}/suppressions',
    permission: 'alerts:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({ ruleId: 'x', reason: 'not yours', expiresAt: inOneWeek() }),
  },
  {
    method: 'DELETE',
    route: '/api/v1/orgs/{id}/suppressions/{suppressionId}',
    permission: 'alerts:manage',
    params: (s) => ({ id: s.org, suppressionId: s.suppression }),
  },
  {
    method: 'POST',
    route: '/api/v1/orgs/{id}/notification-channels',
    permission: 'alerts:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({ kind: 'email', name: 'intruder', to: 'intruder@test.example' }),
  },
  {
    method: 'DELETE',
    route: '/api/v1/orgs/{id}/notification-channels/{channelId}',
    permission: 'alerts:manage',
    params: (s) => ({ id: s.org, channelId: s.channel }),
  },
  {
    method: 'POST',
    route: '/api/v1/orgs/{id}/detect/runs',
    permission: 'alerts:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({ from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z' }),
  },
];
ROUTES.push(...DETECTION_ROUTES);
/** Inventory imports (the file is the body; an empty JSON object is enough to reach the checks). */
const INVENTORY_ROUTES: RouteCase[] = [
  ...Object.values(IMPORT_PATHS).map((kind): RouteCase => ({
    method: 'POST',
    route: `/api/v1/orgs/{id}/imports/${kind}`,
    permission: 'inventory:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({}),
  })),
  ...['imports', 'inventory/accounts', 'inventory/assets', 'inventory/vulnerabilities', 'inventory/kev']
    .concat(['inventory/backups', 'inventory/remote-access', 'inventory/scubagear'])
    .map((path): RouteCase => ({
      method: 'GET',
      route: `/api/v1/orgs/{id}/${path}`,
      permission: 'inventory:read',
      params: (s) => ({ id: s.org }),
    })),
];
ROUTES.push(...INVENTORY_ROUTES);
/** The staff roster (its import route is among IMPORT_PATHS above). */
ROUTES.push({
  method: 'GET',
  route: '/api/v1/orgs/{id}/inventory/roster',
  permission: 'inventory:read',
  params: (s) => ({ id: s.org }),
});
/** A mail domain of each organisation (registered in buildWorld), by organisation id. */
const MAIL_DOMAINS = new Map<string, string>();
const MAIL = '/api/v1/orgs/{id}/mail-domains';
const domainOf = (s: Side) => ({ id: s.org, domainId: MAIL_DOMAINS.get(s.org)! });
/** Mail domains and their DNS checks; training and phishing-simulation reads. */
const PHISHING_ROUTES: RouteCase[] = [
  {
    method: 'POST',
    route: MAIL,
    permission: 'inventory:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({ domain: `intruder-${randomUUID().slice(0, 8)}.example`, dkimSelectors: [] }),
  },
  { method: 'GET', route: MAIL, permission: 'inventory:read', params: (s) => ({ id: s.org }) },
  { method: 'GET', route: `${MAIL}/{domainId}`, permission: 'inventory:read', params: domainOf },
  {
    method: 'PUT',
    route: `${MAIL}/{domainId}`,
    permission: 'inventory:manage',
    params: domainOf,
    body: () => ({ dkimSelectors: ['intruder'] }),
  },
  { method: 'DELETE', route: `${MAIL}/{domainId}`, permission: 'inventory:manage', params: domainOf },
  { method: 'POST', route: `${MAIL}/{domainId}/check`, permission: 'inventory:manage', params: domainOf },
  { method: 'GET', route: `${MAIL}/{domainId}/checks`, permission: 'inventory:read', params: domainOf },
  ...['inventory/training', 'inventory/phishing', 'inventory/phishing/campaigns'].map((path): RouteCase => ({
    method: 'GET',
    route: `/api/v1/orgs/{id}/${path}`,
    permission: 'inventory:read',
    params: (s) => ({ id: s.org }),
  })),
];
ROUTES.push(...PHISHING_ROUTES);
/** Network defence monitoring and application control (docs/network-and-endpoint.md). */
ROUTES.push(
  {
    method: 'PUT',
    route: '/api/v1/orgs/{id}/sources/{sourceId}/site',
    permission: 'logs:manage',
    params: (s) => ({ id: s.org, sourceId: s.source }),
    body: () => ({ site: 'Intruder site' }),
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/inventory/app-control',
    permission: 'inventory:read',
    params: (s) => ({ id: s.org }),
  },
);
const CONTROL = '/api/v1/agreements/{id}/controls/{controlId}';
const EVIDENCE_ROUTES: RouteCase[] = [
  {
    method: 'GET',
    route: `${CONTROL}/evidence`,
    permission: 'evidence:read',
    params: (s) => ({ id: s.agreement, controlId: 'IRP-01' }),
  },
  {
    method: 'POST',
    route: `${CONTROL}/evidence`,
    permission: 'evidence:write',
    params: (s) => ({ id: s.agreement, controlId: 'IRP-01' }),
    body: () => ({ url: 'https://intruder.example/x', title: 'Not yours', effectiveAt: '2025-01-01' }),
  },
  {
    method: 'GET',
    route: `${CONTROL}/evidence/{evidenceId}`,
    permission: 'evidence:read',
    params: (s) => ({ id: s.agreement, controlId: 'IRP-01', evidenceId: s.evidence }),
  },
  {
    method: 'POST',
    route: `${CONTROL}/evidence/{evidenceId}/revisions`,
    permission: 'evidence:write',
    params: (s) => ({ id: s.agreement, controlId: 'IRP-01', evidenceId: s.evidence }),
    body: () => ({ note: 'tampered' }),
  },
  {
    method: 'GET',
    route: `${CONTROL}/evidence/{evidenceId}/revisions/{rev}/content`,
    permission: 'evidence:read',
    params: (s) => ({ id: s.agreement, controlId: 'IRP-01', evidenceId: s.evidence, rev: 1 }),
  },
  {
    method: 'POST',
    route: `${CONTROL}/evidence/{evidenceId}/withdraw`,
    permission: 'evidence:write',
    params: (s) => ({ id: s.agreement, controlId: 'IRP-01', evidenceId: s.evidence }),
    body: () => ({ reason: 'not yours' }),
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/{id}/evidence/expiring',
    permission: 'evidence:read',
    params: (s) => ({ id: s.org }),
  },
  {
    method: 'GET',
    route: `${CONTROL}/attestations`,
    permission: 'evidence:read',
    params: (s) => ({ id: s.agreement, controlId: 'IRP-01' }),
  },
  {
    method: 'POST',
    route: `${CONTROL}/attestations`,
    permission: 'attest',
    params: (s) => ({ id: s.agreement, controlId: 'IRP-01' }),
    body: () => ({ statement: 'All done, trust me', evidenceIds: [] }),
  },
  {
    method: 'POST',
    route: `${CONTROL}/attestations/{attestationId}/accept`,
    permission: 'attest',
    params: (s) => ({ id: s.agreement, controlId: 'IRP-01', attestationId: s.attestation }),
    body: () => ({}),
  },
  {
    method: 'POST',
    route: `${CONTROL}/attestations/{attestationId}/dispute`,
    permission: 'attest',
    params: (s) => ({ id: s.agreement, controlId: 'IRP-01', attestationId: s.attestation }),
    body: () => ({ comment: 'not yours to dispute' }),
  },
];
ROUTES.push(...EVIDENCE_ROUTES);
/** Supply chain: supplier registers, risk assessments, treatments and sign-offs. */
const SUPPLY = '/api/v1/orgs/{id}';
const SUPPLY_ROUTES: RouteCase[] = [
  ...['suppliers', 'supplier-register', 'published-suppliers', 'supplier-ranking'].map((path): RouteCase => ({
    method: 'GET',
    route: `${SUPPLY}/${path}`,
    permission: 'suppliers:read',
    params: (s) => ({ id: s.org }),
  })),
  ...['suppliers/{supplierId}', 'suppliers/{supplierId}/assessments'].map((path): RouteCase => ({
    method: 'GET',
    route: `${SUPPLY}/${path}`,
    permission: 'suppliers:read',
    params: (s) => ({ id: s.org, supplierId: s.supplier! }),
  })),
  {
    method: 'GET',
    route: `${SUPPLY}/supplier-assessments/{assessmentId}`,
    permission: 'suppliers:read',
    params: (s) => ({ id: s.org, assessmentId: s.assessment! }),
  },
  {
    method: 'POST',
    route: `${SUPPLY}/suppliers`,
    permission: 'suppliers:manage',
    params: (s) => ({ id: s.org }),
    body: () => supplierInput(`Intruder ${randomUUID().slice(0, 8)}`),
  },
  {
    method: 'POST',
    route: `${SUPPLY}/suppliers/import`,
    permission: 'suppliers:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({ suppliers: [supplierInput(`Intruder ${randomUUID().slice(0, 8)}`)] }),
  },
  {
    method: 'PUT',
    route: `${SUPPLY}/suppliers/{supplierId}`,
    permission: 'suppliers:manage',
    params: (s) => ({ id: s.org, supplierId: s.supplier! }),
    body: () => supplierInput('Renamed by an intruder', { criticality: 'low' }),
  },
  {
    method: 'POST',
    route: `${SUPPLY}/suppliers/{supplierId}/retire`,
    permission: 'suppliers:manage',
    params: (s) => ({ id: s.org, supplierId: s.supplier! }),
    body: () => ({ reason: 'not yours' }),
  },
  {
    method: 'POST',
    route: `${SUPPLY}/suppliers/{supplierId}/assessments`,
    permission: 'suppliers:manage',
    params: (s) => ({ id: s.org, supplierId: s.supplier! }),
  },
  {
    method: 'PUT',
    route: `${SUPPLY}/supplier-register`,
    permission: 'suppliers:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({ reassessmentDays: { critical: 30 } }),
  },
  {
    method: 'POST',
    route: `${SUPPLY}/supplier-register/reviews`,
    permission: 'suppliers:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({ note: 'not yours' }),
  },
  {
    method: 'PUT',
    route: `${SUPPLY}/supplier-assessments/{assessmentId}`,
    permission: 'suppliers:manage',
    params: (s) => ({ id: s.org, assessmentId: s.assessment! }),
    body: () => ({ inherent: { likelihood: 1, impact: 1 } }),
  },
  ...(['submit', 'reopen'] as const).map((verb): RouteCase => ({
    method: 'POST',
    route: `${SUPPLY}/supplier-assessments/{assessmentId}/${verb}`,
    permission: 'suppliers:manage',
    params: (s) => ({ id: s.org, assessmentId: s.assessment! }),
    body: () => (verb === 'reopen' ? { reason: 'not yours' } : {}),
  })),
  {
    method: 'POST',
    route: `${SUPPLY}/supplier-assessments/{assessmentId}/signoffs`,
    permission: 'suppliers:signoff',
    params: (s) => ({ id: s.org, assessmentId: s.assessment! }),
    body: () => ({ function: 'security' }),
  },
  {
    method: 'POST',
    route: `${SUPPLY}/supplier-assessments/{assessmentId}/treatments`,
    permission: 'suppliers:manage',
    params: (s) => ({ id: s.org, assessmentId: s.assessment! }),
    body: () => ({
      type: 'accept',
      description: 'not yours',
      ownerUserId: randomUUID(),
      dueDate: inOneDay().slice(0, 10),
    }),
  },
  {
    method: 'POST',
    route: `${SUPPLY}/supplier-assessments/{assessmentId}/treatments/{treatmentId}/close`,
    permission: 'suppliers:manage',
    params: (s) => ({ id: s.org, assessmentId: s.assessment!, treatmentId: s.treatment! }),
    body: () => ({ status: 'done', note: 'not yours' }),
  },
];
ROUTES.push(...SUPPLY_ROUTES);

/** A supplier, a draft assessment of it and one treatment in each organisation of the table. */
async function supplyChainObjects(srv: TestServer, w: World): Promise<void> {
  const objects = async (side: Side, admin: TestUser, kind: 'msp' | 'customer') => {
    const ctx = ctxFor(admin, kind);
    const s = await srv.rt.services.suppliers.create(ctx, side.org, supplierInput('Isolation vendor'));
    const a = await srv.rt.services.supplierAssessments.start(ctx, side.org, s.id);
    const t = await srv.rt.services.supplierAssessments.addTreatment(ctx, side.org, a.row.id, {
      type: 'mitigate',
      description: 'isolation',
      ownerUserId: admin.id,
      dueDate: inOneDay().slice(0, 10),
    });
    Object.assign(side, { supplier: s.id, assessment: a.row.id, treatment: t.treatments[0]!.id });
  };
  await objects(w.sides.aMsp, w.aAdmin.user!, 'msp');
  await objects(w.sides.aCustomer, w.a1Admin.user!, 'customer');
  await objects(w.sides.bMsp, w.bAdmin.user!, 'msp');
  await objects(w.sides.bCustomer, w.b1Admin.user!, 'customer');
}

const OSCAL_ROUTES: RouteCase[] = [
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}/versions/{version}/oscal/profile',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement, version: 1 }),
  },
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}/versions/{version}/oscal/component-definition',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement, version: 1 }),
  },
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}/oscal/assessment-results',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement }),
  },
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}/oscal/poam',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement }),
  },
];
ROUTES.push(...OSCAL_ROUTES);

const REPORT_ROUTES: RouteCase[] = [
  // The side's agreement is proposed, not active: nothing to report on yet (409 for its parties).
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}/report',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement }),
    ownerStatus: 409,
  },
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}/export/controls.csv',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement }),
  },
  {
    method: 'GET',
    route: '/api/v1/agreements/{id}/export/evidence.csv',
    permission: 'agreements:read',
    params: (s) => ({ id: s.agreement }),
    ownerStatus: 409,
  },
];
ROUTES.push(...REPORT_ROUTES);

/** Incident response objects of each organisation (keyed by its id), made in buildWorld. */
interface IrIds {
  plan: string;
  incident: string;
  exercise: string;
  action: string;
}
const IR_IDS = new Map<string, IrIds>();
const ir = (s: Side) => IR_IDS.get(s.org)!;
const PLAN = '/api/v1/orgs/{id}/ir/plans/{planId}';
const INCIDENT = '/api/v1/orgs/{id}/incidents/{incidentId}';
const EXERCISE = '/api/v1/orgs/{id}/ir/exercises/{exerciseId}';
const todayIso = () => new Date().toISOString().slice(0, 10);
const IR_ROUTES: RouteCase[] = [
  ...['/api/v1/orgs/{id}/ir/plans', '/api/v1/orgs/{id}/incidents', '/api/v1/orgs/{id}/ir/exercises']
    .concat(['/api/v1/orgs/{id}/ir/actions'])
    .map((route): RouteCase => ({
      method: 'GET',
      route,
      permission: 'ir:read',
      params: (s) => ({ id: s.org }),
    })),
  {
    method: 'POST',
    route: '/api/v1/orgs/{id}/ir/plans',
    permission: 'ir:manage',
    params: (s) => ({ id: s.org }),
    body: () => ({ kind: 'recovery' }),
  },
  { method: 'GET', route: PLAN, permission: 'ir:read', params: (s) => ({ id: s.org, planId: ir(s).plan }) },
  {
    method: 'PUT',
    route: `${PLAN}/draft`,
    permission: 'ir:manage',
    params: (s) => ({ id: s.org, planId: ir(s).plan }),
    body: () => ({
      content: { title: 'Taken over', scope: 'x', severityScale: [], roles: [], contactTree: [] },
    }),
  },
  {
    method: 'POST',
    route: `${PLAN}/review`,
    permission: 'ir:approve',
    params: (s) => ({ id: s.org, planId: ir(s).plan }),
    body: () => ({ note: 'not yours' }),
  },
  {
    method: 'GET',
    route: `${PLAN}/versions/{version}`,
    permission: 'ir:read',
    params: (s) => ({ id: s.org, planId: ir(s).plan, version: 1 }),
  },
  {
    method: 'GET',
    route: `${PLAN}/versions/{version}/export`,
    permission: 'ir:read',
    params: (s) => ({ id: s.org, planId: ir(s).plan, version: 1 }),
    query: '?format=html',
  },
  {
    method: 'POST',
    route: `${PLAN}/versions/{version}/approve`,
    permission: 'ir:approve',
    params: (s) => ({ id: s.org, planId: ir(s).plan, version: 1 }),
    body: () => ({ digest: '0'.repeat(64) }),
  },
  {
    method: 'POST',
    route: '/api/v1/orgs/{id}/incidents',
    permission: 'ir:manage',
    params: (s) => ({ id: s.org }),
    body: (s) => ({ title: 'Not yours', severity: 'low', alertIds: [s.alert] }),
  },
  {
    method: 'GET',
    route: INCIDENT,
    permission: 'ir:read',
    params: (s) => ({ id: s.org, incidentId: ir(s).incident }),
  },
  {
    method: 'PUT',
    route: INCIDENT,
    permission: 'ir:manage',
    params: (s) => ({ id: s.org, incidentId: ir(s).incident }),
    body: () => ({ severity: 'critical' }),
  },
  ...(
    [
      ['notes', () => ({ text: 'not yours' })],
      ['alerts', (s: Side) => ({ alertIds: [s.alert] })],
      ['playbook', () => ({ playbook: 'ransomware' })],
      [
        'notifications',
        () => ({ recipient: 'customer', notifiedAt: new Date().toISOString(), channel: 'phone' }),
      ],
      ['close', () => ({ rootCause: 'x', lessonsLearned: 'y' })],
      ['actions', (s: Side) => ({ title: 'Not yours', ownerUserId: s.member, dueDate: todayIso() })],
    ] as const
  ).map(([verb, body]): RouteCase => ({
    method: 'POST',
    route: `${INCIDENT}/${verb}`,
    permission: 'ir:manage',
    params: (s) => ({ id: s.org, incidentId: ir(s).incident }),
    body,
  })),
  {
    method: 'POST',
    route: `${INCIDENT}/steps/{step}`,
    permission: 'ir:manage',
    params: (s) => ({ id: s.org, incidentId: ir(s).incident, step: 1 }),
    body: () => ({ done: true }),
  },
  {
    method: 'PUT',
    route: '/api/v1/orgs/{id}/ir/actions/{actionId}',
    permission: 'ir:manage',
    params: (s) => ({ id: s.org, actionId: ir(s).action }),
    body: () => ({ status: 'done' }),
  },
  {
    method: 'POST',
    route: '/api/v1/orgs/{id}/ir/exercises',
    permission: 'ir:manage',
    params: (s) => ({ id: s.org }),
    body: (s) => ({
      planId: ir(s).plan,
      kind: 'tabletop',
      title: 'Not yours',
      scenario: 'x',
      participants: [{ userId: s.member }],
    }),
  },
  {
    method: 'GET',
    route: EXERCISE,
    permission: 'ir:read',
    params: (s) => ({ id: s.org, exerciseId: ir(s).exercise }),
  },
  ...(
    [
      ['notes', () => ({ text: 'not yours' })],
      [
        'attendance',
        (s: Side) => ({
          heldAt: new Date().toISOString(),
          attendees: [{ userId: s.member, attended: true }],
        }),
      ],
      ['findings', () => ({ title: 'x', detail: 'y' })],
      ['actions', (s: Side) => ({ title: 'Not yours', ownerUserId: s.member, dueDate: todayIso() })],
      ['close', () => ({ summary: 'x' })],
      ['cancel', () => ({ reason: 'not yours' })],
    ] as const
  ).map(([verb, body]): RouteCase => ({
    method: 'POST',
    route: `${EXERCISE}/${verb}`,
    permission: 'ir:manage',
    params: (s) => ({ id: s.org, exerciseId: ir(s).exercise }),
    body,
  })),
];
ROUTES.push(...IR_ROUTES);

/** Routes with a path parameter that name shared reference data, not a tenant's object. */
const NOT_TENANT_SCOPED: Record<string, string> = {
  'GET /api/v1/catalog/controls/{controlId}': 'the control catalog is the same for every organisation',
  'POST /api/v1/auth/invitations/{id}/accept':
    "acts only on the caller's own invitation (tested with the body ids below)",
  'POST /api/v1/auth/invitations/{id}/decline':
    "acts only on the caller's own invitation (tested with the body ids below)",
};

const READS = ROUTES.filter((c) => c.method === 'GET');
const WRITES = ROUTES.filter((c) => c.method !== 'GET');
const keyOf = (c: { method: string; route: string }) => `${c.method} ${c.route}`;

/** Writes without an id in the path; the ids they name are in the body. */
const OTHER_WRITES: { method: Method; path: string; permission: Permission; body: (s: Side) => unknown }[] = [
  {
    method: 'POST',
    path: '/api/v1/agreements',
    permission: 'agreements:draft',
    body: (s) => ({ customerOrgId: s.org, title: 'Not allowed', controls: SAMPLE_CONTROLS }),
  },
  {
    method: 'POST',
    path: '/api/v1/tokens',
    permission: 'tokens:manage',
    body: () => ({ name: 'not allowed', scopes: ['org:read'], expiresInDays: 1 }),
  },
  {
    method: 'POST',
    path: '/api/v1/customers',
    permission: 'relationships:manage',
    body: () => ({
      name: `Not allowed ${randomUUID().slice(0, 8)}`,
      admin: { email: newEmail(), name: 'X', password: 'correct horse battery staple' },
    }),
  },
  {
    method: 'POST',
    path: '/api/v1/relationships',
    permission: 'relationships:manage',
    body: (s) => ({ customerOrgId: s.org }),
  },
];

interface Principal {
  who: string;
  client: ApiClient;
  orgId: string;
  /** The member's role; null for an API token (every token here carries every permission). */
  role: Role | null;
  user: TestUser | null;
  tokenId: string | null;
  tokenName: string | null;
}

const can = (p: Principal, perm: Permission) =>
  (p.role ? ROLE_PERMISSIONS[p.role] : PERMISSIONS).includes(perm);

function fill(route: string, params: Record<string, string | number>): string {
  return route.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (params[k] === undefined) throw new Error(`no value for {${k}} in ${route}`);
    return encodeURIComponent(String(params[k]));
  });
}

/** Sends a route case against a side's objects; `nonexistent` swaps every id for a fresh UUID. */
function send(p: Principal, c: RouteCase, s: Side, nonexistent = false): Promise<ApiResponse> {
  let params = c.params(s);
  if (nonexistent)
    params = Object.fromEntries(
      Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? randomUUID() : v]),
    );
  const body = c.method === 'GET' || c.method === 'DELETE' ? undefined : (c.body?.(s) ?? {});
  return p.client.request(c.method, fill(c.route, params) + (c.query ?? ''), body);
}

/** What a caller can tell from an answer without reading messages: status and error code. */
const outcome = (r: ApiResponse) =>
  r.status < 300 ? String(r.status) : `${r.status} ${r.body?.error?.code ?? '?'}`;

interface World {
  A: string;
  A1: string;
  A2: string;
  B: string;
  B1: string;
  relA1: string;
  relA2: string;
  relB1: string;
  /** A–A1: proposed v1, and a draft. */
  ag1: string;
  ag1Draft: string;
  /** A–A2 draft. */
  agA2: string;
  /** B–B1: proposed v1, and a draft. */
  agB1: string;
  agB1Draft: string;
  aAdmin: Principal;
  aEngineer: Principal;
  aAuditor: Principal;
  aToken: Principal;
  a1Admin: Principal;
  a1Member: Principal;
  a1Auditor: Principal;
  a1Token: Principal;
  a2Admin: Principal;
  a2Token: Principal;
  bAdmin: Principal;
  bEngineer: Principal;
  bToken: Principal;
  b1Admin: Principal;
  b1Member: Principal;
  b1Token: Principal;
  sides: { aMsp: Side; aCustomer: Side; bMsp: Side; bCustomer: Side };
  /** Ids that belong to each organisation's circle, for "never mentions" checks. */
  idsOf: Record<'A' | 'A1' | 'A2' | 'B' | 'B1', string[]>;
}

async function buildWorld(srv: TestServer): Promise<World> {
  const { rt, url } = srv;
  const [A, B] = await Promise.all([createMsp(rt), createMsp(rt)]);
  const [A1, A2, B1] = await Promise.all([
    createCustomer(rt, A.org.id),
    createCustomer(rt, A.org.id),
    createCustomer(rt, B.org.id),
  ]);
  const [aEng, aAud, a1Mem, a1Aud, bEng, b1Mem] = await Promise.all([
    addUser(rt, A.org.id, 'msp_engineer'),
    addUser(rt, A.org.id, 'auditor'),
    addUser(rt, A1.org.id, 'customer_member'),
    addUser(rt, A1.org.id, 'auditor'),
    addUser(rt, B.org.id, 'msp_engineer'),
    addUser(rt, B1.org.id, 'customer_member'),
  ]);
  const member = async (who: string, user: TestUser): Promise<Principal> => ({
    who,
    client: await signIn(url, user),
    orgId: user.orgId,
    role: user.role,
    user,
    tokenId: null,
    tokenName: null,
  });
  const [
    aAdmin,
    aEngineer,
    aAuditor,
    a1Admin,
    a1Member,
    a1Auditor,
    a2Admin,
    bAdmin,
    bEngineer,
    b1Admin,
    b1Member,
  ] = await Promise.all([
    member('MSP A admin', A.admin),
    member('MSP A engineer', aEng),
    member('MSP A auditor', aAud),
    member('A1 admin', A1.admin),
    member('A1 member', a1Mem),
    member('A1 auditor', a1Aud),
    member('A2 admin', A2.admin),
    member('MSP B admin', B.admin),
    member('MSP B engineer', bEng),
    member('B1 admin', B1.admin),
    member('B1 member', b1Mem),
  ]);
  const token = async (who: string, admin: Principal): Promise<Principal> => {
    const name = `${who} ${randomUUID().slice(0, 8)}`;
    const r = await admin.client.post('/api/v1/tokens', {
      name,
      scopes: [...PERMISSIONS],
      expiresInDays: 30,
    });
    expect(r.status, r.text).toBe(201);
    return {
      who,
      client: ApiClient.withToken(url, r.body.token),
      orgId: admin.orgId,
      role: null,
      user: null,
      tokenId: r.body.id,
      tokenName: name,
    };
  };
  const [aToken, a1Token, a2Token, bToken, b1Token] = await Promise.all([
    token('MSP A token', aAdmin),
    token('A1 token', a1Admin),
    token('A2 token', a2Admin),
    token('MSP B token', bAdmin),
    token('B1 token', b1Admin),
  ]);
  const draft = async (msp: Principal, customerOrgId: string, title: string) => {
    const r = await msp.client.post('/api/v1/agreements', {
      customerOrgId,
      title,
      controls: SAMPLE_CONTROLS,
    });
    expect(r.status, r.text).toBe(201);
    return r.body.agreementId as string;
  };
  const propose = async (msp: Principal, id: string) => {
    const r = await msp.client.post(`/api/v1/agreements/${id}/versions/1/propose`);
    expect(r.status, r.text).toBe(200);
    return r.body.digest as string;
  };
  const [ag1, ag1Draft, agA2, agB1, agB1Draft] = await Promise.all([
    draft(aAdmin, A1.org.id, 'A and A1 security schedule'),
    draft(aAdmin, A1.org.id, 'A and A1 draft schedule'),
    draft(aAdmin, A2.org.id, 'A and A2 draft schedule'),
    draft(bAdmin, B1.org.id, 'B and B1 security schedule'),
    draft(bAdmin, B1.org.id, 'B and B1 draft schedule'),
  ]);
  const [digestA, digestB] = await Promise.all([propose(aAdmin, ag1), propose(bAdmin, agB1)]);
  const logSource = async (admin: Principal, org: string) => {
    const r = await admin.client.post(`/api/v1/orgs/${org}/sources`, {
      kind: 'linux_syslog',
      name: `bastion ${randomUUID().slice(0, 8)}`,
      expectedIntervalMinutes: 60,
    });
    expect(r.status, r.text).toBe(201);
    return r.body.id as string;
  };
  const [srcA, srcA1, srcB, srcB1] = await Promise.all([
    logSource(aAdmin, A.org.id),
    logSource(a1Admin, A1.org.id),
    logSource(bAdmin, B.org.id),
    logSource(b1Admin, B1.org.id),
  ]);

  // Each organisation's directory has the group the routes below name.
  await Promise.all(
    (
      [
        [aAdmin, A.org.id],
        [a1Admin, A1.org.id],
        [bAdmin, B.org.id],
        [b1Admin, B1.org.id],
      ] as const
    ).map(async ([admin, org]) => {
      const r = await admin.client.put(`/api/v1/orgs/${org}/groups/MSP%20Technicians/members`, {
        members: ['tech@msp.example'],
      });
      expect(r.status, r.text).toBe(200);
    }),
  );
  // An alert, a suppression and a channel per organisation (alerts come from detections; these are
  // recorded directly, as the engine would report them).
  const detectionObjects = async (admin: Principal, org: string) => {
    const detection = {
      ruleId: 'isolation-rule',
      ruleTitle: 'Isolation rule',
      level: 'high' as const,
      orgId: org,
      groupKey: '{"user":"root"}',
      groupValues: { user: 'root' },
      firstSeen: new Date().toISOString(),
      lastSeen: new Date().toISOString(),
      eventCount: 1,
      evidence: [],
      summary: 'isolation',
    };
    await rt.database.db
      .transaction()
      .execute((tx) => recordDetections(tx, org, [detection], { notifyMinutes: 15 }));
    const alerts = await admin.client.get(`/api/v1/orgs/${org}/alerts`);
    expect(alerts.status, alerts.text).toBe(200);
    const sup = await admin.client.post(`/api/v1/orgs/${org}/suppressions`, {
      ruleId: 'other-rule',
      reason: 'maintenance',
      expiresAt: inOneWeek(),
    });
    expect(sup.status, sup.text).toBe(201);
    const ch = await admin.client.post(`/api/v1/orgs/${org}/notification-channels`, {
      kind: 'email',
      name: 'soc',
      to: 'soc@test.example',
    });
    expect(ch.status, ch.text).toBe(201);
    return {
      alert: alerts.body.alerts[0].id as string,
      suppression: sup.body.id as string,
      channel: ch.body.id as string,
    };
  };
  const [dA, dA1, dB, dB1] = await Promise.all([
    detectionObjects(aAdmin, A.org.id),
    detectionObjects(a1Admin, A1.org.id),
    detectionObjects(bAdmin, B.org.id),
    detectionObjects(b1Admin, B1.org.id),
  ]);

  // MSP A and MSP B each put a file on IRP-01 of their proposed agreement and attest it.
  const evidenceOf = async (admin: TestUser, agreement: string) => {
    const ctx = ctxFor(admin, 'msp');
    const e = await rt.services.evidence.add(ctx, agreement, 'IRP-01', {
      effectiveAt: '2025-01-01',
      file: { filename: 'ir-plan.txt', contentType: 'text/plain', bytes: Buffer.from('IR plan') },
    });
    const a = await rt.services.attestations.attest(ctx, agreement, 'IRP-01', {
      statement: 'The IR plan was exercised',
      evidenceIds: [e.item.id],
    });
    return { evidence: e.item.id, attestation: a.current!.id };
  };
  const [evA, evB] = await Promise.all([evidenceOf(A.admin, ag1), evidenceOf(B.admin, agB1)]);
  // A mail domain per organisation (not checked: the routes above never reach DNS for another's).
  for (const [admin, kind] of [
    [A.admin, 'msp'],
    [A1.admin, 'customer'],
    [B.admin, 'msp'],
    [B1.admin, 'customer'],
  ] as const) {
    const d = await rt.services.mail.register(ctxFor(admin, kind), admin.orgId, {
      domain: `mail-${randomUUID().slice(0, 8)}.example`,
      dkimSelectors: ['selector1'],
    });
    MAIL_DOMAINS.set(admin.orgId, d.id);
  }

  // Each organisation's incident response plan (a draft), an incident with an action, an exercise.
  const irObjects = async (admin: TestUser, org: string, kind: 'msp' | 'customer') => {
    const ctx = ctxFor(admin, kind);
    const plan = await rt.services.plans.create(ctx, org, { kind: 'incident_response' });
    const inc = await rt.services.incidents.open(ctx, org, {
      title: 'Isolation incident',
      severity: 'low',
      alertIds: [],
      affectedSystems: [],
    });
    const withAction = await rt.services.incidents.addAction(ctx, org, inc.id, {
      title: 'Isolation action',
      ownerUserId: admin.id,
      dueDate: todayIso(),
      priority: 'high',
    });
    const ex = await rt.services.exercises.schedule(ctx, org, {
      planId: plan.planId,
      kind: 'tabletop',
      title: 'Isolation exercise',
      scenario: 'x',
      participants: [{ userId: admin.id }],
    });
    IR_IDS.set(org, {
      plan: plan.planId,
      incident: inc.id,
      exercise: ex.id,
      action: withAction.actions[0]!.id,
    });
  };
  await Promise.all([
    irObjects(A.admin, A.org.id, 'msp'),
    irObjects(A1.admin, A1.org.id, 'customer'),
    irObjects(B.admin, B.org.id, 'msp'),
    irObjects(B1.admin, B1.org.id, 'customer'),
  ]);

  const relA1 = A1.relationship!.id;
  const relB1 = B1.relationship!.id;
  const side = (
    name: string,
    org: string,
    m: TestUser,
    rel: string,
    t: Principal,
    ag: string,
    dg: string,
    d: string,
    src: string,
    det: { alert: string; suppression: string; channel: string },
    ev: { evidence: string; attestation: string },
  ) => ({
    name,
    org,
    member: m.id,
    relationship: rel,
    token: t.tokenId!,
    agreement: ag,
    digest: dg,
    draft: d,
    source: src,
    ...det,
    ...ev,
  });
  const userIds = (...ps: Principal[]) => ps.map((p) => p.user?.id ?? p.tokenId!);
  return {
    A: A.org.id,
    A1: A1.org.id,
    A2: A2.org.id,
    B: B.org.id,
    B1: B1.org.id,
    relA1,
    relA2: A2.relationship!.id,
    relB1,
    ag1,
    ag1Draft,
    agA2,
    agB1,
    agB1Draft,
    aAdmin,
    aEngineer,
    aAuditor,
    aToken,
    a1Admin,
    a1Member,
    a1Auditor,
    a1Token,
    a2Admin,
    a2Token,
    bAdmin,
    bEngineer,
    bToken,
    b1Admin,
    b1Member,
    b1Token,
    sides: {
      aMsp: side('MSP A', A.org.id, aEng, relA1, aToken, ag1, digestA, ag1Draft, srcA, dA, evA),
      aCustomer: side('A1', A1.org.id, a1Mem, relA1, a1Token, ag1, digestA, ag1Draft, srcA1, dA1, evA),
      bMsp: side('MSP B', B.org.id, bEng, relB1, bToken, agB1, digestB, agB1Draft, srcB, dB, evB),
      bCustomer: side('B1', B1.org.id, b1Mem, relB1, b1Token, agB1, digestB, agB1Draft, srcB1, dB1, evB),
    },
    idsOf: {
      A: [A.org.id, ...userIds(aAdmin, aEngineer, aAuditor, aToken)],
      A1: [
        A1.org.id,
        relA1,
        ag1,
        ag1Draft,
        evA.evidence,
        evA.attestation,
        ...userIds(a1Admin, a1Member, a1Auditor, a1Token),
      ],
      A2: [A2.org.id, A2.relationship!.id, agA2, ...userIds(a2Admin, a2Token)],
      B: [B.org.id, ...userIds(bAdmin, bEngineer, bToken)],
      B1: [
        B1.org.id,
        relB1,
        agB1,
        agB1Draft,
        evB.evidence,
        evB.attestation,
        ...userIds(b1Admin, b1Member, b1Token),
      ],
    },
  };
}

/** Drops what changes merely because a token was used. */
const stable = (body: unknown) =>
  JSON.parse(JSON.stringify(body, (k, v: unknown) => (k === 'lastUsedAt' ? undefined : v))) as unknown;

/**
 * What the owners read about the objects in the table, read as the owners. Every change the API can
 * make is audited in the same transaction, so the audit chains' lengths catch any change; the other
 * reads say which object changed.
 */
async function ownersView(w: World) {
  const reads: [Principal, string][] = [];
  for (const [msp, mspOrg, customerAdmin, customerOrg, agreements] of [
    [w.aAdmin, w.A, w.a1Admin, w.A1, [w.ag1, w.ag1Draft]],
    [w.bAdmin, w.B, w.b1Admin, w.B1, [w.agB1, w.agB1Draft]],
  ] as const) {
    for (const org of [mspOrg, customerOrg])
      reads.push(
        [msp, `/api/v1/orgs/${org}/members`],
        [msp, `/api/v1/orgs/${org}/audit/verify`],
        [msp, `/api/v1/orgs/${org}/sources`],
        [msp, `/api/v1/orgs/${org}/alerts`],
        [msp, `/api/v1/orgs/${org}/suppressions`],
        [msp, `/api/v1/orgs/${org}/notification-channels`],
        [msp, `/api/v1/orgs/${org}/rules`],
      );
    reads.push([msp, '/api/v1/relationships'], [msp, '/api/v1/tokens'], [customerAdmin, '/api/v1/tokens']);
    for (const id of agreements) reads.push([customerAdmin, `/api/v1/agreements/${id}/versions`]);
  }
  return Promise.all(
    reads.map(async ([p, path]) => {
      const r = await p.client.get(path);
      return { read: `${p.who} GET ${path}`, status: r.status, body: stable(r.body) };
    }),
  );
}

describe.each(dbTargets())('tenant isolation ($name)', (target) => {
  let srv: TestServer;
  let w: World;
  beforeAll(async () => {
    srv = await startTestServer(target);
    w = await buildWorld(srv);
    await supplyChainObjects(srv, w);
  });
  afterAll(() => srv.stop());

  it('has an isolation case for every /api/v1 route that takes a path parameter', async () => {
    const spec = await new ApiClient(srv.url).get('/api/openapi.json');
    expect(spec.status).toBe(200);
    const registered = Object.entries(spec.body.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/api/v1/') && path.includes('{'))
      .flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      );
    const covered = [...ROUTES.map(keyOf), ...Object.keys(NOT_TENANT_SCOPED)];
    expect(new Set(covered).size, 'a route is listed twice').toBe(covered.length);
    // A failure here names the route: add a case to ROUTES (or, for shared reference data, to
    // NOT_TENANT_SCOPED with the reason).
    expect([...registered].sort()).toEqual([...covered].sort());
  });

  describe('an organisation that is not a party gets 404, as for an id that does not exist', () => {
    /** Who attacks whose objects: B's circle and A's sibling customer A2 against A's, A's against B's. */
    const outsiders = () => [
      ...[w.bAdmin, w.bToken, w.bEngineer, w.b1Admin, w.b1Token, w.b1Member, w.a2Admin, w.a2Token].map(
        (p) => ({
          p,
          victims: [w.sides.aMsp, w.sides.aCustomer],
        }),
      ),
      ...[w.aAdmin, w.aToken, w.a1Admin, w.a1Token].map((p) => ({
        p,
        victims: [w.sides.bMsp, w.sides.bCustomer],
      })),
    ];

    // Nothing in this block may change anything: each test compares the owners' view with this one.
    let baseline: Awaited<ReturnType<typeof ownersView>>;
    beforeAll(async () => {
      baseline = await ownersView(w);
    });

    it.each(ROUTES.map((c) => [keyOf(c), c] as const))('%s', async (_name, c) => {
      const failures = await Promise.all(
        outsiders().map(async ({ p, victims }) => {
          // Full permission: the tenant check must answer. Without it, 403 comes first for any id.
          const expected = can(p, c.permission) ? '404 not_found' : '403 forbidden';
          const [missing, ...foreign] = (
            await Promise.all([send(p, c, victims[0]!, true), ...victims.map((s) => send(p, c, s))])
          ).map(outcome);
          return victims.flatMap((s, i) =>
            foreign[i] === expected && missing === expected
              ? []
              : [
                  `${p.who} on ${s.name}'s object: ${foreign[i]} (nonexistent id: ${missing}); want ${expected}`,
                ],
          );
        }),
      );
      expect(failures.flat()).toEqual([]);
      expect(await ownersView(w)).toEqual(baseline);
    });

    it('ids named in a body: drafting for, or switching to, an organisation you do not belong to', async () => {
      const failures: string[] = [];
      for (const { p, victims } of outsiders()) {
        for (const s of victims) {
          const tries: [string, (org: string) => Promise<ApiResponse>][] = [
            [
              'POST /api/v1/agreements',
              (org) =>
                p.client.post('/api/v1/agreements', {
                  customerOrgId: org,
                  title: 'Not yours',
                  controls: SAMPLE_CONTROLS,
                }),
            ],
            [
              'POST /api/v1/auth/switch-org',
              (org) => p.client.post('/api/v1/auth/switch-org', { orgId: org }),
            ],
            [
              'POST /api/v1/auth/invitations/:id/accept',
              (org) => p.client.post(`/api/v1/auth/invitations/${org}/accept`),
            ],
          ];
          for (const [what, call] of tries) {
            const foreign = await call(s.org);
            const missing = await call(randomUUID());
            if (foreign.status < 400 || outcome(foreign) !== outcome(missing))
              failures.push(`${p.who} ${what} naming ${s.name}: ${outcome(foreign)} vs ${outcome(missing)}`);
          }
        }
      }
      expect(failures).toEqual([]);
      // MSP B drafting for A1 is the sharpest of these: it has the permission, so only the tenant check answers.
      const r = await w.bAdmin.client.post('/api/v1/agreements', {
        customerOrgId: w.A1,
        title: 'Not yours',
        controls: SAMPLE_CONTROLS,
      });
      expect(outcome(r)).toBe('404 not_found');
    });

    it('list endpoints and audit trails hold only the caller’s own rows', async () => {
      const everyone = [
        w.aAdmin,
        w.aEngineer,
        w.aAuditor,
        w.aToken,
        w.a1Admin,
        w.a1Member,
        w.a1Auditor,
        w.a1Token,
        w.a2Admin,
        w.a2Token,
        w.bAdmin,
        w.bEngineer,
        w.bToken,
        w.b1Admin,
        w.b1Member,
        w.b1Token,
      ];
      /** Organisations whose objects a principal of each organisation must never see named. */
      const foreign: Record<string, string[]> = {
        [w.A]: [...w.idsOf.B, ...w.idsOf.B1],
        [w.A1]: [...w.idsOf.A2, ...w.idsOf.B, ...w.idsOf.B1],
        [w.A2]: [...w.idsOf.A1, ...w.idsOf.B, ...w.idsOf.B1],
        [w.B]: [...w.idsOf.A, ...w.idsOf.A1, ...w.idsOf.A2],
        [w.B1]: [...w.idsOf.A, ...w.idsOf.A1, ...w.idsOf.A2],
      };
      const checkOne = async (p: Principal) => {
        const ctx = p.who;
        const current = await p.client.get('/api/v1/orgs/current');
        expect(current.body.id, ctx).toBe(p.orgId);

        const agreements = await p.client.get('/api/v1/agreements');
        expect(agreements.status, ctx).toBe(200);
        for (const a of agreements.body) expect([a.mspOrgId, a.customerOrgId], ctx).toContain(p.orgId);

        const rels = await p.client.get('/api/v1/relationships');
        expect(rels.status, ctx).toBe(200);
        for (const r of rels.body) expect([r.mspOrgId, r.customerOrgId], ctx).toContain(p.orgId);

        const tokens = await p.client.get('/api/v1/tokens');
        expect(tokens.status, ctx).toBe(can(p, 'tokens:manage') ? 200 : 403);
        if (tokens.status === 200) for (const t of tokens.body) expect(t.orgId, ctx).toBe(p.orgId);

        const trail = await p.client.get(`/api/v1/orgs/${p.orgId}/audit?limit=500`);
        expect(trail.status, ctx).toBe(200);
        for (const e of trail.body) expect(e.orgId, ctx).toBe(p.orgId);
        for (const text of [agreements.text, rels.text, tokens.text, trail.text])
          for (const id of foreign[p.orgId]!) expect(text, `${ctx} sees ${id}`).not.toContain(id);
      };
      await Promise.all(everyone.map(checkOne));
      const ids = async (p: Principal, path: string) =>
        ((await p.client.get(path)).body as { id: string }[]).map((x) => x.id).sort();
      expect(await ids(w.aAdmin, '/api/v1/agreements')).toEqual([w.ag1, w.ag1Draft, w.agA2].sort());
      expect(await ids(w.a1Token, '/api/v1/agreements')).toEqual([w.ag1, w.ag1Draft].sort());
      expect(await ids(w.a2Admin, '/api/v1/agreements')).toEqual([w.agA2]);
      expect(await ids(w.bToken, '/api/v1/agreements')).toEqual([w.agB1, w.agB1Draft].sort());
      expect(await ids(w.b1Member, '/api/v1/agreements')).toEqual([w.agB1, w.agB1Draft].sort());
      expect(await ids(w.aToken, '/api/v1/relationships')).toEqual([w.relA1, w.relA2].sort());
      expect(await ids(w.a1Admin, '/api/v1/relationships')).toEqual([w.relA1]);
      expect(await ids(w.b1Token, '/api/v1/relationships')).toEqual([w.relB1]);
      expect(await ids(w.aAdmin, '/api/v1/tokens')).toEqual([w.aToken.tokenId]);
      expect(await ids(w.a1Admin, '/api/v1/tokens')).toEqual([w.a1Token.tokenId]);
      expect(await ids(w.bAdmin, '/api/v1/tokens')).toEqual([w.bToken.tokenId]);
    });

    it('the catalog route with a parameter is shared reference data, the same for everyone', async () => {
      const answers = await Promise.all(
        [w.aAdmin, w.a1Member, w.bToken, w.b1Admin].map((p) =>
          p.client.get('/api/v1/catalog/controls/MFA-01'),
        ),
      );
      for (const a of answers) expect(a.status).toBe(200);
      expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    });
  });

  describe('MSP reach', () => {
    it('MSP A’s users and token read A1’s org, members, audit trail and agreements while the relationship is active', async () => {
      for (const p of [w.aAdmin, w.aEngineer, w.aToken]) {
        for (const c of READS) {
          const r = await send(p, c, w.sides.aCustomer);
          expect(r.status, `${p.who} ${keyOf(c)}: ${r.text}`).toBe(ownerOk(c));
        }
        const verify = await p.client.get(`/api/v1/orgs/${w.A1}/audit/verify`);
        expect(verify.body.ok).toBe(true);
        const exported = await p.client.get(`/api/v1/agreements/${w.ag1}/versions/1/export?format=json`);
        expect(exported.text).toContain(w.sides.aCustomer.digest);
      }
    });

    it('MSP A reaches none of MSP B’s customers, and an MSP auditor reaches no customer', async () => {
      for (const p of [w.aAdmin, w.aEngineer, w.aToken]) {
        for (const c of READS)
          expect(outcome(await send(p, c, w.sides.bCustomer)), p.who).toBe('404 not_found');
      }
      // Auditors read their own organisation only, never a customer through the MSP relationship.
      for (const path of [
        `/api/v1/orgs/${w.A1}`,
        `/api/v1/orgs/${w.A1}/audit`,
        `/api/v1/orgs/${w.A1}/audit/verify`,
      ])
        expect(outcome(await w.aAuditor.client.get(path)), path).toBe('404 not_found');
      expect((await w.aAuditor.client.get(`/api/v1/orgs/${w.A}/audit`)).status).toBe(200);
    });

    it('customer A1 reaches neither its sibling A2 nor MSP A’s agreement with A2', async () => {
      for (const p of [w.a1Admin, w.a1Member, w.a1Auditor, w.a1Token]) {
        for (const path of [
          `/api/v1/orgs/${w.A2}`,
          `/api/v1/orgs/${w.A2}/audit`,
          `/api/v1/orgs/${w.A2}/audit/verify`,
          `/api/v1/agreements/${w.agA2}`,
          `/api/v1/agreements/${w.agA2}/versions`,
          `/api/v1/agreements/${w.agA2}/versions/1`,
          `/api/v1/agreements/${w.agA2}/versions/1/export`,
        ])
          expect(outcome(await p.client.get(path)), `${p.who} GET ${path}`).toBe('404 not_found');
        const members = await p.client.get(`/api/v1/orgs/${w.A2}/members`);
        expect(outcome(members)).toBe(can(p, 'users:read') ? '404 not_found' : '403 forbidden');
      }
      const amend = await w.a1Admin.client.post(`/api/v1/agreements/${w.agA2}/amendments`, {});
      expect(outcome(amend)).toBe('404 not_found');
    });

    it('same organisation, lacking the permission: 403 forbidden (engineers, members, auditors), nothing changes', async () => {
      const before = await ownersView(w);
      const checks: [Principal, Side][] = [
        [w.aEngineer, w.sides.aMsp],
        [w.aEngineer, w.sides.aCustomer],
        [w.bEngineer, w.sides.bMsp],
        [w.a1Member, w.sides.aCustomer],
        [w.a1Auditor, w.sides.aCustomer],
        [w.aAuditor, w.sides.aMsp],
      ];
      const attempts = checks.flatMap(([p, s]) => [
        ...WRITES.filter((c) => !can(p, c.permission)).map((c) => ({
          what: `${p.who} ${keyOf(c)} on ${s.name}`,
          call: () => send(p, c, s),
        })),
        ...OTHER_WRITES.filter((c) => !can(p, c.permission)).map((c) => ({
          what: `${p.who} ${c.method} ${c.path}`,
          call: () => p.client.request(c.method, c.path, c.body(s)),
        })),
      ]);
      const n = attempts.length;
      const failures = (
        await Promise.all(attempts.map(async (a) => `${a.what}: ${outcome(await a.call())}`))
      ).filter((r) => !r.endsWith(': 403 forbidden'));
      expect(failures).toEqual([]);
      expect(n).toBeGreaterThan(40);
      // The engineer's admin-only gaps, spelled out.
      for (const perm of [
        'users:manage',
        'tokens:manage',
        'relationships:manage',
        'agreements:accept',
      ] as const)
        expect(can(w.aEngineer, perm)).toBe(false);
      expect(outcome(await w.aEngineer.client.get('/api/v1/tokens'))).toBe('403 forbidden');
      expect(await ownersView(w)).toEqual(before);
    });

    it('an auditor reads everything its role allows and every write answers 403', async () => {
      const p = w.a1Auditor;
      for (const c of READS) {
        const r = await send(p, c, w.sides.aCustomer);
        expect(r.status, keyOf(c)).toBe(can(p, c.permission) ? ownerOk(c) : 403);
      }
      expect(READS.filter((c) => can(p, c.permission)).length).toBe(READS.length - 1); // all but members
      for (const c of WRITES) expect(can(p, c.permission), keyOf(c)).toBe(false); // so every write was a 403 above
      for (const c of OTHER_WRITES) expect(can(p, c.permission), c.path).toBe(false);
    });

    it('an auditor whose membership has expired loses access at once', async () => {
      const user = await addUser(srv.rt, w.A1, 'auditor');
      const p: Principal = {
        who: 'expiring auditor',
        client: await signIn(srv.url, user),
        orgId: w.A1,
        role: 'auditor',
        user,
        tokenId: null,
        tokenName: null,
      };
      expect((await send(p, READS[0]!, w.sides.aCustomer)).status).toBe(200);
      await srv.rt.database.db
        .updateTable('memberships')
        .set({ expires_at: new Date(Date.now() - 60_000) })
        .where('user_id', '=', user.id)
        .where('org_id', '=', w.A1)
        .execute();
      const denied = (r: ApiResponse) => r.status === 401 || r.status === 403;
      for (const c of READS) {
        const r = await send(p, c, w.sides.aCustomer);
        expect(denied(r), `${keyOf(c)}: ${outcome(r)}`).toBe(true);
      }
      expect(denied(await p.client.get('/api/v1/agreements'))).toBe(true);
      // Signing in again gives a session with no organisation, hence no access either.
      const again = await signIn(srv.url, user);
      const session = await again.get('/api/v1/auth/session');
      expect(session.body.memberships).toEqual([]);
      expect(denied(await again.get(`/api/v1/orgs/${w.A1}`))).toBe(true);
      expect(denied(await again.get(`/api/v1/agreements/${w.ag1}`))).toBe(true);
    });

    it('A1’s audit trail shows what MSP A’s admin and token did to their agreement, with their labels', async () => {
      const edit = await w.aAdmin.client.put(`/api/v1/agreements/${w.ag1Draft}/draft`, {
        controls: SAMPLE_CONTROLS,
        note: 'tightened by the MSP',
      });
      expect(edit.status, edit.text).toBe(200);
      const proposed = await w.aToken.client.post(`/api/v1/agreements/${w.ag1Draft}/versions/1/propose`);
      expect(proposed.status, proposed.text).toBe(200);

      const trail = await w.a1Member.client.get(`/api/v1/orgs/${w.A1}/audit?limit=500`);
      expect(trail.status).toBe(200);
      expect(trail.body).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            orgId: w.A1,
            action: 'agreement.draft_updated',
            targetId: w.ag1Draft,
            actor: { userId: w.aAdmin.user!.id, tokenId: null, orgId: w.A, label: w.aAdmin.user!.email },
          }),
          expect.objectContaining({
            orgId: w.A1,
            action: 'agreement.proposed',
            targetId: w.ag1Draft,
            actor: {
              userId: null,
              tokenId: w.aToken.tokenId,
              orgId: w.A,
              label: `token ${w.aToken.tokenName}`,
            },
          }),
        ]),
      );
      expect((await w.a1Auditor.client.get(`/api/v1/orgs/${w.A1}/audit/verify`)).body.ok).toBe(true);
      // ...and none of it shows up for the other MSP or its customer.
      for (const p of [w.bAdmin, w.b1Admin]) {
        const t = await p.client.get(`/api/v1/orgs/${p.orgId}/audit?limit=500`);
        expect(t.text).not.toContain(w.ag1Draft);
      }
    });
  });

  // Last on purpose, and in this order: these invite, share and end relationships in the shared world
  // (a second world would double the set-up time). Nothing above depends on running after them.
  describe('relationships: invited, shared by two MSPs, ended', () => {
    /** The A1 routes of the table: its org, members, audit trail and agreements. */
    const customerRoutes = ROUTES.filter((c) => /^\/api\/v1\/(orgs|agreements)\//.test(c.route));

    it('an invited relationship gives no access until the customer admin accepts it', async () => {
      const A3 = await createCustomer(srv.rt, w.A, { invited: true });
      const rel = A3.relationship!.id;
      const a3Admin = await signIn(srv.url, A3.admin);
      const a3 = `/api/v1/orgs/${A3.org.id}`;
      const paths = [a3, `${a3}/members`, `${a3}/audit`, `${a3}/audit/verify`];
      for (const p of [w.aAdmin, w.aEngineer, w.aToken]) {
        for (const path of paths)
          expect(outcome(await p.client.get(path)), `${p.who} ${path}`).toBe('404 not_found');
      }
      const draft = await w.aAdmin.client.post('/api/v1/agreements', {
        customerOrgId: A3.org.id,
        title: 'Too early',
        controls: SAMPLE_CONTROLS,
      });
      expect(outcome(draft)).toBe('404 not_found');
      // Only the customer can accept; the MSP accepting its own invitation is refused.
      expect(outcome(await w.aAdmin.client.post(`/api/v1/relationships/${rel}/accept`))).toBe(
        '403 forbidden',
      );
      // An outsider cannot accept it for them either.
      expect(outcome(await w.b1Admin.client.post(`/api/v1/relationships/${rel}/accept`))).toBe(
        '404 not_found',
      );

      const mine = await a3Admin.get('/api/v1/relationships');
      expect(mine.body.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([
        [rel, 'invited'],
      ]);
      const accepted = await a3Admin.post(`/api/v1/relationships/${rel}/accept`);
      expect(accepted.status, accepted.text).toBe(200);
      expect(accepted.body.status).toBe('active');

      for (const p of [w.aAdmin, w.aEngineer, w.aToken]) {
        for (const path of paths) expect((await p.client.get(path)).status, `${p.who} ${path}`).toBe(200);
      }
      // Other MSPs still cannot.
      for (const path of paths) expect(outcome(await w.bAdmin.client.get(path))).toBe('404 not_found');
    });
    it('a customer with two MSPs: each reaches it, neither sees the other’s agreements or audit entries', async () => {
      // MSP B invites A1, an existing customer of MSP A, through the API: no access while invited.
      const inv = await w.bAdmin.client.post('/api/v1/relationships', { customerOrgId: w.A1 });
      expect(inv.status, inv.text).toBe(201);
      expect(inv.body.status).toBe('invited');
      for (const p of [w.bAdmin, w.bToken])
        for (const path of [`/api/v1/orgs/${w.A1}`, `/api/v1/orgs/${w.A1}/audit`])
          expect(outcome(await p.client.get(path)), `${p.who} ${path}`).toBe('404 not_found');
      const accepted = await w.a1Token.client.post(`/api/v1/relationships/${inv.body.id}/accept`);
      expect(accepted.body.status).toBe('active');

      // A1 acts on MSP A's agreement; MSP B drafts its own with A1.
      const acc = await w.a1Admin.client.post(`/api/v1/agreements/${w.ag1}/versions/1/accept`, {
        digest: w.sides.aCustomer.digest,
      });
      expect(acc.status, acc.text).toBe(200);
      const bDraft = await w.bAdmin.client.post('/api/v1/agreements', {
        customerOrgId: w.A1,
        title: 'B and A1 schedule',
        controls: SAMPLE_CONTROLS,
      });
      expect(bDraft.status, bDraft.text).toBe(201);
      const agBA1 = bDraft.body.agreementId as string;

      for (const p of [w.bAdmin, w.bEngineer, w.bToken]) {
        for (const c of READS.filter((x) => x.route.startsWith('/api/v1/orgs/')))
          expect((await send(p, c, w.sides.aCustomer)).status, `${p.who} ${keyOf(c)}`).toBe(200);
        for (const id of [w.ag1, w.ag1Draft])
          expect(outcome(await p.client.get(`/api/v1/agreements/${id}`)), p.who).toBe('404 not_found');
      }
      for (const p of [w.aAdmin, w.aEngineer, w.aToken])
        expect(outcome(await p.client.get(`/api/v1/agreements/${agBA1}`)), p.who).toBe('404 not_found');

      // Each MSP reads A1's trail with its own actions and A1's, never the other MSP's.
      const trailAs = async (p: Principal) =>
        (await p.client.get(`/api/v1/orgs/${w.A1}/audit?limit=500`)).text;
      const asB = await trailAs(w.bToken);
      const asA = await trailAs(w.aAdmin);
      const asA1 = await trailAs(w.a1Auditor);
      for (const id of [w.ag1, w.ag1Draft, w.relA1, ...w.idsOf.A, w.aAdmin.user!.email])
        expect(asB, `MSP B sees ${id} in A1's trail`).not.toContain(id);
      for (const id of [agBA1, inv.body.id, ...w.idsOf.B, w.bAdmin.user!.email])
        expect(asA, `MSP A sees ${id} in A1's trail`).not.toContain(id);
      expect(asB).toContain(agBA1);
      expect(asA).toContain(w.ag1);
      for (const id of [w.ag1, agBA1, w.aAdmin.user!.email, w.bAdmin.user!.email]) expect(asA1).toContain(id);
      for (const a of [asA, asB]) expect(a).toContain(w.a1Admin.user!.id); // A1's own entries stay visible
      expect((await w.bAdmin.client.get(`/api/v1/orgs/${w.A1}/audit/verify`)).body.ok).toBe(true);
    });

    it('A1’s admin ends it: MSP A’s users and token get 404 at once; A1 keeps its agreements read-only', async () => {
      for (const p of [w.aAdmin, w.aEngineer, w.aToken])
        expect((await p.client.get(`/api/v1/orgs/${w.A1}`)).status).toBe(200);

      const end = await w.a1Admin.client.post(`/api/v1/relationships/${w.relA1}/end`);
      expect(end.status, end.text).toBe(200);
      expect(end.body.status).toBe('ended');

      const failures: string[] = [];
      for (const p of [w.aAdmin, w.aEngineer, w.aToken]) {
        for (const c of customerRoutes) {
          const expected = can(p, c.permission) ? '404 not_found' : '403 forbidden';
          const got = outcome(await send(p, c, w.sides.aCustomer));
          if (got !== expected) failures.push(`${p.who} ${keyOf(c)}: ${got}, want ${expected}`);
        }
        const list = await p.client.get('/api/v1/agreements');
        expect(list.text).not.toContain(w.ag1);
        expect(list.text).not.toContain(w.ag1Draft);
      }
      expect(failures).toEqual([]);
      // A1's other MSP is not affected.
      expect((await w.bAdmin.client.get(`/api/v1/orgs/${w.A1}`)).status).toBe(200);

      for (const p of [w.a1Admin, w.a1Member, w.a1Auditor, w.a1Token]) {
        const a = await p.client.get(`/api/v1/agreements/${w.ag1}`);
        expect(a.status, p.who).toBe(200);
        expect(a.body.status).toBe('ended');
        for (const c of READS.filter((x) => x.route.startsWith('/api/v1/agreements/')))
          expect((await send(p, c, w.sides.aCustomer)).status, `${p.who} ${keyOf(c)}`).toBe(ownerOk(c));
      }
      for (const p of [w.a1Admin, w.a1Token]) {
        for (const c of WRITES.filter((x) => x.route.startsWith('/api/v1/agreements/'))) {
          const got = outcome(await send(p, c, w.sides.aCustomer));
          expect(got, `${p.who} ${keyOf(c)}`).toBe('409 invalid_state');
        }
      }
      // Both trails record the end; MSP A still reads its own.
      const trail = await w.a1Admin.client.get(`/api/v1/orgs/${w.A1}/audit?limit=500`);
      expect(trail.body).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            action: 'relationship.ended',
            actor: expect.objectContaining({ orgId: w.A1 }),
          }),
        ]),
      );
      expect((await w.aAdmin.client.get(`/api/v1/orgs/${w.A}/audit`)).status).toBe(200);
    });

    it('MSP A’s admin ends the relationship with A2: the same, from the MSP side', async () => {
      const end = await w.aAdmin.client.post(`/api/v1/relationships/${w.relA2}/end`);
      expect(end.status, end.text).toBe(200);
      for (const p of [w.aAdmin, w.aEngineer, w.aToken]) {
        for (const path of [
          `/api/v1/orgs/${w.A2}`,
          `/api/v1/orgs/${w.A2}/members`,
          `/api/v1/orgs/${w.A2}/audit`,
          `/api/v1/agreements/${w.agA2}`,
        ])
          expect(outcome(await p.client.get(path)), `${p.who} ${path}`).toBe('404 not_found');
      }
      const a = await w.a2Token.client.get(`/api/v1/agreements/${w.agA2}`);
      expect(a.body.status).toBe('ended');
      const edit = await w.a2Admin.client.post(`/api/v1/agreements/${w.agA2}/amendments`, {});
      expect(outcome(edit)).toBe('409 invalid_state');
    });
  });
});
