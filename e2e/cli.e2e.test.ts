/**
 * End-to-end tests of the `accord` command line: every command runs as a real subprocess
 * (`node packages/server/bin/accord.mjs ...`), and the tests assert on its exit code, standard output
 * and standard error, the way an operator or a deployment script sees them.
 *
 * Store-touching commands run on the embedded database (PGlite in a fresh temporary --data-dir) and,
 * when DATABASE_URL is set, also on that PostgreSQL server with --database-url: there every store gets
 * its own database (created from DATABASE_URL's server, dropped afterwards), so the demo seeds every
 * run and `audit verify` sees only this file's chains.
 *
 * A CLI start costs about a second (tsx), a start on an existing embedded data directory about three
 * and on a new one about ten (PGlite's initdb). To stay fast, one migrated store per target is made
 * once and copied (a stopped data directory, or `create database ... template`) for every test that
 * needs a store of its own, and the independent tests run concurrently.
 *
 * Some tests open a store in-process (after the CLI exited) to read ids the CLI does not print, or to
 * tamper with the audit log as an attacker with database access would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openEmbedded, openPostgres, type Db } from '../packages/server/src/platform/db/db.ts';
import { stepAt, totpCode } from '../packages/server/src/modules/auth/totp.ts';
import { DEMO_MSP_NAME } from '../packages/server/src/modules/demo/demo-seed.ts';

const CLI = fileURLToPath(new URL('../packages/server/bin/accord.mjs', import.meta.url));
const CATALOG_FILE = fileURLToPath(
  new URL('../packages/server/catalog/accord-catalog.yaml', import.meta.url),
);
const MIGRATIONS_DIR = fileURLToPath(
  new URL('../packages/server/src/platform/db/migrations', import.meta.url),
);
/** Everything this file writes lives under here; removed at the end (ACCORD_E2E_KEEP=1 keeps it). */
let rootDir: string | null = null;
const root = (): string => (rootDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cli-e2e-')));
const ADMIN_URL = process.env.DATABASE_URL;
const SLOW = 180_000; // per test/hook: CLI starts slow down a lot when many run at once on few cores

// ---------------------------------------------------------------------------------------------------
// Running the CLI

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

interface RunOptions {
  env?: Record<string, string>;
  /** Written to standard input, which is then closed; without it standard input is /dev/null. */
  input?: string;
  timeoutMs?: number;
}

const live = new Set<ChildProcess>();

/** The test runner's environment without anything Accord reads, so only what a test sets counts. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (k !== 'DATABASE_URL' && !k.startsWith('ACCORD_')) env[k] = v;
  return { ...env, ...extra };
}

function spawnCli(args: string[], opts: RunOptions = {}) {
  const started = Date.now();
  // cwd is the scratch root, so a command that forgot --data-dir could not write into the repository.
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: root(),
    env: childEnv(opts.env),
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  const exited = new Promise<Result>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, ...out, ms: Date.now() - started });
    });
  });
  return { child, out, exited };
}

/** Runs `accord ...args` to completion. */
function run(args: string[], opts: RunOptions = {}): Promise<Result> {
  return spawnCli(args, opts).exited;
}

/** Asserts the exit code, showing the output when it is not the expected one. */
function expectExit(r: Result, code: number): void {
  expect(
    r.code,
    `exit ${r.code} (${r.signal ?? 'no signal'})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
  ).toBe(code);
}

interface Server {
  child: ChildProcess;
  url: string;
  out: { stdout: string; stderr: string };
  exited: Promise<Result>;
}

/** Starts `serve` or `demo` and waits until its start-up text (up to `ready`) is printed. */
async function startServer(args: string[], ready = /Accord is running at (http:\/\/\S+)/): Promise<Server> {
  const s = spawnCli(args, { timeoutMs: SLOW });
  let exitedEarly: Result | null = null;
  void s.exited.then((r) => (exitedEarly = r));
  for (const until = Date.now() + 120_000; Date.now() < until; await sleep(50)) {
    const running = /Accord is running at (http:\/\/\S+)/.exec(s.out.stdout);
    if (running && ready.test(s.out.stdout)) return { ...s, url: running[1]! };
    if (exitedEarly) break;
  }
  s.child.kill('SIGKILL');
  const r = await s.exited;
  throw new Error(`accord ${args.join(' ')} did not start (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
}

/** SIGTERM, then the exit: a graceful shutdown exits 0 on its own. */
async function stopServer(s: Server): Promise<Result & { shutdownMs: number }> {
  const at = Date.now();
  s.child.kill('SIGTERM');
  const r = await s.exited;
  return { ...r, shutdownMs: Date.now() - at };
}

const json = <T = any>(r: Result): T => JSON.parse(r.stdout) as T;
const mode = (file: string) => fs.statSync(file).mode & 0o777;
let seq = 0;
const scratch = (name: string) => path.join(root(), `${name}-${++seq}`);

// ---------------------------------------------------------------------------------------------------
// Stores: where store-touching commands keep their data

interface Store {
  /** The --data-dir (secret.key, demo-credentials.json, and the embedded database's pgdata). */
  dir: string;
  /** The PostgreSQL URL of this store's own database (postgres target only). */
  url?: string;
  /** The flags every store-touching command gets. */
  args: string[];
}

interface Target {
  name: 'embedded' | 'postgres';
  /** A store nothing has touched yet: the data directory does not exist. */
  fresh(): Promise<Store>;
  /** A copy of a store no process has open. */
  copy(from: Store): Promise<Store>;
  /** Opens the store in this process (only while no CLI process has it open). */
  withDb<T>(s: Store, fn: (db: Db) => Promise<T>): Promise<T>;
}

const createdDatabases: string[] = [];

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const embedded: Target = {
  name: 'embedded',
  async fresh() {
    const dir = scratch('store');
    return { dir, args: ['--data-dir', dir] };
  },
  async copy(from) {
    const dir = scratch('store');
    fs.cpSync(from.dir, dir, { recursive: true });
    return { dir, args: ['--data-dir', dir] };
  },
  async withDb(s, fn) {
    const database = await openEmbedded(s.dir);
    try {
      return await fn(database.db);
    } finally {
      await database.close();
    }
  },
};

const postgres: Target = {
  name: 'postgres',
  async fresh() {
    return newDatabase(scratch('store'), null);
  },
  async copy(from) {
    const dir = scratch('store');
    fs.cpSync(from.dir, dir, { recursive: true });
    return newDatabase(dir, new URL(from.url!).pathname.slice(1));
  },
  async withDb(s, fn) {
    const database = await openPostgres(s.url!, 1);
    try {
      return await fn(database.db);
    } finally {
      await database.close();
    }
  },
};

async function newDatabase(dir: string, template: string | null): Promise<Store> {
  const name = `accord_e2e_${process.pid}_${randomBytes(3).toString('hex')}_${++seq}`;
  await admin(async (c) => {
    // A template must have no connections; a CLI that just exited can take a moment to disconnect.
    for (let attempt = 1; ; attempt++) {
      try {
        await c.query(`create database ${name}${template ? ` template ${template}` : ''}`);
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== '55006' || attempt >= 50) throw e;
        await sleep(100);
      }
    }
  });
  createdDatabases.push(name);
  const url = new URL(ADMIN_URL!);
  url.pathname = `/${name}`;
  return { dir, url: url.toString(), args: ['--data-dir', dir, '--database-url', url.toString()] };
}

const targets: Target[] = ADMIN_URL ? [embedded, postgres] : [embedded];

afterAll(async () => {
  for (const child of live) child.kill('SIGKILL');
  if (ADMIN_URL && createdDatabases.length)
    await admin(async (c) => {
      for (const name of createdDatabases) await c.query(`drop database if exists ${name} with (force)`);
    });
  if (!rootDir) return;
  if (process.env.ACCORD_E2E_KEEP) console.log(`kept ${rootDir}`);
  else fs.rmSync(rootDir, { recursive: true, force: true });
}, SLOW);

// ---------------------------------------------------------------------------------------------------
// Commands on a store: the embedded database, and PostgreSQL when DATABASE_URL is set

describe.concurrent.each(targets)('accord CLI on the $name database', (target) => {
  const migrations = fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).length;
  let base: Store;
  let first: Result;
  let second: Result;
  let orgStore: Store;
  let userStore: Store;
  let serveStore: Store;
  let demoStore: Store;

  beforeAll(async () => {
    base = await target.fresh();
    first = await run(['migrate', ...base.args]);
    second = await run(['migrate', ...base.args]);
    if (first.code !== 0 || second.code !== 0) return; // the migrate test reports it
    orgStore = await target.copy(base);
    userStore = await target.copy(base);
    serveStore = await target.copy(base);
    demoStore = await target.copy(base);
    fs.rmSync(path.join(demoStore.dir, 'secret.key')); // the demo run generates its own
  }, SLOW);

  test('migrate applies the migrations to a fresh store, then reports 0 applied', () => {
    expectExit(first, 0);
    expect(first.stdout).toMatch(
      new RegExp(`^applied ${migrations} migration\\(s\\): 0001_foundation(, \\w+)*; 0 already applied\\n$`),
    );
    expectExit(second, 0);
    expect(second.stdout).toBe(`applied 0 migration(s); ${migrations} already applied\n`);
    expect(mode(path.join(base.dir, 'secret.key'))).toBe(0o600);
    if (target.name === 'embedded') expect(fs.existsSync(path.join(base.dir, 'pgdata'))).toBe(true);
    expect(fs.existsSync(path.join(base.dir, 'accord.lock'))).toBe(false); // released on exit
  });

  test(
    'org create (msp and customer), org list and org link --active',
    async () => {
      const s = orgStore.args;
      const msp = await run(['org', 'create', ...s, '--name', 'E2E Managed Services', '--kind', 'msp']);
      expectExit(msp, 0);
      const mspOrg = json(msp);
      expect(mspOrg).toMatchObject({ id: expect.any(String), name: 'E2E Managed Services', kind: 'msp' });
      const cust = await run(['org', 'create', ...s, '--name', 'E2E Customer', '--kind', 'customer']);
      expectExit(cust, 0);
      const custOrg = json(cust);
      expect(custOrg).toMatchObject({ id: expect.any(String), name: 'E2E Customer', kind: 'customer' });

      const list = await run(['org', 'list', ...s]);
      expectExit(list, 0);
      const listed = json<any[]>(list).map((o) => `${o.id} ${o.kind}`);
      expect(listed.sort()).toEqual([`${mspOrg.id} msp`, `${custOrg.id} customer`].sort());

      const link = await run(['org', 'link', ...s, '--msp', mspOrg.id, '--customer', custOrg.id, '--active']);
      expectExit(link, 0);
      expect(json(link)).toMatchObject({
        msp_org_id: mspOrg.id,
        customer_org_id: custOrg.id,
        status: 'active',
        activated_at: expect.any(String),
      });
      for (const r of [msp, cust, list, link]) expect(r.stderr).toBe('');
    },
    SLOW,
  );

  test(
    'user add (with a generated password, and with --password-stdin), token create and token revoke',
    async () => {
      const s = userStore.args;
      const org = await run(['org', 'create', ...s, '--name', 'E2E Tokens MSP', '--kind', 'msp']);
      expectExit(org, 0);
      const orgId: string = json(org).id;

      const admin = await run([
        ...['user', 'add', ...s, '--org', orgId, '--email', 'ada@msp.example'],
        ...['--name', 'Ada Admin', '--role', 'msp_admin'],
      ]);
      expectExit(admin, 0);
      const added = json(admin);
      expect(added).toMatchObject({ email: 'ada@msp.example', orgId, role: 'msp_admin' });
      expect(added.initialPassword).toMatch(/^\S{12,}$/);

      const password = 'correct horse battery staple 42';
      const viaStdin = await run(
        [
          ...['user', 'add', ...s, '--org', orgId, '--email', 'eli@msp.example'],
          ...['--name', 'Eli Engineer', '--role', 'msp_engineer', '--password-stdin'],
        ],
        { input: `${password}\n` },
      );
      expectExit(viaStdin, 0);
      expect(json(viaStdin)).toEqual({
        userId: expect.any(String),
        email: 'eli@msp.example',
        orgId,
        role: 'msp_engineer',
      });
      expect(viaStdin.stdout).not.toContain(password);

      const created = await run([
        ...['token', 'create', ...s, '--org', orgId, '--name', 'ci'],
        ...['--scopes', 'agreements:read,audit:read', '--days', '30'],
      ]);
      expectExit(created, 0);
      const token = json(created);
      expect(token).toMatchObject({ orgId, scopes: ['agreements:read', 'audit:read'] });
      expect(token.token).toMatch(new RegExp(`^acc_${token.id}_\\S{20,}$`));
      expect(created.stdout.split(token.token)).toHaveLength(2); // printed exactly once
      const days = (Date.parse(token.expiresAt) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(29.9);
      expect(days).toBeLessThan(30.1);

      const revoked = await run(['token', 'revoke', ...s, '--org', orgId, '--id', token.id]);
      expectExit(revoked, 0);
      expect(json(revoked)).toMatchObject({ id: token.id, revoked_at: expect.any(String) });
      const secret = token.token.slice(`acc_${token.id}_`.length);
      expect(revoked.stdout).not.toContain(secret); // never shown again
      for (const r of [org, admin, viaStdin, created, revoked]) expect(r.stderr).toBe('');
    },
    SLOW,
  );

  test(
    'serve answers /readyz, keeps a second process off its data directory, and stops on SIGTERM',
    async () => {
      const server = await startServer(['serve', '--port', '0', ...serveStore.args]);
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ok',
        checks: { database: target.name === 'embedded' ? 'embedded' : 'postgres' },
      });

      const second = await run(['org', 'list', ...serveStore.args]);
      if (target.name === 'embedded') {
        // Two PGlite instances on one directory would corrupt it: the second one must refuse.
        expectExit(second, 1);
        expect(second.stderr).toBe(
          `accord: the data directory is in use by process ${server.child.pid} (${path.join(serveStore.dir, 'accord.lock')}); the embedded database allows one process\n`,
        );
      } else {
        expectExit(second, 0); // PostgreSQL: several processes share one database
      }

      const stopped = await stopServer(server);
      expectExit(stopped, 0);
      expect(stopped.signal).toBeNull();
      expect(stopped.shutdownMs).toBeLessThan(5_000);
      expect(stopped.stdout).toContain('"msg":"shutting down"');
      expect(fs.existsSync(path.join(serveStore.dir, 'accord.lock'))).toBe(false);
    },
    SLOW,
  );

  describe('seeded by `accord demo`', () => {
    let demo: Result & { shutdownMs: number };
    let ids: { agreement: string; tailspin: string; orgs: string[]; names: string[] };
    let again: Store;
    let exports: Store;
    let intact: Store;
    let tampered: Store;

    beforeAll(async () => {
      // Start the demo, wait for its start-up text, then SIGTERM it (a graceful shutdown, too).
      const server = await startServer(
        ['demo', '--port', '0', ...demoStore.args],
        /Sign in: [^\n]*\n|Demo sign-ins: not in [^\n]*\n/,
      );
      demo = await stopServer(server);
      if (demo.code !== 0) return; // the demo test reports it
      ids = await target.withDb(demoStore, async (db) => {
        const orgs = await sql<{ id: string; name: string }>`select id, name from orgs`.execute(db);
        const agreement = await sql<{ id: string }>`
          select a.id from agreements a join orgs o on o.id = a.customer_org_id
          where o.name = 'Tailspin Logistics'`.execute(db);
        return {
          agreement: agreement.rows[0]!.id,
          tailspin: orgs.rows.find((o) => o.name === 'Tailspin Logistics')!.id,
          orgs: orgs.rows.map((o) => o.id),
          names: orgs.rows.map((o) => o.name).sort(),
        };
      });
      again = await target.copy(demoStore);
      // With PostgreSQL the usual second run is another process with its own data directory, which
      // has no demo-credentials.json: the output must not point at a file that is not there.
      if (target.name === 'postgres') fs.rmSync(path.join(again.dir, 'demo-credentials.json'));
      exports = await target.copy(demoStore);
      intact = await target.copy(demoStore);
      tampered = await target.copy(demoStore);
    }, SLOW);

    test('demo seeds, names the URL and a sign-in, writes its secrets 0600, and stops on SIGTERM', () => {
      expectExit(demo, 0);
      expect(demo.shutdownMs).toBeLessThan(5_000);
      const file = path.join(demoStore.dir, 'demo-credentials.json');
      expect(mode(file)).toBe(0o600);
      expect(mode(path.join(demoStore.dir, 'secret.key'))).toBe(0o600);
      const people = JSON.parse(fs.readFileSync(file, 'utf8')) as {
        email: string;
        password: string;
        role: string;
        totpSecret?: string;
      }[];
      expect(new Set(people.map((p) => p.role))).toEqual(
        new Set(['msp_admin', 'msp_engineer', 'auditor', 'customer_admin', 'customer_member']),
      );
      const alex = people.find((p) => p.role === 'msp_admin')!;
      const url = /Accord is running at (http:\/\/127\.0\.0\.1:\d+) /.exec(demo.stdout)?.[1];
      expect(url).toBeDefined();
      expect(demo.stdout).toContain(`  API docs: ${url}/api/docs\n`);
      expect(demo.stdout).toContain('  Demo data seeded.\n');
      expect(demo.stdout).toContain(`  Demo sign-ins (passwords and TOTP secrets): ${file}\n`);
      expect(demo.stdout).toContain(`  e.g. ${alex.email} / ${alex.password} (MSP admin`);
      expect(demo.stdout).toContain(`mfa code --secret ${alex.totpSecret}`);
      expect(demo.stdout).toContain(`${url}/api/v1/auth/login`);
      expect(ids.names).toEqual(
        [DEMO_MSP_NAME, 'Contoso Dental', 'Fabrikam Legal', 'Tailspin Logistics'].sort(),
      );
    });

    test(
      'demo a second time does not seed again',
      async () => {
        const file = path.join(again.dir, 'demo-credentials.json');
        const credentials = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
        const server = await startServer(
          ['demo', '--port', '0', ...again.args],
          /Sign in: [^\n]*\n|Demo sign-ins: not in [^\n]*\n/,
        );
        const r = await stopServer(server);
        expectExit(r, 0);
        expect(r.stdout).toContain('  Demo data already present.\n');
        expect(r.stdout).not.toContain('Demo data seeded.');
        if (credentials === null) {
          expect(r.stdout).toContain(`  Demo sign-ins: not in this data directory (${file} is written by`);
          expect(fs.existsSync(file)).toBe(false);
        } else {
          expect(r.stdout).toContain(`  Demo sign-ins (passwords and TOTP secrets): ${file}\n`);
          expect(fs.readFileSync(file, 'utf8')).toBe(credentials); // no new users, no new passwords
        }
      },
      SLOW,
    );

    test(
      `agreement export (markdown, html, json) verifies${target === targets[0] ? ', and fails once a parameter is changed' : ''}`,
      async () => {
        const dir = fs.mkdtempSync(path.join(root(), 'exports-'));
        const one = ['agreement', 'export', ...exports.args, '--id', ids.agreement, '--version', '1'];
        const files = {
          markdown: path.join(dir, 'schedule.md'),
          html: path.join(dir, 'schedule.html'),
          json: path.join(dir, 'schedule.json'),
        };
        const md = await run(one); // markdown is the default format, to standard output
        expectExit(md, 0);
        fs.writeFileSync(files.markdown, md.stdout);
        for (const format of ['html', 'json'] as const) {
          const r = await run([...one, '--format', format, '--out', files[format]]);
          expectExit(r, 0);
          expect(r.stdout).toBe('');
        }

        const text = Object.fromEntries(
          Object.entries(files).map(([k, f]) => [k, fs.readFileSync(f, 'utf8')]),
        ) as Record<keyof typeof files, string>;
        expect(text.markdown).toContain(
          '# Security schedule: Tailspin Logistics managed security schedule\n',
        );
        expect(text.markdown).toContain('- **Version:** 1 (active)');
        expect(text.markdown).toContain('```json accord-agreement\n');
        expect(text.html).toMatch(/^<!doctype html>/);
        expect(text.html).toContain('<script type="application/json" id="accord-agreement">');
        const doc = JSON.parse(text.json);
        expect(doc).toMatchObject({ state: 'active', content: { agreementId: ids.agreement, version: 1 } });
        expect(doc.acceptances).toHaveLength(2);

        const verified = await Promise.all(Object.values(files).map((f) => run(['agreement', 'verify', f])));
        for (const [i, f] of Object.values(files).entries()) {
          expectExit(verified[i]!, 0);
          expect(verified[i]!.stdout).toBe(
            `${f}: digest ${doc.digest} verified (2 acceptance(s) of this digest)\n`,
          );
        }

        // Change a parameter value inside the machine-readable JSON each file embeds. `verify` reads
        // only the file, so once (on the first target) is enough.
        if (target !== targets[0]) return;
        const changed = Object.entries(text).map(([k, t]) => {
          const out = t.replace(/("log_retention_days":\s*)(\d+)/, (_m, key: string, v: string) => {
            return `${key}${Number(v) + 1}`;
          });
          expect(out).not.toBe(t);
          const file = path.join(dir, `tampered-${path.basename(files[k as keyof typeof files])}`);
          fs.writeFileSync(file, out);
          return file;
        });
        const failed = await Promise.all(changed.map((f) => run(['agreement', 'verify', f])));
        for (const [i, f] of changed.entries()) {
          expectExit(failed[i]!, 1);
          expect(failed[i]!.stderr).toMatch(
            new RegExp(
              `^accord: ${f.replace(/[.]/g, '\\.')}: digest mismatch: the file states ${doc.digest} `,
            ),
          );
          expect(failed[i]!.stdout).toBe('');
        }
      },
      SLOW,
    );

    test(
      'audit verify reports every chain intact, and an unknown --org as not found',
      async () => {
        const r = await run(['audit', 'verify', ...intact.args]);
        expectExit(r, 0);
        expect(r.stderr).toBe('');
        const lines = r.stdout.trimEnd().split('\n');
        expect(lines).toHaveLength(ids.orgs.length);
        for (const id of ids.orgs)
          expect(r.stdout).toMatch(new RegExp(`^org ${id}: \\d+ entries, chain intact$`, 'm'));

        const unknown = await run([
          ...['audit', 'verify', ...intact.args],
          ...['--org', '00000000-0000-4000-8000-000000000000'],
        ]);
        expectExit(unknown, 1);
        expect(unknown.stderr).toContain('not_found: organisation 00000000-0000-4000-8000-000000000000');
        expect(unknown.stdout).not.toContain('chain intact');
      },
      SLOW,
    );

    test(
      'audit verify exits 1 naming the org and the entry after one audit_log row is altered',
      async () => {
        await target.withDb(tampered, (db) =>
          db.transaction().execute(async (tx) => {
            // The table is append-only; an attacker with database access turns the trigger off.
            await sql`alter table audit_log disable trigger audit_log_no_update`.execute(tx);
            const u = await sql`update audit_log set actor_label = 'mallory'
              where org_id = ${ids.tailspin} and seq = 3`.execute(tx);
            expect(Number(u.numAffectedRows)).toBe(1);
            await sql`alter table audit_log enable trigger audit_log_no_update`.execute(tx);
          }),
        );
        const r = await run(['audit', 'verify', ...tampered.args]);
        expectExit(r, 1);
        expect(r.stderr).toContain(
          `org ${ids.tailspin}: chain broken at entry 3: its content does not match its hash (altered)\n`,
        );
        expect(r.stderr).toContain('accord: 1 audit chain(s) broken\n');
        expect(r.stdout.match(/chain intact/g)).toHaveLength(ids.orgs.length - 1);
        expect(r.stdout).not.toContain(ids.tailspin);
      },
      SLOW,
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Commands that need no store

const catalogYaml = parseYaml(fs.readFileSync(CATALOG_FILE, 'utf8')) as {
  controls: { id: string; group: string }[];
};

const HELP: [string, string[], string[]][] = [
  [
    'the program',
    [],
    [
      ...['Usage: accord [options] [command]', '-h, --help', 'serve [options]', 'demo [options]'],
      ...['migrate [options]', 'org', 'user', 'token', 'catalog', 'agreement', 'audit', 'mfa'],
    ],
  ],
  ['serve', ['serve'], ['--data-dir <dir>', '--database-url <url>', '--skip-migrations', '--mode <mode>']],
  ['demo', ['demo'], ['--data-dir <dir>', '--database-url <url>', '--host <host>', '--port <port>']],
  ['migrate', ['migrate'], ['--data-dir <dir>', '--database-url <url>', '--skip-migrations']],
  ['org', ['org'], ['-h, --help', 'create [options]', 'list [options]', 'link [options]']],
  ['user', ['user'], ['-h, --help', 'add [options]', 'reset-mfa [options]']],
  ['token', ['token'], ['-h, --help', 'create [options]', 'revoke [options]']],
  ['catalog', ['catalog'], ['-h, --help', 'list [options]']],
  ['agreement', ['agreement'], ['-h, --help', 'export [options]', 'verify <file>']],
  ['audit', ['audit'], ['-h, --help', 'verify [options]']],
  ['mfa', ['mfa'], ['-h, --help', 'code [options]']],
];

describe.concurrent('accord CLI without a store', () => {
  test.each(HELP)('--help of %s exits 0 and names its options', async (_name, args, names) => {
    const r = await run([...args, '--help']);
    expectExit(r, 0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: accord${args.map((a) => ` ${a}`).join('')} `));
    for (const n of names) expect(r.stdout).toContain(n);
  });

  test('an unknown command or a missing or invalid option exits non-zero with the error on stderr', async () => {
    const dir = scratch('unused');
    const [unknown, missing, invalid] = await Promise.all([
      run(['frobnicate']),
      run(['org', 'create', '--kind', 'msp', '--data-dir', dir]),
      run(['org', 'create', '--name', 'X', '--kind', 'vendor', '--data-dir', dir]),
    ]);
    expectExit(unknown, 1);
    expect(unknown.stderr).toContain("error: unknown command 'frobnicate'");
    expectExit(missing, 1);
    expect(missing.stderr).toContain("error: required option '--name <name>' not specified");
    // ...followed by the command's help, naming its options.
    for (const o of [
      'Usage: accord org create [options]',
      '--name <name>',
      '--kind <kind>',
      '--data-dir <dir>',
    ])
      expect(missing.stderr).toContain(o);
    expectExit(invalid, 1);
    expect(invalid.stderr).toMatch(/option '--kind <kind>' argument 'vendor' is invalid/);
    for (const r of [unknown, missing, invalid]) expect(r.stdout).toBe('');
    expect(fs.existsSync(dir)).toBe(false); // nothing was opened
  });

  test('usage errors of store commands exit 2 before the store is opened', async () => {
    const dir = scratch('unused');
    const store = ['--data-dir', dir];
    const [scope, days, version] = await Promise.all([
      run(['token', 'create', ...store, '--org', 'x', '--name', 't', '--scopes', 'audit:read,frob:nicate']),
      run([
        'token',
        'create',
        ...store,
        '--org',
        'x',
        '--name',
        't',
        '--scopes',
        'audit:read',
        '--days',
        'abc',
      ]),
      run(['agreement', 'export', ...store, '--id', 'x', '--version', '1.5']),
    ]);
    expectExit(scope, 2);
    expect(scope.stderr).toBe('accord: unknown scope(s): frob:nicate\n');
    expectExit(days, 2);
    expect(days.stderr).toContain('--days must be a whole number from 1 to 365, not "abc"');
    expectExit(version, 2);
    expect(version.stderr).toContain('--version must be a whole number');
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('catalog list prints every control; --group LOG --json only the LOG controls', async () => {
    const [all, log] = await Promise.all([
      run(['catalog', 'list']),
      run(['catalog', 'list', '--group', 'LOG', '--json']),
    ]);
    expectExit(all, 0);
    const n = catalogYaml.controls.length;
    expect(n).toBeGreaterThan(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`: ${n} control\\(s\\)$`));
    expect(lines.slice(1)).toHaveLength(n);
    expect(lines.slice(1).map((l) => l.split(' ')[0])).toEqual(catalogYaml.controls.map((c) => c.id));

    expectExit(log, 0);
    const controls = json<{ id: string; group: string }[]>(log);
    expect(controls.map((c) => c.id)).toEqual(
      catalogYaml.controls.filter((c) => c.group === 'LOG').map((c) => c.id),
    );
    expect(controls.length).toBeGreaterThan(0);
    expect(controls.every((c) => c.group === 'LOG')).toBe(true);
  });

  test('a reader that closes the pipe early does not crash the CLI (no EPIPE)', async () => {
    const s = spawnCli(['catalog', 'list']);
    s.child.stdout!.destroy(); // like `accord catalog list | head -0`
    const r = await s.exited;
    expectExit(r, 0);
    expect(r.stderr).toBe('');
  });

  test('mfa code prints the current 6-digit TOTP code of a secret', async () => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const before = stepAt(Date.now());
    const [r, bad] = await Promise.all([
      run(['mfa', 'code', '--secret', secret]),
      run(['mfa', 'code', '--secret', 'not base32!']),
    ]);
    const after = stepAt(Date.now());
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^\d{6}\n$/);
    const expected = [];
    for (let step = before; step <= after; step++) expected.push(totpCode(secret, step));
    expect(expected).toContain(r.stdout.trim());
    expectExit(bad, 1);
    expect(bad.stderr).toContain('invalid base32 secret');
  });

  test('a broken configuration stops start-up and lists every bad variable, never a database URL', async () => {
    const dir = scratch('unused');
    const secretUrl = 'mysql://accord:hunter2@db.example/accord';
    const [env, flag] = await Promise.all([
      run(['serve', '--data-dir', dir], {
        env: {
          ACCORD_PORT: 'abc',
          ACCORD_MODE: 'sideways',
          ACCORD_SESSION_IDLE_MINUTES: '0',
          DATABASE_URL: secretUrl,
        },
      }),
      run(['serve', '--data-dir', dir, '--database-url', secretUrl]),
    ]);
    expectExit(env, 2);
    expect(env.stderr).toMatch(/^accord: invalid configuration:\n/);
    for (const name of ['ACCORD_PORT', 'ACCORD_MODE', 'ACCORD_SESSION_IDLE_MINUTES', 'DATABASE_URL'])
      expect(env.stderr).toMatch(new RegExp(`^  - ${name}=`, 'm'));
    expect(env.stderr).toContain('DATABASE_URL=(value hidden): must be a postgres:// or postgresql:// URL');
    expectExit(flag, 2);
    expect(flag.stderr).toContain('--database-url=(value hidden)');
    for (const r of [env, flag]) {
      expect(r.stderr).not.toContain('hunter2');
      expect(r.stderr).not.toContain('mysql:');
      expect(r.stdout).not.toContain('hunter2');
      expect(r.stdout).toBe('');
    }
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('a broken catalog stops start-up naming the file and the line of the bad value', async () => {
    const lines = fs.readFileSync(CATALOG_FILE, 'utf8').split('\n');
    const control = lines.indexOf('  - id: LOG-02');
    expect(control).toBeGreaterThan(0);
    const cadence = lines.findIndex((l, i) => i > control && /^ {4}cadence: /.test(l));
    lines[cadence] = '    cadence: sometimes';
    const file = path.join(fs.mkdtempSync(path.join(root(), 'catalog-')), 'broken catalog.yaml');
    fs.writeFileSync(file, lines.join('\n'));
    const dir = scratch('unused');

    const r = await run(['serve', '--data-dir', dir], { env: { ACCORD_CATALOG_FILE: file } });
    expectExit(r, 1);
    expect(r.stderr).toContain(`accord: the control catalog is broken: ${file}:${cadence + 1}:5: `);
    expect(r.stderr).toMatch(/controls\[\d+\]\.cadence: .*received 'sometimes'/);
    expect(fs.existsSync(dir)).toBe(false); // checked before anything is opened
  });
});
