import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import { createCustomer, createMsp } from '../../../test/support/factories.ts';
import { signIn, type ApiClient } from '../../../test/support/api-client.ts';

const SAMPLES = fileURLToPath(new URL('../../../../../docs/samples/', import.meta.url));
const sample = (name: string) => fs.readFileSync(path.join(SAMPLES, name));
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function send(c: ApiClient, p: string, body: Buffer | string) {
  const res = await fetch(c.baseUrl + p, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', cookie: c.cookie!, 'x-csrf-token': c.csrf! },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}

describe.each(dbTargets())('training and phishing-simulation imports over HTTP ($name)', (target) => {
  let srv: TestServer;
  let admin: ApiClient;
  let mspAdmin: ApiClient;
  let orgId: string;
  const imp = (kind: string, q = '') => `/api/v1/orgs/${orgId}/imports/${kind}${q}`;
  const inv = (kind: string, q = '') => `/api/v1/orgs/${orgId}/inventory/${kind}${q}`;
  beforeAll(async () => {
    srv = await startTestServer(target);
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    orgId = cust.org.id;
    admin = await signIn(srv.url, cust.admin);
    mspAdmin = await signIn(srv.url, msp.admin);
  }, 240_000);
  afterAll(() => srv?.stop());

  it('imports the training sample as evidence and lists its records', async () => {
    const r = await send(admin, imp('training', '?filename=training.csv'), sample('training.csv'));
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      kind: 'training',
      format: 'csv',
      mode: 'replace',
      accepted: 5,
      rejected: 0,
    });
    expect(r.body.sha256).toBe(sha(sample('training.csv')));
    const page = (await mspAdmin.get(inv('training', '?user=bob.admin'))).body;
    expect(page.items).toEqual([
      {
        user: 'bob.admin@contoso.example',
        course: 'Phishing and social engineering 2026',
        completedOn: '2026-02-14T09:30:00.000Z',
      },
      {
        user: 'bob.admin@contoso.example',
        course: 'Privileged access hygiene',
        completedOn: '2026-02-20T00:00:00.000Z',
      },
    ]);
    expect(page.importId).toBe(r.body.id);
    const enrolled = (await admin.get(inv('training', '?user=svc-backup'))).body.items;
    expect(enrolled).toEqual([
      {
        user: 'svc-backup@contoso.example',
        course: 'Phishing and social engineering 2026',
        completedOn: null,
      },
    ]);
    const history = (await admin.get(`/api/v1/orgs/${orgId}/imports?kind=training`)).body.items;
    expect(history[0]).toMatchObject({ id: r.body.id, filename: 'training.csv', accepted: 5 });
  });

  it('rejects bad training rows with line and reason and keeps the good ones beside them', async () => {
    const file = [
      'Email,Course Name,Completion Date',
      'erin@contoso.example,Phishing basics,2026-05-01',
      ',Phishing basics,2026-05-01',
      'frank@contoso.example,,2026-05-01',
      'gina@contoso.example,Phishing basics,01/05/2026',
      'hank@contoso.example,Phishing basics,2099-01-01',
      'erin@contoso.example,Phishing basics,2026-05-01',
    ].join('\n');
    const r = await send(admin, imp('training'), file);
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ accepted: 1, rejected: 5 });
    expect(r.body.rejections).toEqual([
      { line: 3, reason: 'user is required' },
      { line: 4, reason: 'course is required' },
      { line: 5, reason: 'completed_on must be an ISO 8601 date or time, not "01/05/2026"' },
      { line: 6, reason: 'completed_on 2099-01-01T00:00:00.000Z is in the future' },
      {
        line: 7,
        reason: 'duplicate of line 2 (erin@contoso.example|phishing basics|2026-05-01T00:00:00.000Z)',
      },
    ]);
    expect((await admin.get(inv('training'))).body.items).toHaveLength(1);
  });

  it('refuses a file without the documented columns, changing nothing', async () => {
    const before = (await admin.get(inv('training'))).body.items;
    const r = await send(admin, imp('training'), 'user,completed_on\nx@contoso.example,2026-01-01\n');
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe(
      'the training CSV header lacks course; expected columns: user, course, completed_on (docs/imports.md)',
    );
    expect((await admin.get(inv('training'))).body.items).toEqual(before);
  });

  it('imports simulation results and answers click and report rates per campaign, oldest first', async () => {
    const r = await send(admin, imp('phishing', '?filename=phishing.csv'), sample('phishing.csv'));
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ kind: 'phishing', mode: 'merge', accepted: 7, rejected: 0 });
    const rates = (await mspAdmin.get(inv('phishing/campaigns'))).body;
    expect(rates.importId).toBe(r.body.id);
    expect(rates.campaigns).toEqual([
      {
        campaign: '2026-Q1 invoice lure',
        sentAt: '2026-01-15T00:00:00.000Z',
        recipients: 4,
        delivered: 3,
        clicked: 1,
        reported: 1,
        clickRate: 0.3333,
        reportRate: 0.3333,
      },
      {
        campaign: '2026-Q2 password reset',
        sentAt: '2026-04-20T00:00:00.000Z',
        recipients: 3,
        delivered: 3,
        clicked: 1,
        reported: 2,
        clickRate: 0.3333,
        reportRate: 0.6667,
      },
    ]);
    const bob = (await admin.get(inv('phishing', '?user=bob.admin&campaign=Q1'))).body.items;
    expect(bob).toEqual([
      {
        campaign: '2026-Q1 invoice lure',
        user: 'bob.admin@contoso.example',
        sentAt: '2026-01-15T09:00:00.000Z',
        delivered: true,
        clicked: true,
        clickedAt: '2026-01-15T10:02:00.000Z',
        reported: false,
        reportedAt: null,
      },
    ]);
  });

  it('a later file replaces the campaigns it holds and keeps the others, so the history builds up', async () => {
    const r = await send(
      admin,
      imp('phishing'),
      [
        'campaign,user,delivered,clicked,reported,sent_on',
        '2026-Q2 password reset,alice@contoso.example,yes,no,yes,2026-04-20',
        '2026-Q2 password reset,carol@contoso.example,yes,no,yes,2026-04-20',
        '2026-Q3 parcel notice,alice@contoso.example,yes,no,no,2026-08-03',
      ].join('\n'),
    );
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ mode: 'merge', accepted: 3, rejected: 0 });
    const rates = (await admin.get(inv('phishing/campaigns'))).body.campaigns;
    expect(
      rates.map((c: { campaign: string; recipients: number; clicked: number }) => [
        c.campaign,
        c.recipients,
        c.clicked,
      ]),
    ).toEqual([
      ['2026-Q1 invoice lure', 4, 1],
      ['2026-Q2 password reset', 2, 0],
      ['2026-Q3 parcel notice', 1, 0],
    ]);
  });

  it('rejects inconsistent simulation rows with line and reason', async () => {
    const r = await send(
      admin,
      imp('phishing'),
      [
        'campaign,email,delivered,clicked,reported,send_date',
        '2026-Q4 fake MFA prompt,ivan@contoso.example,no,yes,no,2026-10-01',
        '2026-Q4 fake MFA prompt,judy@contoso.example,yes,no,no,',
        '2026-Q4 fake MFA prompt,kim@contoso.example,yes,maybe,no,2026-10-01',
        '2026-Q4 fake MFA prompt,lee@contoso.example,yes,yes,yes,2026-10-01',
      ].join('\n'),
    );
    expect(r.status, r.text).toBe(201);
    expect(r.body.rejections).toEqual([
      { line: 2, reason: 'clicked is yes but delivered is no' },
      { line: 3, reason: 'delivered is not a time and sent_on is empty: the campaign needs a date' },
      { line: 4, reason: 'clicked must be yes/no or an ISO 8601 time, not "maybe"' },
    ]);
    expect(r.body.accepted).toBe(1);
    const all = (await admin.get(inv('phishing/campaigns'))).body.campaigns;
    expect(all.map((c: { campaign: string }) => c.campaign)).toContain('2026-Q4 fake MFA prompt');
    expect(all).toHaveLength(4);
  });
});
