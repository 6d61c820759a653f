import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '@accord/contracts';
import { sql } from 'kysely';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { ApiClient, type ApiResponse } from '../../../test/support/api-client.ts';
import { activeAgreement, ctxFor } from '../../../test/support/factories.ts';
import {
  completeAssessment,
  signers,
  supplierInput,
  supplyWorld,
  type SupplyWorld,
} from '../../../test/support/suppliers.ts';

const DAY = 86_400_000;
const day = (ms: number) => new Date(Date.now() + ms).toISOString().slice(0, 10);
type Q = { controlId: string };

describe.each(dbTargets())('supplier assessments over HTTP ($name)', (target) => {
  let srv: TestServer;
  let w: SupplyWorld;
  beforeAll(async () => {
    srv = await startTestServer(target);
    w = await supplyWorld(srv);
  }, 300_000); // ten accounts with argon2id passwords, signed in: slow on a loaded machine
  afterAll(() => srv.stop());

  const newSupplier = async (name: string, criticality = 'critical') => {
    const r = await w.custAdmin.post(
      `${w.org()}/suppliers`,
      supplierInput(name, { criticality: criticality as 'critical' }),
    );
    expect(r.status, r.text).toBe(201);
    return r.body.id as string;
  };
  const path = (id: string) => `${w.org()}/supplier-assessments/${id}`;
  const error = (r: ApiResponse) => `${r.status} ${r.body?.error?.code}: ${r.body?.error?.message}`;

  it('builds the questionnaire from the catalog’s supply chain and MSP controls', async () => {
    const q = await w.custAuditor.get('/api/v1/supplier-questionnaire');
    expect(q.status).toBe(200);
    const ids = q.body.questions.map((x: Q) => x.controlId);
    expect(ids).toEqual(
      expect.arrayContaining(['SCR-01', 'SCR-02', 'SCR-03', 'SCR-04', 'MFA-01', 'LOG-04', 'AUT-04']),
    );
    expect(ids).not.toContain('PIC-01'); // shared, not about the MSP
    expect(ids).not.toContain('NET-05'); // the customer's own
    expect(q.body.catalogVersion).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('scores on the 5x5 matrix, keeps evidence with answers, and refuses what does not fit, naming it', async () => {
    const supplierId = await newSupplier('Cloud Payroll');
    const start = await w.custAdmin.post(`${w.org()}/suppliers/${supplierId}/assessments`);
    expect(start.status, start.text).toBe(201);
    expect(start.body).toMatchObject({ status: 'draft', revision: 1, inherent: null, residual: null });
    const id = start.body.id as string;
    const questions = start.body.questions.map((x: Q) => x.controlId) as string[];
    expect((await w.custAdmin.post(`${w.org()}/suppliers/${supplierId}/assessments`)).body.error.code).toBe(
      'conflict',
    );

    // Evidence of the customer's agreement with its MSP may be cited; another agreement's may not.
    const own = await w.rt.services.evidence.add(w.c, w.agreementId, 'SCR-02', {
      url: 'https://docs.example/payroll-soc2.pdf',
      title: 'Payroll SOC 2 type II',
      effectiveAt: '2025-06-01',
    });
    const foreignAgreement = await activeAgreement(
      w.rt,
      ctxFor(w.other.admin, 'msp'),
      ctxFor(w.otherCust.admin, 'customer'),
      {
        customerOrgId: w.otherCust.org.id,
        title: 'Theirs',
        controls: [{ controlId: 'SCR-02' }],
      },
    );
    const foreign = await w.rt.services.evidence.add(
      ctxFor(w.other.admin, 'msp'),
      foreignAgreement.agreement_id,
      'SCR-02',
      {
        url: 'https://other.example/x',
        title: 'Not yours',
        effectiveAt: '2025-06-01',
      },
    );

    const ok = await w.custAdmin.put(path(id), {
      answers: [
        {
          controlId: 'SCR-02',
          answer: 'partial',
          comment: 'no legal sign-off yet',
          evidence: [{ evidenceId: own.item.id }],
        },
        {
          controlId: 'MFA-01',
          answer: 'yes',
          evidence: [{ url: 'https://docs.example/mfa.png', title: 'MFA policy' }],
        },
      ],
      inherent: { likelihood: 4, impact: 5 },
      residual: { likelihood: 2, impact: 3 },
      rationale: 'Holds salary data of every employee',
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.inherent).toEqual({ likelihood: 4, impact: 5, score: 20, band: 'critical' });
    expect(ok.body.residual).toEqual({ likelihood: 2, impact: 3, score: 6, band: 'medium' });
    const scr02 = ok.body.questions.find((x: Q) => x.controlId === 'SCR-02');
    expect(scr02.answer).toMatchObject({
      answer: 'partial',
      evidence: [{ evidenceId: own.item.id, title: 'Payroll SOC 2 type II' }],
      answeredBy: w.cust.admin.email,
    });
    expect(ok.body.summary).toMatchObject({ questions: questions.length, answered: 2, yes: 1, partial: 1 });

    const refused: [unknown, RegExp][] = [
      [
        { inherent: { likelihood: 6, impact: 3 } },
        /likelihood is 1 \(rare\) to 5 \(almost certain\) on the 5x5 matrix/,
      ],
      [
        { residual: { likelihood: 2, impact: 0 } },
        /impact is 1 \(negligible\) to 5 \(severe\) on the 5x5 matrix/,
      ],
      [{ inherent: { likelihood: 2.5, impact: 3 } }, /whole number/],
      [
        { residual: { likelihood: 5, impact: 5 } },
        /residual: the residual risk \(5x5 = 25\) cannot exceed the inherent risk \(4x5 = 20\)/,
      ],
      [
        { answers: [{ controlId: 'PIC-01', answer: 'yes' }] },
        /answers\/0\/controlId: PIC-01 is not a question of this assessment/,
      ],
      [{ answers: [{ controlId: 'SCR-01', answer: 'maybe' }] }, /answer/],
      [
        { answers: [{ controlId: 'SCR-01', answer: 'yes', evidence: [{ evidenceId: foreign.item.id }] }] },
        new RegExp(
          `answers/0/evidence/0/evidenceId: evidence ${foreign.item.id} is not evidence of an agreement of this organisation`,
        ),
      ],
      [
        {
          answers: [
            { controlId: 'SCR-01', answer: 'yes', evidence: [{ url: 'ftp://x.example/a', title: 'ftp' }] },
          ],
        },
        /http:\/\/ or https:\/\//,
      ],
    ];
    for (const [body, message] of refused) {
      const r = await w.custAdmin.put(path(id), body);
      expect(r.status, r.text).toBe(400);
      expect(`${r.body.error.message} ${JSON.stringify(r.body.error.details)}`).toMatch(message);
    }
    // Nothing of the refused updates was stored.
    const after = await w.custAuditor.get(path(id));
    expect(after.body.inherent.score).toBe(20);
    expect(after.body.residual.score).toBe(6);
    expect(after.body.summary.answered).toBe(2);

    // Treatments: the owner must be a member who can act, the due date not in the past.
    for (const [body, message] of [
      [
        { type: 'mitigate', description: 'x', ownerUserId: w.other.admin.id, dueDate: day(30 * DAY) },
        /ownerUserId .* is not a member of this organisation/,
      ],
      [
        { type: 'mitigate', description: 'x', ownerUserId: randomUUID(), dueDate: day(30 * DAY) },
        /ownerUserId/,
      ],
      [
        { type: 'mitigate', description: 'x', ownerUserId: w.users.auditor.id, dueDate: day(30 * DAY) },
        /ownerUserId/,
      ],
      [
        { type: 'mitigate', description: 'x', ownerUserId: w.cust.admin.id, dueDate: day(-2 * DAY) },
        /dueDate .* is in the past/,
      ],
      [{ type: 'ignore', description: 'x', ownerUserId: w.cust.admin.id, dueDate: day(DAY) }, /type/],
    ] as const) {
      const r = await w.custAdmin.post(`${path(id)}/treatments`, body);
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.message).toMatch(message);
    }

    // Not ready: unanswered questions and no treatment are named.
    const early = await w.custAdmin.post(`${path(id)}/submit`);
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(
      new RegExp(`${questions.length - 2} unanswered question\\(s\\)`),
    );
    expect(early.body.error.message).toMatch(/no treatment/);
    expect(early.body.error.details.unanswered).toHaveLength(questions.length - 2);
  });

  it('is complete only when security, legal and procurement have each signed, by named members with those functions', async () => {
    const supplierId = await newSupplier('Managed SOC');
    const id = (await w.custAdmin.post(`${w.org()}/suppliers/${supplierId}/assessments`)).body.id as string;
    const a = await w.custAdmin.get(path(id));
    const answerAll = await w.custAdmin.put(path(id), {
      answers: a.body.questions.map((q: Q) => ({ controlId: q.controlId, answer: 'yes' })),
      inherent: { likelihood: 3, impact: 4 },
      residual: { likelihood: 2, impact: 2 },
    });
    expect(answerAll.status, answerAll.text).toBe(200);
    const treat = await w.custAdmin.post(`${path(id)}/treatments`, {
      type: 'mitigate',
      description: 'Quarterly access review of the SOC accounts',
      ownerUserId: w.users.security.id,
      dueDate: day(60 * DAY),
    });
    expect(treat.status, treat.text).toBe(201);
    const treatmentId = treat.body.treatments[0].id as string;
    expect(treat.body.treatments[0]).toMatchObject({
      owner: { email: w.users.security.email },
      status: 'open',
      late: false,
    });
    // Signing a draft is refused: it is signed once submitted.
    expect(error(await w.procurement.post(`${path(id)}/signoffs`, { function: 'procurement' }))).toMatch(
      /^409 invalid_state/,
    );
    const sub = await w.custAdmin.post(`${path(id)}/submit`);
    expect(sub.status, sub.text).toBe(200);
    expect(sub.body.status).toBe('submitted');
    expect(error(await w.custAdmin.put(path(id), { rationale: 'late edit' }))).toMatch(
      /^409 invalid_state: .*awaits sign-off: reopen it/,
    );

    // Procurement signs as procurement.
    const p1 = await w.procurement.post(`${path(id)}/signoffs`, {
      function: 'procurement',
      comment: 'contract terms checked',
    });
    expect(p1.status, p1.text).toBe(201);
    expect(p1.body).toMatchObject({ status: 'submitted', missingSignoffs: ['security', 'legal'] });
    expect(p1.body.signoffs[0]).toMatchObject({
      function: 'procurement',
      signedBy: w.users.procurement.email,
      current: true,
    });
    // Whoever signs must hold the function; tokens, the MSP, auditors and outsiders cannot.
    expect(error(await w.legal.post(`${path(id)}/signoffs`, { function: 'security' }))).toBe(
      `403 forbidden: a security sign-off needs a member whose function is security; ${w.users.legal.email}'s function is legal`,
    );
    expect(error(await w.custMember.post(`${path(id)}/signoffs`, { function: 'legal' }))).toMatch(
      /function is not set$/,
    );
    expect(error(await w.custAdmin.post(`${path(id)}/signoffs`, { function: 'security' }))).toMatch(
      /^403 forbidden/,
    );
    expect(error(await w.custAuditor.post(`${path(id)}/signoffs`, { function: 'legal' }))).toMatch(
      /^403 forbidden: your role does not allow suppliers:signoff/,
    );
    expect(error(await w.mspAdmin.post(`${path(id)}/signoffs`, { function: 'security' }))).toMatch(
      /^403 forbidden: the supplier register .* is kept by its own members/,
    );
    expect(error(await w.otherCustAdmin.post(`${path(id)}/signoffs`, { function: 'security' }))).toMatch(
      /^404 not_found/,
    );
    const token = await w.custAdmin.post('/api/v1/tokens', {
      name: `signer ${randomUUID()}`,
      scopes: [...PERMISSIONS],
      expiresInDays: 1,
    });
    const bot = ApiClient.withToken(srv.url, token.body.token);
    expect(error(await bot.post(`${path(id)}/signoffs`, { function: 'security' }))).toMatch(
      /^403 forbidden: a sign-off is given by a named member/,
    );
    expect(error(await w.procurement.post(`${path(id)}/signoffs`, { function: 'procurement' }))).toMatch(
      /^409 conflict: procurement has already signed revision 1/,
    );

    // Reopening starts revision 2: the procurement sign-off stays in the history but no longer counts.
    const reopened = await w.custAdmin.post(`${path(id)}/reopen`, {
      reason: 'legal asked for a data-location answer',
    });
    expect(reopened.body).toMatchObject({
      status: 'draft',
      revision: 2,
      missingSignoffs: ['security', 'legal', 'procurement'],
    });
    expect(reopened.body.signoffs).toEqual([
      expect.objectContaining({ function: 'procurement', revision: 1, current: false }),
    ]);
    expect((await w.custAdmin.post(`${path(id)}/submit`)).status).toBe(200);
    for (const [client, fn] of [
      [w.security, 'security'],
      [w.legal, 'legal'],
    ] as const) {
      const r = await client.post(`${path(id)}/signoffs`, { function: fn });
      expect(r.status, r.text).toBe(201);
      expect(r.body.status).toBe('submitted');
    }
    const done = await w.procurement.post(`${path(id)}/signoffs`, { function: 'procurement' });
    expect(done.status, done.text).toBe(201);
    expect(done.body).toMatchObject({ status: 'complete', revision: 2, missingSignoffs: [] });
    const completedAt = Date.parse(done.body.completedAt);
    expect(Date.parse(done.body.reassessmentDueAt) - completedAt).toBe(180 * DAY); // critical: 180 days

    // A complete assessment is what was signed: it does not change. Its treatments still progress.
    expect(error(await w.custAdmin.put(path(id), { rationale: 'x' }))).toMatch(
      /^409 invalid_state: .*complete and signed off/,
    );
    expect(error(await w.custAdmin.post(`${path(id)}/reopen`, { reason: 'x' }))).toMatch(
      /^409 invalid_state/,
    );
    expect(
      (
        await w.custAdmin.post(`${path(id)}/treatments`, {
          type: 'accept',
          description: 'x',
          ownerUserId: w.cust.admin.id,
          dueDate: day(DAY),
        })
      ).status,
    ).toBe(409);
    const closed = await w.custAdmin.post(`${path(id)}/treatments/${treatmentId}/close`, {
      status: 'done',
      note: 'review held',
    });
    expect(closed.status, closed.text).toBe(200);
    expect(closed.body.treatments[0]).toMatchObject({
      status: 'done',
      late: false,
      closedNote: 'review held',
    });
    expect(
      error(
        await w.custAdmin.post(`${path(id)}/treatments/${treatmentId}/close`, {
          status: 'done',
          note: 'again',
        }),
      ),
    ).toMatch(/^409/);
    await expect(
      sql`update supplier_assessments set rationale = 'tampered' where id = ${id}`.execute(w.rt.database.db),
    ).rejects.toThrow(/complete and signed off/);
    await expect(
      sql`delete from supplier_signoffs where assessment_id = ${id}`.execute(w.rt.database.db),
    ).rejects.toThrow(/append-only/);

    // Each sign-off is in the audit trail, with who signed and for which function.
    const trail = (await w.custAuditor.get(`${w.org()}/audit?limit=500`)).body.filter(
      (e: { targetId: string }) => e.targetId === id,
    );
    const signed = trail.filter((e: { action: string }) => e.action === 'supplier_assessment.signed_off');
    expect(
      signed.map((e: { details: { function: string; revision: number; signedBy: string } }) => [
        e.details.function,
        e.details.revision,
        e.details.signedBy,
      ]),
    ).toEqual([
      ['procurement', 1, w.users.procurement.email],
      ['security', 2, w.users.security.email],
      ['legal', 2, w.users.legal.email],
      ['procurement', 2, w.users.procurement.email],
    ]);
    expect(trail.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining([
        'supplier_assessment.reopened',
        'supplier_assessment.completed',
        'supplier_treatment.done',
      ]),
    );
    // A reassessment is a new assessment.
    expect((await w.custAdmin.post(`${w.org()}/suppliers/${supplierId}/assessments`)).status).toBe(201);
    const history = await w.custAuditor.get(`${w.org()}/suppliers/${supplierId}/assessments`);
    expect(history.body.map((x: { status: string }) => x.status)).toEqual(['draft', 'complete']);
  });

  it('ranks suppliers by residual risk and criticality, with open treatments and overdue reassessments flagged', async () => {
    // A fresh customer, so the ranking holds exactly these suppliers.
    const { createCustomer } = await import('../../../test/support/factories.ts');
    const cust = await createCustomer(w.rt, w.msp.org.id);
    const c = ctxFor(cust.admin, 'customer');
    const s = w.rt.services.suppliers;
    const sign = (await signers(w.rt, cust.org.id, 'customer')).ctx;
    const add = async (name: string, criticality: 'critical' | 'high' | 'medium' | 'low') =>
      (await s.create(c, cust.org.id, supplierInput(name, { criticality }))).id;
    const [a, , cc, d, e] = [
      await add('Assessed critical', 'critical'),
      await add('Unassessed low', 'low'),
      await add('In progress high', 'high'),
      await add('Assessed medium', 'medium'),
      await add('Overdue critical', 'critical'),
    ];
    const owner = cust.admin.id;
    await completeAssessment(w.rt, c, sign, cust.org.id, a, {
      ownerUserId: owner,
      residual: { likelihood: 3, impact: 3 },
    });
    await completeAssessment(w.rt, c, sign, cust.org.id, d, {
      ownerUserId: owner,
      residual: { likelihood: 2, impact: 2 },
    });
    // Assessed 200 days ago (critical: every 180 days), its treatment due 190 days ago and still open.
    await completeAssessment(w.rt, c, sign, cust.org.id, e, {
      ownerUserId: owner,
      residual: { likelihood: 1, impact: 2 },
      at: new Date(Date.now() - 200 * DAY),
      dueDate: day(-190 * DAY),
    });
    const started = await w.rt.services.supplierAssessments.start(c, cust.org.id, cc);
    await w.rt.services.supplierAssessments.update(c, cust.org.id, started.row.id, {
      inherent: { likelihood: 4, impact: 4 },
    });

    const client = await (await import('../../../test/support/api-client.ts')).signIn(srv.url, cust.admin);
    const r = await client.get(`/api/v1/orgs/${cust.org.id}/supplier-ranking`);
    expect(r.status, r.text).toBe(200);
    const rows = r.body.suppliers as {
      rank: number;
      priority: number;
      basis: string;
      supplier: { name: string };
      assessment: { state: string; inProgress: unknown };
      openTreatments: { late: boolean }[];
      lateTreatments: number;
    }[];
    expect(rows.map((x) => [x.rank, x.supplier.name, x.priority, x.basis])).toEqual([
      [1, 'In progress high', 48, 'assessment_in_progress'], // 16 x 3
      [2, 'Assessed critical', 36, 'assessed'], // 9 x 4
      [3, 'Unassessed low', 25, 'unassessed'], // unknown risk: 25 x 1
      [4, 'Overdue critical', 8, 'assessed'], // 2 x 4; ties with the medium one, critical first
      [5, 'Assessed medium', 8, 'assessed'], // 4 x 2
    ]);
    const byName = new Map(rows.map((x) => [x.supplier.name, x]));
    expect(byName.get('Overdue critical')).toMatchObject({
      assessment: { state: 'overdue' },
      lateTreatments: 1,
    });
    expect(byName.get('Overdue critical')!.openTreatments[0]!.late).toBe(true);
    expect(byName.get('Assessed critical')).toMatchObject({
      assessment: { state: 'current' },
      lateTreatments: 0,
    });
    expect(byName.get('Unassessed low')!.assessment.state).toBe('never');
    expect(byName.get('In progress high')!.assessment.inProgress).toMatchObject({ status: 'draft' });
    // Its MSP reads the ranking; an unrelated organisation does not.
    expect((await w.mspAdmin.get(`/api/v1/orgs/${cust.org.id}/supplier-ranking`)).status).toBe(200);
    expect((await w.otherAdmin.get(`/api/v1/orgs/${cust.org.id}/supplier-ranking`)).status).toBe(404);
  });
});
