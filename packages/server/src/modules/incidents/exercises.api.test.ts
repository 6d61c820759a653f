import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { signIn, type ApiResponse } from '../../../test/support/api-client.ts';
import { createCustomer } from '../../../test/support/factories.ts';
import { irWorld } from '../../../test/support/ir.ts';

const DAY = 86_400_000;
const outcome = (r: ApiResponse) =>
  r.status < 300 ? String(r.status) : `${r.status} ${r.body?.error?.code}`;

describe.each(dbTargets())('exercises ($name)', (target) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(target);
  });
  afterAll(() => srv.stop());

  it('schedules on the plan cadence, records attendance and findings, and closes only with findings', async () => {
    const w = await irWorld(srv.rt);
    const org = w.cust.org.id;
    const plan = await w.approvedPlan();
    const eng = await signIn(srv.url, w.people.mspEng);
    const base = `/api/v1/orgs/${org}/ir/exercises`;
    const { exec, tech, proc, legal, mspEng } = w.people;
    const body = {
      planId: plan.planId,
      kind: 'tabletop',
      title: 'Ransomware through the RMM',
      scenario: 'The MSP RMM pushes an encryptor to every workstation on a Friday evening.',
      participants: [exec, tech, proc, mspEng].map((u) => ({ userId: u.id })),
    };

    // Unknown people and another organisation's plan are refused.
    const outsider = (await createCustomer(srv.rt, null)).admin;
    const bad = await eng.post(base, {
      ...body,
      participants: [...body.participants, { userId: outsider.id }],
    });
    expect(outcome(bad)).toBe('400 bad_request');
    expect(bad.body.error.message).toContain(`participants[4]: user ${outsider.id} is not a current member`);
    const elsewhere = await irWorld(srv.rt);
    const theirPlan = await elsewhere.approvedPlan('recovery');
    expect(outcome(await eng.post(base, { ...body, planId: theirPlan.planId }))).toBe('404 not_found');

    // Scheduled by default when the cadence (180 days from the first approval) makes it due.
    const s = await eng.post(base, body);
    expect(s.status, s.text).toBe(201);
    const id = s.body.id as string;
    expect(Date.parse(s.body.scheduledFor) - Date.parse(plan.approvedAt!)).toBe(180 * DAY);
    expect(s.body).toMatchObject({ status: 'scheduled', planVersion: 1, joint: true });
    const roles = Object.fromEntries(
      s.body.participants.map((p: { userId: string; role: string }) => [p.userId, p.role]),
    );
    expect(roles).toEqual({
      [exec.id]: 'executive_sponsor',
      [tech.id]: 'technical_lead',
      [proc.id]: 'procurement_officer',
      [mspEng.id]: 'msp_contact',
    });

    // Closing before it was held, or without findings, is refused.
    const notHeld = await eng.post(`${base}/${id}/close`, { summary: 'done' });
    expect(outcome(notHeld)).toBe('409 invalid_state');
    expect(notHeld.body.error.message).toContain('no attendance recorded');
    const future = new Date(Date.now() + DAY).toISOString();
    expect(
      outcome(
        await eng.post(`${base}/${id}/attendance`, {
          heldAt: future,
          attendees: [{ userId: tech.id, attended: true }],
        }),
      ),
    ).toBe('400 bad_request');
    const heldAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const att = await eng.post(`${base}/${id}/attendance`, {
      heldAt,
      attendees: [
        { userId: exec.id, attended: true },
        { userId: tech.id, attended: true },
        { userId: proc.id, attended: false },
        { userId: mspEng.id, attended: true },
        { userId: legal.id, attended: true }, // not invited, came anyway: added with the plan's role
      ],
    });
    expect(att.status, att.text).toBe(200);
    expect(att.body).toMatchObject({ status: 'held', heldAt, joint: true });
    expect(att.body.participants.find((p: { userId: string }) => p.userId === legal.id)).toMatchObject({
      role: 'legal',
      attended: true,
    });
    expect(att.body.participants.find((p: { userId: string }) => p.userId === proc.id)).toMatchObject({
      attended: false,
    });
    const noFindings = await eng.post(`${base}/${id}/close`, { summary: 'done' });
    expect(outcome(noFindings)).toBe('409 invalid_state');
    expect(noFindings.body.error.message).toContain('an exercise closes only with its findings');

    const f = await eng.post(`${base}/${id}/findings`, {
      title: 'Nobody could reach the procurement officer',
      detail: 'The contact tree had an old mobile number.',
      severity: 'high',
    });
    expect(f.status, f.text).toBe(201);
    const a = await eng.post(`${base}/${id}/actions`, {
      title: 'Verify the contact tree',
      ownerUserId: proc.id,
      dueDate: new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10),
    });
    expect(a.status, a.text).toBe(201);
    await eng.post(`${base}/${id}/notes`, { text: 'Decision to isolate taken at 18:40' });
    const closed = await eng.post(`${base}/${id}/close`, {
      summary: 'Containment worked; contacts out of date',
    });
    expect(closed.body).toMatchObject({
      status: 'closed',
      summary: 'Containment worked; contacts out of date',
    });
    expect(closed.body.findings).toEqual([
      expect.objectContaining({ severity: 'high', recordedBy: mspEng.email }),
    ]);
    expect(closed.body.actions).toEqual([
      expect.objectContaining({ title: 'Verify the contact tree', source: { type: 'exercise', id } }),
    ]);
    expect(closed.body.timeline.map((t: { kind: string }) => t.kind)).toEqual([
      'scheduled',
      'attendance',
      'finding',
      'action_added',
      'note',
      'closed',
    ]);
    expect(outcome(await eng.post(`${base}/${id}/findings`, { title: 'late', detail: 'late' }))).toBe(
      '409 invalid_state',
    );
    expect(outcome(await eng.post(`${base}/${id}/cancel`, { reason: 'x' }))).toBe('409 invalid_state');
    await expect(
      srv.rt.database.db.deleteFrom('ir_findings').where('exercise_id', '=', id).execute(),
    ).rejects.toThrow(/append-only/);

    // The plan now counts its cadence from the exercise.
    const p = await eng.get(`/api/v1/orgs/${org}/ir/plans/${plan.planId}`);
    expect(p.body.exercise).toMatchObject({ lastHeldAt: heldAt, cadenceDays: 180 });
    expect(Date.parse(p.body.exercise.nextDueBy) - Date.parse(heldAt)).toBe(180 * DAY);

    // A scheduled one can be cancelled, with the reason on its timeline.
    const next = await eng.post(base, {
      ...body,
      scheduledFor: new Date(Date.now() + 10 * DAY).toISOString(),
    });
    const cancelled = await eng.post(`${base}/${next.body.id}/cancel`, { reason: 'Clashes with the audit' });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelReason: 'Clashes with the audit' });

    // Members and auditors read; they do not run exercises.
    for (const u of [w.member, w.auditor]) {
      const r = await signIn(srv.url, u);
      const list = await r.get(base);
      expect(list.body.map((e: { id: string; status: string }) => [e.id, e.status])).toEqual(
        expect.arrayContaining([
          [id, 'closed'],
          [next.body.id, 'cancelled'],
        ]),
      );
      expect(outcome(await r.post(base, body))).toBe('403 forbidden');
      expect(outcome(await r.post(`${base}/${next.body.id}/notes`, { text: 'x' }))).toBe('403 forbidden');
    }
  });
});
