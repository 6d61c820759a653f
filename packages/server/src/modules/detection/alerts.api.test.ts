import http from 'node:http';
import { createHmac } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { addUser, createCustomer, createMsp } from '../../../test/support/factories.ts';
import { signIn, type ApiClient } from '../../../test/support/api-client.ts';
import { recordDetections } from './alerts.repo.ts';
import type { Detection } from './engine/types.ts';

/** Alerts as the engine's detections become them: visibility, lifecycle, suppression, notification. */
const det = (orgId: string, over: Partial<Detection> = {}): Detection => ({
  ruleId: 'test-brute-force',
  ruleTitle: 'Brute force against root',
  level: 'high',
  orgId,
  groupKey: '{"srcIp":"203.0.113.9","user":"root"}',
  groupValues: { srcIp: '203.0.113.9', user: 'root' },
  firstSeen: '2026-11-26T10:00:00.000Z',
  lastSeen: '2026-11-26T10:01:00.000Z',
  eventCount: 12,
  evidence: [],
  summary: '12 failed sign-ins for root from 203.0.113.9',
  ...over,
});

describe.each(dbTargets())('alerts ($name)', (target) => {
  let srv: TestServer;
  let smtp: SMTPServer;
  const mails: string[] = [];
  let mspA: ApiClient, custA: ApiClient, custAMember: ApiClient, mspB: ApiClient, custB: ApiClient;
  let orgA1: string, orgB1: string;
  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      onData(stream, _session, cb) {
        let text = '';
        stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
        stream.on('end', () => (mails.push(text), cb()));
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const port = (smtp.server.address() as { port: number }).port;
    srv = await startTestServer(target, { smtpUrl: `smtp://127.0.0.1:${port}`, notifyRetryBaseSeconds: 0.2 });
    const [A, B] = await Promise.all([createMsp(srv.rt), createMsp(srv.rt)]);
    const [A1, B1] = await Promise.all([createCustomer(srv.rt, A.org.id), createCustomer(srv.rt, B.org.id)]);
    orgA1 = A1.org.id;
    orgB1 = B1.org.id;
    const member = await addUser(srv.rt, orgA1, 'customer_member');
    [mspA, custA, custAMember, mspB, custB] = await Promise.all([
      signIn(srv.url, A.admin),
      signIn(srv.url, A1.admin),
      signIn(srv.url, member),
      signIn(srv.url, B.admin),
      signIn(srv.url, B1.admin),
    ]);
  });
  afterAll(async () => {
    await srv.stop();
    await new Promise<void>((r) => smtp.close(r));
  });

  const record = (orgId: string, ds: Detection[]) =>
    srv.rt.database.db.transaction().execute((tx) => recordDetections(tx, orgId, ds, { notifyMinutes: 15 }));

  it('one alert per rule and group while it lasts; the customer and its MSP see it, others do not', async () => {
    const ruleId = 'visibility-rule';
    await record(orgA1, [det(orgA1, { ruleId })]);
    // The engine restates the running count of the same episode, then a later episode adds to it.
    await record(orgA1, [det(orgA1, { ruleId, eventCount: 20, lastSeen: '2026-11-26T10:02:00.000Z' })]);
    await record(orgA1, [
      det(orgA1, {
        ruleId,
        eventCount: 5,
        firstSeen: '2026-11-26T10:05:00.000Z',
        lastSeen: '2026-11-26T10:06:00.000Z',
        level: 'critical',
      }),
    ]);
    for (const c of [custA, custAMember, mspA]) {
      const r = await c.get(`/api/v1/orgs/${orgA1}/alerts?ruleId=${ruleId}`);
      expect(r.status, r.text).toBe(200);
      expect(r.body.alerts).toHaveLength(1);
      expect(r.body.alerts[0]).toMatchObject({
        eventCount: 25,
        level: 'critical',
        status: 'open',
        lastSeen: '2026-11-26T10:06:00.000Z',
      });
    }
    const id = (await custA.get(`/api/v1/orgs/${orgA1}/alerts?ruleId=${ruleId}`)).body.alerts[0].id;
    for (const c of [mspB, custB]) {
      expect((await c.get(`/api/v1/orgs/${orgA1}/alerts`)).status).toBe(404);
      expect((await c.get(`/api/v1/orgs/${orgA1}/alerts/${id}`)).status).toBe(404);
    }
    expect((await custB.get(`/api/v1/orgs/${orgB1}/alerts?ruleId=${ruleId}`)).body.alerts).toEqual([]);
  });

  it('open -> acknowledged -> resolved with who, when and why; a new detection then opens a new alert', async () => {
    const ruleId = 'lifecycle-rule';
    await record(orgA1, [det(orgA1, { ruleId })]);
    const id = (await custA.get(`/api/v1/orgs/${orgA1}/alerts?ruleId=${ruleId}`)).body.alerts[0].id;
    expect(
      (await custAMember.post(`/api/v1/orgs/${orgA1}/alerts/${id}/status`, { status: 'acknowledged' }))
        .status,
    ).toBe(403);
    const ack = await mspA.post(`/api/v1/orgs/${orgA1}/alerts/${id}/status`, { status: 'acknowledged' });
    expect(ack.status, ack.text).toBe(200);
    const noReason = await custA.post(`/api/v1/orgs/${orgA1}/alerts/${id}/status`, { status: 'resolved' });
    expect(noReason.body.error.code).toBe('validation_failed');
    const res = await custA.post(`/api/v1/orgs/${orgA1}/alerts/${id}/status`, {
      status: 'resolved',
      reason: 'password reset',
    });
    expect(res.status).toBe(200);
    expect(res.body.history.map((h: { toStatus: string }) => h.toStatus)).toEqual([
      'open',
      'acknowledged',
      'resolved',
    ]);
    expect(res.body.history[2]).toMatchObject({ reason: 'password reset', fromStatus: 'acknowledged' });
    expect(res.body.history[1].actor).toMatch(/@test\.example$/);
    const again = await custA.post(`/api/v1/orgs/${orgA1}/alerts/${id}/status`, {
      status: 'false_positive',
      reason: 'x',
    });
    expect(again.body.error.code).toBe('invalid_state');
    await record(orgA1, [
      det(orgA1, { ruleId, firstSeen: '2026-11-26T11:00:00.000Z', lastSeen: '2026-11-26T11:00:00.000Z' }),
    ]);
    const list = await custA.get(`/api/v1/orgs/${orgA1}/alerts?ruleId=${ruleId}`);
    expect(list.body.alerts.map((a: { status: string }) => a.status)).toEqual(['open', 'resolved']);
    const page = await custA.get(`/api/v1/orgs/${orgA1}/alerts?ruleId=${ruleId}&limit=1`);
    expect(page.body.alerts).toHaveLength(1);
    const next = await custA.get(
      `/api/v1/orgs/${orgA1}/alerts?ruleId=${ruleId}&limit=1&cursor=${page.body.nextCursor}`,
    );
    expect(next.body.alerts[0].status).toBe('resolved');
    const audit = await custA.get(`/api/v1/orgs/${orgA1}/audit?limit=50`);
    expect(audit.body.map((e: { action: string }) => e.action)).toContain('alert.resolved');
  });

  it('a suppressed detection is counted but notifies no one', async () => {
    const ch = await custA.post(`/api/v1/orgs/${orgA1}/notification-channels`, {
      kind: 'email',
      name: 'soc',
      to: 'soc@a1.example',
      minLevel: 'low',
    });
    expect(ch.status, ch.text).toBe(201);
    const sup = await custA.post(`/api/v1/orgs/${orgA1}/suppressions`, {
      ruleId: 'suppressed-rule',
      groupValues: { user: 'scanner' },
      reason: 'authorised vulnerability scan',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(sup.status, sup.text).toBe(201);
    const scanner = { groupKey: '{"user":"scanner"}', groupValues: { user: 'scanner' } };
    const out = await record(orgA1, [
      det(orgA1, { ruleId: 'suppressed-rule', ...scanner }),
      det(orgA1, { ruleId: 'suppressed-rule' }),
    ]);
    expect(out).toMatchObject({ opened: 2, suppressed: 1 });
    const alerts = (await custA.get(`/api/v1/orgs/${orgA1}/alerts?ruleId=suppressed-rule`)).body.alerts;
    const quiet = alerts.find((a: { groupValues: { user: string } }) => a.groupValues.user === 'scanner');
    expect(quiet.suppressedBy).toBe(sup.body.id);
    const sups = await custA.get(`/api/v1/orgs/${orgA1}/suppressions`);
    expect(sups.body.find((s: { id: string }) => s.id === sup.body.id).hits).toBe(1);
    const log = (await custA.get(`/api/v1/orgs/${orgA1}/notifications`)).body as { alertId: string }[];
    expect(log.some((n) => n.alertId === quiet.id)).toBe(false);
    expect(log.filter((n) => alerts.some((a: { id: string }) => a.id === n.alertId))).toHaveLength(1);
    await srv.rt.services.notifications.deliverDue({ alertOrgId: orgA1 });
    const mail = mails.find((m) => m.includes('Brute force against root'));
    expect(mail, 'the e-mail arrived at the SMTP receiver with the alert title').toBeDefined();
    expect(mail).toContain('soc@a1.example');
  });

  it('webhooks are signed, retried with backoff after a failure, and the log shows every attempt', async () => {
    const got: { body: string; sig: string; ts: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        got.push({
          body,
          sig: String(req.headers['x-accord-signature']),
          ts: String(req.headers['x-accord-timestamp']),
        });
        res.statusCode = got.length === 1 ? 500 : 200;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const port = (receiver.address() as { port: number }).port;
      const ch = await mspB.post(`/api/v1/orgs/${orgB1}/notification-channels`, {
        kind: 'webhook',
        name: 'siem',
        url: `http://127.0.0.1:${port}/hook`,
        minLevel: 'high',
      });
      expect(ch.status, ch.text).toBe(201);
      const secret = ch.body.secret as string;
      expect(secret).toMatch(/^whsec_/);
      expect(
        JSON.stringify((await mspB.get(`/api/v1/orgs/${orgB1}/notification-channels`)).body),
      ).not.toContain(secret);
      // The customer's alert reaches its MSP's channel; a medium one is below the channel's minimum.
      await record(orgB1, [
        det(orgB1, { ruleId: 'hooked-rule' }),
        det(orgB1, { ruleId: 'quiet-rule', level: 'medium' }),
      ]);
      const first = await srv.rt.services.notifications.deliverDue({ alertOrgId: orgB1 });
      expect(first).toEqual({ delivered: 0, failed: 1 });
      await new Promise((r) => setTimeout(r, 300));
      const second = await srv.rt.services.notifications.deliverDue({ alertOrgId: orgB1 });
      expect(second).toEqual({ delivered: 1, failed: 0 });
      expect(got).toHaveLength(2);
      for (const g of got) {
        expect(g.sig).toBe(`sha256=${createHmac('sha256', secret).update(g.body).digest('hex')}`);
        expect(JSON.parse(g.body).sentAt).toBe(Number(g.ts));
      }
      expect(JSON.parse(got[1]!.body)).toMatchObject({
        event: 'alert.opened',
        alert: { ruleId: 'hooked-rule', orgId: orgB1 },
      });
      const log = (await mspB.get(`/api/v1/orgs/${orgB1}/notifications`)).body;
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ status: 'delivered', metSla: true });
      expect(log[0].attempts.map((a: { statusCode: number; ok: boolean }) => [a.statusCode, a.ok])).toEqual([
        [500, false],
        [200, true],
      ]);
    } finally {
      receiver.close();
    }
  });

  it('source silence raises a source-silent alert and resolves it when the source speaks again', async () => {
    const s = await custA.post(`/api/v1/orgs/${orgA1}/sources`, {
      kind: 'linux_syslog',
      name: 'quiet-host',
      expectedIntervalMinutes: 1,
    });
    expect(s.status, s.text).toBe(201);
    const later = new Date(Date.now() + 5 * 60_000);
    await srv.rt.services.silence.run(later);
    const silent = async () =>
      (
        (await custA.get(`/api/v1/orgs/${orgA1}/alerts?ruleId=source-silent`)).body.alerts as {
          groupValues: { sourceId: string };
          status: string;
        }[]
      ).filter((a) => a.groupValues.sourceId === s.body.id);
    expect((await silent()).map((a) => a.status)).toEqual(['open']);
    await srv.rt.services.silence.run(later); // still silent: still one alert
    expect(await silent()).toHaveLength(1);
    const now = new Date();
    const stamp = `${now.toUTCString().slice(8, 11)} ${String(now.getUTCDate()).padStart(2, ' ')} ${now.toISOString().slice(11, 19)}`;
    const line = `${stamp} host sshd[1]: Accepted password for ann from 198.51.100.4 port 22 ssh2`;
    const res = await fetch(`${srv.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.body.ingestToken}`, 'content-type': 'text/plain' },
      body: line,
    });
    expect(res.status).toBe(200);
    await srv.rt.services.silence.run(new Date());
    expect((await silent()).map((a) => a.status)).toEqual(['resolved']);
  });

  it('a rule that is not valid Sigma YAML is refused at save time with the reason', async () => {
    const bad = await custA.post(`/api/v1/orgs/${orgA1}/rules`, { yaml: 'title: [unclosed' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const noId = await custA.post(`/api/v1/orgs/${orgA1}/rules`, { yaml: 'title: no id\ndetection: {}\n' });
    expect(noId.body.error.message).toMatch(/has no id/);
    expect((await custAMember.post(`/api/v1/orgs/${orgA1}/rules`, { yaml: 'id: x\n' })).status).toBe(403);
  });
});
