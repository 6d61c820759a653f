import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import {
  completeAssessment,
  signers,
  supplierInput,
  supplyWorld,
  type SupplyWorld,
} from '../../../test/support/suppliers.ts';

describe.each(dbTargets())('supplier register over HTTP ($name)', (target) => {
  let srv: TestServer;
  let w: SupplyWorld;
  beforeAll(async () => {
    srv = await startTestServer(target);
    w = await supplyWorld(srv);
  }, 300_000); // ten accounts with argon2id passwords, signed in: slow on a loaded machine
  afterAll(() => srv.stop());

  it('keeps a register: add, read, replace, retire, each change in the audit trail', async () => {
    const base = `${w.org()}/suppliers`;
    const add = await w.custAdmin.post(base, {
      ...supplierInput('Payroll Cloud'),
      kind: 'sub_processor',
      services: ['payroll'],
      privilegedAccess: false,
      dataCategories: ['personal', 'financial', 'personal'],
      contractStart: '2025-01-01',
      contractEnd: '2027-12-31',
      criticality: 'critical',
      notes: 'processes salary data',
    });
    expect(add.status, add.text).toBe(201);
    expect(add.body).toMatchObject({
      orgId: w.cust.org.id,
      name: 'Payroll Cloud',
      kind: 'sub_processor',
      dataCategories: ['personal', 'financial'],
      contractStart: '2025-01-01',
      contractEnd: '2027-12-31',
      criticality: 'critical',
      published: false,
      retiredAt: null,
    });
    const id = add.body.id as string;
    const put = await w.custAdmin.put(`${base}/${id}`, {
      ...supplierInput('Payroll Cloud'),
      criticality: 'high',
      products: ['Payroll Cloud Agent'],
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({
      criticality: 'high',
      products: ['Payroll Cloud Agent'],
      contractEnd: null,
    });

    // Everyone of the customer reads; the MSP reads its customer's register too.
    for (const client of [w.custAuditor, w.custMember, w.mspAdmin, w.mspEngineer]) {
      const one = await client.get(`${base}/${id}`);
      expect(one.status, one.text).toBe(200);
      expect(one.body.criticality).toBe('high');
    }
    // Only the customer's own managers change it: the MSP (a supplier in it), members and auditors cannot.
    for (const client of [w.mspAdmin, w.custAuditor, w.custMember, w.mspEngineer]) {
      const r = await client.put(`${base}/${id}`, supplierInput('Payroll Cloud', { criticality: 'low' }));
      expect(r.status, r.text).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
    }
    const ret = await w.custAdmin.post(`${base}/${id}/retire`, { reason: 'contract ended' });
    expect(ret.status, ret.text).toBe(200);
    expect(ret.body.retiredReason).toBe('contract ended');
    expect((await w.custAdmin.post(`${base}/${id}/retire`, { reason: 'again' })).body.error.code).toBe(
      'invalid_state',
    );
    expect((await w.custAdmin.put(`${base}/${id}`, supplierInput('Payroll Cloud'))).status).toBe(409);
    const active = await w.custAdmin.get(base);
    expect(active.body.map((s: { id: string }) => s.id)).not.toContain(id);
    const all = await w.custAdmin.get(`${base}?includeRetired=true`);
    expect(all.body.map((s: { id: string }) => s.id)).toContain(id);
    // The name is free again once retired.
    expect((await w.custAdmin.post(base, supplierInput('Payroll Cloud'))).status).toBe(201);

    const trail = await w.custAuditor.get(`${w.org()}/audit?limit=500`);
    const actions = trail.body
      .filter((e: { targetId: string }) => e.targetId === id)
      .map((e: { action: string }) => e.action);
    expect(actions).toEqual(['supplier.added', 'supplier.updated', 'supplier.retired']);
    const updated = trail.body.find(
      (e: { action: string; targetId: string }) => e.action === 'supplier.updated' && e.targetId === id,
    );
    expect(updated.details).toMatchObject({ criticality: 'high', criticalityBefore: 'critical' });
    expect(updated.beforeDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses bad input with errors that say where and why, and stores none of it', async () => {
    const base = `${w.org()}/suppliers`;
    const before = (await w.custAdmin.get(`${base}?includeRetired=true`)).body.length;
    const cases: [unknown, number, RegExp][] = [
      [
        { ...supplierInput('Backwards'), contractStart: '2026-06-01', contractEnd: '2026-01-31' },
        400,
        /contractEnd.*cannot end before it starts/,
      ],
      [{ ...supplierInput('Leap'), contractStart: '2025-02-30' }, 400, /contractStart.*not a calendar date/],
      [{ ...supplierInput('Odd'), criticality: 'extreme' }, 400, /criticality/],
      [{ ...supplierInput('Data'), dataCategories: ['gossip'] }, 400, /dataCategories/],
      [
        { ...supplierInput('Their MSP'), kind: 'msp', mspOrgId: w.other.org.id },
        400,
        /mspOrgId .* is not an MSP of this organisation/,
      ],
      [
        { ...supplierInput('Not an MSP'), mspOrgId: w.msp.org.id },
        400,
        /mspOrgId is only given for an entry of kind msp/,
      ],
      [{ ...supplierInput('Publisher'), published: true }, 400, /only an MSP publishes/],
      [{ ...supplierInput('Extra'), secret: 'x' }, 400, /Unrecognized key/],
    ];
    for (const [body, status, message] of cases) {
      const r = await w.custAdmin.post(base, body);
      expect(r.status, r.text).toBe(status);
      expect(r.body.error.code).toBe('validation_failed');
      expect(`${r.body.error.message} ${JSON.stringify(r.body.error.details ?? '')}`).toMatch(message);
    }
    // An MSP's register holds its own suppliers, not an entry for "the MSP".
    const mspSelf = await w.mspAdmin.post(
      `${w.org(w.msp.org.id)}/suppliers`,
      supplierInput('Me', { kind: 'msp' }),
    );
    expect(mspSelf.status).toBe(400);
    expect(mspSelf.body.error.message).toMatch(/kind msp stands for a customer's MSP/);
    // Names are unique among active entries (any case).
    expect((await w.custAdmin.post(base, supplierInput('Dup Ltd'))).status).toBe(201);
    const dup = await w.custAdmin.post(base, supplierInput('DUP LTD'));
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toBe('the register already has a supplier named "DUP LTD"');
    expect((await w.custAdmin.get(`${base}?includeRetired=true`)).body.length).toBe(before + 1);
    // The customer's own MSP, linked, is accepted.
    const ours = await w.custAdmin.post(base, {
      ...supplierInput('Our MSP'),
      kind: 'msp',
      mspOrgId: w.msp.org.id,
      privilegedAccess: true,
      criticality: 'critical',
    });
    expect(ours.status, ours.text).toBe(201);
    expect(ours.body.mspOrgId).toBe(w.msp.org.id);
  });

  it('imports a register: good entries are added, each bad one is reported with its number and reason', async () => {
    const r = await w.custAdmin.post(`${w.org()}/suppliers/import`, {
      suppliers: [
        supplierInput('Import One', { criticality: 'low' }),
        { ...supplierInput('Import Two'), contractStart: '2026-05-01', contractEnd: '2026-04-01' },
        supplierInput('Import Three', { criticality: 'medium' }),
        supplierInput('import one'),
        'not an object',
        supplierInput('Dup Ltd'),
      ],
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.added.map((s: { name: string }) => s.name)).toEqual(['Import One', 'Import Three']);
    expect(r.body.rejected).toEqual([
      {
        at: 2,
        name: 'Import Two',
        reason: expect.stringMatching(/^contractEnd: the contract cannot end before it starts/),
      },
      { at: 4, name: 'import one', reason: '"import one" appears earlier in the same import' },
      { at: 5, name: null, reason: expect.stringMatching(/^entry: /) },
      { at: 6, name: 'Dup Ltd', reason: 'the register already has a supplier named "Dup Ltd"' },
    ]);
    const names = (await w.custAdmin.get(`${w.org()}/suppliers`)).body.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(['Import One', 'Import Three']));
    expect(names).not.toContain('Import Two');
    // The import is a write: the auditor cannot.
    expect(
      (await w.custAuditor.post(`${w.org()}/suppliers/import`, { suppliers: [supplierInput('X')] })).status,
    ).toBe(403);
  });

  it('publishes the MSP’s own suppliers to its customers, and to no one else', async () => {
    const mspBase = `${w.org(w.msp.org.id)}/suppliers`;
    const pub = await w.mspAdmin.post(mspBase, {
      ...supplierInput('RMM Platform Inc'),
      products: ['NinjaOne'],
      privilegedAccess: true,
      criticality: 'critical',
      published: true,
    });
    expect(pub.status, pub.text).toBe(201);
    expect((await w.mspAdmin.post(mspBase, supplierInput('MSP Office Cleaning'))).status).toBe(201);
    const otherPub = await w.otherAdmin.post(`${w.org(w.other.org.id)}/suppliers`, {
      ...supplierInput('Other MSP Vendor'),
      published: true,
    });
    expect(otherPub.status).toBe(201);

    const seen = await w.custMember.get(`${w.org()}/published-suppliers`);
    expect(seen.status, seen.text).toBe(200);
    expect(seen.body).toEqual([
      expect.objectContaining({
        msp: { id: w.msp.org.id, name: w.msp.org.name },
        id: pub.body.id,
        name: 'RMM Platform Inc',
        privilegedAccess: true,
        lastAssessedAt: null,
        residualBand: null,
      }),
    ]);
    // The MSP reading through its customer sees its own list only; the other MSP's customer sees its own MSP's.
    expect(
      (await w.mspEngineer.get(`${w.org()}/published-suppliers`)).body.map((s: { id: string }) => s.id),
    ).toEqual([pub.body.id]);
    const theirs = await w.otherCustAdmin.get(`${w.org(w.otherCust.org.id)}/published-suppliers`);
    expect(theirs.body.map((s: { name: string }) => s.name)).toEqual(['Other MSP Vendor']);
    // Nobody outside reaches the customer's view, and the customer does not reach the MSP's register.
    expect((await w.otherCustAdmin.get(`${w.org()}/published-suppliers`)).status).toBe(404);
    expect((await w.otherAdmin.get(`${w.org()}/published-suppliers`)).status).toBe(404);
    expect((await w.custAdmin.get(mspBase)).status).toBe(404);
    expect((await w.custAdmin.get(`${mspBase}/${pub.body.id}`)).status).toBe(404);

    // Once the MSP's security, legal and procurement have signed its assessment, the customer sees the result.
    const msp = await signers(w.rt, w.msp.org.id, 'msp');
    const done = await completeAssessment(w.rt, w.m, msp.ctx, w.msp.org.id, pub.body.id, {
      ownerUserId: w.msp.admin.id,
      inherent: { likelihood: 4, impact: 5 },
      residual: { likelihood: 3, impact: 4 },
    });
    const assessed = (await w.custMember.get(`${w.org()}/published-suppliers`)).body[0];
    expect(assessed).toMatchObject({
      residualBand: 'high',
      lastAssessedAt: done.row.completed_at!.toISOString(),
    });

    // Withdrawing the entry (unpublish) removes it from the customer's view at once.
    const unpub = await w.mspAdmin.put(`${mspBase}/${pub.body.id}`, {
      ...supplierInput('RMM Platform Inc'),
      criticality: 'critical',
      published: false,
    });
    expect(unpub.status).toBe(200);
    expect((await w.custMember.get(`${w.org()}/published-suppliers`)).body).toEqual([]);
  });

  it('lets any member but an auditor hold a function, security included', async () => {
    const password = 'correct horse battery staple';
    const admin = await w.custAdmin.post(`${w.org()}/members`, {
      email: `ciso-${randomUUID().slice(0, 8)}@test.example`,
      name: 'CISO',
      role: 'customer_admin',
      function: 'security',
      password,
    });
    expect(admin.status, admin.text).toBe(201);
    expect(admin.body.function).toBe('security');
    const auditor = await w.custAdmin.post(`${w.org()}/members`, {
      email: `audit-${randomUUID().slice(0, 8)}@test.example`,
      name: 'Auditor',
      role: 'auditor',
      function: 'legal',
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      password,
    });
    expect(auditor.status).toBe(400);
    expect(auditor.body.error.message).toMatch(/an auditor has no function/);
  });

  it('records register reviews and the reassessment cadence, within bounds', async () => {
    const reg = `${w.org()}/supplier-register`;
    const first = await w.custAuditor.get(reg);
    expect(first.status).toBe(200);
    expect(first.body.reassessmentDays).toEqual({ critical: 180, high: 365, medium: 730, low: 1095 });
    const review = await w.custAdmin.post(`${reg}/reviews`, {
      note: 'annual review with procurement and legal',
    });
    expect(review.status, review.text).toBe(201);
    expect(review.body.reviewedBy).toBe(w.cust.admin.email);
    expect(review.body.reviews[0]).toMatchObject({
      by: w.cust.admin.email,
      note: 'annual review with procurement and legal',
    });
    const set = await w.custAdmin.put(reg, { reassessmentDays: { critical: 90 } });
    expect(set.status, set.text).toBe(200);
    expect(set.body.reassessmentDays).toEqual({ critical: 90, high: 365, medium: 730, low: 1095 });
    const bad = await w.custAdmin.put(reg, { reassessmentDays: { high: 10 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/reassessmentDays\/high.*at least 30 days/);
    expect((await w.custAuditor.post(`${reg}/reviews`, {})).status).toBe(403);
    expect((await w.mspAdmin.post(`${reg}/reviews`, {})).status).toBe(403);
    expect((await w.otherAdmin.get(`${w.org(randomUUID())}/supplier-register`)).status).toBe(404);
  });
});
