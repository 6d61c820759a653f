/**
 * End-to-end tests of `accord mail-domain` and `accord import training|phishing`: the CLI runs as a
 * subprocess, against a server started in this process (its DNS checks go to a dnsmasq on
 * loopback) and against an embedded data directory of its own (--dns-server).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../packages/server/test/support/harness.ts';
import { createCustomer, createMsp, ctxFor } from '../packages/server/test/support/factories.ts';
import { startDnsServer, type TestDnsServer } from '../packages/server/test/support/dns-server.ts';
import { mailZone } from '../packages/server/test/support/mail-zone.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(repoRoot, 'packages/server/bin/accord.mjs');
const SAMPLES = path.join(repoRoot, 'docs/samples');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cli-mail-e2e-'));
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

let dns: TestDnsServer;
beforeAll(async () => {
  dns = await startDnsServer(mailZone());
}, SLOW);
afterAll(async () => {
  await dns?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe.each(dbTargets())('accord mail-domain and awareness imports against a server ($name)', (target) => {
  let srv: TestServer;
  let orgId: string;
  let token: string;
  beforeAll(async () => {
    srv = await startTestServer(target, { dnsServers: dns.address, dnsTimeoutMs: 700 });
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    orgId = cust.org.id;
    const t = await srv.rt.services.tokens.create(ctxFor(cust.admin, 'customer'), {
      name: 'mail and awareness',
      scopes: ['inventory:manage', 'inventory:read'],
      expiresInDays: 1,
    });
    token = t.token;
  }, SLOW);
  afterAll(() => srv?.stop());

  test(
    'registers and checks a domain, and imports the training and simulation samples',
    async () => {
      const common = ['--tenant', orgId, '--url', srv.url, '--api-token', token];
      const add = await run([
        'mail-domain',
        'add',
        'weakdkim.mail.test',
        '--selectors',
        'selector1',
        ...common,
      ]);
      expect(add.code, add.stderr).toBe(0);
      const id = JSON.parse(add.stdout).id as string;
      const check = await run(['mail-domain', 'check', id, ...common]);
      expect(check.code, check.stderr).toBe(0);
      const c = JSON.parse(check.stdout);
      expect(c.status).toBe('fail');
      expect(c.findings.find((f: { check: string }) => f.check === 'dkim')).toMatchObject({
        record: 'TXT selector1._domainkey.weakdkim.mail.test',
        message: 'selector selector1: RSA 1024-bit key, shorter than 2048 bits',
      });
      const show = await run(['mail-domain', 'show', id, ...common]);
      expect(JSON.parse(show.stdout).checks).toHaveLength(1);
      const dup = await run(['mail-domain', 'add', 'weakdkim.mail.test', ...common]);
      expect(dup.code).toBe(1);
      expect(dup.stderr).toMatch(/already registered/);
      const bad = await run(['mail-domain', 'add', 'not a domain', ...common]);
      expect(bad.code).toBe(2);
      const removed = await run(['mail-domain', 'remove', id, ...common]);
      expect(JSON.parse(removed.stdout)).toEqual({ removed: true });
      expect(JSON.parse((await run(['mail-domain', 'list', ...common])).stdout)).toEqual([]);

      const training = await run(['import', 'training', path.join(SAMPLES, 'training.csv'), ...common]);
      expect(training.code, training.stderr).toBe(0);
      expect(JSON.parse(training.stdout)).toMatchObject({ kind: 'training', accepted: 5, rejected: 0 });
      const phishing = await run(['import', 'phishing', path.join(SAMPLES, 'phishing.csv'), ...common]);
      expect(JSON.parse(phishing.stdout)).toMatchObject({ kind: 'phishing', mode: 'merge', accepted: 7 });
    },
    SLOW,
  );
});

describe('accord mail-domain on the embedded store', () => {
  test(
    'adds, checks the due domains against --dns-server, lists',
    async () => {
      const dir = ['--data-dir', path.join(root, 'store')];
      const org = await run(['org', 'create', '--name', 'Mail Customer', '--kind', 'customer', ...dir]);
      expect(org.code, org.stderr).toBe(0);
      const tenant = JSON.parse(org.stdout).id as string;
      const common = ['--tenant', tenant, ...dir, '--dns-server', dns.address];
      const add = await run(['mail-domain', 'add', 'good.mail.test', '--selectors', 'selector1', ...common]);
      expect(add.code, add.stderr).toBe(0);
      // One process per command opens the store: check-due stands for check here (HTTP covers check).
      const due = await run([
        'mail-domain',
        'check-due',
        '--hours',
        '0',
        ...dir,
        '--dns-server',
        dns.address,
      ]);
      expect(due.code, due.stderr).toBe(0);
      expect(JSON.parse(due.stdout)).toEqual({ checked: 1 });
      const list = await run(['mail-domain', 'list', ...common]);
      expect(JSON.parse(list.stdout)[0]).toMatchObject({
        domain: 'good.mail.test',
        lastCheck: { status: 'pass', resolver: dns.address },
      });
    },
    SLOW,
  );
});
