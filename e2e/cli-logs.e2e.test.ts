/**
 * End-to-end tests of `accord ingest`, `accord logs search` and `accord logs verify`: the CLI runs as a
 * subprocess (as in cli.e2e.test.ts) against a real Accord server started in this process, on the
 * embedded database and, when DATABASE_URL is set, on PostgreSQL. A small HTTP proxy between the two
 * holds a request (to kill the CLI with a batch in flight) or answers 429/503 (to make it retry).
 * `logs verify` runs on an embedded data directory filled in-process and then closed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../packages/server/test/support/harness.ts';
import { createCustomer, createMsp, ctxFor } from '../packages/server/test/support/factories.ts';
import { loadConfig } from '../packages/server/src/platform/config.ts';
import { createLogger } from '../packages/server/src/platform/logger.ts';
import { openEmbedded } from '../packages/server/src/platform/db/db.ts';
import { openRuntime, type Runtime } from '../packages/server/src/server.ts';
import type { SourceKind } from '@accord/contracts';
import { dataset } from '../packages/server/test/support/datasets.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(repoRoot, 'packages/server/bin/accord.mjs');
const SAMPLE = dataset('loghub', 'OpenSSH_2k.log');
const SAMPLE_TEXT = fs.readFileSync(SAMPLE, 'utf8');
/** The sample's lines as the server stores them (CRLF in the file, no newline after the last). */
const LINES = SAMPLE_TEXT.replace(/\r?\n$/, '').split(/\r?\n/);
const SLOW = 180_000;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cli-logs-e2e-'));
let seq = 0;
const scratch = (name: string) => fs.mkdtempSync(path.join(root, `${name}-${++seq}-`));
const live = new Set<ChildProcess>();

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnCli(args: string[], input?: string) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && !k.startsWith('ACCORD_')),
  );
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: root,
    env,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  if (input !== undefined) child.stdin!.end(input);
  const exited = new Promise<Result>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => (clearTimeout(timer), live.delete(child), resolve({ code, ...out })));
  });
  return { child, exited };
}
const run = (args: string[], input?: string) => spawnCli(args, input).exited;

function expectExit(r: Result, code: number): void {
  expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(code);
}

/** Forwards to the server; holds every request after `holdAfter`, answers `inject` statuses first. */
async function startProxy(target: string) {
  const state = {
    holdAfter: Infinity,
    forwarded: 0,
    inject: [] as number[],
    held: [] as http.ServerResponse[],
  };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const status = state.inject.shift();
    if (status) {
      const error = { code: status === 429 ? 'too_many_attempts' : 'unavailable', message: 'injected' };
      return void res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error }));
    }
    const names = ['authorization', 'content-type', 'content-encoding', 'idempotency-key'];
    const headers = Object.fromEntries(
      names.filter((h) => req.headers[h]).map((h) => [h, String(req.headers[h])]),
    );
    const r = await fetch(target + req.url, { method: 'POST', headers, body: Buffer.concat(chunks) });
    // Past holdAfter the server has stored the batch, but its answer never reaches the sender.
    if (state.forwarded++ >= state.holdAfter) return void state.held.push(res);
    const type = r.headers.get('content-type') ?? 'application/json';
    res.writeHead(r.status, { 'content-type': type }).end(Buffer.from(await r.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { state, url, close };
}

afterAll(() => {
  for (const child of live) child.kill('SIGKILL');
  if (process.env.ACCORD_E2E_KEEP) console.log(`kept ${root}`);
  else fs.rmSync(root, { recursive: true, force: true });
});

describe.concurrent.each(dbTargets())('accord ingest and logs search ($name)', (target) => {
  let srv: TestServer;
  let orgId: string;
  let ctx: ReturnType<typeof ctxFor>;
  let apiToken: string;
  beforeAll(async () => {
    srv = await startTestServer(target);
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    orgId = cust.org.id;
    ctx = ctxFor(cust.admin, 'customer');
    const t = await srv.rt.services.tokens.create(ctx, {
      name: 'cli',
      scopes: ['logs:read'],
      expiresInDays: 1,
    });
    apiToken = t.token;
  }, SLOW);
  afterAll(() => srv?.stop());

  const source = async (kind: SourceKind = 'linux_syslog') => {
    const name = `src-${++seq}`;
    const s = await srv.rt.services.sources.create(ctx, orgId, { kind, name, expectedIntervalMinutes: 60 });
    return { id: s.id, token: s.ingestToken };
  };
  const stored = async (sourceId: string) => {
    const db = srv.rt.database.db;
    const rows = await db.selectFrom('events').select('raw').where('source_id', '=', sourceId).execute();
    const batches = await db
      .selectFrom('ingest_batches')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('source_id', '=', sourceId)
      .executeTakeFirstOrThrow();
    return { raws: rows.map((r) => r.raw).sort(), batches: batches.n };
  };
  const ingestArgs = (file: string, token: string, ...more: string[]) => [
    ...['ingest', file, '--url', srv.url, '--token', token],
    ...more,
  ];
  const summary = (accepted: number, rejected = 0) =>
    `${accepted} accepted, ${rejected} rejected (kept in quarantine)\n`;

  test(
    'ingests the OpenSSH sample in batches, sends nothing on a re-run, and finds it with logs search',
    async () => {
      const s = await source();
      const cp = path.join(scratch('sample'), 'cp.json');
      const first = await run(ingestArgs(SAMPLE, s.token, '--batch-lines', '300', '--checkpoint', cp));
      expectExit(first, 0);
      expect(first.stdout).toBe(summary(2000));
      expect(await stored(s.id)).toEqual({ raws: [...LINES].sort(), batches: 7 });
      const size = fs.statSync(SAMPLE).size;
      expect(JSON.parse(fs.readFileSync(cp, 'utf8'))).toMatchObject({ done: true, line: 2001, offset: size });

      const again = await run(ingestArgs(SAMPLE, s.token, '--checkpoint', cp));
      expectExit(again, 0);
      expect(again.stderr).toContain('was sent completely already');
      expect((await stored(s.id)).raws).toHaveLength(2000);

      const args = ['logs', 'search', '--url', srv.url, '--api-token', apiToken, '--org', orgId];
      const search = (...more: string[]) => run([...args, '--source', s.id, ...more]);
      const [ndjson, csv, json] = await Promise.all([
        search('--order', 'asc', '--limit', '1500', '--format', 'ndjson'),
        search('--q', 'Failed password', '--outcome', 'failure', '--limit', '5', '--format', 'csv'),
        search('--limit', '3'),
      ]);
      expectExit(ndjson, 0);
      const events = ndjson.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { raw: string });
      expect(events.map((e) => e.raw)).toEqual(LINES.slice(0, 1500)); // two pages, in file order
      expectExit(csv, 0);
      const rows = csv.stdout.trimEnd().split('\n');
      expect(rows[0]).toMatch(/^time,sourceId,class,/);
      expect(rows.slice(1)).toHaveLength(5);
      for (const row of rows.slice(1)) expect(row).toContain('Failed password');
      expectExit(json, 0);
      expect(JSON.parse(json.stdout)).toEqual([expect.any(Object), expect.any(Object), expect.any(Object)]);
    },
    SLOW,
  );

  test.each([{ gzip: false }, { gzip: true }])(
    'a killed ingest resumes after the last acknowledged batch; every line is stored once (gzip file: $gzip)',
    async ({ gzip }) => {
      const s = await source();
      const file = path.join(scratch('resume'), gzip ? 'ssh.log.gz' : 'ssh.log');
      fs.writeFileSync(file, gzip ? gzipSync(SAMPLE_TEXT) : SAMPLE_TEXT);
      const proxy = await startProxy(srv.url);
      try {
        proxy.state.holdAfter = 5;
        const args = ['ingest', file, '--url', proxy.url, '--token', s.token, '--batch-lines', '100'];
        const killed = spawnCli(args);
        for (const until = Date.now() + 60_000; !proxy.state.held.length && Date.now() < until;)
          await sleep(20);
        expect(proxy.state.held).toHaveLength(1); // the sixth batch is stored, its answer lost
        const cp = JSON.parse(fs.readFileSync(`${file}.accord-ingest.json`, 'utf8'));
        const firstLines = Buffer.byteLength(SAMPLE_TEXT.split('\n').slice(0, 500).join('\n') + '\n');
        expect(cp).toMatchObject({ line: 501, offset: firstLines, batches: 5, accepted: 500, done: false });
        killed.child.kill('SIGKILL');
        expect((await killed.exited).code).toBeNull();
        expect((await stored(s.id)).raws).toHaveLength(600);

        Object.assign(proxy.state, { holdAfter: Infinity, inject: [503, 429] });
        const resumed = await run(args);
        expectExit(resumed, 0);
        expect(resumed.stderr).toContain(`resuming ${file} at line 501 (byte ${firstLines})`);
        expect(resumed.stderr).toMatch(
          /^503 unavailable: injected; retrying in [\d.]+ s \(attempt 2 of 8\)$/m,
        );
        expect(resumed.stderr).toMatch(/^429 too_many_attempts: injected; retrying in /m);
        expect(resumed.stdout).toBe(summary(2000));
        expect(await stored(s.id)).toEqual({ raws: [...LINES].sort(), batches: 20 });
      } finally {
        await proxy.close();
      }
    },
    SLOW,
  );

  test(
    'a changed file is refused without --restart',
    async () => {
      const s = await source();
      const file = path.join(scratch('changed'), 'ssh.log');
      fs.writeFileSync(file, SAMPLE_TEXT);
      expectExit(await run(ingestArgs(file, s.token, '--batch-lines', '1000')), 0);
      fs.appendFileSync(file, '\nDec 10 11:04:00 LabSZ sshd[1]: Invalid user eve from 203.0.113.5\n');
      const refused = await run(ingestArgs(file, s.token));
      expectExit(refused, 1);
      expect(refused.stderr).toContain(
        `accord: ${file} changed since ${file}.accord-ingest.json was written`,
      );
      expect(refused.stderr).toContain('use --restart');
      expect((await stored(s.id)).raws).toHaveLength(2000);
      const restarted = await run(ingestArgs(file, s.token, '--restart'));
      expectExit(restarted, 0);
      expect(restarted.stdout).toBe(summary(2001));
      expect((await stored(s.id)).raws).toHaveLength(4001); // --restart sends it all again, as it warns
    },
    SLOW,
  );

  test(
    'reports malformed NDJSON lines as FILE:LINE: reason, with their line in the file',
    async () => {
      const s = await source('okta_system_log');
      const broken = new Set([7, 205, ...Array.from({ length: 23 }, (_, i) => 231 + i)]);
      const record = (n: number) =>
        JSON.stringify({
          uuid: `e${n}`,
          published: new Date(Date.now() - n * 1000).toISOString(),
          eventType: 'user.session.start',
          actor: { alternateId: 'ann@tailspin.example', type: 'User' },
          client: { ipAddress: '203.0.113.7' },
          outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' },
        });
      const lines = Array.from({ length: 260 }, (_, i) =>
        broken.has(i + 1) ? '{"uuid": "cut in ha' : record(i),
      );
      const file = path.join(scratch('ndjson'), 'okta.ndjson');
      fs.writeFileSync(file, lines.join('\n') + '\n');
      const r = await run(ingestArgs(file, s.token, '--format', 'ndjson', '--batch-lines', '100'));
      expectExit(r, 0);
      expect(r.stdout).toBe(summary(235, 25));
      const listed = [...r.stderr.matchAll(/^(.+):(\d+): (.*)$/gm)].filter((m) => m[1] === file);
      expect(listed.map((m) => Number(m[2]))).toEqual([...broken].slice(0, 20));
      for (const m of listed) expect(m[3]).toMatch(/^not valid JSON/);
      expect(r.stderr).toContain(`${file}: 5 more rejected line(s), not listed\n`);
      expect((await stored(s.id)).raws).toHaveLength(235);
    },
    SLOW,
  );

  test(
    'reads standard input (no checkpoint) with gzip requests, and stops on a refused token',
    async () => {
      const s = await source();
      const r = await run(ingestArgs('-', s.token, '--gzip'), LINES.slice(0, 500).join('\n') + '\n');
      expectExit(r, 0);
      expect(r.stdout).toBe(summary(500));
      expect(fs.existsSync(path.join(root, '-.accord-ingest.json'))).toBe(false);
      expect((await stored(s.id)).raws).toEqual(LINES.slice(0, 500).sort());

      const cp = path.join(scratch('bad-token'), 'cp.json');
      const bad = await run(ingestArgs(SAMPLE, `acs_${s.id}_${'x'.repeat(43)}`, '--checkpoint', cp));
      expectExit(bad, 1);
      expect(bad.stderr).toContain('accord: the server refused lines 1-2000 of');
      expect(bad.stderr).toContain('unauthenticated: the ingest token is not valid\n');
    },
    SLOW,
  );
});

describe('accord logs verify on an embedded data directory', () => {
  const dir = scratch('verify-store');
  let orgId: string;
  beforeAll(async () => {
    const config = loadConfig({}, { dataDir: dir, logLevel: 'silent' });
    const rt: Runtime = await openRuntime(config, createLogger('silent'));
    try {
      const msp = await createMsp(rt);
      const cust = await createCustomer(rt, msp.org.id);
      orgId = cust.org.id;
      const ctx = ctxFor(cust.admin, 'customer');
      const source = await rt.services.sources.create(ctx, orgId, {
        kind: 'linux_syslog',
        name: 'labsz',
        expectedIntervalMinutes: 60,
      });
      for (let b = 0; b < 4; b++)
        await rt.services.ingest.ingest(
          source,
          LINES.slice(b * 500, (b + 1) * 500).map((text, i) => ({ line: i + 1, text })),
        );
    } finally {
      await rt.close();
    }
  }, SLOW);

  test(
    'prints the intact chain, then names the batch of an altered event',
    async () => {
      const verify = (...more: string[]) =>
        run(['logs', 'verify', '--data-dir', dir, '--tenant', orgId, ...more]);
      const badDate = await verify('--from', 'yesterday');
      expectExit(badDate, 2);
      expect(badDate.stderr).toBe('accord: --from must be an ISO 8601 time, not "yesterday"\n');

      const intact = await verify();
      expectExit(intact, 0);
      expect(intact.stdout).toBe(`tenant ${orgId}: 4 batches, 2000 events, seal chain intact\n`);

      const database = await openEmbedded(dir);
      try {
        const u = await sql`update events set raw = raw || ' ' where id = (select min(e.id) from events e
          join ingest_batches b on b.id = e.batch_id where b.org_id = ${orgId} and b.seq = 3)`.execute(
          database.db,
        );
        expect(Number(u.numAffectedRows)).toBe(1);
      } finally {
        await database.close();
      }
      const tampered = await verify();
      expectExit(tampered, 1);
      expect(tampered.stderr).toBe(
        `tenant ${orgId}: broken at batch 3: an event in it was altered\n` +
          `accord: the log seal chain of tenant ${orgId} is broken\n`,
      );
    },
    SLOW,
  );

  test(
    'plans retention without changing anything (the sample is December 2025: past 180 days)',
    async () => {
      const r = await run(['logs', 'retention', '--dry-run', '--data-dir', dir]);
      expectExit(r, 0);
      const out = JSON.parse(r.stdout) as { dryRun: boolean; dropped: unknown[]; drop: unknown[] };
      expect(out.dryRun).toBe(true);
      expect(out.dropped).toEqual([]);
      expect(out.drop.length).toBeGreaterThan(0);
      const database = await openEmbedded(dir);
      try {
        const n = await sql<{
          n: number;
        }>`select count(*)::int as n from events where org_id = ${orgId}`.execute(database.db);
        expect(n.rows[0]!.n).toBe(2000);
      } finally {
        await database.close();
      }
    },
    SLOW,
  );
});
