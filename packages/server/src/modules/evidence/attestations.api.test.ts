import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { evidenceWorld, type EvidenceWorld } from '../../../test/support/evidence-world.ts';
import type { ApiClient } from '../../../test/support/api-client.ts';

const DAY = 86_400_000;
const outcome = (r: { status: number; body: any }) =>
  r.status < 300 ? String(r.status) : `${r.status} ${r.body?.error?.code}`;

describe.each(dbTargets())('attestations over HTTP ($name)', (target) => {
  let srv: TestServer;
  let w: EvidenceWorld;
  beforeAll(async () => {
    srv = await startTestServer(target);
    w = await evidenceWorld(srv);
  });
  afterAll(() => srv.stop());

  const link = async (client: ApiClient, control: string, extra: Record<string, unknown> = {}) => {
    const r = await client.post(w.evidencePath(control), {
      url: `https://evidence.example/${randomUUID()}`,
      title: `${control} evidence`,
      effectiveAt: '2025-06-01',
      ...extra,
    });
    expect(r.status, r.text).toBe(201);
    return r.body.id as string;
  };

  it('the owner attests, only the other party accepts; a new attestation supersedes and history stays', async () => {
    // IRP-04 is owned by the MSP and attested.
    const path = w.attestPath('IRP-04');
    const none = await w.custAuditor.get(path);
    expect(none.body).toMatchObject({ state: 'none', owner: 'msp', current: null, history: [] });
    expect(await srv.rt.services.attestations.attestationState(w.agreementId, 'IRP-04')).toEqual({
      state: 'none',
      attestation: null,
    });

    const byCustomer = await w.custAdmin.post(path, { statement: 'The MSP did it' });
    expect(outcome(byCustomer)).toBe('403 forbidden');
    const ev = await link(w.mspAdmin, 'IRP-04');
    const first = await w.mspAdmin.post(path, { statement: 'Contacts reviewed in May', evidenceIds: [ev] });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({
      state: 'attested',
      current: {
        party: 'msp',
        statement: 'Contacts reviewed in May',
        evidenceIds: [ev],
        superseded: false,
        review: null,
      },
    });
    const a1 = first.body.current.id as string;

    // The owner cannot accept its own attestation; an engineer lacks `attest`; outsiders get 404.
    expect(outcome(await w.mspAdmin.post(`${path}/${a1}/accept`, {}))).toBe('403 forbidden');
    expect(outcome(await w.mspEngineer.post(`${path}/${a1}/accept`, {}))).toBe('403 forbidden');
    expect(outcome(await w.otherAdmin.post(`${path}/${a1}/accept`, {}))).toBe('404 not_found');
    expect(outcome(await w.otherCustAdmin.post(`${path}/${a1}/accept`, {}))).toBe('404 not_found');
    expect(outcome(await w.custAuditor.post(`${path}/${a1}/accept`, {}))).toBe('403 forbidden');
    expect((await w.custAuditor.get(path)).body.state).toBe('attested');

    const accepted = await w.custAdmin.post(`${path}/${a1}/accept`, { comment: 'Seen the list' });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body).toMatchObject({
      state: 'accepted',
      current: { id: a1, review: { decision: 'accepted', party: 'customer', comment: 'Seen the list' } },
    });
    expect(outcome(await w.custAdmin.post(`${path}/${a1}/dispute`, { comment: 'changed my mind' }))).toBe(
      '409 conflict',
    );
    expect((await srv.rt.services.attestations.attestationState(w.agreementId, 'IRP-04')).state).toBe(
      'accepted',
    );

    // A new attestation supersedes: awaiting the customer again, the first kept in the history.
    const second = await w.mspAdmin.post(path, { statement: 'Contacts reviewed again in June' });
    expect(second.status, second.text).toBe(201);
    expect(second.body.state).toBe('attested');
    expect(
      second.body.history.map((a: { id: string; superseded: boolean; state: string }) => [
        a.id,
        a.superseded,
        a.state,
      ]),
    ).toEqual([
      [a1, true, 'accepted'],
      [second.body.current.id, false, 'attested'],
    ]);
    expect(outcome(await w.custAdmin.post(`${path}/${a1}/dispute`, { comment: 'old one' }))).toBe(
      '409 invalid_state',
    );
    const disputed = await w.custAdmin.post(`${path}/${second.body.current.id}/dispute`, {
      comment: 'Two contacts have left the company',
    });
    expect(disputed.status, disputed.text).toBe(200);
    expect(disputed.body).toMatchObject({
      state: 'disputed',
      current: { review: { decision: 'disputed', comment: 'Two contacts have left the company' } },
    });
    // A dispute needs its reason.
    expect(outcome(await w.custAdmin.post(`${path}/${second.body.current.id}/dispute`, {}))).toBe(
      '400 validation_failed',
    );
    expect((await srv.rt.services.attestations.attestationState(w.agreementId, 'IRP-04')).state).toBe(
      'disputed',
    );

    const trail = await w.mspAdmin.get(`/api/v1/orgs/${w.cust.org.id}/audit?limit=500`);
    const actions = (trail.body as { action: string; details: { controlId?: string } }[])
      .filter((e) => e.action.startsWith('attestation.') && e.details.controlId === 'IRP-04')
      .map((e) => e.action);
    expect(actions).toEqual([
      'attestation.made',
      'attestation.accepted',
      'attestation.made',
      'attestation.disputed',
    ]);
  });

  it('shared controls: either party attests and the other reviews; owners and modes are enforced', async () => {
    const shared = await w.custAdmin.post(w.attestPath('IRP-01'), {
      statement: 'Our half of the plan is current',
    });
    expect(shared.status, shared.text).toBe(201);
    const id = shared.body.current.id as string;
    expect(outcome(await w.custAdmin.post(`${w.attestPath('IRP-01')}/${id}/accept`, {}))).toBe(
      '403 forbidden',
    );
    expect((await w.mspAdmin.post(`${w.attestPath('IRP-01')}/${id}/accept`, {})).body.state).toBe('accepted');

    // NET-05 belongs to the customer; LOG-01 is verified automatically; NET-01 is not in the agreement.
    expect(outcome(await w.mspAdmin.post(w.attestPath('NET-05'), { statement: 'x' }))).toBe('403 forbidden');
    expect(outcome(await w.custAdmin.post(w.attestPath('NET-05'), { statement: 'Segmented' }))).toBe('201');
    expect(outcome(await w.mspAdmin.post(w.attestPath('LOG-01'), { statement: 'x' }))).toBe(
      '400 bad_request',
    );
    expect(outcome(await w.mspAdmin.post(w.attestPath('NET-01'), { statement: 'x' }))).toBe('404 not_found');
    // Evidence that is not current evidence of this control cannot be cited.
    const other = await link(w.mspAdmin, 'IRP-01');
    const cites = await w.mspAdmin.post(w.attestPath('IRP-04'), { statement: 'x', evidenceIds: [other] });
    expect(outcome(cites)).toBe('400 bad_request');
    expect(cites.body.error.details.evidenceIds).toEqual([other]);
    expect(
      outcome(await w.mspAdmin.post(w.attestPath('IRP-04'), { statement: 'x', evidenceIds: ['nope'] })),
    ).toBe('400 validation_failed');
    expect(outcome(await w.mspAdmin.post(`${w.attestPath('IRP-04')}/${randomUUID()}/accept`, {}))).toBe(
      '404 not_found',
    );
  });

  it('an attestation whose evidence has all expired is reported expired', async () => {
    const now = Date.now();
    const soon = await link(w.mspAdmin, 'IRP-01', { expiresAt: new Date(now + 5 * DAY).toISOString() });
    const r = await w.mspAdmin.post(w.attestPath('IRP-01'), { statement: 'Exercised', evidenceIds: [soon] });
    expect(r.status, r.text).toBe(201);
    const accepted = await w.custAdmin.post(`${w.attestPath('IRP-01')}/${r.body.current.id}/accept`, {});
    expect(accepted.body.state).toBe('accepted');
    const state = (at: number) =>
      srv.rt.services.attestations.attestationState(w.agreementId, 'IRP-01', new Date(at));
    expect((await state(now + 4 * DAY)).state).toBe('accepted');
    const later = await state(now + 6 * DAY);
    expect(later.state).toBe('expired');
    expect(later.attestation?.id).toBe(r.body.current.id);
    // Withdrawn evidence no longer supports it either.
    await w.mspAdmin.post(`${w.evidencePath('IRP-01')}/${soon}/withdraw`, { reason: 'wrong file' });
    expect((await w.custAdmin.get(w.attestPath('IRP-01'))).body.state).toBe('expired');
  });
});
