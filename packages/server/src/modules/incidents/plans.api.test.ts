import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { signIn, type ApiResponse } from '../../../test/support/api-client.ts';
import { addUser, createCustomer, createMsp } from '../../../test/support/factories.ts';
import { irWorld } from '../../../test/support/ir.ts';

const outcome = (r: ApiResponse) =>
  r.status < 300 ? String(r.status) : `${r.status} ${r.body?.error?.code}`;

describe.each(dbTargets())('incident response plans ($name)', (target) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(target);
  });
  afterAll(() => srv.stop());

  it('drafts from the template, refuses approval without the advisory roles, needs both parties, and freezes approved versions', async () => {
    const w = await irWorld(srv.rt, [
      { controlId: 'LOG-09', parameters: { incident_notification_hours: 6 } },
    ]);
    const org = w.cust.org.id;
    const base = `/api/v1/orgs/${org}/ir/plans`;
    const cust = await signIn(srv.url, w.cust.admin);
    const msp = await signIn(srv.url, w.msp.admin);

    // The template: the five playbooks and the agreement's notification time, but nobody named.
    const created = await cust.post(base, { kind: 'incident_response' });
    expect(created.status, created.text).toBe(201);
    const planId = created.body.planId as string;
    expect(created.body).toMatchObject({ version: 1, state: 'draft', approvalsNeeded: [org] });
    expect(created.body.content.playbooks.map((p: { incidentType: string }) => p.incidentType)).toEqual([
      'compromised_msp_account',
      'ransomware',
      'password_spraying',
      'rogue_remote_access_tool',
      'data_exfiltration',
    ]);
    expect(created.body.content.notificationDuties[0]).toMatchObject({
      recipient: 'customer',
      withinHours: 6,
    });
    expect(created.body.missing).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^no executive sponsor named/),
        expect.stringMatching(/^no technical lead named/),
        expect.stringMatching(/^no procurement officer named/),
      ]),
    );
    expect(outcome(await cust.post(base, { kind: 'incident_response' }))).toBe('409 conflict');
    const refused = await cust.post(`${base}/${planId}/versions/1/approve`, { digest: created.body.digest });
    expect(outcome(refused)).toBe('409 invalid_state');
    expect(refused.body.error.message).toContain('no procurement officer named');
    expect(refused.body.error.details.missing.length).toBeGreaterThanOrEqual(3);

    // Without the procurement officer it still cannot be approved.
    const full = w.fullPlan();
    const noProcurement = {
      ...full,
      roles: full.roles.filter((r) => r.role !== 'procurement_officer'),
    };
    const d1 = await cust.put(`${base}/${planId}/draft`, { content: noProcurement });
    expect(d1.status, d1.text).toBe(200);
    expect(d1.body.missing).toEqual([
      "no procurement officer named (the advisory's roles: executive, technical lead, procurement officer)",
    ]);
    expect(outcome(await cust.post(`${base}/${planId}/versions/1/approve`, { digest: d1.body.digest }))).toBe(
      '409 invalid_state',
    );

    // Named people must be members of either party; the MSP contact must be the MSP's.
    const stranger = await addUser(srv.rt, (await createMsp(srv.rt)).org.id, 'msp_engineer');
    const unknown = await cust.put(`${base}/${planId}/draft`, {
      content: { ...full, roles: [...full.roles, { role: 'legal', userId: stranger.id }] },
    });
    expect(outcome(unknown)).toBe('400 bad_request');
    expect(unknown.body.error.message).toContain(
      `roles[7] (legal): user ${stranger.id} is not a current member`,
    );
    const wrongContact = await cust.put(`${base}/${planId}/draft`, {
      content: {
        ...full,
        roles: [{ role: 'msp_contact', userId: w.people.tech.id }, ...full.roles.slice(0, 6)],
      },
    });
    expect(outcome(wrongContact)).toBe('400 bad_request');
    expect(wrongContact.body.error.message).toContain('is a member of the customer, not of its MSP');
    const badShape = await cust.put(`${base}/${planId}/draft`, {
      content: { ...full, contactTree: [{ userId: w.people.tech.id, escalationOrder: 1, outOfBand: [] }] },
    });
    expect(outcome(badShape)).toBe('400 validation_failed');

    // The full plan: both the customer and the MSP (its engineer is named) must approve it.
    const d2 = await cust.put(`${base}/${planId}/draft`, { content: full });
    expect(d2.body).toMatchObject({ version: 1, missing: [], approvalsNeeded: [org, w.msp.org.id].sort() });
    expect(outcome(await cust.post(`${base}/${planId}/versions/1/approve`, { digest: d1.body.digest }))).toBe(
      '409 digest_mismatch',
    );
    const half = await cust.post(`${base}/${planId}/versions/1/approve`, { digest: d2.body.digest });
    expect(half.body).toMatchObject({ state: 'draft', approvals: [expect.objectContaining({ orgId: org })] });
    expect(outcome(await cust.post(`${base}/${planId}/versions/1/approve`, { digest: d2.body.digest }))).toBe(
      '409 conflict',
    );
    // An MSP engineer drafts but does not approve; the MSP admin does.
    const engineer = await signIn(srv.url, w.people.mspEng);
    expect(
      outcome(await engineer.post(`${base}/${planId}/versions/1/approve`, { digest: d2.body.digest })),
    ).toBe('403 forbidden');
    const done = await msp.post(`${base}/${planId}/versions/1/approve`, { digest: d2.body.digest });
    expect(done.body).toMatchObject({ state: 'approved', approvedAt: expect.any(String) });
    expect(done.body.approvals).toHaveLength(2);

    // Approved is immutable: the API opens version 2 instead, and the database refuses edits.
    const v2 = await engineer.put(`${base}/${planId}/draft`, {
      content: { ...full, scope: 'Narrower scope' },
    });
    expect(v2.body).toMatchObject({ version: 2, state: 'draft' });
    expect(outcome(await cust.post(`${base}/${planId}/versions/1/approve`, { digest: d2.body.digest }))).toBe(
      '409 invalid_state',
    );
    await expect(
      srv.rt.database.db
        .updateTable('ir_plan_versions')
        .set({ content: JSON.stringify({ ...full, scope: 'tampered' }) })
        .where('plan_id', '=', planId)
        .where('version', '=', 1)
        .execute(),
    ).rejects.toThrow(/cannot change/);
    await expect(
      srv.rt.database.db
        .deleteFrom('ir_plan_versions')
        .where('plan_id', '=', planId)
        .where('version', '=', 1)
        .execute(),
    ).rejects.toThrow(/cannot be deleted/);
    expect((await cust.get(`${base}/${planId}/versions/1`)).body.content.scope).toBe(full.scope);

    // Version 2 approved by both: version 1 is superseded, still readable, unchanged.
    await cust.post(`${base}/${planId}/versions/2/approve`, { digest: v2.body.digest });
    await msp.post(`${base}/${planId}/versions/2/approve`, { digest: v2.body.digest });
    expect((await cust.get(`${base}/${planId}/versions/1`)).body.state).toBe('superseded');
    const plan = await cust.get(`${base}/${planId}`);
    expect(plan.body).toMatchObject({
      approvedVersion: 2,
      draftVersion: null,
      exercise: { cadenceDays: 180 },
    });
    // Never exercised: the cadence runs from the plan's first approval.
    expect(Date.parse(plan.body.exercise.nextDueBy) - Date.parse(done.body.approvedAt)).toBe(
      180 * 86_400_000,
    );

    // A review keeps version 2 in force and moves the review date.
    const reviewed = await cust.post(`${base}/${planId}/review`, {
      note: 'Checked after the reorganisation',
    });
    expect(reviewed.status, reviewed.text).toBe(200);
    expect(reviewed.body.reviews).toEqual([
      expect.objectContaining({ version: 2, note: 'Checked after the reorganisation' }),
    ]);
    expect(reviewed.body.lastReviewedAt >= plan.body.approvedAt).toBe(true);

    // Everything was audited in the customer's trail.
    const trail = await cust.get(`/api/v1/orgs/${org}/audit?limit=500`);
    const actions = trail.body.map((e: { action: string }) => e.action);
    for (const a of [
      'ir_plan.created',
      'ir_plan.draft_updated',
      'ir_plan.approval_recorded',
      'ir_plan.approved',
      'ir_plan.reviewed',
    ])
      expect(actions).toContain(a);
  });

  it('exports a printable, escaped plan as Markdown and HTML', async () => {
    const w = await irWorld(srv.rt, [
      { controlId: 'LOG-09', parameters: { incident_notification_hours: 12 } },
    ]);
    const v = await w.approvedPlan(
      'incident_response',
      w.fullPlan('incident_response', { title: 'Plan <script>alert(1)</script> & co' }),
    );
    const member = await signIn(srv.url, w.member);
    const path = `/api/v1/orgs/${w.cust.org.id}/ir/plans/${v.planId}/versions/1/export`;
    const html = await member.get(`${path}?format=html`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.text).toContain('Plan &lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    expect(html.text).not.toContain('<script>');
    expect(html.text).toContain('@media print');
    expect(html.text).not.toMatch(/(src|href)="https?:/); // self-contained
    expect(html.text).toContain('+44 20 7946 0010'); // out-of-band contacts are on paper
    expect(html.text).toContain('12 h'); // the agreement's notification time
    const md = await member.get(path);
    expect(md.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(md.text).toContain(`# Incident response plan: Plan <script>alert(1)</script> & co`);
    expect(md.text).toContain(`- **Digest (SHA-256):** \`${v.digest}\``);
    expect(md.text).toMatch(/\| 1 \| .+ \| phone: \+44 20 7946 0010 \| - \|/);
    expect(md.text).toContain('### ransomware (ransomware)');
    expect(md.text).toContain('1. **technical lead:** Contain the ransomware');
  });

  it('roles: members and auditors read only; another tenant gets 404', async () => {
    const w = await irWorld(srv.rt);
    const org = w.cust.org.id;
    const v = await w.approvedPlan('recovery');
    const base = `/api/v1/orgs/${org}/ir/plans`;
    for (const u of [w.member, w.auditor, w.people.exec]) {
      const p = await signIn(srv.url, u);
      expect((await p.get(base)).status).toBe(200);
      expect((await p.get(`${base}/${v.planId}/versions/1`)).status).toBe(200);
      expect(outcome(await p.post(base, { kind: 'incident_response' }))).toBe('403 forbidden');
      expect(outcome(await p.put(`${base}/${v.planId}/draft`, { content: w.fullPlan('recovery') }))).toBe(
        '403 forbidden',
      );
      expect(outcome(await p.post(`${base}/${v.planId}/review`, { note: 'x' }))).toBe('403 forbidden');
    }
    const other = await createCustomer(srv.rt, null);
    const outsider = await signIn(srv.url, other.admin);
    expect(outcome(await outsider.get(`${base}/${v.planId}`))).toBe('404 not_found');
    // Its own organisation, someone else's plan id: 404 as well.
    expect(outcome(await outsider.get(`/api/v1/orgs/${other.org.id}/ir/plans/${v.planId}`))).toBe(
      '404 not_found',
    );
    expect(outcome(await outsider.get(`/api/v1/orgs/${other.org.id}/ir/plans/${randomUUID()}`))).toBe(
      '404 not_found',
    );
  });
});
