import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { createCustomer, createMsp } from '../../../test/support/factories.ts';
import { signIn, type ApiClient } from '../../../test/support/api-client.ts';

/**
 * Distributed password spraying through the product: sshd lines sent over HTTP in two requests,
 * detected inside each batch's transaction. The alert names exactly the spraying addresses: an
 * office NAT and a remote user who mistyped (whose success arrives in the second request, after
 * the alert was opened) are not among its evidence. Disabling a rule the spray rule reads keeps it
 * working, and a history run of that one rule finds the same addresses.
 */
describe.each(dbTargets())('distributed password spraying on ingest ($name)', (target) => {
  let srv: TestServer;
  let admin: ApiClient;
  let orgId: string;
  let token: string;
  const start = Date.now() - 3 * 3_600_000;
  const sprayers = Array.from({ length: 12 }, (_, i) => `198.51.100.${i + 1}`);

  const stamp = (minutes: number) => {
    const t = new Date(start + Math.round(minutes * 60_000));
    return `${t.toUTCString().slice(8, 11)} ${String(t.getUTCDate()).padStart(2, ' ')} ${t.toISOString().slice(11, 19)}`;
  };
  type Line = readonly [minute: number, text: string];
  const failed = (m: number, user: string, ip: string, pid: number): Line =>
    [
      m,
      `${stamp(m)} bastion sshd[${pid}]: Failed password for ${user} from ${ip} port ${40000 + pid} ssh2`,
    ] as const;
  const accepted = (m: number, user: string, ip: string, pid: number): Line =>
    [
      m,
      `${stamp(m)} bastion sshd[${pid}]: Accepted password for ${user} from ${ip} port ${40000 + pid} ssh2`,
    ] as const;
  const send = async (lines: Line[]) => {
    const res = await fetch(`${srv.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: [...lines]
        .sort((a, b) => a[0] - b[0])
        .map((l) => l[1])
        .join('\n'),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).accepted).toBe(lines.length);
  };

  beforeAll(async () => {
    srv = await startTestServer(target);
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    orgId = cust.org.id;
    admin = await signIn(srv.url, cust.admin);
    const src = await admin.post(`/api/v1/orgs/${orgId}/sources`, {
      kind: 'linux_syslog',
      name: 'bastion',
      expectedIntervalMinutes: 60,
    });
    expect(src.status, src.text).toBe(201);
    token = src.body.ingestToken;
  });
  afterAll(() => srv.stop());

  it('raises one alert naming the sprayers only, also when a benign success arrives in a later batch', async () => {
    let pid = 100;
    const spray = sprayers.flatMap((ip, s) =>
      [0, 1].map((k) => failed(1 + ((s * 3 + k * 11) % 28), `staff${s * 2 + k}`, ip, pid++)),
    );
    // An office NAT: people signing in all along, two of them mistyping first.
    const office = Array.from({ length: 30 }, (_, i) => accepted(i, `emp${i}`, '192.0.2.10', pid++));
    office.push(failed(12, 'emp12', '192.0.2.10', pid++), failed(20, 'emp20', '192.0.2.10', pid++));
    // A remote user mistypes while the spray is under way and signs in 12 seconds later.
    const typo = failed(29.9, 'carol', '203.0.113.5', pid++);
    const ok = accepted(30.1, 'carol', '203.0.113.5', pid++);
    const all = [...spray, ...office, typo];
    await send(all.filter((l) => l[0] < 30));
    await send([...all.filter((l) => l[0] >= 30), ok]);

    const list = await admin.get(`/api/v1/orgs/${orgId}/alerts?ruleId=accord-spray-distributed`);
    expect(list.status, list.text).toBe(200);
    expect(list.body.alerts).toHaveLength(1);
    const alert = list.body.alerts[0] as { id: string; summary: string; groupValues: object };
    expect(alert.groupValues).toEqual({});
    expect(alert.summary).toMatch(/^12 sources with a few failed sign-ins each and none successful/);
    const shown = await admin.get(`/api/v1/orgs/${orgId}/alerts/${alert.id}`);
    const named = (shown.body.evidence as { event: { srcIp: string } }[]).map((e) => e.event.srcIp);
    expect(named).toHaveLength(12); // one event per source
    expect(new Set(named)).toEqual(new Set(sprayers));
  });

  it('keeps working when a rule it reads is disabled; a history run of it alone finds the same sources', async () => {
    const off = await admin.put(`/api/v1/orgs/${orgId}/rules/accord-spray-fast/settings`, { enabled: false });
    expect(off.status, off.text).toBe(200);
    expect(off.body.enabled).toBe(false);
    const run = await admin.post(`/api/v1/orgs/${orgId}/detect/runs`, {
      from: new Date(start - 60_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
      rules: ['accord-spray-distributed'],
    });
    expect(run.status, run.text).toBe(200);
    const ids = new Set((run.body.detections as { ruleId: string }[]).map((d) => d.ruleId));
    expect([...ids]).toEqual(['accord-spray-distributed']); // what it reads raises nothing of its own
    const d = run.body.detections[0] as { evidence: { batchId: string; batchPos: number }[] };
    expect(d.evidence).toHaveLength(12);
  });
});
