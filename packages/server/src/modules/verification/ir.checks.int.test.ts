import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { ago, brokenDb, DAY, H, runCheck as run } from '../../../test/support/verification.ts';
import { irWorld } from '../../../test/support/ir.ts';
import type { Runtime } from '../../server.ts';
import { recordDetections } from '../detection/alerts.repo.ts';

/** IRP-01, IRP-02, IRP-03 and LOG-09, read from the customer's incident-response records. */
const CONTROLS: { controlId: string; parameters?: Record<string, number> }[] = [
  { controlId: 'IRP-01', parameters: { plan_review_days: 365 } },
  { controlId: 'IRP-02', parameters: { exercise_interval_days: 180 } },
  { controlId: 'IRP-03' },
  { controlId: 'LOG-09', parameters: { incident_notification_hours: 4 } },
];
const later = (ms: number) => new Date(Date.now() + ms);
const day = (ms: number) => new Date(Date.now() + ms).toISOString().slice(0, 10);

describe.each(dbTargets())('incident response checks ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());
  const broken = (i: ReturnType<Awaited<ReturnType<typeof irWorld>>['input']>) => ({
    ...i,
    db: brokenDb(rt.database.db),
  });

  it('IRP-01: plan reviewed, required roles filled, hard copy attested; partial, fail, empty, old and error', async () => {
    const w = await irWorld(rt, CONTROLS);
    const ag = w.agreement!.agreement_id;
    const empty = await run('IRP-01', w.input('IRP-01'), 'weekly');
    expect(empty).toMatchObject({
      status: 'unknown',
      reason: 'no approved incident response plan in Accord',
    });

    await w.approvedPlan('incident_response');
    const partial = await run('IRP-01', w.input('IRP-01'), 'weekly');
    expect(partial.status).toBe('partial');
    expect(partial.reason).toBe(
      'no approved recovery plan; the hard copy is not attested and accepted (attestation none)',
    );
    expect(partial.observed).toMatchObject({
      daysSincePlanReview: 0,
      requiredRolesUnfilled: [],
      recoveryPlan: false,
    });

    // The recovery plan, and the hard copy attested by the MSP and accepted by the customer.
    await w.approvedPlan('recovery');
    const e = await rt.services.evidence.add(w.m, ag, 'IRP-01', {
      effectiveAt: new Date().toISOString().slice(0, 10),
      file: {
        filename: 'hard-copy.txt',
        contentType: 'text/plain',
        bytes: Buffer.from('Printed 2 copies; safe at HQ'),
      },
    });
    const a = await rt.services.attestations.attest(w.m, ag, 'IRP-01', {
      statement: 'Hard copy printed and kept in the HQ safe',
      evidenceIds: [e.item.id],
    });
    const awaiting = await run('IRP-01', w.input('IRP-01'), 'weekly');
    expect(awaiting).toMatchObject({
      status: 'partial',
      observed: { hardCopy: { attestation: 'attested' } },
    });
    await rt.services.attestations.review(w.c, ag, 'IRP-01', a.current!.id, 'accepted', null);
    const pass = await run('IRP-01', w.input('IRP-01'), 'weekly');
    expect(pass).toMatchObject({
      status: 'pass',
      observed: { recoveryPlan: true, hardCopy: { attestation: 'accepted', daysSinceAttested: 0 } },
    });
    expect(pass.evidence).toHaveLength(2);
    expect(pass.evidence[0]).toMatchObject({
      type: 'ir_records',
      summary: expect.stringMatching(/^incident_response plan version 1 approved/),
    });

    // Old records are not stale: a year and more without review is a fail.
    const old = await run('IRP-01', w.input('IRP-01', later(400 * DAY)), 'weekly');
    expect(old.status).toBe('fail');
    expect(old.reason).toContain('the incident response plan was last reviewed 400 days ago');
    expect(old.reason).toContain('the hard copy was attested 400 days ago');

    // The legal counsel leaves: the catalog's legal_communications role is unfilled.
    await rt.services.users.removeMember(w.c, w.cust.org.id, w.people.legal.id);
    const unfilled = await run('IRP-01', w.input('IRP-01'), 'weekly');
    expect(unfilled).toMatchObject({
      status: 'fail',
      observed: { requiredRolesUnfilled: ['legal_communications'] },
    });
    expect(unfilled.reason).toBe('required role(s) unfilled: legal_communications');

    const params = { plan_review_days: 365, required_roles: ['executive', 'ciso'] };
    const badParam = await run('IRP-01', w.input('IRP-01', new Date(), params), 'weekly');
    expect(badParam.status).toBe('error');
    expect(badParam.reason).toContain('required_roles names ciso');
    expect((await run('IRP-01', broken(w.input('IRP-01')), 'weekly')).status).toBe('error');
  });

  it('IRP-02: a joint exercise within the interval with every required role; unknown until due, then fail', async () => {
    const w = await irWorld(rt, CONTROLS);
    const org = w.cust.org.id;
    expect(await run('IRP-02', w.input('IRP-02'), 'weekly')).toMatchObject({
      status: 'unknown',
      reason: 'no approved incident response plan to exercise',
    });
    const plan = await w.approvedPlan();
    const notYet = await run('IRP-02', w.input('IRP-02'), 'weekly');
    expect(notYet.status).toBe('unknown');
    expect(notYet.reason).toMatch(
      /^no joint exercise with the MSP yet; the first is due by \d{4}-\d{2}-\d{2}/,
    );
    expect((await run('IRP-02', w.input('IRP-02', later(200 * DAY)), 'weekly')).status).toBe('fail');

    const { exec, tech, proc, legal, mspEng } = w.people;
    const everyone = [exec, tech, proc, legal, mspEng];
    const exercise = async (attendees: typeof everyone, absent: typeof everyone = [], heldAgo = DAY) => {
      const s = await rt.services.exercises.schedule(w.eng, org, {
        planId: plan.planId,
        kind: 'tabletop',
        title: 'Tabletop',
        scenario: 'Compromised MSP account',
        participants: [...attendees, ...absent].map((u) => ({ userId: u.id })),
      });
      await rt.services.exercises.attendance(w.eng, org, s.id, {
        heldAt: ago(heldAgo),
        attendees: [
          ...attendees.map((u) => ({ userId: u.id, attended: true })),
          ...absent.map((u) => ({ userId: u.id, attended: false })),
        ],
      });
      return s.id;
    };
    // Only the customer's people attended: not joint, so it does not count.
    await exercise([exec, tech, proc, legal], [mspEng], 3 * DAY);
    expect((await run('IRP-02', w.input('IRP-02'), 'weekly')).reason).toMatch(/^no joint exercise/);
    const joint = await exercise(everyone, [], 2 * DAY);
    const pass = await run('IRP-02', w.input('IRP-02'), 'weekly');
    expect(pass).toMatchObject({
      status: 'pass',
      observed: { daysSinceJointExercise: 2, rolesAbsentFromLastExercise: [] },
    });
    expect(pass.evidence).toEqual([expect.objectContaining({ id: joint })]);
    // Old exercise data is not stale: past the interval it fails.
    const old = await run('IRP-02', w.input('IRP-02', later(200 * DAY)), 'weekly');
    expect(old.status).toBe('fail');
    expect(old.reason).toContain('last joint exercise 202 days ago (agreed at most 180)');
    // The latest joint exercise without the procurement officer.
    await exercise([exec, tech, legal, mspEng], [proc], DAY);
    const absent = await run('IRP-02', w.input('IRP-02'), 'weekly');
    expect(absent).toMatchObject({
      status: 'fail',
      observed: { rolesAbsentFromLastExercise: ['procurement_officer'] },
    });
    expect((await run('IRP-02', broken(w.input('IRP-02')), 'weekly')).status).toBe('error');
  });

  it('IRP-03: no high-priority action overdue, from incidents and exercises', async () => {
    const w = await irWorld(rt, CONTROLS);
    const org = w.cust.org.id;
    const empty = await run('IRP-03', w.input('IRP-03'), 'weekly');
    expect(empty).toMatchObject({
      status: 'unknown',
      reason: 'nothing in scope: 0 high-priority action(s), none overdue',
    });
    const inc = await rt.services.incidents.open(w.c, org, {
      title: 'Phish',
      severity: 'medium',
      alertIds: [],
      affectedSystems: [],
    });
    await rt.services.incidents.addAction(w.c, org, inc.id, {
      title: 'Low one',
      ownerUserId: w.people.tech.id,
      dueDate: day(0),
      priority: 'low',
    });
    const withHigh = await rt.services.incidents.addAction(w.c, org, inc.id, {
      title: 'Block the sender domain',
      ownerUserId: w.people.mspEng.id,
      dueDate: day(10 * DAY),
      priority: 'high',
    });
    expect(await run('IRP-03', w.input('IRP-03'), 'weekly')).toMatchObject({
      status: 'pass',
      observed: { highPriorityActions: 1, overdueHighPriorityActions: 0 },
    });
    const overdue = await run('IRP-03', w.input('IRP-03', later(20 * DAY)), 'weekly');
    expect(overdue).toMatchObject({ status: 'fail', observed: { overdueHighPriorityActions: 1 } });
    expect(overdue.reason).toBe(
      `1 high-priority action(s) overdue: "Block the sender domain" (due ${day(10 * DAY)})`,
    );
    expect(overdue.evidence).toEqual([
      expect.objectContaining({ type: 'ir_records', id: withHigh.actions[1]!.id }),
    ]);
    await rt.services.irActions.change(w.c, org, withHigh.actions[1]!.id, { status: 'done' });
    expect((await run('IRP-03', w.input('IRP-03', later(20 * DAY)), 'weekly')).status).toBe('pass');
    expect((await run('IRP-03', broken(w.input('IRP-03')), 'weekly')).status).toBe('error');
  });

  it('LOG-09: incidents notified to the customer within the agreed hours; stale when logs stop', async () => {
    const w = await irWorld(rt, CONTROLS);
    const org = w.cust.org.id;
    const src = await rt.services.sources.create(w.c, org, {
      kind: 'generic_json',
      name: 'idp',
      expectedIntervalMinutes: 60,
      mapping: {
        time: { path: 't' },
        class: { default: 'authentication' },
        activity: { default: 'sign_in' },
        outcome: 'o',
        user: 'u',
      },
    });
    await rt.services.ingest.ingest(src, [
      { line: 1, text: JSON.stringify({ t: ago(H / 2), o: 'success', u: 'alice' }) },
    ]);
    const empty = await run('LOG-09', w.input('LOG-09'), 'continuous');
    expect(empty.reason).toBe('nothing in scope: no incident detected in 90 days');

    // The MSP opens an incident from an alert raised an hour ago; the customer is not told yet.
    const at = ago(H);
    await rt.database.db.transaction().execute((tx) =>
      recordDetections(
        tx,
        org,
        [
          {
            ruleId: 'msp-off-hours',
            ruleTitle: 'MSP account outside agreed hours',
            level: 'high',
            orgId: org,
            groupKey: '{"user":"nw-admin"}',
            groupValues: { user: 'nw-admin' },
            firstSeen: at,
            lastSeen: at,
            eventCount: 1,
            evidence: [],
            summary: 'nw-admin at 03:12',
          },
        ],
        { notifyMinutes: 15 },
      ),
    );
    const alert = await rt.database.db
      .selectFrom('alerts')
      .select('id')
      .where('org_id', '=', org)
      .executeTakeFirstOrThrow();
    await rt.database.db
      .updateTable('alerts')
      .set({ created_at: new Date(Date.now() - H) })
      .where('id', '=', alert.id)
      .execute();
    const inc = await rt.services.incidents.open(w.eng, org, {
      title: 'MSP account used at night',
      severity: 'high',
      alertIds: [alert.id],
      affectedSystems: [],
    });
    expect(await run('LOG-09', w.input('LOG-09'), 'continuous')).toMatchObject({
      status: 'pass',
      observed: { incidents: 1, notifiedLate: 0, awaitingNotification: 1 },
    });
    // Four hours after detection without a notification: late (a fail rests on the records, never stale).
    const missed = await run('LOG-09', w.input('LOG-09', later(4 * H)), 'continuous');
    expect(missed).toMatchObject({ status: 'fail', observed: { notifiedLate: 1 } });
    expect(missed.evidence[0]!.summary).toMatch(
      /^high incident "MSP account used at night" detected .*: customer not notified/,
    );
    // Notified within the window: a pass, as fresh as the newest logs; once logs stop, stale.
    await rt.services.incidents.notify(w.eng, org, inc.id, {
      recipient: 'customer',
      notifiedAt: new Date().toISOString(),
      channel: 'phone',
    });
    expect((await run('LOG-09', w.input('LOG-09'), 'continuous')).status).toBe('pass');
    expect((await run('LOG-09', w.input('LOG-09', later(4 * H)), 'continuous')).reason).toMatch(/^stale/);
    // A second incident notified five hours after detection: late.
    const inc2 = await rt.services.incidents.open(w.eng, org, {
      title: 'Rogue AnyDesk',
      severity: 'medium',
      detectedAt: ago(6 * H),
      alertIds: [],
      affectedSystems: ['ws-12'],
    });
    await rt.services.incidents.notify(w.eng, org, inc2.id, {
      recipient: 'customer',
      notifiedAt: ago(H),
      channel: 'e-mail',
    });
    const late = await run('LOG-09', w.input('LOG-09'), 'continuous');
    expect(late).toMatchObject({
      status: 'fail',
      reason: '1 of 2 incident(s) not notified to the customer within 4 h',
    });
    expect((await run('LOG-09', broken(w.input('LOG-09')), 'continuous')).status).toBe('error');
  });

  it('verification re-runs the incident-response controls when their records change', async () => {
    const w = await irWorld(rt, CONTROLS);
    const org = w.cust.org.id;
    const v = rt.services.verification;
    const only = { agreementIds: [w.agreement!.agreement_id] };
    const status = async (id: string) =>
      (await v.status(w.c, w.agreement!.agreement_id)).find((x) => x.controlId === id)!;
    await v.runDue(new Date(), only);
    expect(await status('IRP-01')).toMatchObject({ checked: true, status: 'unknown' });
    expect((await v.runDue(new Date(), only)).evaluated).toBe(0);

    // A plan approval makes IRP-01 and IRP-02 (which read plans) due at once, not a week later.
    await w.approvedPlan();
    const afterPlan = await v.runDue(new Date(), only);
    expect(afterPlan.evaluated).toBe(2);
    expect((await status('IRP-01')).status).toBe('partial');
    // An incident action makes IRP-03 due; an incident LOG-09.
    const inc = await rt.services.incidents.open(w.c, org, {
      title: 'x',
      severity: 'low',
      alertIds: [],
      affectedSystems: [],
    });
    expect((await v.runDue(new Date(), only)).evaluated).toBe(1);
    await rt.services.incidents.addAction(w.c, org, inc.id, {
      title: 'y',
      ownerUserId: w.people.tech.id,
      dueDate: day(DAY),
      priority: 'high',
    });
    expect((await v.runDue(new Date(), only)).evaluated).toBe(2); // IRP-03, and LOG-09 (the incident changed)
    expect((await status('IRP-03')).status).toBe('pass');
  });
});
