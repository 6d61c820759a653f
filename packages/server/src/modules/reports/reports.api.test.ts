import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import {
  activeAgreement,
  addUser,
  createCustomer,
  createMsp,
  ctxFor,
} from '../../../test/support/factories.ts';
import { signIn, type ApiClient } from '../../../test/support/api-client.ts';
import { verifyDocument } from '../../platform/signing.ts';

/** Signed reports over HTTP on a real server and database (PGlite and, with DATABASE_URL, PostgreSQL). */
describe.each(dbTargets())('reports over HTTP ($name)', (target) => {
  let srv: TestServer;
  let msp: ApiClient;
  let member: ApiClient;
  let outsider: ApiClient;
  let agreementId: string;
  let customerName: string;
  let key: { keyId: string; publicKey: string };

  const bytesOf = async (c: ApiClient, path: string) => {
    const res = await fetch(c.baseUrl + path, { headers: { cookie: c.cookie! } });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    srv = await startTestServer(target);
    const m = await createMsp(srv.rt);
    const c = await createCustomer(srv.rt, m.org.id);
    customerName = c.org.name;
    const mctx = ctxFor(m.admin, 'msp');
    const a = await activeAgreement(srv.rt, mctx, ctxFor(c.admin, 'customer'), {
      customerOrgId: c.org.id,
      title: 'Managed security <schedule>',
      controls: [{ controlId: 'LOG-01' }, { controlId: 'MFA-01' }, { controlId: 'IRP-01' }],
    });
    agreementId = a.agreement_id;
    await srv.rt.services.evidence.add(mctx, agreementId, 'IRP-01', {
      effectiveAt: '2026-01-10',
      title: '=HYPERLINK("http://evil") <script>alert(1)</script>',
      file: { filename: 'plan.txt', contentType: 'text/plain', bytes: Buffer.from('IR plan v4') },
    });
    await srv.rt.services.verification.runAgreement(mctx, agreementId);
    msp = await signIn(srv.url, m.admin);
    member = await signIn(srv.url, await addUser(srv.rt, c.org.id, 'customer_member'));
    outsider = await signIn(srv.url, (await createMsp(srv.rt)).admin);
    key = (await member.get('/api/v1/reports/signing-key')).body;
  });
  afterAll(() => srv.stop());

  it('issues a signed HTML report with every section, escaped, that verifies and fails after one byte changes', async () => {
    const r = await bytesOf(member, `/api/v1/agreements/${agreementId}/report?from=2026-01-01&format=html`);
    expect(r.status, r.bytes.toString()).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    const html = r.bytes.toString('utf8');
    for (const s of [
      'Executive summary',
      'Top risks',
      'Controls',
      'Evidence on file',
      'Detections',
      'Log coverage and integrity',
      customerName,
      'LOG-01',
      'MFA-01',
      'IRP-01',
      '<svg',
    ])
      expect(html).toContain(s);
    const digest = (await msp.get(`/api/v1/agreements/${agreementId}/versions/1`)).body.digest as string;
    expect(html).toContain(digest);
    expect(html).toContain('Managed security &lt;schedule&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('2026-01-01');

    const v = verifyDocument(r.bytes, key.publicKey);
    expect(v).toMatchObject({ ok: true, keyId: key.keyId });
    const tampered = Buffer.from(r.bytes);
    const at = tampered.indexOf('controls met');
    tampered[at] = 'C'.charCodeAt(0);
    expect(verifyDocument(tampered, key.publicKey)).toMatchObject({ ok: false });

    // The issue is on both parties' audit trails with the report's SHA-256.
    const trail = await msp.get(
      `/api/v1/orgs/${(await msp.get('/api/v1/agreements/' + agreementId)).body.customerOrgId}/audit`,
    );
    expect(trail.status, trail.text).toBe(200);
    const issued = (trail.body as { action: string; details: { sha256?: string } }[]).find(
      (e) => e.action === 'report.issued',
    );
    expect(issued?.details?.sha256).toBe(r.headers.get('x-report-sha256'));
  });

  it('issues a signed PDF that verifies', async () => {
    const r = await bytesOf(msp, `/api/v1/agreements/${agreementId}/report?format=pdf`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/pdf');
    expect(r.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(verifyDocument(r.bytes, key.publicKey).ok).toBe(true);
    const tampered = Buffer.from(r.bytes);
    tampered[200] = tampered[200]! ^ 0xff;
    expect(verifyDocument(tampered, key.publicKey).ok).toBe(false);
  });

  it('issues the MSP portfolio report; a customer may not', async () => {
    const r = await bytesOf(msp, '/api/v1/portfolio/report?format=html');
    expect(r.status).toBe(200);
    expect(r.bytes.toString()).toContain(customerName);
    expect(verifyDocument(r.bytes, key.publicKey).ok).toBe(true);
    expect((await member.get('/api/v1/portfolio/report')).status).toBe(403);
  });

  it('exports control status and evidence as CSV, formulas neutralised', async () => {
    const controls = await member.get(`/api/v1/agreements/${agreementId}/export/controls.csv`);
    expect(controls.status).toBe(200);
    const lines = controls.text.trim().split('\n');
    expect(lines[0]).toBe('controlId,owner,status,reason,observed,expected,dataAt,evaluatedAt,changedAt');
    expect(lines).toHaveLength(4);
    const ev = await member.get(`/api/v1/agreements/${agreementId}/export/evidence.csv`);
    expect(ev.text).toContain(`"'=HYPERLINK(""http://evil"")`);
  });

  it('refuses a bad period and hides another tenant’s agreement', async () => {
    const bad = await member.get(`/api/v1/agreements/${agreementId}/report?from=2026-05-01&to=2026-04-01`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('after it ends');
    const other = await outsider.get(`/api/v1/agreements/${agreementId}/report`);
    expect(other.status).toBe(404);
  });
});
