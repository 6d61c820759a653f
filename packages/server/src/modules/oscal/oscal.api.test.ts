import { readFileSync } from 'node:fs';
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
import { validateOscal } from './oscal-schemas.ts';
import { checkIntegrity } from './oscal-integrity.ts';

/**
 * OSCAL over HTTP on a real server and database: every export of a live agreement validates against
 * NIST's schema and Accord's integrity checks, reflects the verification results, round-trips into
 * a new draft agreement, and stays inside the tenant.
 */
describe.each(dbTargets())('OSCAL over HTTP ($name)', (target) => {
  let srv: TestServer;
  let msp: ApiClient;
  let customerAuditor: ApiClient;
  let outsider: ApiClient;
  let agreementId: string;
  let customerOrgId: string;

  beforeAll(async () => {
    srv = await startTestServer(target);
    const m = await createMsp(srv.rt);
    const c = await createCustomer(srv.rt, m.org.id);
    customerOrgId = c.org.id;
    const a = await activeAgreement(srv.rt, ctxFor(m.admin, 'msp'), ctxFor(c.admin, 'customer'), {
      customerOrgId: c.org.id,
      title: 'Security schedule',
      controls: [
        { controlId: 'LOG-01', parameters: { log_retention_days: 400 } },
        { controlId: 'MFA-01' },
        { controlId: 'IRP-01' },
        { controlId: 'BCK-01', owner: 'customer' },
      ],
    });
    agreementId = a.agreement_id;
    await srv.rt.services.verification.runAgreement(ctxFor(m.admin, 'msp'), agreementId);
    const other = await createMsp(srv.rt);
    msp = await signIn(srv.url, m.admin);
    customerAuditor = await signIn(srv.url, await addUser(srv.rt, c.org.id, 'auditor'));
    outsider = await signIn(srv.url, other.admin);
  });
  afterAll(() => srv.stop());

  const catalog = () => srv.rt.services.catalog.catalog;

  it('exports the catalog, a profile and a component definition that validate', async () => {
    const cat = await customerAuditor.get('/api/v1/oscal/catalog');
    expect(cat.status).toBe(200);
    expect(validateOscal('catalog', cat.body)).toEqual([]);

    const prof = await customerAuditor.get(`/api/v1/agreements/${agreementId}/versions/1/oscal/profile`);
    expect(prof.status, prof.text).toBe(200);
    expect(prof.headers.get('content-disposition')).toContain('-profile.json');
    expect(validateOscal('profile', prof.body)).toEqual([]);
    expect(checkIntegrity(prof.body, catalog())).toEqual([]);
    const digest = (await msp.get(`/api/v1/agreements/${agreementId}/versions/1`)).body.digest;
    expect(prof.body.profile.metadata.props).toContainEqual({
      ns: 'urn:accord:oscal',
      name: 'agreement-digest',
      value: digest,
    });

    const cd = await msp.get(`/api/v1/agreements/${agreementId}/versions/1/oscal/component-definition`);
    expect(cd.status).toBe(200);
    expect(validateOscal('component-definition', cd.body)).toEqual([]);
    const customerReqs = cd.body['component-definition'].components[1]['control-implementations'][0][
      'implemented-requirements'
    ].map((r: { 'control-id': string }) => r['control-id']);
    expect(customerReqs).toContain('bck-01');
  });

  it('exports the live results as assessment results and a POA&M that match verification', async () => {
    const status = (await msp.get(`/api/v1/agreements/${agreementId}/verification`)).body as {
      controlId: string;
      status: string;
    }[];
    const ar = await customerAuditor.get(`/api/v1/agreements/${agreementId}/oscal/assessment-results`);
    expect(ar.status, ar.text).toBe(200);
    expect(validateOscal('assessment-results', ar.body)).toEqual([]);
    expect(checkIntegrity(ar.body, catalog())).toEqual([]);
    const findings = ar.body['assessment-results'].results[0].findings as {
      title: string;
      props: { name: string; value: string }[];
      target: { status: { state: string } };
    }[];
    expect(findings).toHaveLength(status.length);
    for (const s of status) {
      const f = findings.find((x) => x.title.startsWith(s.controlId))!;
      expect(f.props.find((p) => p.name === 'accord-status')!.value).toBe(s.status);
      expect(f.target.status.state).toBe(s.status === 'pass' ? 'satisfied' : 'not-satisfied');
    }

    const poam = await msp.get(`/api/v1/agreements/${agreementId}/oscal/poam`);
    expect(poam.status).toBe(200);
    expect(validateOscal('plan-of-action-and-milestones', poam.body)).toEqual([]);
    const failing = status
      .filter((s) => s.status === 'fail' || s.status === 'partial')
      .map((s) => s.controlId);
    const items = poam.body['plan-of-action-and-milestones']['poam-items'] as { title: string }[];
    expect(items.map((i) => i.title.slice(0, 6))).toEqual(failing.length ? failing : ['No fai']);
  });

  it('imports its own profile back into a new draft with the same controls and parameters', async () => {
    const prof = (await msp.get(`/api/v1/agreements/${agreementId}/versions/1/oscal/profile`)).body;
    const imp = await msp.post('/api/v1/oscal/import', prof);
    expect(imp.status, imp.text).toBe(200);
    expect(imp.body.model).toBe('profile');
    const draft = await msp.post('/api/v1/agreements', {
      customerOrgId,
      title: 'Renewal from OSCAL',
      controls: imp.body.agreementControls,
    });
    expect(draft.status, draft.text).toBe(201);
    const original = (await msp.get(`/api/v1/agreements/${agreementId}/versions/1`)).body.content.controls;
    const strip = (cs: { controlId: string; parameters: unknown; owner: string }[]) =>
      cs.map((c) => ({ controlId: c.controlId, parameters: c.parameters, owner: c.owner }));
    expect(strip(draft.body.content.controls)).toEqual(strip(original));
  });

  it("reads NIST's examples and refuses malformed OSCAL with the JSON path", async () => {
    const doc = JSON.parse(
      readFileSync(new URL('../../../oscal/examples/ifa_ssp-example.json', import.meta.url), 'utf8'),
    );
    const ok = await customerAuditor.post('/api/v1/oscal/import', doc);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.model).toBe('system-security-plan');
    expect(ok.body.controls.length).toBeGreaterThan(0);

    doc['system-security-plan'].metadata['oscal-version'] = 12;
    const bad = await customerAuditor.post('/api/v1/oscal/import', doc);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details.problems).toContainEqual({
      path: '$.system-security-plan.metadata.oscal-version',
      message: 'must be string',
    });
  });

  it("another tenant's agreement is not found; one with no active version reports nothing verified", async () => {
    for (const path of [
      `/api/v1/agreements/${agreementId}/versions/1/oscal/profile`,
      `/api/v1/agreements/${agreementId}/oscal/assessment-results`,
      `/api/v1/agreements/${agreementId}/oscal/poam`,
    ]) {
      const r = await outsider.get(path);
      expect(r.status, path).toBe(404);
      expect(r.text).not.toContain('Security schedule');
    }
    const draft = await msp.post('/api/v1/agreements', {
      customerOrgId,
      title: 'Draft only',
      controls: [{ controlId: 'LOG-01' }],
    });
    const ar = await msp.get(`/api/v1/agreements/${draft.body.agreementId}/oscal/assessment-results`);
    expect(ar.status, ar.text).toBe(200);
    expect(validateOscal('assessment-results', ar.body)).toEqual([]);
    const result = ar.body['assessment-results'].results[0];
    expect(result.description).toContain('Nothing verified');
    expect(result.findings).toBeUndefined();
    const poam = await msp.get(`/api/v1/agreements/${draft.body.agreementId}/oscal/poam`);
    expect(validateOscal('plan-of-action-and-milestones', poam.body)).toEqual([]);
    expect(poam.body['plan-of-action-and-milestones']['poam-items'][0].title).toBe('Nothing verified');
  });
});
