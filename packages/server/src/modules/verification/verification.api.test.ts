import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../detection/notifications.service.ts';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import {
  addUser,
  createCustomer,
  createMsp,
  ctxFor,
  activeAgreement,
} from '../../../test/support/factories.ts';
import { signIn } from '../../../test/support/api-client.ts';

const H = 3_600_000;

describe.each(dbTargets())('continuous verification ($name)', (target) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(target);
  });
  afterAll(() => srv.stop());

  it('evaluates on schedule, keeps history, tells both parties of each drift once, and serves the portfolio', async () => {
    const rt = srv.rt;
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    const c = ctxFor(cust.admin, 'customer');
    const d = await activeAgreement(rt, m, c, {
      customerOrgId: cust.org.id,
      title: 'Verified schedule',
      controls: [
        {
          controlId: 'LOG-02',
          parameters: { required_log_sources: ['identity_signin'], silence_threshold_hours: 24 },
        },
        { controlId: 'IRP-05' }, // attested (no typed check): evaluated from its attestation
      ],
    });
    const src = await rt.services.sources.create(c, cust.org.id, {
      kind: 'linux_syslog',
      name: 'entra connector',
      expectedIntervalMinutes: 60,
      categories: ['identity_signin'],
    });
    const t = new Date(Date.now() - H).toISOString();
    await rt.services.ingest.ingest(src, [
      { line: 1, text: `${t} idp sshd[1]: Accepted password for alice from 198.51.100.2 port 1 ssh2` },
    ]);
    // Both parties' webhook channels receive the drifts (a real receiver on loopback).
    const received: { body: string; signature: string | undefined }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ body, signature: req.headers['x-accord-signature'] as string | undefined });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const channel = async (user: typeof msp.admin, org: string) => {
      const r = await (
        await signIn(srv.url, user)
      ).post(`/api/v1/orgs/${org}/notification-channels`, {
        kind: 'webhook',
        name: 'drift',
        url: hook,
        minLevel: 'medium',
      });
      expect(r.status, r.text).toBe(201);
      return r.body.secret as string;
    };
    const secrets = [await channel(cust.admin, cust.org.id), await channel(msp.admin, msp.org.id)];
    const v = rt.services.verification;
    const only = { agreementIds: [d.agreement_id] }; // the database is shared with other tests
    const t0 = Date.now();
    const first = await v.runDue(new Date(t0), only);
    expect(first.evaluated).toBeGreaterThanOrEqual(1);
    const mine = async () =>
      (await rt.services.verification.status(c, d.agreement_id)).find((x) => x.controlId === 'LOG-02')!;
    expect((await mine()).status).toBe('pass');
    // Idempotent: nothing due again right away.
    const again = await v.runDue(new Date(t0 + 1000), only);
    expect(again.drifts).toBe(0);
    // 25 hours without a delivery: silent, a drift to fail.
    const later = new Date(t0 + 25 * H);
    expect((await v.runDue(later, only)).drifts).toBe(1);
    expect(await mine()).toMatchObject({ status: 'fail', observed: { silent: ['identity_signin'] } });
    // It delivers again: back to pass, the second drift.
    await rt.database.db
      .updateTable('log_sources')
      .set({ last_received_at: later })
      .where('id', '=', src.id)
      .execute();
    expect((await v.runDue(new Date(later.getTime() + 2 * H), only)).drifts).toBe(1);
    expect((await v.runDue(new Date(later.getTime() + 4 * H), only)).drifts).toBe(0);
    // Exactly two notifications in each party's audit trail.
    for (const [ctx, org] of [
      [c, cust.org.id],
      [m, msp.org.id],
    ] as const) {
      const trail = await rt.services.audit.list(ctx, org, 0, 500);
      const drifts = trail.filter((e) => e.action === 'control.status_changed');
      expect(drifts.map((e) => e.details)).toEqual([
        expect.objectContaining({ from: 'pass', to: 'fail' }),
        expect.objectContaining({ from: 'fail', to: 'pass' }),
      ]);
    }

    // The drifts happened at the evaluations' (simulated) times; deliver as of the last one.
    const sent = await rt.services.notifications.deliverDue({
      alertOrgId: cust.org.id,
      now: () => new Date(later.getTime() + 5 * H),
    });
    expect(sent).toEqual({ delivered: 4, failed: 0 });
    receiver.close();
    const notices = received.map((r) => JSON.parse(r.body) as { event: string; control: { to: string } });
    expect(notices.map((n) => `${n.event} ${n.control.to}`).sort()).toEqual([
      'control.status_changed fail',
      'control.status_changed fail',
      'control.status_changed pass',
      'control.status_changed pass',
    ]);
    for (const r of received) expect(secrets.map((x) => signBody(x, r.body))).toContain(r.signature);

    // Over HTTP: the customer's view, the history and the MSP's portfolio.
    const customer = await signIn(srv.url, cust.admin);
    const view = await customer.get(`/api/v1/agreements/${d.agreement_id}/verification`);
    expect(view.status, view.text).toBe(200);
    expect(view.body).toHaveLength(2);
    expect(view.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ controlId: 'LOG-02', checked: true, status: 'pass', owner: 'shared' }),
        expect.objectContaining({ controlId: 'IRP-05', checked: false, status: 'unknown' }),
      ]),
    );
    const hist = await customer.get(
      `/api/v1/agreements/${d.agreement_id}/controls/LOG-02/history?kind=change`,
    );
    expect(hist.body.map((h: { status: string }) => h.status)).toEqual(['pass', 'fail', 'pass']);
    expect(hist.body[1]).toMatchObject({ previousStatus: 'pass', observed: { silent: ['identity_signin'] } });
    const admin = await signIn(srv.url, msp.admin);
    const folio = await admin.get('/api/v1/portfolio');
    expect(folio.status).toBe(200);
    const row = folio.body.agreements.find((a: { agreementId: string }) => a.agreementId === d.agreement_id);
    expect(row).toMatchObject({
      customer: { id: cust.org.id },
      counts: { pass: 1, unknown: 1 },
    });
    expect(row.controls).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ controlId: 'LOG-02', status: 'pass' }),
        expect.objectContaining({ controlId: 'IRP-05', status: 'unknown' }), // no attestation yet
      ]),
    );
    const ran = await admin.post(`/api/v1/agreements/${d.agreement_id}/verification/run`);
    expect(ran.body).toMatchObject({ evaluated: 2 });

    // Another MSP sees neither the agreement's status nor the customer in its portfolio.
    const stranger = await createMsp(rt);
    const other = await signIn(srv.url, stranger.admin);
    expect((await other.get(`/api/v1/agreements/${d.agreement_id}/verification`)).status).toBe(404);
    expect((await other.post(`/api/v1/agreements/${d.agreement_id}/verification/run`)).status).toBe(404);
    expect((await other.get('/api/v1/portfolio')).body.agreements).toEqual([]);
    // A customer member reads but may not trigger evaluation.
    const member = await signIn(srv.url, await addUser(rt, cust.org.id, 'customer_member'));
    expect((await member.get(`/api/v1/agreements/${d.agreement_id}/verification`)).status).toBe(200);
    expect((await member.post(`/api/v1/agreements/${d.agreement_id}/verification/run`)).status).toBe(403);
  });
});
