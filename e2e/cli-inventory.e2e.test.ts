/**
 * End-to-end tests of `accord import` and `accord kev`: the CLI runs as a subprocess against a real
 * Accord server started in this process (embedded database and, when DATABASE_URL is set,
 * PostgreSQL), sending the documented sample files; `kev import` and `kev update` also run on an
 * embedded data directory of their own.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../packages/server/test/support/harness.ts';
import { createCustomer, createMsp, ctxFor } from '../packages/server/test/support/factories.ts';
import { dataset } from '../packages/server/test/support/datasets.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(repoRoot, 'packages/server/bin/accord.mjs');
const SAMPLES = path.join(repoRoot, 'docs/samples');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cli-inventory-e2e-'));
const SLOW = 180_000;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
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

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe.each(dbTargets())('accord import against a server ($name)', (target) => {
  let srv: TestServer;
  let orgId: string;
  let token: string;
  beforeAll(async () => {
    srv = await startTestServer(target);
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    orgId = cust.org.id;
    const t = await srv.rt.services.tokens.create(ctxFor(cust.admin, 'customer'), {
      name: 'inventory import',
      scopes: ['inventory:manage', 'inventory:read'],
      expiresInDays: 1,
    });
    token = t.token;
  }, SLOW);
  afterAll(() => srv?.stop());

  test(
    'imports the sample files and reports rejected rows with their lines',
    async () => {
      const common = ['--tenant', orgId, '--url', srv.url, '--api-token', token];
      const entra = await run(['import', 'identity', path.join(SAMPLES, 'identity-entra.json'), ...common]);
      expect(entra.code, entra.stderr).toBe(0);
      expect(JSON.parse(entra.stdout)).toMatchObject({ kind: 'identity', format: 'entra', accepted: 4 });
      const assets = await run(['import', 'assets', path.join(SAMPLES, 'assets.csv'), ...common]);
      const a = JSON.parse(assets.stdout);
      expect(a).toMatchObject({ accepted: 4, rejected: 0, filename: 'assets.csv' });
      expect(a.sha256).toBe(
        createHash('sha256')
          .update(fs.readFileSync(path.join(SAMPLES, 'assets.csv')))
          .digest('hex'),
      );
      const bad = path.join(root, `tools-${target.name}.csv`);
      fs.writeFileSync(bad, 'host,tool,version,last_seen\nws-1,AnyDesk,8,2025-08-01\nws-2,,1,\n');
      const tools = await run(['import', 'remote-access', bad, ...common]);
      expect(JSON.parse(tools.stdout)).toMatchObject({
        accepted: 1,
        rejected: 1,
        rejections: [{ line: 3, reason: 'tool is required' }],
      });
      const broken = path.join(root, `broken-${target.name}.json`);
      fs.writeFileSync(broken, '{"value": [');
      const refused = await run(['import', 'identity', broken, ...common]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/refused: bad_request: the file is not valid JSON/);
      const res = await fetch(`${srv.url}/api/v1/orgs/${orgId}/inventory/accounts`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(4); // the refused file lost nothing
      // An AppLocker policy export: XML by its name.
      const policy = await run([
        'import',
        'app-control',
        path.join(SAMPLES, 'applocker-policy.xml'),
        ...common,
      ]);
      expect(policy.code, policy.stderr).toBe(0);
      expect(JSON.parse(policy.stdout)).toMatchObject({
        kind: 'app_control',
        format: 'applocker',
        accepted: 5,
      });
    },
    SLOW,
  );
});

describe('accord kev on the store', () => {
  test(
    'imports the real KEV file and fails clearly when the feed cannot be reached',
    async () => {
      const dir = path.join(root, 'kev-data');
      const imported = await run([
        'kev',
        'import',
        dataset('kev', 'known_exploited_vulnerabilities.json'),
        '--data-dir',
        dir,
      ]);
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({
        catalogVersion: '2025.08.25',
        count: 1404,
        rejected: [],
      });
      const offline = await run([
        'kev',
        'update',
        '--data-dir',
        dir,
        '--feed-url',
        'http://127.0.0.1:9/feed.json',
      ]);
      expect(offline.code).toBe(1);
      expect(offline.stderr).toMatch(
        /could not download the KEV catalog from http:\/\/127\.0\.0\.1:9\/feed\.json .*import a copy with "accord kev import FILE"/,
      );
      const unknownKind = await run([
        'import',
        'printers',
        'x.csv',
        '--tenant',
        '00000000-0000-0000-0000-000000000000',
      ]);
      expect([unknownKind.code, unknownKind.stderr]).toEqual([
        2,
        expect.stringMatching(/unknown import kind "printers"/),
      ]);
    },
    SLOW,
  );
});
