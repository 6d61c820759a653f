import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../../../test/support/harness.ts';
import {
  evidenceWorld,
  getBytes,
  postRaw,
  type EvidenceWorld,
} from '../../../test/support/evidence-world.ts';
import { systemContext } from '../../platform/context.ts';
import { createEvidenceExpiryService, startEvidenceExpiryJob } from './evidence-expiry.ts';

const DAY = 86_400_000;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe.each(dbTargets())('evidence over HTTP ($name)', (target) => {
  let srv: TestServer;
  let w: EvidenceWorld;
  beforeAll(async () => {
    srv = await startTestServer(target, { evidenceMaxBytes: 64 * 1024 });
    w = await evidenceWorld(srv);
  });
  afterAll(() => srv.stop());

  const fileQuery = (name: string, extra = '') =>
    `?filename=${encodeURIComponent(name)}&effectiveAt=2025-03-01&collectedBy=SOC%20team${extra}`;

  it('stores a file with its SHA-256 and answers the exact bytes as an attachment, never inline', async () => {
    const html = Buffer.from('<html><script>alert(document.cookie)</script>IR plan v3 é</html>', 'utf8');
    const up = await postRaw(
      w.mspEngineer,
      w.evidencePath('IRP-01') + fileQuery('ir plan "v3".html'),
      html,
      'text/html',
    );
    expect(up.status, up.text).toBe(201);
    expect(up.body).toMatchObject({
      kind: 'file',
      controlId: 'IRP-01',
      status: 'current',
      expired: false,
      expiresInDays: null,
      latest: {
        revision: 1,
        title: 'ir plan "v3".html',
        effectiveAt: '2025-03-01T00:00:00.000Z',
        collectedBy: 'SOC team',
        file: {
          filename: 'ir plan "v3".html',
          contentType: 'text/html',
          sizeBytes: html.length,
          sha256: sha(html),
        },
      },
    });
    // Effective date (when the fact was true) and upload time are separate.
    expect(Date.parse(up.body.latest.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    const id = up.body.id as string;

    const got = await getBytes(w.custAuditor, `${w.evidencePath('IRP-01')}/${id}/revisions/1/content`);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(html)).toBe(true);
    expect(got.headers.get('content-type')).toBe('text/html');
    expect(got.headers.get('content-disposition')).toBe(
      `attachment; filename="ir plan _v3_.html"; filename*=UTF-8''${encodeURIComponent('ir plan "v3".html')}`,
    );
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('x-evidence-sha256')).toBe(sha(html));

    // A binary file survives byte for byte.
    const bin = randomBytes(40_000);
    const up2 = await postRaw(w.custAdmin, w.evidencePath('IRP-01') + fileQuery('scan.bin'), bin, null);
    expect(up2.status, up2.text).toBe(201);
    expect(up2.body.latest.file.contentType).toBe('application/octet-stream');
    const got2 = await getBytes(w.mspAdmin, `${w.evidencePath('IRP-01')}/${up2.body.id}/revisions/1/content`);
    expect(sha(got2.bytes)).toBe(sha(bin));

    // Both parties' audit trails record the upload with its hash.
    for (const [client, org] of [
      [w.custAdmin, w.cust.org.id],
      [w.mspAdmin, w.msp.org.id],
    ] as const) {
      const trail = await client.get(`/api/v1/orgs/${org}/audit?limit=500`);
      expect(trail.body).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            action: 'evidence.added',
            targetId: w.agreementId,
            details: expect.objectContaining({ evidenceId: id, controlId: 'IRP-01', sha256: sha(html) }),
          }),
        ]),
      );
    }
  });

  it('a stored file whose bytes were altered is refused on download, not served', async () => {
    const up = await postRaw(
      w.mspAdmin,
      w.evidencePath('IRP-01') + fileQuery('tamper.txt'),
      'original',
      'text/plain',
    );
    const db = srv.rt.database.db;
    // An attacker with database access: bypass the append-only trigger to change the bytes.
    const { sql } = await import('kysely');
    await sql`alter table evidence_files disable trigger evidence_files_append_only`.execute(db);
    try {
      await db
        .updateTable('evidence_files')
        .set({ content: Buffer.from('forged!!') })
        .where('evidence_id', '=', up.body.id)
        .execute();
    } finally {
      await sql`alter table evidence_files enable trigger evidence_files_append_only`.execute(db);
    }
    const got = await w.mspAdmin.get(`${w.evidencePath('IRP-01')}/${up.body.id}/revisions/1/content`);
    expect([got.status, got.body.error.code]).toEqual([500, 'internal']);
    expect(got.text).not.toContain('forged');
  });

  it('keeps every revision: a JSON revision, a new file, and a withdrawal that deletes nothing', async () => {
    const link = await w.mspAdmin.post(w.evidencePath('IRP-01'), {
      url: 'https://tickets.msp.example/IR-42',
      title: 'Tabletop minutes',
      effectiveAt: '2025-05-02',
    });
    expect(link.status, link.text).toBe(201);
    const id = link.body.id as string;
    const rev2 = await w.mspAdmin.post(`${w.evidencePath('IRP-01')}/${id}/revisions`, {
      url: 'https://tickets.msp.example/IR-43',
      note: 'moved ticket',
    });
    expect(rev2.status, rev2.text).toBe(201);
    expect(rev2.body.latest).toMatchObject({
      revision: 2,
      url: 'https://tickets.msp.example/IR-43',
      title: 'Tabletop minutes',
    });
    expect(rev2.body.revisions.map((r: { url: string }) => r.url)).toEqual([
      'https://tickets.msp.example/IR-42',
      'https://tickets.msp.example/IR-43',
    ]);
    // The other party cannot change it; a link cannot become a file.
    const theirs = await w.custAdmin.post(`${w.evidencePath('IRP-01')}/${id}/revisions`, {
      note: 'mine now',
    });
    expect([theirs.status, theirs.body.error.code]).toEqual([403, 'forbidden']);
    const asFile = await postRaw(
      w.mspAdmin,
      `${w.evidencePath('IRP-01')}/${id}/revisions?filename=x.txt`,
      'x',
      'text/plain',
    );
    expect(asFile.status).toBe(400);

    // A file revision: the previous file stays downloadable.
    const f = await postRaw(
      w.mspAdmin,
      w.evidencePath('IRP-01') + fileQuery('policy.txt'),
      'v1',
      'text/plain',
    );
    expect(f.status, f.text).toBe(201);
    const f2 = await postRaw(
      w.mspAdmin,
      `${w.evidencePath('IRP-01')}/${f.body.id}/revisions?filename=policy-v2.txt`,
      'v2!',
      'text/plain',
    );
    expect(f2.status, f2.text).toBe(201);
    expect(f2.body.latest).toMatchObject({
      revision: 2,
      title: 'policy-v2.txt',
      effectiveAt: '2025-03-01T00:00:00.000Z',
    });
    const c1 = await getBytes(w.custAdmin, `${w.evidencePath('IRP-01')}/${f.body.id}/revisions/1/content`);
    const c2 = await getBytes(w.custAdmin, `${w.evidencePath('IRP-01')}/${f.body.id}/revisions/2/content`);
    expect([c1.bytes.toString(), c2.bytes.toString()]).toEqual(['v1', 'v2!']);
    expect(
      (await w.custAdmin.get(`${w.evidencePath('IRP-01')}/${f.body.id}/revisions/3/content`)).status,
    ).toBe(404);

    const gone = await w.mspAdmin.post(`${w.evidencePath('IRP-01')}/${id}/withdraw`, {
      reason: 'wrong exercise',
    });
    expect(gone.status, gone.text).toBe(200);
    expect(gone.body).toMatchObject({
      status: 'withdrawn',
      latest: { revision: 3, withdrawn: true, withdrawReason: 'wrong exercise' },
    });
    expect(gone.body.revisions).toHaveLength(3);
    const detail = await w.custAuditor.get(`${w.evidencePath('IRP-01')}/${id}`);
    expect(detail.body.revisions.map((r: { withdrawn: boolean }) => r.withdrawn)).toEqual([
      false,
      false,
      true,
    ]);
    const again = await w.mspAdmin.post(`${w.evidencePath('IRP-01')}/${id}/withdraw`, { reason: 'twice' });
    expect([again.status, again.body.error.code]).toEqual([409, 'invalid_state']);
    const cur = await srv.rt.services.evidence.currentEvidence(w.agreementId, 'IRP-01');
    expect(cur.map((e) => e.evidenceId)).not.toContain(id);
    expect(cur.map((e) => e.evidenceId)).toContain(f.body.id);
    // Append-only in the database itself.
    await expect(
      srv.rt.database.db.deleteFrom('evidence_revisions').where('evidence_id', '=', id).execute(),
    ).rejects.toThrow(/append-only/);
    const trail = await w.custAdmin.get(`/api/v1/orgs/${w.cust.org.id}/audit?limit=500`);
    const actions = (trail.body as { action: string; details: { evidenceId?: string } }[])
      .filter((e) => e.details.evidenceId === id)
      .map((e) => e.action);
    expect(actions).toEqual(['evidence.added', 'evidence.revised', 'evidence.withdrawn']);
  });

  it('concurrent revisions of one item get consecutive numbers; a file of exactly the limit is stored', async () => {
    const base = await w.mspAdmin.post(w.evidencePath('IRP-01'), {
      url: 'https://tickets.msp.example/IR-1',
      title: 'Busy item',
      effectiveAt: '2025-05-02',
    });
    const id = base.body.id as string;
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        w.mspAdmin.post(`${w.evidencePath('IRP-01')}/${id}/revisions`, { note: `edit ${i}` }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
    const detail = await w.custAdmin.get(`${w.evidencePath('IRP-01')}/${id}`);
    expect(detail.body.revisions.map((r: { revision: number }) => r.revision)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(detail.body.revisions.slice(1).map((r: { note: string }) => r.note)).size).toBe(6);

    const exact = randomBytes(64 * 1024);
    const up = await postRaw(
      w.mspAdmin,
      w.evidencePath('IRP-01') + fileQuery('exact.bin'),
      exact,
      'application/octet-stream',
    );
    expect(up.status, up.text).toBe(201);
    expect(up.body.latest.file).toMatchObject({ sizeBytes: exact.length, sha256: sha(exact) });
  });

  it('expiry counts from the expiry date, not the upload: expired evidence is not current', async () => {
    const now = Date.now();
    const add = (title: string, effectiveAt: string, expiresAt: string | null) =>
      w.custAdmin.post(w.evidencePath('NET-05'), {
        url: `https://docs.example/${title}`,
        title,
        effectiveAt,
        expiresAt,
      });
    const old = await add('old-pentest', '2024-01-15', '2024-07-15'); // uploaded today, expired long ago
    const soon = await add(
      'soon',
      isoDay(now - 30 * DAY),
      new Date(now + 10 * DAY + 3_600_000).toISOString(),
    );
    const later = await add('later', isoDay(now - 30 * DAY), isoDay(now + 200 * DAY));
    for (const r of [old, soon, later]) expect(r.status, r.text).toBe(201);
    expect(old.body).toMatchObject({ status: 'expired', expired: true });
    expect(soon.body).toMatchObject({ status: 'current', expired: false, expiresInDays: 10 });

    const cur = await srv.rt.services.evidence.currentEvidence(w.agreementId, 'NET-05', new Date());
    const byId = new Map(cur.map((e) => [e.evidenceId, e]));
    expect(byId.get(old.body.id)).toMatchObject({ expired: true });
    expect(byId.get(soon.body.id)).toMatchObject({ expired: false, expiresInDays: 10 });
    // Eleven days on, "soon" has expired too.
    const later11 = await srv.rt.services.evidence.currentEvidence(
      w.agreementId,
      'NET-05',
      new Date(now + 11 * DAY),
    );
    expect(later11.find((e) => e.evidenceId === soon.body.id)).toMatchObject({ expired: true });
    // Before it was uploaded, nothing was known.
    const before = await srv.rt.services.evidence.currentEvidence(
      w.agreementId,
      'NET-05',
      new Date(now - DAY),
    );
    expect(before.map((e) => e.evidenceId)).not.toContain(soon.body.id);

    const exp30 = await w.mspAdmin.get(`/api/v1/orgs/${w.cust.org.id}/evidence/expiring?days=30`);
    expect(exp30.status, exp30.text).toBe(200);
    const ids30 = exp30.body.map((e: { id: string }) => e.id);
    expect(ids30).toContain(soon.body.id);
    expect(ids30).not.toContain(later.body.id);
    expect(ids30).not.toContain(old.body.id);
    const exp5 = await w.custAuditor.get(`/api/v1/orgs/${w.cust.org.id}/evidence/expiring?days=5`);
    expect(exp5.body.map((e: { id: string }) => e.id)).not.toContain(soon.body.id);
    const fromService = await srv.rt.services.evidence.expiringEvidence(w.cust.org.id, 30);
    expect(fromService.map((v) => v.item.id)).toContain(soon.body.id);
    // The other MSP's customer sees none of it.
    const foreign = await w.otherAdmin.get(`/api/v1/orgs/${w.cust.org.id}/evidence/expiring`);
    expect(foreign.status).toBe(404);

    // Warnings: once per item and window, in both audit trails; a renewal is warned about again.
    const run = () => srv.rt.services.evidenceExpiry.run(systemContext(), new Date(), 30);
    const first = (await run()).filter((x) => x.agreementId === w.agreementId);
    expect(first.map((x) => x.evidenceId)).toEqual([soon.body.id]);
    expect((await run()).filter((x) => x.agreementId === w.agreementId)).toEqual([]);
    for (const [client, org] of [
      [w.custAdmin, w.cust.org.id],
      [w.mspAdmin, w.msp.org.id],
    ] as const) {
      const trail = await client.get(`/api/v1/orgs/${org}/audit?limit=500`);
      const warnings = (trail.body as { action: string; details: { evidenceId?: string } }[]).filter(
        (e) => e.action === 'evidence.expiry_warning' && e.details.evidenceId === soon.body.id,
      );
      expect(warnings).toHaveLength(1);
    }
    const renewed = await w.custAdmin.post(`${w.evidencePath('NET-05')}/${soon.body.id}/revisions`, {
      expiresAt: new Date(now + 20 * DAY + 3_600_000).toISOString(),
    });
    expect(renewed.status, renewed.text).toBe(201);
    const third = (await run()).filter((x) => x.agreementId === w.agreementId);
    expect(third).toMatchObject([{ evidenceId: soon.body.id, revision: 2, expiresInDays: 20 }]);
  });

  it('the expiry job records its warnings on its interval and stops cleanly', async () => {
    const r = await w.custAdmin.post(w.evidencePath('NET-05'), {
      url: 'https://docs.example/half-day',
      title: 'half-day',
      effectiveAt: isoDay(Date.now() - DAY),
      expiresAt: new Date(Date.now() + 12 * 3_600_000).toISOString(),
    });
    expect(r.status, r.text).toBe(201);
    const service = createEvidenceExpiryService({
      db: srv.rt.database.db,
      audit: srv.rt.services.audit,
      windowDays: 1,
    });
    const logged: unknown[] = [];
    const stop = startEvidenceExpiryJob(service, {
      intervalMs: 100,
      logger: { info: (o: unknown) => void logged.push(o), error: (o: unknown) => void logged.push(o) },
    });
    const warned = async () =>
      (
        await srv.rt.database.db
          .selectFrom('evidence_warnings')
          .select(['window_days', 'revision'])
          .where('evidence_id', '=', r.body.id)
          .execute()
      ).map((x) => [x.window_days, x.revision]);
    try {
      for (let i = 0; i < 100 && (await warned()).length === 0; i++)
        await new Promise((res) => setTimeout(res, 100));
      await new Promise((res) => setTimeout(res, 300)); // a few more runs: still one warning
    } finally {
      await stop();
    }
    expect(await warned()).toEqual([[1, 1]]);
    expect(logged).toContainEqual({ warned: expect.any(Number) });
  });

  it('refuses bad input with a clear error and stores nothing', async () => {
    const path = w.evidencePath('IRP-01');
    const count = async () =>
      Number(
        (
          await srv.rt.database.db
            .selectFrom('evidence_revisions')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('customer_org_id', '=', w.cust.org.id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const trailLength = async () =>
      (await w.custAdmin.get(`/api/v1/orgs/${w.cust.org.id}/audit?limit=1000`)).body.length;
    const before = [await count(), await trailLength()];
    const link = (body: Record<string, unknown>) =>
      w.mspAdmin.post(path, { url: 'https://ok.example/x', title: 'T', effectiveAt: '2025-01-01', ...body });
    const cases: [string, () => Promise<{ status: number; body: any }>, number, string][] = [
      ['ftp URL', () => link({ url: 'ftp://files.example/x' }), 400, 'validation_failed'],
      ['javascript URL', () => link({ url: 'javascript:alert(1)' }), 400, 'validation_failed'],
      ['not a URL', () => link({ url: 'not a url' }), 400, 'validation_failed'],
      ['malformed date', () => link({ effectiveAt: '2025-13-45' }), 400, 'validation_failed'],
      ['words for a date', () => link({ effectiveAt: 'yesterday' }), 400, 'validation_failed'],
      [
        'future effective date',
        () => link({ effectiveAt: isoDay(Date.now() + 3 * DAY) }),
        400,
        'bad_request',
      ],
      ['expiry before effective', () => link({ expiresAt: '2024-12-31' }), 400, 'bad_request'],
      ['unknown field', () => link({ owner: 'me' }), 400, 'validation_failed'],
      [
        'control not in the agreement',
        () =>
          w.mspAdmin.post(w.evidencePath('NET-01'), {
            url: 'https://ok.example',
            title: 'T',
            effectiveAt: '2025-01-01',
          }),
        404,
        'not_found',
      ],
      [
        'not a control id',
        () =>
          w.mspAdmin.post(w.evidencePath('drop%20table'), {
            url: 'https://ok.example',
            title: 'T',
            effectiveAt: '2025-01-01',
          }),
        404,
        'not_found',
      ],
      [
        'oversize file',
        () =>
          postRaw(
            w.mspAdmin,
            path + fileQuery('big.bin'),
            randomBytes(64 * 1024 + 1),
            'application/octet-stream',
          ),
        413,
        'payload_too_large',
      ],
      [
        'empty file',
        () => postRaw(w.mspAdmin, path + fileQuery('empty.txt'), '', 'text/plain'),
        400,
        'bad_request',
      ],
      [
        'file without effective date',
        () => postRaw(w.mspAdmin, `${path}?filename=a.txt`, 'a', 'text/plain'),
        400,
        'validation_failed',
      ],
      [
        'file name with a path',
        () => postRaw(w.mspAdmin, path + fileQuery('../etc/passwd'), 'a', 'text/plain'),
        400,
        'validation_failed',
      ],
      [
        'bad content type',
        () => postRaw(w.mspAdmin, path + fileQuery('a.txt'), 'a', 'not a media type'),
        415,
        'bad_request',
      ],
      [
        'raw body without a file name',
        () => postRaw(w.mspAdmin, path, 'plain bytes', 'text/plain'),
        400,
        'bad_request',
      ],
      ['broken JSON', () => postRaw(w.mspAdmin, path, '{"url":', 'application/json'), 400, 'bad_request'],
      [
        'unknown evidence',
        () => w.mspAdmin.post(`${path}/${randomUUID()}/withdraw`, { reason: 'x' }),
        404,
        'not_found',
      ],
      [
        'auditor writes',
        () => w.custAuditor.post(path, { url: 'https://ok.example', title: 'T', effectiveAt: '2025-01-01' }),
        403,
        'forbidden',
      ],
      [
        'member writes',
        () => w.custMember.post(path, { url: 'https://ok.example', title: 'T', effectiveAt: '2025-01-01' }),
        403,
        'forbidden',
      ],
      [
        'another MSP writes',
        () => w.otherAdmin.post(path, { url: 'https://ok.example', title: 'T', effectiveAt: '2025-01-01' }),
        404,
        'not_found',
      ],
      ['another customer reads', () => w.otherCustAdmin.get(path), 404, 'not_found'],
    ];
    const failures: string[] = [];
    for (const [what, call, status, code] of cases) {
      const r = await call();
      if (r.status !== status || r.body?.error?.code !== code)
        failures.push(`${what}: ${r.status} ${r.body?.error?.code} (want ${status} ${code})`);
    }
    expect(failures).toEqual([]);
    expect([await count(), await trailLength()]).toEqual(before);
  });
});
