/**
 * Log ingest and search benchmark, on the embedded PGlite database (in a temporary data directory,
 * as users run it) and on PostgreSQL:
 *
 *  1. ingest throughput (parse, normalise, store, seal) of sshd syslog lines and Entra ID sign-in
 *     records at batch sizes 1,000 and 10,000, in-process through rt.services.ingest.ingest (the
 *     store path) and over HTTP with several concurrent senders (the full path);
 *  2. a large log file streamed into one tenant (memory over time), then search latency for one
 *     user's events over 180 days, through rt.services.logs.search and over HTTP;
 *  3. where an sshd throughput target is missed, a CPU profile of the server and where the time goes.
 *
 *   npm run bench:ingest                            # full run: 200k events per scenario, 10M-line file
 *   npm run bench:ingest -- --smoke                 # 20k events, 50k-line file: a CI check (< 1 min)
 *   npm run bench:ingest -- --search-events 1000000 # smaller search tenant
 *
 * The server runs in a child process (bench/ingest-server.ts) and the HTTP senders in this process:
 * no shared event loop, but shared CPUs. See bench/README.md.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { resolveDatabase } from './detect-db.ts';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { redactUrl } from '../packages/server/src/platform/db/db.ts';
import { formatSummary, summariseProfile, type ProfileSummary } from './cpu-profile.ts';
import { datedLines, generatorFor, Rng, type LogGenerator, type LogKind } from './ingest-data.ts';
import type {
  BenchDb,
  Breakdown,
  FromServer,
  ImportResult,
  IngestRunResult,
  ReadyMessage,
  RssPoint,
  StatsMessage,
  ToServer,
} from './ingest-server.ts';
import { machineCpuMicros, type PgCpu } from './proc-cpu.ts';

// ---------------------------------------------------------------------------------------------
// Settings

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/acc_bench_ingest';

const USAGE = `usage: npm run bench:ingest -- [options]

  --smoke                   a CI check (about a minute): 5k events per scenario, a 50k-line search
                            tenant, 10 queries per path; the measured server itself is profiled
  --events <n>              events per throughput scenario, at least one batch (default 200000;
                            5000 with --smoke)
  --senders <n>             concurrent HTTP senders, one log source each (default 4)
  --search-events <n>       lines in the search tenant's file (default 10000000; 50000 with --smoke;
                            0 skips the import and the search)
  --pglite-search-events <n> the same for PGlite only (default: --search-events)
  --search-queries <n>      users searched, per path (default 100; 10 with --smoke)
  --profile auto|always|never  CPU-profile the server when an sshd target is missed (default auto)
  --only pglite|postgres    run one database
  --kinds sshd,entra        which logs the throughput scenarios send (default both)
  --batch-sizes 1000,10000  batch sizes of the throughput scenarios (default both)
  --import-via service|cli  import the search tenant's file in the server process through
                            rt.services.ingest.ingest (default, fastest), or with the CLI
                            \`accord ingest FILE\` over HTTP (its memory is measured too)
  --keep-data               leave the bench's events in PostgreSQL (default: delete them at the end)

PostgreSQL: DATABASE_URL, or ${DEFAULT_PG_URL} when reachable.`;

/** Targets from the issue: sshd events per second, end to end. */
const TARGET_EPS: Record<BenchDb, number> = { postgres: 100_000, pglite: 50_000 };
const BATCH_SIZES = [1_000, 10_000];
const KINDS: LogKind[] = ['sshd', 'entra'];
const SEARCH_DAYS = 180;
const SEARCH_USERS = 2500;
const LIMIT = 100;
/** Request bodies of 10,000 Entra records are ~17 MB: above the 16 MiB default, so the bench raises it. */
const INGEST_MAX_BYTES = 64 * 1024 * 1024;

interface Settings {
  smoke: boolean;
  events: number;
  senders: number;
  searchEvents: number;
  pgliteSearchEvents: number;
  searchQueries: number;
  profile: 'auto' | 'always' | 'never';
  profileEvents: number;
  /** Lines of the unmeasured warm-up batch (the scenario's batch size unless --smoke). */
  smallWarmup: boolean;
  only: BenchDb | null;
  keepData: boolean;
  kinds: LogKind[];
  batchSizes: number[];
  /** How the search tenant's file is imported: in the server process, or by `accord ingest FILE`. */
  importVia: 'service' | 'cli';
}

function readSettings(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      events: { type: 'string' },
      senders: { type: 'string' },
      'search-events': { type: 'string' },
      'pglite-search-events': { type: 'string' },
      'search-queries': { type: 'string' },
      profile: { type: 'string' },
      only: { type: 'string' },
      kinds: { type: 'string' },
      'batch-sizes': { type: 'string' },
      'import-via': { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const bad = (msg: string): never => {
    console.error(msg);
    console.error(USAGE);
    process.exit(2);
  };
  const int = (name: string, v: string | undefined, dflt: number, min: number, max: number) => {
    if (v === undefined) return dflt;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min || n > max)
      bad(`--${name} must be an integer ${min}..${max}, not ${v}`);
    return n;
  };
  const smoke = values.smoke;
  const searchEvents = int('search-events', values['search-events'], smoke ? 50_000 : 10_000_000, 0, 1e9);
  const profile = values.profile ?? 'auto';
  if (profile !== 'auto' && profile !== 'always' && profile !== 'never')
    bad(`--profile must be auto, always or never`);
  const only = values.only ?? null;
  if (only !== null && only !== 'pglite' && only !== 'postgres') bad('--only must be pglite or postgres');
  const kinds = (values.kinds ?? KINDS.join(',')).split(',').map((k) => k.trim());
  if (kinds.length === 0 || kinds.some((k) => !KINDS.includes(k as LogKind)))
    bad(`--kinds must list some of ${KINDS.join(', ')}`);
  const batchSizes = (values['batch-sizes'] ?? BATCH_SIZES.join(','))
    .split(',')
    .map((b) => Number(b.trim().replace(/_/g, '')));
  if (batchSizes.length === 0 || batchSizes.some((b) => !Number.isInteger(b) || b < 1 || b > 1_000_000))
    bad('--batch-sizes must be a comma-separated list of positive integers');
  const importVia = values['import-via'] ?? 'service';
  if (importVia !== 'service' && importVia !== 'cli') bad('--import-via must be service or cli');
  const events = int('events', values.events, smoke ? 5_000 : 200_000, 1_000, 1e8);
  return {
    smoke,
    events,
    senders: int('senders', values.senders, 4, 1, 64),
    searchEvents,
    pgliteSearchEvents: int('pglite-search-events', values['pglite-search-events'], searchEvents, 0, 1e9),
    searchQueries: int('search-queries', values['search-queries'], smoke ? 10 : 100, 1, 2000),
    profile: profile as Settings['profile'],
    profileEvents: smoke ? 10_000 : Math.min(events, 200_000),
    smallWarmup: smoke,
    only: only as BenchDb | null,
    keepData: values['keep-data'],
    kinds: kinds as LogKind[],
    batchSizes,
    importVia: importVia as Settings['importVia'],
  };
}

// ---------------------------------------------------------------------------------------------
// The server child process

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const OUT_DIR = path.join(os.tmpdir(), 'accord-bench');

type Reply<T extends FromServer['type']> = Extract<FromServer, { type: T }>;

class ServerProcess {
  private constructor(readonly child: ChildProcess) {}

  static spawn(extraExecArgv: string[] = []): ServerProcess {
    const child = fork(path.join(BENCH_DIR, 'ingest-server.ts'), [], {
      cwd: REPO_ROOT,
      // --expose-gc: the server collects garbage before each peak-RSS reset (not during runs).
      execArgv: ['--import', 'tsx', '--expose-gc', ...extraExecArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new ServerProcess(child);
  }

  /** Sends `msg` and waits for the reply of type `type`; `progress` messages go to `onProgress`. */
  request<T extends FromServer['type']>(
    msg: ToServer,
    type: T,
    timeoutMs: number,
    onProgress?: (m: Reply<'progress'>) => void,
  ): Promise<Reply<T>> {
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
        else if (m.type === 'progress') onProgress?.(m);
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

  stats(resetPeak = false, pg?: 'mark' | 'measure'): Promise<StatsMessage> {
    return this.request({ type: 'stats', resetPeak, ...(pg ? { pg } : {}) }, 'stats', 60_000);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Asks the server to drain and close its database; kills it if it has not exited in 60 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ type: 'stop' } satisfies ToServer);
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(killer);
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring helpers

/** How busy the whole machine was over a window, in cores (of os.cpus().length). */
class MachineWindow {
  private readonly m0 = machineCpuMicros();
  busyCores(): number | null {
    const m1 = machineCpuMicros();
    return this.m0 && m1 && m1.total > this.m0.total
      ? ((m1.busy - this.m0.busy) / (m1.total - this.m0.total)) * os.cpus().length
      : null;
  }
}

/** PostgreSQL's CPU as percent of one core: the bench's sessions plus background work, and others'. */
function pgPercent(c: PgCpu | null | undefined, wallMs: number): { bench: number; others: number } | null {
  if (!c) return null;
  const pct = (micros: number) => (micros / 1000 / wallMs) * 100;
  return { bench: pct(c.oursMicros + c.backgroundMicros), others: pct(c.othersMicros) };
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};
const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MiB`;
const fixed = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

/** An error with its causes (fetch says only "fetch failed"; the reason is in `cause`). */
function describeError(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e; c && parts.length < 4; c = (c as { cause?: unknown }).cause) {
    const err = c as { message?: string; code?: string };
    parts.push([err.code, err.message ?? String(c)].filter(Boolean).join(' '));
  }
  return parts.join(' <- ') || String(e);
}

// ---------------------------------------------------------------------------------------------
// Throughput

interface ThroughputResult {
  database: BenchDb;
  path: 'in-process' | 'http';
  kind: LogKind;
  batchSize: number;
  senders: number;
  /** Tenants the senders write to: 1 (all share one seal chain) or one each. */
  tenants: number;
  batches: number;
  events: number;
  rejected: number;
  seconds: number;
  eventsPerSecond: number;
  serverPeakRssBytes: number;
  serverCpuPercent: number;
  /**
   * PostgreSQL's CPU (when local), percent of one core: `bench` is the server's own sessions plus
   * PostgreSQL's background processes; `others` is other clients' sessions (not the bench's work).
   */
  pgCpuPercent: { bench: number; others: number } | null;
  machineBusyCores: number | null;
  /** HTTP only: the load generator's own CPU (this process). */
  senderCpuPercent: number | null;
  /** HTTP only: per-request latency of the batches, ms. */
  requestMs: { p50: number; max: number } | null;
  /** HTTP only: MiB per request body. */
  bodyMiB: number | null;
  perEventMicros: number;
  breakdown: Breakdown | null;
  failures: string[];
  window: [number, number];
}

async function inProcessRun(
  db: BenchDb,
  server: ServerProcess,
  kind: LogKind,
  batchSize: number,
  events: number,
  opts: { breakdown: boolean; smallWarmup: boolean },
): Promise<ThroughputResult> {
  // The breakdown re-runs ~30,000 events (1,000 with small warm-ups, i.e. --smoke).
  const breakdownSize = opts.smallWarmup ? Math.min(batchSize, 1_000) : batchSize;
  const r: IngestRunResult = await server.request(
    {
      type: 'ingest',
      kind,
      batchSize,
      events,
      seed: 1000 + batchSize,
      warmupSize: opts.smallWarmup ? Math.min(batchSize, 1_000) : batchSize,
      breakdownBatches: opts.breakdown ? Math.max(1, Math.min(3, Math.round(30_000 / breakdownSize))) : 0,
      breakdownSize,
    },
    'ingested',
    3_600_000,
  );
  return {
    database: db,
    path: 'in-process',
    kind,
    batchSize,
    senders: 1,
    tenants: 1,
    batches: r.batches,
    events: r.accepted,
    rejected: r.rejected,
    seconds: r.seconds,
    eventsPerSecond: r.eventsPerSecond,
    serverPeakRssBytes: r.peakRssBytes,
    serverCpuPercent: r.cpuPercent,
    pgCpuPercent: pgPercent(r.pgCpu, r.seconds * 1000),
    machineBusyCores: r.machineBusyCores,
    senderCpuPercent: null,
    requestMs: null,
    bodyMiB: null,
    perEventMicros: r.perEventMicros,
    breakdown: r.breakdown,
    failures: r.rejected ? [`${r.rejected} records rejected`] : [],
    window: r.window,
  };
}

/** Request bodies: `batches` batches of `batchSize` lines dated over the last ten minutes. */
function buildBodies(
  kind: LogKind,
  batchSize: number,
  batches: number,
  seed: number,
): Uint8Array<ArrayBuffer>[] {
  const gen = generatorFor(kind, { seed, users: SEARCH_USERS });
  const end = Date.now();
  const out: Uint8Array<ArrayBuffer>[] = [];
  for (let b = 0; b < batches; b++) {
    const lines: string[] = new Array(batchSize);
    for (let i = 0; i < batchSize; i++) lines[i] = gen.line(end - 600_000 + (i * 600_000) / batchSize);
    out.push(new Uint8Array(Buffer.from(lines.join('\n') + '\n')));
  }
  return out;
}

/**
 * One HTTP request on `agent` (a keep-alive agent per scenario, destroyed after it: a connection
 * left idle while an in-process scenario runs could be closed by the server just as it is reused).
 */
function request(
  agent: http.Agent,
  url: string,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  body?: Uint8Array,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function postBatch(
  agent: http.Agent,
  url: string,
  token: string,
  kind: LogKind,
  body: Uint8Array<ArrayBuffer>,
): Promise<{ ok: boolean; accepted: number; rejected: number; status: number; text: string }> {
  const { status, text } = await request(
    agent,
    `${url}/api/v1/ingest`,
    'POST',
    {
      authorization: `Bearer ${token}`,
      'content-type': kind === 'sshd' ? 'text/plain' : 'application/x-ndjson',
      'content-length': String(body.byteLength),
    },
    body,
  );
  if (status !== 200) return { ok: false, accepted: 0, rejected: 0, status, text };
  const j = JSON.parse(text) as { accepted: number; rejectedTotal: number };
  return { ok: true, accepted: j.accepted, rejected: j.rejectedTotal, status: 200, text: '' };
}

async function httpRun(
  db: BenchDb,
  server: ServerProcess,
  ready: ReadyMessage,
  kind: LogKind,
  batchSize: number,
  events: number,
  senders: number,
  smallWarmup: boolean,
  separateTenants = false,
): Promise<ThroughputResult> {
  const batches = Math.max(1, Math.round(events / batchSize));
  const sources = (separateTenants ? ready.sshdSourcesInSeparateTenants : ready.sources[kind]).slice(
    0,
    senders,
  );
  const bodies = buildBodies(kind, batchSize, batches, 2000 + batchSize);
  const failures: string[] = [];
  // Warm-up: one unmeasured batch (JIT, today's partition, the route).
  const [warm] = buildBodies(kind, smallWarmup ? Math.min(batchSize, 1_000) : batchSize, 1, 3000 + batchSize);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sources.length });
  const w = await postBatch(agent, ready.url, sources[0]!.token, kind, warm!).catch((e: unknown) => {
    agent.destroy();
    throw new Error(`warm-up request failed: ${describeError(e)}`);
  });
  if (!w.ok) failures.push(`warm-up: HTTP ${w.status} ${w.text.slice(0, 200)}`);
  const before = await server.stats(true, 'mark');
  const machine = new MachineWindow();
  const senderCpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  let accepted = 0;
  let rejected = 0;
  const latencies: number[] = [];
  await Promise.all(
    sources.map(async (s) => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const q0 = performance.now();
        let r;
        try {
          r = await postBatch(agent, ready.url, s.token, kind, body);
        } catch (e) {
          // A network failure (the server died, a timeout): note why, and stop this sender.
          failures.push(`request failed: ${describeError(e)}`);
          return;
        }
        latencies.push(performance.now() - q0);
        if (!r.ok) {
          if (failures.length < 5) failures.push(`HTTP ${r.status} ${r.text.slice(0, 200)}`);
          continue;
        }
        accepted += r.accepted;
        rejected += r.rejected;
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const senderCpu = process.cpuUsage(senderCpu0);
  agent.destroy();
  const busy = machine.busyCores();
  const after = await server.stats(false, 'measure');
  if (rejected) failures.push(`${rejected} records rejected`);
  return {
    database: db,
    path: 'http',
    kind,
    batchSize,
    senders: sources.length,
    tenants: separateTenants ? sources.length : 1,
    batches,
    events: accepted,
    rejected,
    seconds: wallMs / 1000,
    eventsPerSecond: accepted / (wallMs / 1000),
    serverPeakRssBytes: after.peakRssBytes,
    serverCpuPercent:
      ((after.cpuUserMicros + after.cpuSystemMicros - before.cpuUserMicros - before.cpuSystemMicros) /
        1000 /
        wallMs) *
      100,
    pgCpuPercent: pgPercent(after.pgCpu, wallMs),
    machineBusyCores: busy,
    senderCpuPercent: ((senderCpu.user + senderCpu.system) / 1000 / wallMs) * 100,
    requestMs: { p50: quantile(latencies, 0.5), max: Math.max(...latencies) },
    bodyMiB: bodies.reduce((a, b) => a + b.length, 0) / bodies.length / 1_048_576,
    perEventMicros: (wallMs * 1000) / Math.max(1, accepted),
    breakdown: null,
    failures,
    window: [before.monotonicMicros, after.monotonicMicros],
  };
}

function printThroughput(r: ThroughputResult): void {
  const target =
    r.kind === 'sshd'
      ? r.eventsPerSecond >= TARGET_EPS[r.database]
        ? '  target met'
        : `  target ${thousands(TARGET_EPS[r.database])}/s MISSED`
      : '';
  const extra = [
    r.pgCpuPercent
      ? `postgres CPU ${fixed(r.pgCpuPercent.bench, 0)}% (+ other clients' sessions ${fixed(r.pgCpuPercent.others, 0)}%)`
      : null,
    r.machineBusyCores !== null
      ? `machine busy ${fixed(r.machineBusyCores, 2)}/${os.cpus().length} cores`
      : null,
    r.senderCpuPercent !== null ? `senders CPU ${fixed(r.senderCpuPercent, 0)}%` : null,
    r.requestMs ? `request p50 ${fixed(r.requestMs.p50, 0)} ms` : null,
    r.bodyMiB !== null ? `body ${fixed(r.bodyMiB, 2)} MiB` : null,
  ]
    .filter(Boolean)
    .join(', ');
  console.log(
    `  ${r.path.padEnd(10)} ${r.kind.padEnd(5)} batch ${String(r.batchSize).padStart(6)}` +
      `${r.path === 'http' ? ` ×${r.senders} senders${r.tenants > 1 ? ` in ${r.tenants} tenants` : ''}` : ' (1 in flight)'}: ` +
      `${thousands(r.eventsPerSecond).padStart(7)} events/s (${thousands(r.events)} in ${fixed(r.seconds, 1)} s)` +
      `  server peak RSS ${mib(r.serverPeakRssBytes)}, CPU ${fixed(r.serverCpuPercent, 0)}%` +
      (extra ? `, ${extra}` : '') +
      target +
      (r.failures.length ? `  << ${r.failures.join('; ')}` : ''),
  );
  if (r.breakdown) {
    const b = r.breakdown;
    const other = r.perEventMicros - b.parseMicros - b.hashMicros - b.insertMicros;
    const pct = (x: number) => `${fixed((x / r.perEventMicros) * 100, 0)}%`;
    // The phases are timed apart from the measured run; on a noisy machine they can add up to more.
    const rest =
      other >= 0
        ? `${fixed(other, 1)} µs (${pct(other)})`
        : `~0 (the phases, timed apart, came to ${fixed(-other, 1)} µs more than the run)`;
    console.log(
      `      per event ${fixed(r.perEventMicros, 1)} µs: parse+normalise ${fixed(b.parseMicros, 1)} µs (${pct(b.parseMicros)}),` +
        ` content hash ${fixed(b.hashMicros, 1)} µs (${pct(b.hashMicros)}),` +
        ` INSERT (COPY) ${fixed(b.insertMicros, 1)} µs (${pct(b.insertMicros)}),` +
        ` rest (seal rows, head lock, commit) ${rest}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The search tenant: a log file, imported, then searched

interface SearchFile {
  file: string;
  lines: number;
  bytes: number;
  generateSeconds: number;
  endMs: number;
  gen: LogGenerator;
}

/** Writes `lines` sshd lines spread over the last 180 days, oldest first. */
async function writeSearchFile(lines: number): Promise<SearchFile> {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `sshd-${lines}-${process.pid}.log`);
  const gen = generatorFor('sshd', { seed: 42, users: SEARCH_USERS });
  const endMs = Date.now();
  const t0 = performance.now();
  const fd = fs.openSync(file, 'w');
  try {
    let chunk: string[] = [];
    for (const line of datedLines(gen, lines, endMs, SEARCH_DAYS * 86_400_000)) {
      chunk.push(line);
      if (chunk.length === 20_000) {
        fs.writeSync(fd, chunk.join('\n') + '\n');
        chunk = [];
      }
    }
    if (chunk.length) fs.writeSync(fd, chunk.join('\n') + '\n');
  } finally {
    fs.closeSync(fd);
  }
  return {
    file,
    lines,
    bytes: fs.statSync(file).size,
    generateSeconds: (performance.now() - t0) / 1000,
    endMs,
    gen,
  };
}

interface MemoryVerdict {
  rssAt10PercentBytes: number;
  rssAtEndBytes: number;
  maxRssAfter10PercentBytes: number;
  /** Least-squares slope of RSS over the second half of the import, MiB per million events. */
  slopeMiBPerMillion: number;
  /** Null when the import was too small to tell (under a million events). */
  flat: boolean | null;
}

function memoryVerdict(series: RssPoint[], total: number): MemoryVerdict {
  const after10 = series.filter((p) => p.events >= total * 0.1);
  const at10 = after10[0] ?? series[0]!;
  const end = series[series.length - 1]!;
  const half = series.filter((p) => p.events >= total * 0.5);
  let slope = 0;
  if (half.length >= 3) {
    const xs = half.map((p) => p.events / 1e6);
    const ys = half.map((p) => p.rssBytes / 1_048_576);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    let num = 0;
    let den = 0;
    for (let i = 0; i < xs.length; i++) {
      num += (xs[i]! - mx) * (ys[i]! - my);
      den += (xs[i]! - mx) ** 2;
    }
    slope = den ? num / den : 0;
  }
  const maxAfter = Math.max(...after10.map((p) => p.rssBytes));
  return {
    rssAt10PercentBytes: at10.rssBytes,
    rssAtEndBytes: end.rssBytes,
    maxRssAfter10PercentBytes: maxAfter,
    slopeMiBPerMillion: slope,
    // Flat: no growth that scales with the amount imported (a few MiB per million is noise).
    flat:
      total < 1_000_000 || half.length < 3
        ? null
        : Math.abs(slope) < 10 && maxAfter <= at10.rssBytes * 1.25 + 64 * 1_048_576,
  };
}

interface SearchStats {
  database: BenchDb;
  via: 'in-process' | 'http';
  who: string;
  /** Events each queried user has in the tenant (median over the users queried). */
  userEventsMedian: number;
  queries: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  pageSizeMedian: number;
  failures: string[];
}

interface SearchReport {
  database: BenchDb;
  tenantEvents: number;
  fileLines: number;
  fileBytes: number;
  fileGenerateSeconds: number;
  import: CliImportResult | ImportResult;
  /** How the file was imported (see --import-via). */
  importVia: Settings['importVia'];
  /** The server's memory over the import. */
  memory: MemoryVerdict;
  /** The CLI's memory over the import (--import-via cli). */
  clientMemory: MemoryVerdict | null;
  stats: SearchStats[];
  explain: string[] | null;
  /** From the EXPLAIN ANALYZE of one typical user's first page. */
  plan: { planningMs: number; executionMs: number; scanNodes: number } | null;
  countCheck: { user: string; expected: number; stored: number | null } | null;
}

function summarise(
  database: BenchDb,
  via: SearchStats['via'],
  who: string,
  counts: number[],
  latencies: number[],
  pageSizes: number[],
  failures: string[],
): SearchStats {
  return {
    database,
    via,
    who,
    userEventsMedian: quantile(counts, 0.5),
    queries: latencies.length,
    p50Ms: quantile(latencies, 0.5),
    p95Ms: quantile(latencies, 0.95),
    maxMs: Math.max(...latencies),
    pageSizeMedian: quantile(pageSizes, 0.5),
    failures,
  };
}

/** One first page over HTTP: GET /api/v1/orgs/:id/events with the logs:read API token. */
async function httpSearchOne(
  agent: http.Agent,
  ready: ReadyMessage,
  user: string,
  from: string,
  to: string,
): Promise<{ ms: number; pageSize: number | null; failure: string | null }> {
  const qs = new URLSearchParams({ user, from, to, limit: String(LIMIT) });
  const t0 = performance.now();
  const res = await request(agent, `${ready.url}/api/v1/orgs/${ready.searchOrgId}/events?${qs}`, 'GET', {
    authorization: `Bearer ${ready.searchToken}`,
  });
  const ms = performance.now() - t0;
  if (res.status !== 200)
    return { ms, pageSize: null, failure: `HTTP ${res.status} ${res.text.slice(0, 200)}` };
  return { ms, pageSize: (JSON.parse(res.text) as { events: unknown[] }).events.length, failure: null };
}

/** Runs in-process and HTTP queries alternately, so neither path gets the warmer caches. */
async function searchBoth(
  server: ServerProcess,
  ready: ReadyMessage,
  pairs: [string, string][],
  from: string,
  to: string,
) {
  const inProc = { latencies: [] as number[], pageSizes: [] as number[] };
  const viaHttp = { latencies: [] as number[], pageSizes: [] as number[], failures: [] as string[] };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (const [a, b] of pairs) {
      const r = await server.request(
        { type: 'search', users: [a], warmupUsers: [], from, to, limit: LIMIT },
        'searched',
        600_000,
      );
      inProc.latencies.push(...r.latenciesMs);
      inProc.pageSizes.push(...r.pageSizes);
      const h = await httpSearchOne(agent, ready, b, from, to);
      viaHttp.latencies.push(h.ms);
      if (h.pageSize !== null) viaHttp.pageSizes.push(h.pageSize);
      if (h.failure && viaHttp.failures.length < 5) viaHttp.failures.push(h.failure);
    }
  } finally {
    agent.destroy();
  }
  return { inProc, viaHttp };
}

interface CliImportResult extends Omit<ImportResult, 'type' | 'series'> {
  series: (RssPoint & { clientRssBytes?: number })[];
  client: { pid: number; peakRssBytes: number; output: string };
}

const ACCORD_BIN = path.join(REPO_ROOT, 'packages/server/bin/accord.mjs');

/** Reads `VmRSS` and `VmHWM` of a process (Linux), in bytes; null when it is gone. */
function procMemory(pid: number): { rss: number; hwm: number } | null {
  try {
    const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(st)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/**
 * Imports the file with the CLI, `accord ingest FILE` (a separate process streaming batches of
 * whole lines to POST /api/v1/ingest, one at a time, saving a checkpoint after each), and samples
 * the RSS of both processes once a second; progress comes from the CLI's checkpoint file.
 */
async function cliImport(
  server: ServerProcess,
  ready: ReadyMessage,
  sf: SearchFile,
  progress: (events: number, seconds: number, rssBytes: number, clientRss?: number) => void,
): Promise<CliImportResult> {
  const checkpoint = `${sf.file}.${process.pid}-${Date.now()}.accord-ingest.json`;
  await server.stats(true);
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      ACCORD_BIN,
      'ingest',
      sf.file,
      '--url',
      ready.url,
      '--token',
      ready.searchSourceToken,
      '--batch-lines',
      '10000',
      '--batch-bytes',
      '16MiB',
      '--checkpoint',
      checkpoint,
      '--restart',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (b: Buffer) => (output = (output + b.toString('utf8')).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const series: CliImportResult['series'] = [];
  let clientPeak = 0;
  let lastProgress = 0;
  let done = false;
  void exited.then(() => (done = true));
  const readCheckpoint = () => {
    try {
      return JSON.parse(fs.readFileSync(checkpoint, 'utf8')) as {
        accepted: number;
        rejected: number;
        batches: number;
      };
    } catch {
      return null; // not written yet, or being replaced
    }
  };
  while (!done) {
    await new Promise((r) => setTimeout(r, 1000));
    if (done) break;
    const mem = procMemory(child.pid!);
    const st = await server.stats();
    const cp = readCheckpoint();
    if (!mem || !cp) continue;
    clientPeak = Math.max(clientPeak, mem.hwm);
    const seconds = (performance.now() - t0) / 1000;
    series.push({
      events: cp.accepted,
      seconds,
      rssBytes: st.rssBytes,
      heapUsedBytes: st.heapUsedBytes,
      clientRssBytes: mem.rss,
    });
    if (cp.accepted - lastProgress >= sf.lines / 20) {
      lastProgress = cp.accepted;
      progress(cp.accepted, seconds, st.rssBytes, mem.rss);
    }
  }
  const code = await exited;
  const seconds = (performance.now() - t0) / 1000;
  const cp = readCheckpoint();
  fs.rmSync(checkpoint, { force: true });
  if (code !== 0 || !cp)
    throw new Error(`accord ingest exited with code ${code}: ${output.trim().slice(-1000)}`);
  const st = await server.stats();
  series.push({
    events: cp.accepted,
    seconds,
    rssBytes: st.rssBytes,
    heapUsedBytes: st.heapUsedBytes,
    clientRssBytes: series[series.length - 1]?.clientRssBytes ?? 0,
  });
  return {
    lines: sf.lines,
    accepted: cp.accepted,
    rejected: cp.rejected,
    batches: cp.batches,
    seconds,
    eventsPerSecond: cp.accepted / seconds,
    peakRssBytes: st.peakRssBytes,
    series,
    client: { pid: child.pid!, peakRssBytes: clientPeak, output: output.trim().slice(-500) },
  };
}

async function searchPhase(
  db: BenchDb,
  server: ServerProcess,
  ready: ReadyMessage,
  sf: SearchFile,
  settings: Settings,
): Promise<SearchReport> {
  console.log(
    `  importing ${thousands(sf.lines)} sshd lines (${mib(sf.bytes)}, spread over ${SEARCH_DAYS} days, ` +
      `${SEARCH_USERS} tenant users + scanner names) into one tenant, in batches of 10,000 ` +
      (settings.importVia === 'cli'
        ? 'with `accord ingest FILE` over HTTP ...'
        : 'through rt.services.ingest.ingest ...'),
  );
  const progress = (events: number, seconds: number, rssBytes: number, clientRss?: number) =>
    console.log(
      `    ${thousands(events).padStart(11)} events  ${fixed(seconds, 0).padStart(5)} s` +
        `  ${thousands(events / seconds).padStart(7)} events/s  server RSS ${mib(rssBytes)}` +
        (clientRss !== undefined ? `  client RSS ${mib(clientRss)}` : ''),
    );
  const imp =
    settings.importVia === 'cli'
      ? await cliImport(server, ready, sf, progress)
      : await server.request(
          { type: 'import', file: sf.file, batchSize: 10_000, expectedLines: sf.lines },
          'imported',
          24 * 3_600_000,
          (p) => progress(p.events, p.seconds, p.rssBytes),
        );
  const memory = memoryVerdict(imp.series, imp.accepted);
  let clientMemory: MemoryVerdict | null = null;
  if ('client' in imp) {
    clientMemory = memoryVerdict(
      imp.series.map((p) => ({ ...p, rssBytes: p.clientRssBytes ?? 0 })),
      imp.accepted,
    );
    console.log(
      `  the CLI (pid ${imp.client.pid}): RSS at 10% ${mib(clientMemory.rssAt10PercentBytes)}, at the end ` +
        `${mib(clientMemory.rssAtEndBytes)}, peak ${mib(imp.client.peakRssBytes)}; slope over the second half ` +
        `${fixed(clientMemory.slopeMiBPerMillion, 1)} MiB per million events: ` +
        (clientMemory.flat === null
          ? 'too small to judge'
          : clientMemory.flat
            ? 'memory flat'
            : 'memory NOT flat'),
    );
  }
  console.log(
    `  imported ${thousands(imp.accepted)} events (${imp.rejected} rejected) in ${fixed(imp.seconds, 0)} s ` +
      `= ${thousands(imp.eventsPerSecond)} events/s; RSS at 10% ${mib(memory.rssAt10PercentBytes)}, ` +
      `at the end ${mib(memory.rssAtEndBytes)}, peak ${mib(imp.peakRssBytes)}; ` +
      `slope over the second half ${fixed(memory.slopeMiBPerMillion, 1)} MiB per million events: ` +
      (memory.flat === null ? 'too small to judge' : memory.flat ? 'memory flat' : 'memory NOT flat'),
  );

  // Users: disjoint random sets for the two paths and the warm-up, so no query repeats a user.
  const rng = new Rng(7);
  const order = Array.from({ length: sf.gen.users.length }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const n = Math.min(settings.searchQueries, Math.floor((order.length - 5) / 2));
  const warmIdx = order.slice(0, 5);
  const inIdx = order.slice(5, 5 + n);
  const httpIdx = order.slice(5 + n, 5 + 2 * n);
  const name = (i: number) => sf.gen.users[i]!;
  const count = (i: number) => sf.gen.perUser[i]!;
  const now = Date.now();
  const from = new Date(now - SEARCH_DAYS * 86_400_000).toISOString();
  const to = new Date(now).toISOString();
  const heavy = 'root';
  const heavyCount = sf.gen.perScannedName.get(heavy) ?? 0;

  // Warm-up (other users), then the typical users and the busiest account, the two paths in turn.
  await searchBoth(
    server,
    ready,
    warmIdx.map((i) => [name(i), name(order[order.length - 1 - i]!)]),
    from,
    to,
  );
  const typical = await searchBoth(
    server,
    ready,
    inIdx.map((i, k) => [name(i), name(httpIdx[k]!)]),
    from,
    to,
  );
  const heavyRuns = settings.smoke ? 3 : 10;
  const busiest = await searchBoth(server, ready, Array(heavyRuns).fill([heavy, heavy]), from, to);
  const stats: SearchStats[] = [
    summarise(
      db,
      'in-process',
      'one tenant user',
      inIdx.map(count),
      typical.inProc.latencies,
      typical.inProc.pageSizes,
      [],
    ),
    summarise(
      db,
      'http',
      'one tenant user',
      httpIdx.map(count),
      typical.viaHttp.latencies,
      typical.viaHttp.pageSizes,
      typical.viaHttp.failures,
    ),
    summarise(
      db,
      'in-process',
      `'${heavy}' (same query repeated)`,
      [heavyCount],
      busiest.inProc.latencies,
      busiest.inProc.pageSizes,
      [],
    ),
    summarise(
      db,
      'http',
      `'${heavy}' (same query repeated)`,
      [heavyCount],
      busiest.viaHttp.latencies,
      busiest.viaHttp.pageSizes,
      busiest.viaHttp.failures,
    ),
  ];
  // The plan of one typical user's query, and that user's stored events against the generator's count.
  const inProc = await server.request(
    {
      type: 'search',
      users: [],
      warmupUsers: [],
      from,
      to,
      limit: LIMIT,
      explainUser: name(inIdx[0]!),
      countUser: name(inIdx[0]!),
    },
    'searched',
    3_600_000,
  );
  for (const s of stats) printSearch(s);
  const expected = count(inIdx[0]!);
  const countCheck = { user: name(inIdx[0]!), expected, stored: inProc.userCount };
  if (countCheck.stored !== expected)
    console.log(
      `  note: the generator made ${expected} events for ${countCheck.user}, the tenant holds ${countCheck.stored}`,
    );
  let plan: SearchReport['plan'] = null;
  if (inProc.explain) {
    const ms = (re: RegExp) => Number(inProc.explain!.map((l) => re.exec(l)?.[1]).find(Boolean) ?? NaN);
    plan = {
      planningMs: ms(/^Planning Time: ([\d.]+) ms/),
      executionMs: ms(/^Execution Time: ([\d.]+) ms/),
      scanNodes: inProc.explain.filter((l) => /Index Scan|Index Only Scan|Seq Scan|Bitmap Heap Scan/.test(l))
        .length,
    };
    console.log(
      `  EXPLAIN ANALYZE of one user's first page: "${inProc.explain[0]!.trim()}", ${plan.scanNodes} scan ` +
        `nodes (one per day partition); planning ${fixed(plan.planningMs, 1)} ms, execution ${fixed(plan.executionMs, 1)} ms`,
    );
  }
  return {
    database: db,
    tenantEvents: imp.accepted,
    fileLines: sf.lines,
    fileBytes: sf.bytes,
    fileGenerateSeconds: sf.generateSeconds,
    import: imp,
    importVia: settings.importVia,
    memory,
    clientMemory,
    stats,
    explain: inProc.explain,
    plan,
    countCheck,
  };
}

function printSearch(s: SearchStats): void {
  console.log(
    `  search ${s.via.padEnd(10)} ${s.who.padEnd(30)} (${thousands(s.userEventsMedian)} events, first page of ${LIMIT}):` +
      ` p50 ${fixed(s.p50Ms, 1)} ms  p95 ${fixed(s.p95Ms, 1)} ms  max ${fixed(s.maxMs, 1)} ms` +
      ` over ${s.queries} queries, page ${s.pageSizeMedian}` +
      (s.failures.length ? `  << ${s.failures.join('; ')}` : ''),
  );
}

// ---------------------------------------------------------------------------------------------
// Profiles

interface ProfileReport {
  database: BenchDb;
  file: string | null;
  inProcess: { eventsPerSecond: number; summary: ProfileSummary } | null;
  http: { eventsPerSecond: number; summary: ProfileSummary } | null;
  note?: string;
}

/**
 * Runs the sshd 10,000-line scenarios again in a server started with `node --cpu-prof`, and
 * summarises the profile over each measured run. Profiling slows the server down somewhat.
 */
async function profileTarget(
  db: BenchDb,
  settings: Settings,
  opts: { databaseUrl?: string },
): Promise<ProfileReport> {
  const dir = fs.mkdtempSync(path.join(OUT_DIR, `profile-${db}-`));
  const dataDir =
    db === 'pglite' ? fs.mkdtempSync(path.join(os.tmpdir(), 'accord-bench-pglite-')) : 'memory://';
  const server = ServerProcess.spawn(['--cpu-prof', '--cpu-prof-dir', dir]);
  const report: ProfileReport = { database: db, file: null, inProcess: null, http: null };
  let inRun: ThroughputResult | null = null;
  let httpRes: ThroughputResult | null = null;
  try {
    const ready = await server.request(
      {
        type: 'start',
        db,
        dataDir,
        sourcesPerKind: settings.senders,
        ingestMaxBytes: INGEST_MAX_BYTES,
        ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
      },
      'ready',
      300_000,
    );
    const small = settings.smallWarmup;
    inRun = await inProcessRun(db, server, 'sshd', 10_000, settings.profileEvents, {
      breakdown: false,
      smallWarmup: small,
    });
    httpRes = await httpRun(
      db,
      server,
      ready,
      'sshd',
      10_000,
      settings.profileEvents,
      settings.senders,
      small,
    );
    if (db === 'postgres' && !settings.keepData)
      await server.request({ type: 'cleanup' }, 'cleaned', 3_600_000);
  } catch (e) {
    report.note = e instanceof Error ? e.message : String(e);
  } finally {
    await server.stop();
    if (dataDir !== 'memory://') fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return summariseRuns(report, dir, inRun, httpRes);
}

/** Cuts the profile written to `dir` to the measured windows of the two runs and summarises them. */
function summariseRuns(
  report: ProfileReport,
  dir: string,
  inRun: ThroughputResult | null | undefined,
  httpRes: ThroughputResult | null | undefined,
): ProfileReport {
  const file = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))[0];
  if (!file) {
    report.note = (report.note ? report.note + '; ' : '') + 'no .cpuprofile was written';
    return report;
  }
  report.file = file;
  if (inRun)
    report.inProcess = {
      eventsPerSecond: inRun.eventsPerSecond,
      summary: summariseProfile(file, inRun.window),
    };
  if (httpRes)
    report.http = {
      eventsPerSecond: httpRes.eventsPerSecond,
      summary: summariseProfile(file, httpRes.window),
    };
  return report;
}

function printProfile(p: ProfileReport): void {
  console.log(`\n[${p.database}] CPU profile of the server (node --cpu-prof): ${p.file ?? '(none)'}`);
  if (p.note) console.log(`  note: ${p.note}`);
  if (p.inProcess)
    console.log(
      formatSummary(
        p.inProcess.summary,
        `  in-process sshd, batch 10,000 (${thousands(p.inProcess.eventsPerSecond)} events/s while profiled)`,
      ),
    );
  if (p.http)
    console.log(
      formatSummary(
        p.http.summary,
        `  HTTP sshd, batch 10,000 (${thousands(p.http.eventsPerSecond)} events/s while profiled)`,
      ),
    );
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
  setupSeconds?: number;
  loadAverage?: { before: number[]; after: number[] };
  throughput: ThroughputResult[];
  /** Scenarios that threw (the rest of the run went on). */
  scenarioFailures: string[];
  search: SearchReport | null;
  cleanup?: { seconds: number; deleted: number };
  profile?: ProfileReport;
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

/** Other sessions working on the PostgreSQL server right now (they share its CPU and disk). */
async function postgresActivity(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const r = await client.query<{ active: number; total: number; version: string; sc: string; sb: string }>(
      `select count(*) filter (where state = 'active' and pid <> pg_backend_pid())::int as active,
              count(*)::int as total, version() as version,
              current_setting('synchronous_commit') as sc, current_setting('shared_buffers') as sb
         from pg_stat_activity where backend_type = 'client backend'`,
    );
    const row = r.rows[0]!;
    return (
      `${row.version.split(' on ')[0]}, synchronous_commit=${row.sc}, shared_buffers=${row.sb}; ` +
      `${row.total - 1} other client session(s), ${row.active} active`
    );
  } catch (e) {
    return `(could not read pg_stat_activity: ${e instanceof Error ? e.message : String(e)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const loadavg = () =>
  os
    .loadavg()
    .map((n) => fixed(n, 2))
    .join(' ');

async function benchTarget(
  db: BenchDb,
  settings: Settings,
  searchFile: (lines: number) => Promise<SearchFile | null>,
  opts: { dataDir: string; databaseUrl?: string },
): Promise<TargetReport> {
  const report: TargetReport = {
    database: db,
    status: 'failed',
    throughput: [],
    scenarioFailures: [],
    search: null,
  };
  const load0 = os.loadavg();
  // --smoke profiles the measured server itself (its figures do not count); a full run profiles
  // a second server afterwards, so that profiling never slows down the figures it reports.
  const inlineProfile = settings.smoke && settings.profile !== 'never';
  const profileDir = inlineProfile ? fs.mkdtempSync(path.join(OUT_DIR, `profile-${db}-`)) : null;
  const server = ServerProcess.spawn(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []);
  try {
    const ready = await server.request(
      {
        type: 'start',
        db,
        dataDir: opts.dataDir,
        sourcesPerKind: settings.senders,
        ingestMaxBytes: INGEST_MAX_BYTES,
        ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
      },
      'ready',
      300_000,
    );
    Object.assign(report, {
      describe: ready.database,
      serverPid: ready.pid,
      dbPoolSize: ready.dbPoolSize,
      setupSeconds: ready.setupSeconds,
    });
    console.log(
      `\n[${db}] ${ready.database}` +
        (db === 'postgres' ? `, pool ${ready.dbPoolSize}` : '') +
        `; server pid ${ready.pid} at ${ready.url}, log level ${ready.logLevel};` +
        ` ingest body limit ${mib(ready.ingestMaxBytes)}, rate limit ${ready.ingestRatePerSource}/s per source;` +
        ` load average ${loadavg()}`,
    );
    if (db === 'postgres' && opts.databaseUrl) console.log(`  ${await postgresActivity(opts.databaseUrl)}`);
    // A scenario that fails is recorded and the next one runs, unless the server is gone.
    const scenario = async (label: string, run: () => Promise<ThroughputResult>) => {
      try {
        const r = await run();
        report.throughput.push(r);
        printThroughput(r);
      } catch (e) {
        const why = describeError(e);
        report.scenarioFailures.push(`${label}: ${why}`);
        console.error(`  ${label}: FAILED: ${why}`);
        if (!server.alive) throw new Error(`the server process died during ${label}`);
      }
    };
    for (const kind of settings.kinds) {
      for (const batchSize of settings.batchSizes) {
        await scenario(`in-process ${kind} batch ${batchSize}`, () =>
          inProcessRun(db, server, kind, batchSize, settings.events, {
            breakdown: true,
            smallWarmup: settings.smallWarmup,
          }),
        );
        await scenario(`http ${kind} batch ${batchSize}`, () =>
          httpRun(
            db,
            server,
            ready,
            kind,
            batchSize,
            settings.events,
            settings.senders,
            settings.smallWarmup,
          ),
        );
        // The same senders, each in a tenant of its own: no shared seal-chain lock.
        if (kind === 'sshd' && settings.senders > 1)
          await scenario(`http ${kind} batch ${batchSize}, one tenant per sender`, () =>
            httpRun(
              db,
              server,
              ready,
              kind,
              batchSize,
              settings.events,
              settings.senders,
              settings.smallWarmup,
              true,
            ),
          );
      }
    }
    const lines = db === 'pglite' ? settings.pgliteSearchEvents : settings.searchEvents;
    const sf = lines > 0 ? await searchFile(lines) : null;
    if (sf) report.search = await searchPhase(db, server, ready, sf, settings);
    if (db === 'postgres' && !settings.keepData) {
      const c = await server.request({ type: 'cleanup' }, 'cleaned', 3_600_000);
      report.cleanup = { seconds: c.seconds, deleted: c.deleted };
      console.log(
        `  deleted the bench's ${thousands(c.deleted)} events from PostgreSQL in ${fixed(c.seconds, 0)} s`,
      );
    }
    report.status = 'ran';
  } catch (e) {
    report.note = e instanceof Error ? e.message : String(e);
    console.error(`\n[${db}] FAILED: ${report.note}`);
  } finally {
    await server.stop();
    report.loadAverage = { before: load0, after: os.loadavg() };
  }
  const missed = report.throughput.some((r) => r.kind === 'sshd' && r.eventsPerSecond < TARGET_EPS[db]);
  if (report.status === 'ran' && (settings.profile === 'always' || (settings.profile === 'auto' && missed))) {
    const why = missed ? 'sshd target missed' : '--profile always';
    if (profileDir) {
      const pick = (p: ThroughputResult['path']) =>
        report.throughput.find(
          (r) => r.kind === 'sshd' && r.batchSize === 10_000 && r.path === p && r.tenants === 1,
        );
      console.log(`\n[${db}] ${why}: the profile of the measured server (--smoke runs it with --cpu-prof)`);
      report.profile = summariseRuns(
        { database: db, file: null, inProcess: null, http: null },
        profileDir,
        pick('in-process'),
        pick('http'),
      );
    } else {
      console.log(
        `\n[${db}] ${why}: profiling the sshd batch-10,000 scenarios ` +
          `(${thousands(settings.profileEvents)} events each) in a server started with --cpu-prof ...`,
      );
      report.profile = await profileTarget(db, settings, opts);
    }
    printProfile(report.profile);
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// Summary

function table(header: string[], rows: string[][], leftColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function throughputTable(reports: TargetReport[]): string {
  const rows = reports.flatMap((t) =>
    t.throughput.map((r) => [
      r.database,
      r.path,
      r.kind,
      thousands(r.batchSize),
      String(r.senders),
      String(r.tenants),
      thousands(r.events),
      thousands(r.eventsPerSecond),
      r.kind === 'sshd'
        ? `${r.eventsPerSecond >= TARGET_EPS[r.database] ? 'met' : 'missed'} (${thousands(TARGET_EPS[r.database] / 1000)}k)`
        : '-',
      mib(r.serverPeakRssBytes),
      `${fixed(r.serverCpuPercent, 0)}%`,
      r.pgCpuPercent ? `${fixed(r.pgCpuPercent.bench, 0)}%` : '-',
      r.pgCpuPercent ? `${fixed(r.pgCpuPercent.others, 0)}%` : '-',
      r.machineBusyCores !== null ? fixed(r.machineBusyCores, 2) : '-',
      r.failures.length ? 'yes' : '0',
    ]),
  );
  return table(
    [
      'database',
      'path',
      'log',
      'batch',
      'senders',
      'tenants',
      'events',
      'events/s',
      'sshd target',
      'srv peak RSS',
      'srv CPU',
      'pg CPU',
      'other pg',
      'busy cores',
      'errors',
    ],
    rows,
    3,
  );
}

function searchTable(reports: TargetReport[]): string {
  const rows = reports.flatMap((t) =>
    t.search
      ? t.search.stats.map((s) => [
          s.database,
          thousands(t.search!.tenantEvents),
          s.via,
          s.who,
          thousands(s.userEventsMedian),
          String(s.queries),
          fixed(s.p50Ms, 1),
          fixed(s.p95Ms, 1),
          fixed(s.maxMs, 1),
        ])
      : [],
  );
  return table(
    ['database', 'tenant events', 'via', 'user', 'user events', 'queries', 'p50 ms', 'p95 ms', 'max ms'],
    rows,
    4,
  );
}

function importTable(reports: TargetReport[]): string {
  const verdict = (m: MemoryVerdict) => (m.flat === null ? 'n/a' : m.flat ? 'yes' : 'NO');
  const rows = reports.flatMap((t) => {
    const s = t.search;
    if (!s) return [];
    const common = [
      t.database,
      s.importVia === 'cli' ? 'accord ingest' : 'in-process',
      thousands(s.fileLines),
      fixed(s.fileGenerateSeconds, 0),
      fixed(s.import.seconds, 0),
      thousands(s.import.eventsPerSecond),
    ];
    const out = [
      [
        ...common,
        'server',
        mib(s.memory.rssAt10PercentBytes),
        mib(s.memory.rssAtEndBytes),
        mib(s.import.peakRssBytes),
        fixed(s.memory.slopeMiBPerMillion, 1),
        verdict(s.memory),
      ],
    ];
    if ('client' in s.import && s.clientMemory)
      out.push([
        ...common,
        'CLI',
        mib(s.clientMemory.rssAt10PercentBytes),
        mib(s.clientMemory.rssAtEndBytes),
        mib(s.import.client.peakRssBytes),
        fixed(s.clientMemory.slopeMiBPerMillion, 1),
        verdict(s.clientMemory),
      ]);
    return out;
  });
  return table(
    [
      'database',
      'import via',
      'file lines',
      'write file s',
      'import s',
      'events/s',
      'process',
      'RSS at 10%',
      'RSS at end',
      'peak RSS',
      'MiB per 1M (2nd half)',
      'flat',
    ],
    rows,
    2,
  );
}

/** HEAD, with "+dirty" when the working tree has uncommitted changes (they are measured too). */
function gitCommit(): string | null {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    return git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain') ? '+dirty' : '');
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const settings = readSettings(process.argv.slice(2));
  const startedAt = new Date();
  const commit = gitCommit();
  const cpus = os.cpus();
  console.log(
    `Accord ingest benchmark${settings.smoke ? ' (smoke)' : ''}, ${startedAt.toISOString()}, commit ${commit ?? '?'}`,
  );
  console.log(
    `node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} × ${cpus[0]?.model ?? '?'}, ` +
      `${mib(os.totalmem())} RAM`,
  );
  console.log(
    `the server runs in a child process per database (bench/ingest-server.ts); the HTTP senders run in ` +
      `this process (pid ${process.pid}). No shared event loop, but the server, the senders and ` +
      `PostgreSQL all share these ${cpus.length} CPU(s).`,
  );
  const load0 = os.loadavg();
  console.log(
    `load average before: ${loadavg()}` +
      (load0[0]! > cpus.length / 2 ? '  (the machine is busy: expect noisy, lower figures)' : ''),
  );
  console.log(
    `throughput: ${thousands(settings.events)} events per scenario (after one unmeasured warm-up batch), ` +
      `logs ${settings.kinds.join(' and ')}, batch sizes ${settings.batchSizes.map(thousands).join(' and ')}; in-process = one ingest() call ` +
      `at a time; HTTP = ${settings.senders} concurrent senders, each with its own log source of the ` +
      `same tenant. Targets: sshd ≥ ${thousands(TARGET_EPS.postgres)}/s on PostgreSQL, ` +
      `≥ ${thousands(TARGET_EPS.pglite)}/s on PGlite.`,
  );

  fs.mkdirSync(OUT_DIR, { recursive: true });
  const files = new Map<number, SearchFile>();
  const searchFile = async (lines: number): Promise<SearchFile | null> => {
    let f = files.get(lines);
    if (!f) {
      console.log(`  writing the search tenant's log file (${thousands(lines)} sshd lines) ...`);
      f = await writeSearchFile(lines);
      console.log(`  wrote ${f.file} (${mib(f.bytes)}) in ${fixed(f.generateSeconds, 1)} s`);
      files.set(lines, f);
    }
    return f;
  };

  const reports: TargetReport[] = [];
  const notes: string[] = [];
  try {
    if (settings.only !== 'postgres') {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-bench-pglite-'));
      try {
        reports.push(await benchTarget('pglite', settings, searchFile, { dataDir }));
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    }
    if (settings.only !== 'pglite') {
      const explicitUrl = process.env.DATABASE_URL || undefined;
      // Never the shared `test` database of the suites: it becomes acc_bench_ingest (created if missing).
      const resolved = await resolveDatabase('acc_bench_ingest');
      for (const n of resolved.notes) console.log(`\n[postgres] ${n}`);
      const pgUrl = resolved.url ?? explicitUrl ?? DEFAULT_PG_URL;
      const problem = await postgresProblem(pgUrl);
      if (problem === null) {
        reports.push(
          await benchTarget('postgres', settings, searchFile, { dataDir: 'memory://', databaseUrl: pgUrl }),
        );
      } else if (explicitUrl) {
        const note = `DATABASE_URL ${redactUrl(pgUrl)} is not reachable: ${problem}`;
        reports.push({
          database: 'postgres',
          status: 'failed',
          note,
          throughput: [],
          scenarioFailures: [],
          search: null,
        });
        console.error(`\n[postgres] FAILED: ${note}`);
      } else {
        const note =
          `skipped: DATABASE_URL is not set and ${redactUrl(pgUrl)} is not reachable (${problem}); ` +
          `set DATABASE_URL to benchmark PostgreSQL`;
        reports.push({
          database: 'postgres',
          status: 'skipped',
          note,
          throughput: [],
          scenarioFailures: [],
          search: null,
        });
        notes.push(`postgres ${note}`);
        console.log(`\n[postgres] ${note}`);
      }
    }
  } finally {
    for (const f of files.values()) fs.rmSync(f.file, { force: true });
  }
  if (settings.pgliteSearchEvents !== settings.searchEvents)
    notes.push(
      `the PGlite search tenant had ${thousands(settings.pgliteSearchEvents)} events, PostgreSQL's ` +
        `${thousands(settings.searchEvents)} (--pglite-search-events)`,
    );

  const failures = [
    ...reports.filter((t) => t.status === 'failed').map((t) => `${t.database}: ${t.note}`),
    ...reports.flatMap((t) => t.scenarioFailures.map((f) => `${t.database} ${f}`)),
    ...reports.flatMap((t) =>
      t.throughput
        .filter((r) => r.failures.length > 0 || r.events === 0)
        .map(
          (r) =>
            `${r.database} ${r.path} ${r.kind} batch ${r.batchSize}: ${r.failures.join('; ') || 'no events'}`,
        ),
    ),
    ...reports.flatMap((t) =>
      (t.search?.stats ?? [])
        .filter((s) => s.failures.length > 0 || s.pageSizeMedian === 0)
        .map((s) => `${s.database} search ${s.via} ${s.who}: ${s.failures.join('; ') || 'empty pages'}`),
    ),
    ...reports.flatMap((t) =>
      t.search?.countCheck && t.search.countCheck.stored !== t.search.countCheck.expected
        ? [
            `${t.database}: ${t.search.countCheck.user} has ${t.search.countCheck.stored} stored events, ` +
              `the generator made ${t.search.countCheck.expected}`,
          ]
        : [],
    ),
  ];
  const finishedAt = new Date();
  const elapsed = (finishedAt.getTime() - startedAt.getTime()) / 1000;
  const outFile = path.join(OUT_DIR, `ingest-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    outFile,
    JSON.stringify(
      {
        benchmark: 'accord ingest',
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        elapsedSeconds: elapsed,
        commit,
        node: process.version,
        platform: `${os.platform()} ${os.arch()}`,
        cpus: { count: cpus.length, model: cpus[0]?.model ?? null },
        totalMemoryBytes: os.totalmem(),
        loadAverage: { before: load0, after: os.loadavg() },
        settings,
        targets: { sshdEventsPerSecond: TARGET_EPS, memoryFlat: true },
        ingestMaxBytes: INGEST_MAX_BYTES,
        results: reports,
        notes,
        ok: failures.length === 0,
        failures,
      },
      null,
      2,
    ) + '\n',
  );

  console.log(`\nIngest throughput (events/s end to end: parse, normalise, store, seal)\n`);
  console.log(throughputTable(reports));
  if (reports.some((t) => t.search)) {
    console.log(`\nImport of one large sshd file into one tenant (batches of 10,000)\n`);
    console.log(importTable(reports));
    console.log(
      `\nSearch: one user's events over ${SEARCH_DAYS} days, first page of ${LIMIT}, newest first\n`,
    );
    console.log(searchTable(reports));
    for (const t of reports)
      if (t.search?.plan)
        console.log(
          `${t.database}: EXPLAIN ANALYZE of one typical user's query: planning ${fixed(t.search.plan.planningMs, 1)} ms, ` +
            `execution ${fixed(t.search.plan.executionMs, 1)} ms, ${t.search.plan.scanNodes} partitions scanned`,
        );
  }
  for (const n of notes) console.log(`\nnote: ${n}`);
  console.log(`\nresults: ${outFile}`);
  console.log(`total time: ${fixed(elapsed / 60, 1)} min; load average after: ${loadavg()}`);
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
