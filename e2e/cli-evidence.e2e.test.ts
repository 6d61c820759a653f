/**
 * End-to-end tests of `accord evidence add` and `accord evidence list`: the CLI runs as a subprocess
 * against a real Accord server started in this process, on the embedded database and, when
 * DATABASE_URL is set, on PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../packages/server/test/support/harness.ts';
import { createCustomer, createMsp, ctxFor } from '../packages/server/test/support/factories.ts';

const CLI = fileURLToPath(new URL('../packages/server/bin/accord.mjs', import.meta.url));
const SLOW = 180_000;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cli-evidence-e2e-'));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Result> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && !k.startsWith('ACCORD_')),
  );
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, ...out })));
  });
}
function expectExit(r: Result, code: number): void {
  expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(code);
}

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe.concurrent.each(dbTargets())('accord evidence add and list ($name)', (target) => {
  let srv: TestServer;
  let agreementId: string;
  let token: string;
  beforeAll(async () => {
    srv = await startTestServer(target);
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    const c = ctxFor(cust.admin, 'customer');
    const d = await srv.rt.services.agreements.create(m, {
      customerOrgId: cust.org.id,
      title: 'CLI evidence',
      controls: [{ controlId: 'IRP-01' }, { controlId: 'LOG-01' }],
    });
    agreementId = d.agreement_id;
    const p = await srv.rt.services.agreements.propose(m, agreementId, 1);
    await srv.rt.services.agreements.accept(m, agreementId, 1, p.digest!);
    await srv.rt.services.agreements.accept(c, agreementId, 1, p.digest!);
    token = (
      await srv.rt.services.tokens.create(m, {
        name: 'evidence cli',
        scopes: ['evidence:read', 'evidence:write'],
        expiresInDays: 1,
      })
    ).token;
  }, SLOW);
  afterAll(() => srv?.stop());

  const common = (control = 'IRP-01') => [
    ...['--url', srv.url, '--api-token', token, '--agreement', agreementId, '--control', control],
  ];

  test(
    'uploads a file and records a link; list shows both; the stored bytes are the file’s',
    async () => {
      const file = path.join(root, `tabletop-${target.name}.pdf`);
      const bytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(20_000)]);
      fs.writeFileSync(file, bytes);
      const [up, link] = await Promise.all([
        run(['evidence', 'add', ...common(), '--effective', '2025-05-14', '--expires', '2099-05-14', file]),
        run([
          'evidence',
          'add',
          ...common(),
          '--link',
          'https://tickets.msp.example/IR-42',
          '--title',
          'Tabletop minutes',
          '--effective',
          '2025-05-15',
        ]),
      ]);
      expectExit(up, 0);
      expectExit(link, 0);
      const [fileId, status, hash] = up.stdout.trim().split('\t');
      expect(status).toBe('current');
      expect(hash).toBe(`sha256 ${sha(bytes)}, ${bytes.length} bytes`);
      const linkId = link.stdout.trim().split('\t')[0];

      const stored = await fetch(
        `${srv.url}/api/v1/agreements/${agreementId}/controls/IRP-01/evidence/${fileId}/revisions/1/content`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      expect(stored.headers.get('content-type')).toBe('application/pdf');
      expect(sha(Buffer.from(await stored.arrayBuffer()))).toBe(sha(bytes));

      const [list, json] = await Promise.all([
        run(['evidence', 'list', ...common()]),
        run(['evidence', 'list', ...common(), '--json']),
      ]);
      expectExit(list, 0);
      const lines = list.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(lines).toEqual(
        expect.arrayContaining([
          [fileId, 'file', 'current', 'rev 1', '2025-05-14', '2099-05-14', path.basename(file)],
          [linkId, 'link', 'current', 'rev 1', '2025-05-15', '-', 'Tabletop minutes'],
        ]),
      );
      expect(lines).toHaveLength(2);
      expectExit(json, 0);
      const items = JSON.parse(json.stdout) as { id: string; latest: { url: string | null } }[];
      expect(items.find((i) => i.id === linkId)?.latest.url).toBe('https://tickets.msp.example/IR-42');
    },
    SLOW,
  );

  test(
    'bad input: exit 2 before sending, exit 1 with the server’s reason, and nothing is stored',
    async () => {
      const file = path.join(root, `notes-${target.name}.txt`);
      fs.writeFileSync(file, 'notes');
      const [badDate, noToken, both, unknownControl, ftpLink] = await Promise.all([
        run(['evidence', 'add', ...common('LOG-01'), '--effective', 'yesterday', file]),
        run([
          'evidence',
          'add',
          ...common('LOG-01').slice(0, 2),
          '--agreement',
          agreementId,
          '--control',
          'LOG-01',
          '--effective',
          '2025-01-01',
          file,
        ]),
        run([
          'evidence',
          'add',
          ...common('LOG-01'),
          '--effective',
          '2025-01-01',
          '--link',
          'https://x.example',
          file,
        ]),
        run(['evidence', 'add', ...common('NET-01'), '--effective', '2025-01-01', file]),
        run([
          'evidence',
          'add',
          ...common('LOG-01'),
          '--effective',
          '2025-01-01',
          '--link',
          'ftp://x.example/a',
        ]),
      ]);
      expectExit(badDate, 2);
      expect(badDate.stderr).toContain('--effective must be a date');
      expectExit(noToken, 2);
      expect(noToken.stderr).toContain('--api-token');
      expectExit(both, 2);
      expectExit(unknownControl, 1);
      expect(unknownControl.stderr).toMatch(/not_found: control NET-01 in agreement .* was not found/);
      expectExit(ftpLink, 1);
      expect(ftpLink.stderr).toContain('validation_failed');
      const list = await run(['evidence', 'list', ...common('LOG-01')]);
      expectExit(list, 0);
      expect(list.stdout).toBe('');
    },
    SLOW,
  );
});
