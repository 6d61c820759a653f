/**
 * HTTP API benchmark: the real server (`startHttp`) on the embedded PGlite database (in a temporary
 * data directory, as users run it) and on PostgreSQL, loaded by autocannon.
 *
 *   npm run bench:api                  # 50 connections, 10 s per scenario (after a 2 s warm-up)
 *   npm run bench:api -- --duration 30
 *   npm run bench:api -- --smoke       # 5 connections, 1 s, no warm-up: a cheap CI check
 *
 * The server runs in a child process (bench/api-server.ts) and autocannon in this process, so the
 * two never share an event loop; they do share the machine's CPUs. See bench/README.md.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { resolveDatabase } from './detect-db.ts';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { redactUrl } from '../packages/server/src/platform/db/db.ts';
import { ApiClient, type ApiResponse } from '../packages/server/test/support/api-client.ts';
import type { BenchDb, FromServer, ReadyMessage, StatsMessage, ToServer } from './api-server.ts';

// ---------------------------------------------------------------------------------------------
// autocannon ships no type declarations: the slice of its API used here.

interface AcRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AcRequest, context: Record<string, unknown>) => AcRequest;
}
interface AcOptions {
  url: string;
  connections: number;
  duration: number;
  timeout?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  requests?: AcRequest[];
}
interface AcHistogram {
  mean: number;
  stddev: number;
  min: number;
  max: number;
  total: number;
  p50: number;
  p97_5: number;
  p99: number;
}
interface AcResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
  latency: AcHistogram;
  requests: AcHistogram & { sent: number };
}
const requireCjs = createRequire(import.meta.url);
const autocannon = requireCjs('autocannon') as (opts: AcOptions) => Promise<AcResult>;

// ---------------------------------------------------------------------------------------------
// Settings

const USAGE = `usage: npm run bench:api -- [--smoke] [--duration <seconds>] [--warmup <seconds>]

  --duration <s>  measured seconds per scenario (default 10; 1 with --smoke)
  --warmup <s>    unmeasured warm-up before each scenario (default 2; 0 with --smoke)
  --smoke         5 connections, 1 s, 20 sign-in accounts: a cheap check that everything works

PostgreSQL: DATABASE_URL, or ${'postgres://postgres@127.0.0.1:5432/test'} when reachable.`;

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/acc_bench_api';

/** The control set of the benchmark agreement (the demo's twelve). */
const CONTROLS = [
  'LOG-01',
  'LOG-02',
  'LOG-05',
  'MFA-01',
  'MFA-02',
  'PIC-02',
  'PIC-04',
  'IRP-01',
  'IRP-02',
  'SCR-01',
  'BCK-01',
  'AUT-01',
];

interface Settings {
  smoke: boolean;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** customer_member accounts seeded for the sign-in scenario. */
  members: number;
}

function readSettings(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const seconds = (name: string, v: string | undefined, dflt: number, min: number) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > 3600) {
      console.error(`--${name} must be a number of seconds (${min}..3600), not ${JSON.stringify(v)}`);
      console.error(USAGE);
      process.exit(2);
    }
    return n;
  };
  const smoke = values.smoke;
  return {
    smoke,
    connections: smoke ? 5 : 50,
    durationSeconds: seconds('duration', values.duration, smoke ? 1 : 10, 1),
    warmupSeconds: seconds('warmup', values.warmup, smoke ? 0 : 2, 0),
    members: smoke ? 20 : 200,
  };
}

// ---------------------------------------------------------------------------------------------
// The server child process

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '..');

type Reply<T extends FromServer['type']> = Extract<FromServer, { type: T }>;

class ServerProcess {
  private constructor(readonly child: ChildProcess) {}

  static spawn(): ServerProcess {
    const child = fork(path.join(BENCH_DIR, 'api-server.ts'), [], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx'],
      // Server logs (warn and above unless ACCORD_LOG_LEVEL says otherwise) go to this terminal.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new ServerProcess(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Sends `msg` and waits for the reply of type `type` (or the child's error or exit). */
  request<T extends FromServer['type']>(msg: ToServer, type: T, timeoutMs: number): Promise<Reply<T>> {
    const child = this.child;
    return new Promise((resolve, reject) => {
      const done = (err: Error | null, reply?: Reply<T>) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(reply!);
      };
      const onMessage = (m: FromServer) => {
        if (m.type === type) done(null, m as Reply<T>);
        else if (m.type === 'error') done(new Error(`server process: ${m.stack ?? m.message}`));
      };
      const onExit = (code: number | null, signal: string | null) =>
        done(new Error(`server process exited (${signal ?? `code ${code}`}) before answering '${msg.type}'`));
      const timer = setTimeout(
        () => done(new Error(`server process did not answer '${msg.type}' within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send(msg);
    });
  }

  stats(): Promise<StatsMessage> {
    return this.request({ type: 'stats' }, 'stats', 10_000);
  }

  /** Asks the server to drain and close its database; kills it if it has not exited in 20 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ type: 'stop' } satisfies ToServer);
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  }
}

// ---------------------------------------------------------------------------------------------
// Fixture: an active agreement, a signed-in session, an API token (all made over HTTP)

interface Fixture {
  versionPath: string;
  cookie: string;
  token: string;
}

async function expectStatus<T = any>(
  p: Promise<ApiResponse<T>>,
  status: number,
  what: string,
): Promise<ApiResponse<T>> {
  const r = await p;
  if (r.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${r.status} ${r.text}`);
  return r;
}

async function prepare(url: string, ready: ReadyMessage): Promise<Fixture> {
  // The MSP admin signs in once, with password and TOTP, exactly as a browser would.
  const msp = await new ApiClient(url).login(ready.mspAdmin);
  const draft = await expectStatus(
    msp.post('/api/v1/agreements', {
      customerOrgId: ready.customerOrgId,
      title: 'Benchmark managed security schedule',
      controls: CONTROLS.map((controlId) => ({ controlId })),
    }),
    201,
    'drafting the agreement',
  );
  const id: string = draft.body.agreementId;
  const base = `/api/v1/agreements/${id}/versions/1`;
  const proposed = await expectStatus(msp.post(`${base}/propose`), 200, 'proposing it');
  const digest: string = proposed.body.digest;
  await expectStatus(msp.post(`${base}/accept`, { digest }), 200, 'MSP acceptance');
  const customer = await new ApiClient(url).login(ready.customerAdmin);
  const active = await expectStatus(customer.post(`${base}/accept`, { digest }), 200, 'customer acceptance');
  if (active.body.state !== 'active') throw new Error(`agreement is ${active.body.state}, not active`);
  const created = await expectStatus(
    msp.post('/api/v1/tokens', { name: 'bench reader', scopes: ['agreements:read'], expiresInDays: 1 }),
    201,
    'creating the API token',
  );
  const token: string = created.body.token;

  // Each scenario's request, once, checked by hand before it is run thousands of times.
  const viaCookie = await expectStatus(msp.get(base), 200, 'read with the session cookie');
  if (viaCookie.body.content.controls.length !== CONTROLS.length)
    throw new Error(`the agreement has ${viaCookie.body.content.controls.length} controls`);
  await expectStatus(ApiClient.withToken(url, token).get(base), 200, 'read with the API token');
  const signIn = await expectStatus(
    new ApiClient(url).post('/api/v1/auth/login', ready.members[0]),
    200,
    'customer_member sign-in',
  );
  if (signIn.body.status !== 'authenticated')
    throw new Error(`customer_member sign-in gave status ${signIn.body.status}`);
  if (!msp.cookie) throw new Error('no session cookie after sign-in');
  return { versionPath: base, cookie: msp.cookie, token };
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface Scenario {
  key: 'read_cookie' | 'read_token' | 'sign_in';
  label: string;
  /** A fresh autocannon request description (warm-up and the measured run each get one). */
  load(url: string, fx: Fixture, ready: ReadyMessage): Pick<AcOptions, 'url' | 'headers' | 'requests'>;
}

const SCENARIOS: Scenario[] = [
  {
    key: 'read_cookie',
    label: 'a) agreement read, session cookie',
    load: (url, fx) => ({ url: url + fx.versionPath, headers: { cookie: fx.cookie } }),
  },
  {
    key: 'read_token',
    label: 'b) agreement read, API token',
    load: (url, fx) => ({ url: url + fx.versionPath, headers: { authorization: `Bearer ${fx.token}` } }),
  },
  {
    key: 'sign_in',
    label: 'c) sign-in, e-mail + password',
    load: (url, _fx, ready) => {
      // Round-robin over the seeded accounts: no two in-flight sign-ins share a user row.
      let next = 0;
      return {
        url,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/auth/login',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => ({
              ...req,
              body: JSON.stringify(ready.members[next++ % ready.members.length]),
            }),
          },
        ],
      };
    },
  },
];

interface ScenarioResult {
  database: BenchDb;
  scenario: Scenario['key'];
  label: string;
  connections: number;
  durationSeconds: number;
  requestsPerSecond: { mean: number; stddev: number };
  latencyMs: { p50: number; p97_5: number; p99: number; mean: number; max: number };
  requests: { completed: number; ok2xx: number };
  non2xx: number;
  /** Connection errors and timeouts (timeouts are counted in errors too). */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  warmup: { seconds: number; requests: number; non2xx: number; errors: number } | null;
  server: { rssBytes: number; heapUsedBytes: number; cpuPercent: number };
  ok: boolean;
}

/**
 * When autocannon stops it drops the requests still in flight, but the server finishes them (an
 * argon2id verification cannot be cancelled). Waiting about as long as the slowest request took
 * keeps that tail out of the next measurement and out of the server's shutdown.
 */
const settle = (r: AcResult) =>
  new Promise((resolve) => setTimeout(resolve, Math.min(10_000, r.latency.max + 250)));

async function runScenario(
  s: Scenario,
  db: BenchDb,
  server: ServerProcess,
  ready: ReadyMessage,
  fx: Fixture,
  settings: Settings,
): Promise<ScenarioResult> {
  const common = { connections: settings.connections, timeout: 10 };
  let warm: AcResult | null = null;
  if (settings.warmupSeconds > 0) {
    warm = await autocannon({ ...common, ...s.load(ready.url, fx, ready), duration: settings.warmupSeconds });
    await settle(warm);
  }
  const before = await server.stats();
  const t0 = performance.now();
  const r = await autocannon({
    ...common,
    ...s.load(ready.url, fx, ready),
    duration: settings.durationSeconds,
  });
  const wallMs = performance.now() - t0;
  const after = await server.stats();
  await settle(r);
  const cpuMicros =
    after.cpuUserMicros + after.cpuSystemMicros - (before.cpuUserMicros + before.cpuSystemMicros);
  const warmBad = warm ? warm.non2xx + warm.errors : 0;
  return {
    database: db,
    scenario: s.key,
    label: s.label,
    connections: settings.connections,
    durationSeconds: settings.durationSeconds,
    requestsPerSecond: { mean: r.requests.mean, stddev: r.requests.stddev },
    latencyMs: {
      p50: r.latency.p50,
      p97_5: r.latency.p97_5,
      p99: r.latency.p99,
      mean: r.latency.mean,
      max: r.latency.max,
    },
    requests: { completed: r.requests.total, ok2xx: r['2xx'] },
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count])),
    warmup: warm
      ? {
          seconds: settings.warmupSeconds,
          requests: warm.requests.total,
          non2xx: warm.non2xx,
          errors: warm.errors,
        }
      : null,
    server: {
      rssBytes: after.rssBytes,
      heapUsedBytes: after.heapUsedBytes,
      cpuPercent: (cpuMicros / 1000 / wallMs) * 100,
    },
    ok: r.non2xx === 0 && r.errors === 0 && r['2xx'] > 0 && warmBad === 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Databases

interface TargetReport {
  database: BenchDb;
  status: 'ran' | 'skipped' | 'failed';
  note?: string;
  describe?: string;
  serverPid?: number;
  dbPoolSize?: number;
  logLevel?: string;
  seedSeconds?: number;
  results: ScenarioResult[];
}

/** Null when PostgreSQL answers at `url`, else why not. */
async function postgresProblem(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (e) {
    return e instanceof Error ? e.message || e.constructor.name : String(e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;
const fixed = (n: number, d = 1) => n.toFixed(d);

function printResult(r: ScenarioResult): void {
  const codes = Object.entries(r.statusCodes)
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
  console.log(
    `  ${r.label.padEnd(36)} ${fixed(r.requestsPerSecond.mean).padStart(8)} req/s` +
      `  p50 ${r.latencyMs.p50} ms  p97.5 ${r.latencyMs.p97_5} ms  p99 ${r.latencyMs.p99} ms` +
      `  non-2xx ${r.non2xx}  errors ${r.errors}` +
      `  server RSS ${mib(r.server.rssBytes)}  server CPU ${fixed(r.server.cpuPercent, 0)}%` +
      `  [${codes || 'no responses'}]${r.ok ? '' : '  << FAILED'}`,
  );
  if (r.warmup && (r.warmup.non2xx || r.warmup.errors))
    console.log(`    warm-up had non-2xx ${r.warmup.non2xx}, errors ${r.warmup.errors}`);
}

async function benchTarget(
  db: BenchDb,
  settings: Settings,
  opts: { dataDir: string; databaseUrl?: string },
): Promise<TargetReport> {
  const report: TargetReport = { database: db, status: 'failed', results: [] };
  const server = ServerProcess.spawn();
  try {
    const ready = await server.request(
      {
        type: 'start',
        db,
        dataDir: opts.dataDir,
        members: settings.members,
        ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
      },
      'ready',
      180_000,
    );
    Object.assign(report, {
      describe: ready.database,
      serverPid: ready.pid,
      dbPoolSize: ready.dbPoolSize,
      logLevel: ready.logLevel,
      seedSeconds: ready.seedSeconds,
    });
    console.log(
      `\n[${db}] ${ready.database}` +
        (db === 'postgres' ? `, pool ${ready.dbPoolSize}` : '') +
        `; server pid ${ready.pid} at ${ready.url}, log level ${ready.logLevel};` +
        ` seeded ${settings.members} sign-in accounts in ${fixed(ready.seedSeconds)} s`,
    );
    const fx = await prepare(ready.url, ready);
    const start = await server.stats();
    console.log(`  server RSS before load: ${mib(start.rssBytes)}`);
    for (const s of SCENARIOS) {
      const r = await runScenario(s, db, server, ready, fx, settings);
      report.results.push(r);
      printResult(r);
    }
    report.status = 'ran';
  } catch (e) {
    report.note = e instanceof Error ? e.message : String(e);
    console.error(`\n[${db}] FAILED: ${report.note}`);
  } finally {
    await server.stop();
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// Main

function table(reports: TargetReport[]): string {
  const header = [
    'database',
    'scenario',
    'req/s',
    'p50 ms',
    'p97.5 ms',
    'p99 ms',
    'non-2xx',
    'errors',
    'server RSS',
    'srv CPU',
  ];
  const rows = reports.flatMap((t) =>
    t.results.map((r) => [
      r.database,
      r.label,
      fixed(r.requestsPerSecond.mean),
      String(r.latencyMs.p50),
      String(r.latencyMs.p97_5),
      String(r.latencyMs.p99),
      String(r.non2xx),
      String(r.errors),
      mib(r.server.rssBytes),
      `${fixed(r.server.cpuPercent, 0)}%`,
    ]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const settings = readSettings(process.argv.slice(2));
  const startedAt = new Date();
  const cpus = os.cpus();
  const loadGenerator =
    `autocannon in the bench process (pid ${process.pid}); the server in a separate child process ` +
    `per database (startHttp, bench/api-server.ts). No shared event loop, but both share this ` +
    `machine's ${cpus.length} CPU(s)`;
  console.log(`Accord API benchmark${settings.smoke ? ' (smoke)' : ''}, ${startedAt.toISOString()}`);
  console.log(
    `node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} × ${cpus[0]?.model ?? '?'}`,
  );
  console.log(`load generator: ${loadGenerator}`);
  const loadBefore = os.loadavg();
  console.log(
    `load average before: ${loadBefore.map((n) => fixed(n, 2)).join(' ')}` +
      (loadBefore[0]! > cpus.length / 2 ? '  (the machine is busy: expect noisy figures)' : ''),
  );
  console.log(
    `each scenario: ${settings.connections} connections, ${settings.durationSeconds} s measured` +
      (settings.warmupSeconds ? ` after ${settings.warmupSeconds} s warm-up` : ', no warm-up') +
      `; sign-in rotates over ${settings.members} customer_member accounts`,
  );

  const reports: TargetReport[] = [];
  const notes: string[] = [];

  // (1) Embedded PGlite in a temporary data directory (on disk, as users run it).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-bench-pglite-'));
  try {
    reports.push(await benchTarget('pglite', settings, { dataDir }));
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  // (2) PostgreSQL: DATABASE_URL, or the local default when it answers.
  const explicitUrl = process.env.DATABASE_URL || undefined;
  // Never the shared `test` database of the suites: it becomes acc_bench_api (created if missing).
  const resolved = await resolveDatabase('acc_bench_api');
  for (const n of resolved.notes) console.log(`\n[postgres] ${n}`);
  const pgUrl = resolved.url ?? explicitUrl ?? DEFAULT_PG_URL;
  const problem = await postgresProblem(pgUrl);
  if (problem === null) {
    reports.push(await benchTarget('postgres', settings, { dataDir: 'memory://', databaseUrl: pgUrl }));
  } else if (explicitUrl) {
    const note = `DATABASE_URL ${redactUrl(pgUrl)} is not reachable: ${problem}`;
    reports.push({ database: 'postgres', status: 'failed', note, results: [] });
    console.error(`\n[postgres] FAILED: ${note}`);
  } else {
    const note =
      `skipped: DATABASE_URL is not set and ${redactUrl(pgUrl)} is not reachable (${problem}); ` +
      `set DATABASE_URL to benchmark PostgreSQL`;
    reports.push({ database: 'postgres', status: 'skipped', note, results: [] });
    notes.push(`postgres ${note}`);
    console.log(`\n[postgres] ${note}`);
  }

  const failures = [
    ...reports.filter((t) => t.status === 'failed').map((t) => `${t.database}: ${t.note}`),
    ...reports.flatMap((t) =>
      t.results
        .filter((r) => !r.ok)
        .map(
          (r) =>
            `${r.database} ${r.label}: non-2xx ${r.non2xx}, errors ${r.errors} (timeouts ${r.timeouts})` +
            (r.warmup ? `, warm-up non-2xx ${r.warmup.non2xx} errors ${r.warmup.errors}` : ''),
        ),
    ),
  ];
  const finishedAt = new Date();
  const elapsed = (finishedAt.getTime() - startedAt.getTime()) / 1000;

  const outDir = path.join(os.tmpdir(), 'accord-bench');
  fs.mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, `api-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = {
    benchmark: 'accord api',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    elapsedSeconds: elapsed,
    commit: gitCommit(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: { count: cpus.length, model: cpus[0]?.model ?? null },
    totalMemoryBytes: os.totalmem(),
    loadGenerator,
    loadAverage: { before: loadBefore, after: os.loadavg() },
    settings,
    targets: reports,
    ok: failures.length === 0,
    failures,
  };
  fs.writeFileSync(outFile, JSON.stringify(json, null, 2) + '\n');

  console.log(
    `\nSummary (${settings.connections} connections, ${settings.durationSeconds} s per scenario)\n`,
  );
  console.log(table(reports));
  for (const n of notes) console.log(`\nnote: ${n}`);
  console.log(`\nresults: ${outFile}`);
  console.log(
    `total time: ${fixed(elapsed)} s; load average after: ${os
      .loadavg()
      .map((n) => fixed(n, 2))
      .join(' ')}`,
  );
  if (failures.length) {
    console.error(`\nFAILED (${failures.length}):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
