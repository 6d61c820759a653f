/**
 * The server side of `bench/ingest.bench.ts`: a child process that opens one database, makes the
 * tenants and log sources the scenarios need, and serves the real HTTP app (`startHttp`) on a free
 * loopback port. Besides HTTP it runs, on the bench's request over the IPC channel of
 * `child_process.fork`, the in-process measurements: batches through `rt.services.ingest.ingest`,
 * the streamed import of a large log file, and searches through `rt.services.logs.search`. So every
 * figure about the server (RSS, CPU, profile) is about this process alone. Not meant to be started
 * by hand.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { sql } from 'kysely';
import { loadConfig, type Config } from '../packages/server/src/platform/config.ts';
import { systemContext, type RequestContext } from '../packages/server/src/platform/context.ts';
import { createLogger } from '../packages/server/src/platform/logger.ts';
import { openRuntime, startHttp, type Runtime } from '../packages/server/src/server.ts';
import { contentHashOf, type IngestRecord } from '../packages/server/src/modules/telemetry/ingest.service.ts';
import { ensurePartitions, insertEvents } from '../packages/server/src/modules/telemetry/events.repo.ts';
import type { SourceRow } from '../packages/server/src/modules/telemetry/sources.service.ts';
import { createCustomer, createMsp, ctxFor } from '../packages/server/test/support/factories.ts';
import { generatorFor, type LogKind } from './ingest-data.ts';
import { machineCpuMicros, postgresCpuByPid, type PgCpu } from './proc-cpu.ts';

export type BenchDb = 'pglite' | 'postgres';

export interface StartMessage {
  type: 'start';
  db: BenchDb;
  /** A real directory for PGlite (what users run); ignored for PostgreSQL. */
  dataDir: string;
  databaseUrl?: string;
  /** Log sources made per kind for the throughput tenant (one per concurrent HTTP sender). */
  sourcesPerKind: number;
  ingestMaxBytes: number;
}
export interface IngestMessage {
  type: 'ingest';
  kind: LogKind;
  batchSize: number;
  /** Measured events (whole batches); one more batch runs first as an unmeasured warm-up. */
  events: number;
  seed: number;
  /** Lines in the unmeasured warm-up batch. */
  warmupSize: number;
  /** Batches re-run unstored afterwards, phase by phase, for the time breakdown (0: none). */
  breakdownBatches: number;
  /** Lines per breakdown batch. */
  breakdownSize: number;
}
export interface ImportMessage {
  type: 'import';
  file: string;
  batchSize: number;
  /** Lines in the file (for progress reports only). */
  expectedLines: number;
}
export interface SearchMessage {
  type: 'search';
  /** Each query is one user's first page over [from, to). */
  users: string[];
  from: string;
  to: string;
  limit: number;
  /** Unmeasured queries first (other users). */
  warmupUsers: string[];
  /** Also EXPLAIN ANALYZE the query for this user. */
  explainUser?: string;
  /** Also count all of this user's events (to check the generator's own count). */
  countUser?: string;
}
export type ToServer =
  | StartMessage
  | IngestMessage
  | ImportMessage
  | SearchMessage
  | {
      type: 'stats';
      resetPeak?: boolean;
      /** 'mark' snapshots PostgreSQL's CPU; 'measure' answers with the CPU since the mark. */
      pg?: 'mark' | 'measure';
    }
  | { type: 'cleanup' }
  | { type: 'stop' };

export interface SourceInfo {
  id: string;
  token: string;
}
export interface ReadyMessage {
  type: 'ready';
  pid: number;
  url: string;
  database: string;
  dbPoolSize: number;
  logLevel: string;
  ingestMaxBytes: number;
  ingestRatePerSource: number;
  setupSeconds: number;
  /** The tenant that the throughput scenarios write to, and its sources per kind. */
  throughputOrgId: string;
  sources: Record<LogKind, SourceInfo[]>;
  /** One sshd source in each of as many further tenants (senders that share no seal chain). */
  sshdSourcesInSeparateTenants: SourceInfo[];
  /** The tenant of the search scenario (filled by `import`), and a logs:read API token for it. */
  searchOrgId: string;
  searchToken: string;
  /** The search tenant's sshd source's ingest token (for `accord ingest`, --import-via cli). */
  searchSourceToken: string;
}
export interface StatsMessage {
  type: 'stats';
  rssBytes: number;
  /** Peak RSS (VmHWM) since the process started or since the last `resetPeak`. */
  peakRssBytes: number;
  heapUsedBytes: number;
  /** process.cpuUsage() of the server process, in microseconds. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  /** process.hrtime in microseconds (the clock of V8's CPU profiles). */
  monotonicMicros: number;
  /** With pg: 'measure', PostgreSQL's CPU since the last mark (null: not local, or PGlite). */
  pgCpu?: PgCpu | null;
}
export interface Breakdown {
  batches: number;
  batchSize: number;
  /** Microseconds per event, each phase run on its own over the same fresh batches. */
  parseMicros: number;
  hashMicros: number;
  /** The events' INSERT (insertEvents: COPY) alone, in a transaction that is rolled back (nothing is kept). */
  insertMicros: number;
}
export interface IngestRunResult {
  type: 'ingested';
  kind: LogKind;
  batchSize: number;
  batches: number;
  accepted: number;
  rejected: number;
  /** Sum of the time spent inside ingest() (generating the next batch is not counted). */
  seconds: number;
  eventsPerSecond: number;
  cpuPercent: number;
  /** PostgreSQL's CPU (when local) between the start and the end of the measured batches. */
  pgCpu: PgCpu | null;
  /** How busy the machine was (cores) over the measured loop, batch generation included. */
  machineBusyCores: number | null;
  peakRssBytes: number;
  rssAfterBytes: number;
  /** Microseconds per event in the measured run (total). */
  perEventMicros: number;
  breakdown: Breakdown | null;
  /** process.hrtime window of the measured run, in microseconds (to cut a CPU profile). */
  window: [number, number];
}
export interface RssPoint {
  events: number;
  seconds: number;
  rssBytes: number;
  heapUsedBytes: number;
}
export interface ImportResult {
  type: 'imported';
  lines: number;
  accepted: number;
  rejected: number;
  batches: number;
  seconds: number;
  eventsPerSecond: number;
  peakRssBytes: number;
  series: RssPoint[];
}
export interface ProgressMessage {
  type: 'progress';
  events: number;
  seconds: number;
  rssBytes: number;
}
export interface SearchResult {
  type: 'searched';
  latenciesMs: number[];
  /** Events returned on each first page. */
  pageSizes: number[];
  explain: string[] | null;
  /** All events of `countUser` in the tenant, when asked. */
  userCount: number | null;
}
export type FromServer =
  | ReadyMessage
  | StatsMessage
  | IngestRunResult
  | ImportResult
  | ProgressMessage
  | SearchResult
  | { type: 'cleaned'; seconds: number; deleted: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string; stack?: string };

const send = (m: FromServer) =>
  new Promise<void>((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(m, undefined, undefined, () => resolve());
  });

// ---------------------------------------------------------------------------------------------
// Memory: RSS now, and the kernel's high-water mark (VmHWM), which `resetPeak` sets back to the
// current RSS (Linux: writing 5 to /proc/self/clear_refs). Elsewhere, the peak is sampled.

let sampledPeak = 0;
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return Math.max(sampledPeak, process.memoryUsage.rss());
}
function resetPeak(): void {
  // Collect first (the server runs with --expose-gc), so the peak starts from live memory.
  (globalThis as { gc?: () => void }).gc?.();
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    /* not Linux: fall back to sampling */
  }
  sampledPeak = process.memoryUsage.rss();
}
const sampleRss = () => {
  const r = process.memoryUsage.rss();
  if (r > sampledPeak) sampledPeak = r;
  return r;
};
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

// ---------------------------------------------------------------------------------------------
// PostgreSQL's CPU (when it runs on this machine): its processes from /proc, told apart with
// pg_stat_activity by this server's application_name (set through PGAPPNAME before connecting).

const APP_NAME = `accord-ingest-bench-${process.pid}`;
interface PgSnapshot {
  cpu: Map<number, number>;
  /** Client backends: ours or another client's. Anything else is background. */
  clients: Map<number, 'ours' | 'others'>;
}

async function pgSnapshot(): Promise<PgSnapshot | null> {
  if (!state || state.rt.database.kind !== 'postgres') return null;
  const r = await sql<{ pid: number; backend_type: string | null; application_name: string | null }>`
    select pid, backend_type, application_name from pg_stat_activity`.execute(state.rt.database.db);
  const cpu = postgresCpuByPid();
  if (!cpu) return null;
  const clients = new Map<number, 'ours' | 'others'>();
  for (const row of r.rows)
    if (row.backend_type === 'client backend')
      clients.set(row.pid, row.application_name === APP_NAME ? 'ours' : 'others');
  return { cpu, clients };
}

/** CPU between two snapshots; processes that exited in between are lost (a lower bound). */
function pgDelta(a: PgSnapshot | null, b: PgSnapshot | null): PgCpu | null {
  if (!a || !b) return null;
  const out: PgCpu = { oursMicros: 0, backgroundMicros: 0, othersMicros: 0 };
  for (const [pid, v] of b.cpu) {
    const d = Math.max(0, v - (a.cpu.get(pid) ?? 0));
    const who = b.clients.get(pid) ?? a.clients.get(pid);
    if (who === 'ours') out.oursMicros += d;
    else if (who === 'others') out.othersMicros += d;
    else out.backgroundMicros += d;
  }
  return out;
}

let pgMark: PgSnapshot | null = null;

function stats(): StatsMessage {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    type: 'stats',
    rssBytes: mem.rss,
    peakRssBytes: peakRss(),
    heapUsedBytes: mem.heapUsed,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    monotonicMicros: monotonicMicros(),
  };
}

// ---------------------------------------------------------------------------------------------

interface State {
  rt: Runtime;
  stopHttp: () => Promise<void>;
  throughputSources: Record<LogKind, SourceRow[]>;
  searchSource: SourceRow;
  searchCtx: RequestContext;
  /** Every tenant the bench wrote to (for the clean-up). */
  orgIds: string[];
}
let state: State | null = null;
const KIND_OF: Record<LogKind, 'linux_syslog' | 'entra_signin'> = {
  sshd: 'linux_syslog',
  entra: 'entra_signin',
};

async function start(m: StartMessage): Promise<ReadyMessage> {
  const env = { ...process.env, DATABASE_URL: undefined } as NodeJS.ProcessEnv;
  // node-postgres reads PGAPPNAME: it names this server's sessions in pg_stat_activity.
  process.env.PGAPPNAME = APP_NAME;
  const flags: Partial<Record<keyof Config, unknown>> = {
    host: '127.0.0.1',
    port: 0,
    dataDir: m.db === 'pglite' ? m.dataDir : 'memory://',
    databaseUrl: m.db === 'postgres' ? m.databaseUrl : undefined,
    secretKey: randomBytes(32).toString('hex'),
    logLevel: process.env.ACCORD_LOG_LEVEL || 'warn',
    ingestMaxBytes: m.ingestMaxBytes,
    // The senders are trusted and batch; the per-source request throttle is not what is measured.
    ingestRatePerSource: 100_000,
    // No log retention job: background work is not what is measured, and on a shared PostgreSQL
    // it would drop other tenants' old day partitions (and, at the 180-day edge, the search tenant's).
    retentionIntervalMinutes: 0,
  };
  const config = loadConfig(env, flags);
  const rt = await openRuntime(config, createLogger(config.logLevel));
  try {
    const t0 = performance.now();
    const run = randomUUID().slice(0, 8);
    const { org: msp } = await createMsp(rt, `Bench MSP ${run}`);
    const { org: tp } = await createCustomer(rt, msp.id, { name: `Bench ingest ${run}` });
    const { org: so, admin: soAdmin } = await createCustomer(rt, msp.id, { name: `Bench search ${run}` });
    const sys = systemContext('ingest bench');
    const throughputSources: Record<LogKind, SourceRow[]> = { sshd: [], entra: [] };
    const infos: Record<LogKind, SourceInfo[]> = { sshd: [], entra: [] };
    for (const kind of ['sshd', 'entra'] as const) {
      for (let i = 0; i < m.sourcesPerKind; i++) {
        const s = await rt.services.sources.create(sys, tp.id, {
          kind: KIND_OF[kind],
          name: `${kind}-${i + 1}`,
          expectedIntervalMinutes: 60,
          utcOffsetMinutes: 0,
        });
        const { ingestToken, ...row } = s;
        throughputSources[kind].push(row);
        infos[kind].push({ id: s.id, token: ingestToken });
      }
    }
    const { ingestToken: searchSourceToken, ...searchSource } = await rt.services.sources.create(sys, so.id, {
      kind: 'linux_syslog',
      name: 'sshd-archive',
      expectedIntervalMinutes: 60,
      utcOffsetMinutes: 0,
    });
    // One sshd source in each of `sourcesPerKind` more tenants: concurrent senders that do not share
    // a seal chain (each tenant's chain head is locked for the length of its batch's transaction).
    const spread: SourceInfo[] = [];
    const orgIds = [tp.id, so.id];
    for (let i = 0; i < m.sourcesPerKind; i++) {
      const org = await rt.services.orgs.create(sys, {
        name: `Bench ingest ${run} tenant ${i + 1}`,
        kind: 'customer',
      });
      orgIds.push(org.id);
      const s = await rt.services.sources.create(sys, org.id, {
        kind: 'linux_syslog',
        name: 'sshd-1',
        expectedIntervalMinutes: 60,
        utcOffsetMinutes: 0,
      });
      spread.push({ id: s.id, token: s.ingestToken });
    }
    const searchCtx = ctxFor(soAdmin, 'customer');
    const token = await rt.services.tokens.create(searchCtx, {
      name: 'bench search',
      scopes: ['logs:read'],
      expiresInDays: 1,
    });
    const setupSeconds = (performance.now() - t0) / 1000;
    const http = await startHttp(rt);
    state = { rt, stopHttp: http.stop, throughputSources, searchSource, searchCtx, orgIds };
    return {
      type: 'ready',
      pid: process.pid,
      url: http.url,
      database: rt.database.describe,
      dbPoolSize: config.dbPoolSize,
      logLevel: config.logLevel,
      ingestMaxBytes: config.ingestMaxBytes,
      ingestRatePerSource: config.ingestRatePerSource,
      setupSeconds,
      throughputOrgId: tp.id,
      sources: infos,
      sshdSourcesInSeparateTenants: spread,
      searchOrgId: so.id,
      searchToken: token.token,
      searchSourceToken,
    };
  } catch (e) {
    await rt.close().catch(() => undefined);
    throw e;
  }
}

const need = (): State => {
  if (!state) throw new Error('the server has not started');
  return state;
};

/** A batch of `n` lines dated over the last ten minutes. */
function batchOf(gen: ReturnType<typeof generatorFor>, n: number): IngestRecord[] {
  const end = Date.now();
  const out: IngestRecord[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { line: i + 1, text: gen.line(end - 600_000 + (i * 600_000) / n) };
  return out;
}

class Rollback extends Error {}

async function breakdown(
  rt: Runtime,
  source: SourceRow,
  gen: ReturnType<typeof generatorFor>,
  m: IngestMessage,
): Promise<Breakdown> {
  let parse = 0;
  let hash = 0;
  let insert = 0;
  let events = 0;
  for (let b = 0; b < m.breakdownBatches; b++) {
    const records = batchOf(gen, m.breakdownSize);
    const receivedAt = new Date();
    let t = performance.now();
    const { rows } = rt.services.ingest.parse(source, records, receivedAt);
    parse += performance.now() - t;
    t = performance.now();
    contentHashOf(source.id, rows);
    hash += performance.now() - t;
    await ensurePartitions(
      rt.database.db,
      rows.map((r) => r.time),
    );
    try {
      await rt.database.db.transaction().execute(async (tx) => {
        const t1 = performance.now();
        await insertEvents(tx, source.org_id, source.id, randomUUID(), receivedAt.toISOString(), rows);
        insert += performance.now() - t1;
        throw new Rollback();
      });
    } catch (e) {
      if (!(e instanceof Rollback)) throw e;
    }
    events += rows.length;
  }
  const per = (ms: number) => (events ? (ms * 1000) / events : 0);
  return {
    batches: m.breakdownBatches,
    batchSize: m.breakdownSize,
    parseMicros: per(parse),
    hashMicros: per(hash),
    insertMicros: per(insert),
  };
}

/** Batches through rt.services.ingest.ingest, one at a time (the store path, no HTTP). */
async function ingestRun(m: IngestMessage): Promise<IngestRunResult> {
  const { rt, throughputSources } = need();
  const source = throughputSources[m.kind][0]!;
  const gen = generatorFor(m.kind, { seed: m.seed, users: 2500 });
  const batches = Math.max(1, Math.round(m.events / m.batchSize));
  // Warm-up: JIT, today's partition, the connection pool.
  await rt.services.ingest.ingest(source, batchOf(gen, m.warmupSize));
  resetPeak();
  let accepted = 0;
  let rejected = 0;
  let wallMs = 0;
  let cpuMicros = 0;
  const pg0 = await pgSnapshot();
  const m0 = machineCpuMicros();
  const w0 = monotonicMicros();
  for (let b = 0; b < batches; b++) {
    const records = batchOf(gen, m.batchSize);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await rt.services.ingest.ingest(source, records);
    wallMs += performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpuMicros += c.user + c.system;
    accepted += r.accepted;
    rejected += r.rejectedTotal;
    sampleRss();
  }
  const w1 = monotonicMicros();
  const m1 = machineCpuMicros();
  const pgCpu = pgDelta(pg0, await pgSnapshot());
  const peak = peakRss();
  const rssAfter = process.memoryUsage.rss();
  const bd = m.breakdownBatches > 0 ? await breakdown(rt, source, gen, m) : null;
  return {
    type: 'ingested',
    kind: m.kind,
    batchSize: m.batchSize,
    batches,
    accepted,
    rejected,
    seconds: wallMs / 1000,
    eventsPerSecond: accepted / (wallMs / 1000),
    cpuPercent: (cpuMicros / 1000 / wallMs) * 100,
    pgCpu,
    machineBusyCores:
      m0 && m1 && m1.total > m0.total
        ? ((m1.busy - m0.busy) / (m1.total - m0.total)) * os.cpus().length
        : null,
    peakRssBytes: peak,
    rssAfterBytes: rssAfter,
    perEventMicros: (wallMs * 1000) / Math.max(1, accepted),
    breakdown: bd,
    window: [w0, w1],
  };
}

/**
 * Streams a log file into the search tenant's source in batches, the way an import of a large file
 * would: one chunk of the file and one batch in memory at a time (the loop pulls the next chunk
 * only when the batch before it is stored). RSS is recorded about once a second.
 */
async function importFile(m: ImportMessage): Promise<ImportResult> {
  const { rt, searchSource } = need();
  resetPeak();
  const t0 = performance.now();
  const series: RssPoint[] = [];
  let lineNo = 0;
  let accepted = 0;
  let rejected = 0;
  let batches = 0;
  let batch: IngestRecord[] = [];
  let lastSample = -Infinity;
  let lastProgress = 0;
  const progressEvery = Math.max(m.batchSize, Math.round(m.expectedLines / 20));
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await rt.services.ingest.ingest(searchSource, batch);
    batch = [];
    batches++;
    accepted += r.accepted;
    rejected += r.rejectedTotal;
    const now = performance.now();
    if (now - lastSample >= 1000) {
      lastSample = now;
      const mem = process.memoryUsage();
      if (mem.rss > sampledPeak) sampledPeak = mem.rss;
      series.push({
        events: accepted,
        seconds: (now - t0) / 1000,
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
      });
    }
    if (lineNo - lastProgress >= progressEvery) {
      lastProgress = lineNo;
      await send({
        type: 'progress',
        events: accepted,
        seconds: (now - t0) / 1000,
        rssBytes: process.memoryUsage.rss(),
      });
    }
  };
  let rest = '';
  for await (const chunk of fs.createReadStream(m.file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      batch.push({ line: ++lineNo, text: text.slice(from, nl) });
      from = nl + 1;
      if (batch.length === m.batchSize) await flush();
    }
    rest = text.slice(from);
  }
  if (rest !== '') batch.push({ line: ++lineNo, text: rest });
  await flush();
  const seconds = (performance.now() - t0) / 1000;
  const mem = process.memoryUsage();
  series.push({ events: accepted, seconds, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed });
  return {
    type: 'imported',
    lines: lineNo,
    accepted,
    rejected,
    batches,
    seconds,
    eventsPerSecond: accepted / seconds,
    peakRssBytes: peakRss(),
    series,
  };
}

/** First pages of one user's events over the range, through the service (no HTTP). */
async function search(m: SearchMessage): Promise<SearchResult> {
  const { rt, searchSource, searchCtx } = need();
  const orgId = searchSource.org_id;
  const query = (user: string) =>
    rt.services.logs.search(searchCtx, orgId, {
      user,
      from: m.from,
      to: m.to,
      order: 'desc',
      limit: m.limit,
    });
  for (const u of m.warmupUsers) await query(u);
  const latenciesMs: number[] = [];
  const pageSizes: number[] = [];
  for (const u of m.users) {
    const t0 = performance.now();
    const page = await query(u);
    latenciesMs.push(performance.now() - t0);
    pageSizes.push(page.events.length);
  }
  let explain: string[] | null = null;
  if (m.explainUser) {
    // The statement logs.service builds for this filter (see its search()), explained.
    const r = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers)
      select * from events where org_id = ${orgId} and time >= ${new Date(m.from)}
        and time < ${new Date(m.to)} and username = ${m.explainUser}
      order by time desc, id desc limit ${m.limit + 1}`.execute(rt.database.db);
    explain = r.rows.map((row) => row['QUERY PLAN']);
  }
  let userCount: number | null = null;
  if (m.countUser) {
    const r = await sql<{ n: number }>`select count(*)::int as n from events
      where org_id = ${orgId} and username = ${m.countUser}`.execute(rt.database.db);
    userCount = r.rows[0]?.n ?? 0;
  }
  return { type: 'searched', latenciesMs, pageSizes, explain, userCount };
}

/** Deletes what the bench stored (PostgreSQL is shared; PGlite's directory is deleted anyway). */
async function cleanup(): Promise<{ type: 'cleaned'; seconds: number; deleted: number }> {
  const { rt, orgIds: orgs } = need();
  const t0 = performance.now();
  const db = rt.database.db;
  let deleted = 0;
  for (const org of orgs) {
    const r = await db.deleteFrom('events').where('org_id', '=', org).executeTakeFirst();
    deleted += Number(r.numDeletedRows);
    await db.deleteFrom('quarantine').where('org_id', '=', org).execute();
  }
  return { type: 'cleaned', seconds: (performance.now() - t0) / 1000, deleted };
}

async function stop(code: number): Promise<never> {
  const s = state;
  state = null;
  try {
    await s?.stopHttp();
  } finally {
    await send({ type: 'stopped' });
    process.exit(code);
  }
}

if (!process.send) {
  console.error(
    'bench/ingest-server.ts is started by bench/ingest.bench.ts (npm run bench:ingest), not by hand',
  );
  process.exit(2);
}

process.on('message', (msg: ToServer) => {
  const handle = async () => {
    switch (msg.type) {
      case 'start':
        await send(await start(msg));
        return;
      case 'ingest':
        await send(await ingestRun(msg));
        return;
      case 'import':
        await send(await importFile(msg));
        return;
      case 'search':
        await send(await search(msg));
        return;
      case 'stats': {
        if (msg.resetPeak) resetPeak();
        const snap = msg.pg ? await pgSnapshot() : null;
        const reply = stats();
        if (msg.pg === 'mark') pgMark = snap;
        if (msg.pg === 'measure') reply.pgCpu = pgDelta(pgMark, snap);
        await send(reply);
        return;
      }
      case 'cleanup':
        await send(await cleanup());
        return;
      case 'stop':
        await stop(0);
    }
  };
  handle().catch(async (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    await send({ type: 'error', message: err.message, stack: err.stack });
  });
});

// The bench went away (crashed or was interrupted): do not outlive it.
process.on('disconnect', () => {
  void stop(0);
});
