import { ApiClient, signIn, type ApiResponse } from './api-client.ts';
import { addUser, createCustomer, createMsp, ctxFor } from './factories.ts';
import type { TestServer } from './harness.ts';

/** Controls of the evidence tests: automatic, shared hybrid, MSP-owned attested, customer-owned hybrid. */
export const EVIDENCE_CONTROLS = [
  { controlId: 'LOG-01' },
  { controlId: 'IRP-01' },
  { controlId: 'IRP-04' },
  { controlId: 'NET-05' },
];

/**
 * An MSP and its customer with an ACTIVE agreement of EVIDENCE_CONTROLS, signed-in admins of both,
 * an MSP engineer, a customer auditor, and an unrelated MSP with its own customer.
 */
export async function evidenceWorld(srv: TestServer) {
  const { rt, url } = srv;
  const [msp, other] = await Promise.all([createMsp(rt), createMsp(rt)]);
  const [cust, otherCust] = await Promise.all([
    createCustomer(rt, msp.org.id),
    createCustomer(rt, other.org.id),
  ]);
  const m = ctxFor(msp.admin, 'msp');
  const c = ctxFor(cust.admin, 'customer');
  const d = await rt.services.agreements.create(m, {
    customerOrgId: cust.org.id,
    title: 'Evidence schedule',
    controls: EVIDENCE_CONTROLS,
  });
  const agreementId = d.agreement_id;
  const p = await rt.services.agreements.propose(m, agreementId, 1);
  await rt.services.agreements.accept(m, agreementId, 1, p.digest!);
  await rt.services.agreements.accept(c, agreementId, 1, p.digest!);
  const [engineer, auditor, member] = await Promise.all([
    addUser(rt, msp.org.id, 'msp_engineer'),
    addUser(rt, cust.org.id, 'auditor'),
    addUser(rt, cust.org.id, 'customer_member'),
  ]);
  const [mspAdmin, custAdmin, mspEngineer, custAuditor, custMember, otherAdmin, otherCustAdmin] =
    await Promise.all([
      signIn(url, msp.admin),
      signIn(url, cust.admin),
      signIn(url, engineer),
      signIn(url, auditor),
      signIn(url, member),
      signIn(url, other.admin),
      signIn(url, otherCust.admin),
    ]);
  return {
    msp,
    cust,
    other,
    otherCust,
    agreementId,
    m,
    c,
    mspAdmin,
    custAdmin,
    mspEngineer,
    custAuditor,
    custMember,
    otherAdmin,
    otherCustAdmin,
    evidencePath: (control: string) => `/api/v1/agreements/${agreementId}/controls/${control}/evidence`,
    attestPath: (control: string) => `/api/v1/agreements/${agreementId}/controls/${control}/attestations`,
  };
}
export type EvidenceWorld = Awaited<ReturnType<typeof evidenceWorld>>;

/** Sends raw bytes (a file upload) with the client's credentials. */
export async function postRaw(
  client: ApiClient,
  path: string,
  bytes: Buffer | string,
  contentType: string | null,
): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (contentType) headers['content-type'] = contentType;
  if (client.cookie) headers.cookie = client.cookie;
  if (client.bearer) headers.authorization = `Bearer ${client.bearer}`;
  if (client.csrf) headers['x-csrf-token'] = client.csrf;
  const body = typeof bytes === 'string' ? bytes : new Uint8Array(bytes);
  const res = await fetch(client.baseUrl + path, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}

/** GETs raw bytes with the client's credentials. */
export async function getBytes(client: ApiClient, path: string) {
  const headers: Record<string, string> = {};
  if (client.cookie) headers.cookie = client.cookie;
  if (client.bearer) headers.authorization = `Bearer ${client.bearer}`;
  const res = await fetch(client.baseUrl + path, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}
