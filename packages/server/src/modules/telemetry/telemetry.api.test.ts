import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { addUser, createCustomer, createMsp } from '../../../test/support/factories.ts';
import { signIn, type ApiClient } from '../../../test/support/api-client.ts';
import { dataset } from '../../../test/support/datasets.ts';

const LOGHUB = dataset('loghub');

async function ingest(
  url: string,
  token: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${url}/api/v1/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain', ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe.each(dbTargets())('log ingest over HTTP ($name)', (target) => {
  let srv: TestServer;
  let admin: ApiClient;
  let orgId: string;
  beforeAll(async () => {
    srv = await startTestServer(target, { ingestMaxBytes: 400_000, ingestRatePerSource: 5 });
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    orgId = cust.org.id;
    admin = await signIn(srv.url, cust.admin);
  });
  afterAll(() => srv.stop());

  async function source(kind: string, name: string, extra: Record<string, unknown> = {}) {
    const res = await admin.post(`/api/v1/orgs/${orgId}/sources`, {
      kind,
      name,
      expectedIntervalMinutes: 60,
      ...extra,
    });
    expect(res.status).toBe(201);
    expect(res.body.ingestToken).toMatch(/^acs_/);
    return res.body as { id: string; ingestToken: string };
  }

  it('ingests the real OpenSSH sample, gzipped, and finds its failed passwords by search', async () => {
    const s = await source('linux_syslog', 'labsz-sshd', { utcOffsetMinutes: 0 });
    const text = fs.readFileSync(path.join(LOGHUB, 'OpenSSH_2k.log'));
    const res = await ingest(srv.url, s.ingestToken, gzipSync(text), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.body.accepted + res.body.rejectedTotal).toBe(2000);
    expect(res.body.rejectedTotal).toBe(0);
    const failedLines = text
      .toString('utf8')
      .split('\n')
      .filter((l) => /sshd\[\d+\]: (message repeated \d+ times: \[ )?Failed password for /.test(l)).length;
    let total = 0;
    let cursor: string | null = null;
    do {
      const page: { body: { events: { reason: string; raw: string }[]; nextCursor: string | null } } =
        await admin.get(
          `/api/v1/orgs/${orgId}/events?sourceId=${s.id}&outcome=failure&q=Failed%20password&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
        );
      total += page.body.events.filter((e) => e.raw.includes('Failed password for')).length;
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(total).toBe(failedLines);
    const v = await admin.get(`/api/v1/orgs/${orgId}/logs/verify`);
    expect(v.body).toMatchObject({ ok: true });
    const cov = await admin.get(`/api/v1/orgs/${orgId}/logs/coverage?days=7`);
    expect(cov.status).toBe(200);
    const mine = cov.body.sources.find(
      (x: { sourceId?: string; id?: string }) => (x.sourceId ?? x.id) === s.id,
    );
    expect(mine).toBeDefined();
    expect(cov.body.tenant.requiredDays).toBeGreaterThanOrEqual(180);
  });

  it('keeps the good records of a damaged NDJSON batch and quarantines the bad ones with their line', async () => {
    const s = await source('okta_system_log', 'okta');
    const good = {
      uuid: 'e1',
      published: new Date().toISOString(),
      eventType: 'user.session.start',
      actor: { alternateId: 'ann@tailspin.example', type: 'User' },
      client: { ipAddress: '203.0.113.7' },
      outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' },
    };
    const body = [
      JSON.stringify(good),
      '{"uuid": "cut in ha',
      JSON.stringify({ ...good, uuid: 'e2', outcome: { result: 'SUCCESS' } }),
      '[1,2]',
    ].join('\n');
    const res = await ingest(srv.url, s.ingestToken, body, { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected.map((r: { line: number }) => r.line)).toEqual([2, 4]);
    expect(res.body.rejected[0].reason).toMatch(/not valid JSON/);
    const q = await admin.get(`/api/v1/orgs/${orgId}/quarantine`);
    expect(
      q.body.some((x: { line: number; raw: string }) => x.line === 2 && x.raw === '{"uuid": "cut in ha'),
    ).toBe(true);
    const found = await admin.get(`/api/v1/orgs/${orgId}/events?sourceId=${s.id}&order=asc`);
    expect(found.body.events.map((e: { outcome: string; srcIp: string }) => [e.outcome, e.srcIp])).toEqual([
      ['failure', '203.0.113.7'],
      ['success', '203.0.113.7'],
    ]);
  });

  it('accepts a JSON export with a value array (Entra sign-ins)', async () => {
    const s = await source('entra_signin', 'entra');
    const rec = (code: number) => ({
      id: `id-${code}`,
      createdDateTime: new Date().toISOString(),
      userPrincipalName: 'bo@contoso.example',
      ipAddress: '198.51.100.4',
      appDisplayName: 'Office 365',
      clientAppUsed: 'Browser',
      status: { errorCode: code },
    });
    const res = await ingest(srv.url, s.ingestToken, JSON.stringify({ value: [rec(50126), rec(0)] }), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    const csv = await admin.get(`/api/v1/orgs/${orgId}/events?sourceId=${s.id}&order=asc&format=csv`);
    const rows = (csv.body as string).trim().split('\n');
    expect(rows[0]).toContain('time,sourceId,class');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toContain('"failure"');
  });

  it('answers bad tokens, bodies and floods with clear 4xx and stores nothing from them', async () => {
    const s = await source('linux_syslog', 'noisy');
    expect((await ingest(srv.url, 'acs_nope', 'x')).status).toBe(401);
    expect((await ingest(srv.url, `acs_${s.id}_${'A'.repeat(43)}`, 'x')).status).toBe(401);
    const big = await ingest(srv.url, s.ingestToken, 'x'.repeat(500_000));
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    const badType = await ingest(srv.url, s.ingestToken, '<xml/>', { 'content-type': 'application/xml' });
    expect(badType.status).toBe(400);
    const badGzip = await ingest(srv.url, s.ingestToken, 'not gzip', { 'content-encoding': 'gzip' });
    expect(badGzip.status).toBe(400);
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await ingest(srv.url, s.ingestToken, '')).status);
    expect(statuses).toContain(429);
    // Another source of the same tenant is not slowed by the flood.
    const calm = await source('linux_syslog', 'calm');
    expect((await ingest(srv.url, calm.ingestToken, '')).status).toBe(200);
    const stored = await admin.get(`/api/v1/orgs/${orgId}/events?sourceId=${s.id}`);
    expect(stored.body.events).toEqual([]);
  });

  it('lets each party manage and read only the sources and events of tenants it may reach', async () => {
    const s = await source('linux_syslog', 'isolated');
    const stranger = await createCustomer(srv.rt, null);
    const other = await signIn(srv.url, stranger.admin);
    for (const p of [
      `/api/v1/orgs/${orgId}/sources`,
      `/api/v1/orgs/${orgId}/sources/${s.id}`,
      `/api/v1/orgs/${orgId}/events`,
      `/api/v1/orgs/${orgId}/logs/verify`,
      `/api/v1/orgs/${orgId}/quarantine`,
    ]) {
      expect((await other.get(p)).status).toBe(404);
    }
    expect((await other.post(`/api/v1/orgs/${orgId}/sources/${s.id}/rotate-token`)).status).toBe(404);
    const member = await signIn(srv.url, await addUser(srv.rt, orgId, 'customer_member'));
    expect((await member.get(`/api/v1/orgs/${orgId}/events`)).status).toBe(200);
    expect(
      (
        await member.post(`/api/v1/orgs/${orgId}/sources`, {
          kind: 'cef',
          name: 'nope',
          expectedIntervalMinutes: 5,
        })
      ).status,
    ).toBe(403);
    const generic = await admin.post(`/api/v1/orgs/${orgId}/sources`, {
      kind: 'generic_json',
      name: 'app',
      expectedIntervalMinutes: 5,
    });
    expect(generic.status).toBe(400);
  });

  it('stores a batch re-sent under the same Idempotency-Key once, even when both copies race', async () => {
    const s = await source('linux_syslog', 'idempotent');
    const t = new Date().toISOString();
    const body = [1, 2, 3]
      .map((i) => `${t} h sshd[${i}]: Failed password for root from 192.0.2.${i} port 22 ssh2`)
      .join('\n');
    const first = await ingest(srv.url, s.ingestToken, body, { 'idempotency-key': 'file-a:0:3' });
    expect(first.body).toMatchObject({ accepted: 3 });
    const again = await ingest(srv.url, s.ingestToken, body, { 'idempotency-key': 'file-a:0:3' });
    expect(again.body).toMatchObject({
      accepted: 3,
      duplicate: true,
      batchId: first.body.batchId,
      seq: first.body.seq,
    });
    const racing = await Promise.all(
      [1, 2, 3].map(() => ingest(srv.url, s.ingestToken, body, { 'idempotency-key': 'file-a:3:3' })),
    );
    expect(new Set(racing.map((r) => r.body.batchId)).size).toBe(1);
    const stored = await admin.get(`/api/v1/orgs/${orgId}/events?sourceId=${s.id}&limit=100`);
    expect(stored.body.events).toHaveLength(6);
    expect((await ingest(srv.url, s.ingestToken, body, { 'idempotency-key': 'bad key!' })).status).toBe(400);
  });
});
