import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { signIn, type ApiResponse } from '../../../test/support/api-client.ts';
import { createCustomer } from '../../../test/support/factories.ts';
import { irWorld } from '../../../test/support/ir.ts';
import { recordDetections } from '../detection/alerts.repo.ts';
import type { Runtime } from '../../server.ts';

const H = 3_600_000;
const outcome = (r: ApiResponse) =>
  r.status < 300 ? String(r.status) : `${r.status} ${r.body?.error?.code}`;
const today = () => new Date().toISOString().slice(0, 10);

/** Raises an alert for `orgId` as the detection engine would, opened `agoMs` ago. */
async function alertIn(rt: Runtime, orgId: string, ruleId: string, agoMs = 0) {
  const at = new Date(Date.now() - agoMs).toISOString();
  await rt.database.db.transaction().execute((tx) =>
    recordDetections(
      tx,
      orgId,
      [
        {
          ruleId,
          ruleTitle: `Rule ${ruleId}`,
          level: 'high',
          orgId,
          groupKey: `{"user":"${ruleId}"}`,
          groupValues: { user: ruleId },
          firstSeen: at,
          lastSeen: at,
          eventCount: 3,
          evidence: [],
          summary: `${ruleId} fired`,
        },
      ],
      { notifyMinutes: 15 },
    ),
  );
  const a = await rt.database.db
    .selectFrom('alerts')
    .select('id')
    .where('org_id', '=', orgId)
    .where('rule_id', '=', ruleId)
    .executeTakeFirstOrThrow();
  await rt.database.db
    .updateTable('alerts')
    .set({ created_at: new Date(Date.now() - agoMs) })
    .where('id', '=', a.id)
    .execute();
  return a.id;
}

describe.each(dbTargets())('incidents ($name)', (target) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(target);
  });
  afterAll(() => srv.stop());

  it('opens from its own alerts, keeps an append-only timeline and shows the deadlines as met or missed', async () => {
    const rt = srv.rt;
    const w = await irWorld(rt, [{ controlId: 'LOG-09', parameters: { incident_notification_hours: 4 } }]);
    const org = w.cust.org.id;
    await w.approvedPlan();
    const mine = await alertIn(rt, org, 'spray', 6 * H);
    const other = await createCustomer(rt, w.msp.org.id);
    const theirs = await alertIn(rt, other.org.id, 'spray');
    const eng = await signIn(srv.url, w.people.mspEng);
    const base = `/api/v1/orgs/${org}/incidents`;

    // Another tenant's alert (even one the same MSP manages) is not found; nothing is opened.
    const foreign = await eng.post(base, { title: 'Spray', severity: 'high', alertIds: [mine, theirs] });
    expect(outcome(foreign)).toBe('404 not_found');
    expect(foreign.body.error.message).toBe(`alert ${theirs} was not found`);
    expect((await eng.get(base)).body).toEqual([]);

    const opened = await eng.post(base, {
      title: 'Password spray against the VPN',
      severity: 'high',
      alertIds: [mine],
      affectedSystems: ['vpn'],
      playbook: 'password_spraying',
    });
    expect(opened.status, opened.text).toBe(201);
    const id = opened.body.id as string;
    const alertRow = await rt.database.db
      .selectFrom('alerts')
      .select('created_at')
      .where('id', '=', mine)
      .executeTakeFirstOrThrow();
    expect(opened.body.detectedAt).toBe(new Date(alertRow.created_at).toISOString());
    expect(opened.body.alerts).toEqual([expect.objectContaining({ alertId: mine, ruleTitle: 'Rule spray' })]);
    expect(opened.body.timeline.map((t: { kind: string }) => t.kind)).toEqual([
      'opened',
      'alert_linked',
      'playbook',
    ]);
    expect(opened.body.timeline[0].actor).toMatchObject({
      orgId: w.msp.org.id,
      label: w.people.mspEng.email,
    });
    // Detected six hours ago against a four-hour agreement: missed; the plan's 72 h authority duty: pending.
    expect(opened.body.deadlines).toEqual([
      expect.objectContaining({
        source: 'agreement',
        recipient: 'customer',
        hours: 4,
        status: 'missed',
        notifiedAt: null,
      }),
      expect.objectContaining({ source: 'plan', recipient: 'authority', hours: 72, status: 'pending' }),
    ]);
    expect(opened.body.deadlines[0].ref).toBe(`${w.agreement!.agreement_id} LOG-09`);

    // Dates in the wrong order are refused, naming the field and the times.
    const early = new Date(Date.parse(opened.body.detectedAt) - H).toISOString();
    const before = await eng.post(`${base}/${id}/notifications`, {
      recipient: 'customer',
      notifiedAt: early,
      channel: 'phone',
    });
    expect(outcome(before)).toBe('400 bad_request');
    expect(before.body.error.message).toMatch(/^notifiedAt .* is before the incident was detected/);
    const future = new Date(Date.now() + 2 * H).toISOString();
    expect(
      outcome(
        await eng.post(`${base}/${id}/notifications`, {
          recipient: 'customer',
          notifiedAt: future,
          channel: 'phone',
        }),
      ),
    ).toBe('400 bad_request');
    const afterDeclared = await eng.put(`${base}/${id}`, {
      detectedAt: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(outcome(afterDeclared)).toBe('400 bad_request');
    expect(afterDeclared.body.error.message).toMatch(/^detectedAt .* is after the incident was declared/);

    // Notified now: late against the agreement. The authority in time: met.
    const n1 = await eng.post(`${base}/${id}/notifications`, {
      recipient: 'customer',
      notifiedAt: new Date().toISOString(),
      channel: 'phone to the IT lead',
    });
    expect(n1.body.deadlines[0]).toMatchObject({ status: 'late', notifiedAt: expect.any(String) });
    const n2 = await eng.post(`${base}/${id}/notifications`, {
      recipient: 'authority',
      notifiedAt: new Date().toISOString(),
      channel: 'NCSC portal',
    });
    expect(n2.body.deadlines[1]).toMatchObject({ status: 'met' });

    // Playbook steps, status and severity: each a timeline entry with who.
    const step = await eng.post(`${base}/${id}/steps/1`, { done: true, note: 'blocked 3 addresses' });
    expect(step.body.playbook.steps[0]).toMatchObject({ step: 1, done: true, doneBy: w.people.mspEng.email });
    expect(outcome(await eng.post(`${base}/${id}/steps/99`, { done: true }))).toBe('404 not_found');
    const changed = await eng.put(`${base}/${id}`, {
      status: 'contained',
      severity: 'critical',
      note: 'contained at the firewall',
    });
    expect(changed.body).toMatchObject({ status: 'contained', severity: 'critical' });
    const kinds = changed.body.timeline.map((t: { kind: string }) => t.kind);
    expect(kinds.slice(3)).toEqual([
      'notification',
      'notification',
      'step_done',
      'severity',
      'status',
      'note',
    ]);
    const seqs = changed.body.timeline.map((t: { seq: number }) => t.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);

    // The timeline is append-only in the database too.
    await expect(
      rt.database.db
        .updateTable('ir_timeline')
        .set({ text: 'rewritten' })
        .where('subject_id', '=', id)
        .execute(),
    ).rejects.toThrow(/append-only/);
    await expect(
      rt.database.db.deleteFrom('ir_timeline').where('subject_id', '=', id).execute(),
    ).rejects.toThrow(/append-only/);

    // Follow-up actions: a known owner and a due date not in the past.
    const stranger = (await createCustomer(rt, null)).admin;
    const unknown = await eng.post(`${base}/${id}/actions`, {
      title: 'Rotate',
      ownerUserId: stranger.id,
      dueDate: today(),
    });
    expect(outcome(unknown)).toBe('400 bad_request');
    expect(unknown.body.error.message).toContain(`ownerUserId: user ${stranger.id} is not a current member`);
    expect(
      outcome(
        await eng.post(`${base}/${id}/actions`, {
          title: 'Rotate',
          ownerUserId: w.people.tech.id,
          dueDate: '2020-01-01',
        }),
      ),
    ).toBe('400 bad_request');
    expect(
      outcome(
        await eng.post(`${base}/${id}/actions`, {
          title: 'Rotate',
          ownerUserId: w.people.tech.id,
          dueDate: '2025-02-30',
        }),
      ),
    ).toBe('400 validation_failed');
    const act = await eng.post(`${base}/${id}/actions`, {
      title: 'Enforce MFA on the VPN',
      ownerUserId: w.people.tech.id,
      dueDate: today(),
    });
    expect(act.status, act.text).toBe(201);
    expect(act.body.actions).toEqual([
      expect.objectContaining({
        title: 'Enforce MFA on the VPN',
        priority: 'high',
        status: 'open',
        overdue: false,
        owner: expect.objectContaining({ orgId: org }),
      }),
    ]);

    // Closing needs the root cause and lessons; afterwards only notes, notifications and actions.
    expect(outcome(await eng.post(`${base}/${id}/close`, { rootCause: 'weak passwords' }))).toBe(
      '400 validation_failed',
    );
    const closed = await eng.post(`${base}/${id}/close`, {
      rootCause: 'No MFA on the VPN',
      lessonsLearned: 'Enforce MFA on every remote path',
    });
    expect(closed.body).toMatchObject({
      status: 'closed',
      rootCause: 'No MFA on the VPN',
      closedAt: expect.any(String),
    });
    expect(outcome(await eng.put(`${base}/${id}`, { status: 'open' }))).toBe('409 invalid_state');
    expect((await eng.post(`${base}/${id}/notes`, { text: 'post-incident review held' })).status).toBe(200);

    const actions = await eng.get(`/api/v1/orgs/${org}/ir/actions?status=open`);
    expect(actions.body.map((a: { title: string }) => a.title)).toEqual(['Enforce MFA on the VPN']);
    const done = await eng.put(`/api/v1/orgs/${org}/ir/actions/${actions.body[0].id}`, { status: 'done' });
    expect(done.body).toMatchObject({ status: 'done', closedLate: false, completedAt: expect.any(String) });
    expect(
      outcome(
        await eng.put(`/api/v1/orgs/${org}/ir/actions/${actions.body[0].id}`, { dueDate: '2020-01-01' }),
      ),
    ).toBe('400 bad_request');

    const shown = await (await signIn(srv.url, w.auditor)).get(`${base}/${id}`);
    expect(shown.body.timeline.at(-1)).toMatchObject({ kind: 'action_changed' });
    const audit = await eng.get(`/api/v1/orgs/${org}/audit?limit=500`);
    expect(audit.body.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining([
        'incident.opened',
        'incident.notification_recorded',
        'incident.closed',
        'ir_action.changed',
      ]),
    );
  });

  it('an incident the customer declares itself counts as known to it; members and auditors only read', async () => {
    const rt = srv.rt;
    const w = await irWorld(rt, [{ controlId: 'TRN-03', parameters: { incident_notification_hours: 24 } }]);
    const org = w.cust.org.id;
    const cust = await signIn(srv.url, w.cust.admin);
    const r = await cust.post(`/api/v1/orgs/${org}/incidents`, { title: 'Lost laptop', severity: 'low' });
    expect(r.status, r.text).toBe(201);
    // No LOG-09 in this agreement: TRN-03's contract limit stands in.
    expect(r.body.deadlines).toEqual([
      expect.objectContaining({
        source: 'agreement',
        ref: `${w.agreement!.agreement_id} TRN-03`,
        hours: 24,
        status: 'met',
      }),
    ]);
    expect(
      outcome(
        await cust.post(`/api/v1/orgs/${org}/incidents/${r.body.id}/playbook`, { playbook: 'ransomware' }),
      ),
    ).toBe('400 bad_request');
    for (const u of [w.member, w.auditor]) {
      const p = await signIn(srv.url, u);
      expect((await p.get(`/api/v1/orgs/${org}/incidents`)).body).toHaveLength(1);
      expect(outcome(await p.post(`/api/v1/orgs/${org}/incidents`, { title: 'x', severity: 'low' }))).toBe(
        '403 forbidden',
      );
      expect(outcome(await p.post(`/api/v1/orgs/${org}/incidents/${r.body.id}/notes`, { text: 'x' }))).toBe(
        '403 forbidden',
      );
    }
  });
});
