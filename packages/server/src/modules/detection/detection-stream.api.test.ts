import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { createCustomer, createMsp } from '../../../test/support/factories.ts';
import { signIn } from '../../../test/support/api-client.ts';

/**
 * Detection on ingest, end to end: a brute-force burst sent over HTTP raises one alert with the
 * full count and its evidence; a restart mid-attack neither alerts twice nor forgets the count; a
 * history run over the same events reports the same detection.
 */
describe.each(dbTargets())('detection on ingest ($name)', (target) => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('a brute-force burst, with a restart mid-attack, is one alert with the full count; history agrees', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-detect-'));
    dirs.push(dataDir);
    const flags = { dataDir, secretKey: randomBytes(32).toString('hex') };
    let srv: TestServer = await startTestServer(target, flags);
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    const orgId = cust.org.id;
    let admin = await signIn(srv.url, cust.admin);
    const src = await admin.post(`/api/v1/orgs/${orgId}/sources`, {
      kind: 'linux_syslog',
      name: 'bastion',
      expectedIntervalMinutes: 60,
    });
    expect(src.status, src.text).toBe(201);
    const start = Date.now() - 60_000;
    const line = (i: number) => {
      const t = new Date(start + i * 1000);
      const stamp = `${t.toUTCString().slice(8, 11)} ${String(t.getUTCDate()).padStart(2, ' ')} ${t.toISOString().slice(11, 19)}`;
      return `${stamp} bastion sshd[${100 + i}]: Failed password for root from 203.0.113.9 port ${40000 + i} ssh2`;
    };
    const send = async (from: number, n: number) => {
      const res = await fetch(`${srv.url}/api/v1/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${src.body.ingestToken}`, 'content-type': 'text/plain' },
        body: Array.from({ length: n }, (_, k) => line(from + k)).join('\n'),
      });
      expect(res.status).toBe(200);
      expect((await res.json()).accepted).toBe(n);
    };
    const bruteForce = async () =>
      (await admin.get(`/api/v1/orgs/${orgId}/alerts?ruleId=accord-brute-force`)).body.alerts as {
        id: string;
        eventCount: number;
      }[];

    await send(0, 6);
    expect(await bruteForce()).toEqual([]); // below the threshold of 10
    await send(6, 6);
    expect((await bruteForce()).map((a) => a.eventCount)).toEqual([12]);

    // Restart the runtime mid-attack: the engine state comes back from the store.
    await srv.stop();
    srv = await startTestServer(target, flags);
    admin = await signIn(srv.url, cust.admin);
    await send(12, 6);
    const alerts = await bruteForce();
    expect(alerts.map((a) => a.eventCount)).toEqual([18]);
    const shown = await admin.get(`/api/v1/orgs/${orgId}/alerts/${alerts[0]!.id}`);
    expect(shown.body.evidence).toHaveLength(18);
    expect(shown.body.evidence[0].event.raw).toContain('Failed password for root');
    // The MSP sees the same alert.
    const mspClient = await signIn(srv.url, msp.admin);
    expect((await mspClient.get(`/api/v1/orgs/${orgId}/alerts/${alerts[0]!.id}`)).status).toBe(200);

    const run = await admin.post(`/api/v1/orgs/${orgId}/detect/runs`, {
      from: new Date(start - 60_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(run.status, run.text).toBe(200);
    expect(run.body.eventsScanned).toBe(18);
    const hist = run.body.detections.find((d: { ruleId: string }) => d.ruleId === 'accord-brute-force');
    expect(hist).toMatchObject({ eventCount: 18, groupValues: { user: 'root' } });
    expect(run.body.recorded).toBe(0);
    expect(await bruteForce()).toHaveLength(1); // a history run records nothing by default
    await srv.stop();
  });
});
