/**
 * What would a faster store step buy? An experiment beside `npm run bench:ingest`, not part of it:
 * the same parsed sshd rows written to a scratch copy of the `events` table
 *
 *  - with the INSERT ... unnest statement ingest uses, and with COPY (PostgreSQL: FROM STDIN;
 *    PGlite: FROM '/dev/blob');
 *  - with the five indexes of migration 0003, with only the two the search needs
 *    (org_id, time) and (org_id, username, time), and with none;
 *  - on PostgreSQL, also with two connections writing at once (two tenants' batches).
 *
 * Only the store step is timed (plus building the COPY text): no parsing, hashing or sealing. Each
 * batch is its own transaction, as in ingest.
 *
 *   node --import tsx bench/ingest-store-experiment.ts [--rows 100000] [--only pglite|postgres]
 *
 * PostgreSQL: DATABASE_URL or postgres://postgres@127.0.0.1:5432/test. The scratch table lives in a
 * schema of its own (accord_bench_scratch_<pid>), dropped at the end; PGlite uses a temporary
 * directory, deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import pg from 'pg';
import { openPostgres } from '../packages/server/src/platform/db/db.ts';
import { migrate } from '../packages/server/src/platform/db/migrate.ts';
import { PGliteDialect } from '../packages/server/src/platform/db/pglite-dialect.ts';
import type { DB } from '../packages/server/src/platform/db/schema.ts';
import { linuxSyslogParser } from '../packages/server/src/modules/telemetry/parsers/linux-syslog.parser.ts';
import { toEventRow, type EventRow } from '../packages/server/src/modules/telemetry/event-row.ts';
import { generatorFor } from './ingest-data.ts';
import { machineCpuMicros } from './proc-cpu.ts';

const BATCH = 10_000;
const COLUMNS = `org_id, time, source_id, batch_id, batch_pos, received_at, class, activity, outcome, reason,
  reason_detail, username, user_domain, target_user, grp, src_ip, src_port, geo, dst_host, app, auth_protocol,
  mfa_used, process_name, command_line, vendor_event_id, is_msp, raw`;
/** The statement of events.repo.ts insertEvents, on another table, with numbered parameters. */
const unnestSql = (table: string) => `insert into ${table} (${COLUMNS})
  select $1::uuid, t.time, $2::uuid, $3::uuid, t.pos, $4::timestamptz, t.class, t.activity, t.outcome, t.reason,
    t.reason_detail, t.username, t.user_domain, t.target_user, t.grp, t.src_ip, t.src_port, t.geo, t.dst_host,
    t.app, t.auth_protocol, t.mfa_used, t.process_name, t.command_line, t.vendor_event_id, t.is_msp, t.raw
  from unnest($5::timestamptz[], $6::int[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
    $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::int[], $18::jsonb[], $19::text[],
    $20::text[], $21::text[], $22::boolean[], $23::text[], $24::text[], $25::text[], $26::boolean[], $27::text[])
  as t(time, pos, class, activity, outcome, reason, reason_detail, username, user_domain, target_user, grp, src_ip,
    src_port, geo, dst_host, app, auth_protocol, mfa_used, process_name, command_line, vendor_event_id, is_msp, raw)`;
/** Migration 0003's indexes on events, in its order; the first two are what search uses. */
const INDEXES = [
  '(org_id, time)',
  '(org_id, username, time)',
  '(org_id, src_ip, time)',
  '(org_id, class, outcome, time)',
  '(batch_id, batch_pos)',
];

interface Store {
  name: string;
  exec(sql: string): Promise<void>;
  query(sql: string, params: unknown[]): Promise<void>;
  /** COPY `text` (text format) into `table`. */
  copy(table: string, text: string): Promise<void>;
  /** Another connection, for concurrent writers (PostgreSQL only). */
  fork?(): Promise<Store>;
  close(): Promise<void>;
}

function makeRows(n: number): EventRow[] {
  const gen = generatorFor('sshd', { seed: 5, users: 2500 });
  const now = Date.now();
  const rows: EventRow[] = [];
  for (let i = 0; i < n; i++) {
    const line = gen.line(now - 600_000 + (i * 600_000) / n);
    const r = linuxSyslogParser.parse(line, { receivedAt: new Date(now), utcOffsetMinutes: 0 });
    if (r.ok) rows.push(toEventRow(r.event, line));
  }
  return rows;
}

function unnestParams(org: string, src: string, b: EventRow[]): unknown[] {
  const col = <T>(f: (r: EventRow, i: number) => T) => b.map(f);
  return [
    org,
    src,
    randomUUID(),
    new Date().toISOString(),
    col((r) => r.time),
    col((_r, i) => i),
    col((r) => r.class),
    col((r) => r.activity),
    col((r) => r.outcome),
    col((r) => r.reason),
    col((r) => r.reasonDetail),
    col((r) => r.user),
    col((r) => r.userDomain),
    col((r) => r.targetUser),
    col((r) => r.group),
    col((r) => r.srcIp),
    col((r) => r.srcPort),
    col((r) => (r.geo === null ? null : JSON.stringify(r.geo))),
    col((r) => r.dstHost),
    col((r) => r.app),
    col((r) => r.authProtocol),
    col((r) => r.mfaUsed),
    col((r) => r.processName),
    col((r) => r.commandLine),
    col((r) => r.vendorEventId),
    col((r) => r.isMsp),
    col((r) => r.raw),
  ];
}

const copyEscape = (v: unknown) =>
  v === null || v === undefined
    ? '\\N'
    : String(v).replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);

function copyText(org: string, src: string, b: EventRow[]): string {
  const batch = randomUUID();
  const received = new Date().toISOString();
  const out: string[] = new Array(b.length);
  b.forEach((r, i) => {
    out[i] = [
      org,
      r.time,
      src,
      batch,
      i,
      received,
      r.class,
      r.activity,
      r.outcome,
      r.reason,
      r.reasonDetail,
      r.user,
      r.userDomain,
      r.targetUser,
      r.group,
      r.srcIp,
      r.srcPort,
      r.geo === null ? null : JSON.stringify(r.geo),
      r.dstHost,
      r.app,
      r.authProtocol,
      r.mfaUsed,
      r.processName,
      r.commandLine,
      r.vendorEventId,
      r.isMsp,
      r.raw,
    ]
      .map(copyEscape)
      .join('\t');
  });
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Stores

async function postgresStore(url: string, schema: string): Promise<Store> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const store: Store = {
    name: 'postgres',
    exec: async (sql) => void (await client.query(sql)),
    query: async (sql, params) => void (await client.query(sql, params)),
    // node-postgres has no COPY FROM STDIN of its own (pg-copy-streams adds it): a minimal
    // "submittable" that answers CopyInResponse with the whole text, then CopyDone.
    copy: (table, text) =>
      new Promise<void>((resolve, reject) => {
        const sql = `copy ${table} (${COLUMNS}) from stdin`;
        const noop = () => undefined;
        const submittable = {
          submit: (conn: { query(sql: string): void }) => conn.query(sql),
          handleCopyInResponse: (conn: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void }) => {
            conn.sendCopyFromChunk(Buffer.from(text));
            conn.endCopyFrom();
          },
          handleError: (e: Error) => reject(e),
          handleReadyForQuery: () => resolve(),
          handleCommandComplete: noop,
          handleRowDescription: noop,
          handleDataRow: noop,
          handleEmptyQuery: noop,
          handlePortalSuspended: noop,
          handleCopyData: noop,
        };
        void client.query(submittable as unknown as pg.QueryConfig);
      }),
    fork: () => postgresStore(url, schema),
    close: () => client.end(),
  };
  return store;
}

async function pgliteStore(dir: string): Promise<Store> {
  const pgl = new PGlite(path.join(dir, 'pgdata'));
  await pgl.waitReady;
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pgl) });
  await migrate(db);
  return {
    name: 'pglite',
    exec: async (sql) => void (await pgl.exec(sql)),
    query: async (sql, params) => void (await pgl.query(sql, params)),
    copy: async (table, text) =>
      void (await pgl.query(`copy ${table} (${COLUMNS}) from '/dev/blob'`, [], { blob: new Blob([text]) })),
    close: () => db.destroy(),
  };
}

// ---------------------------------------------------------------------------------------------

interface Result {
  database: string;
  method: 'unnest' | 'copy';
  indexes: number;
  writers: number;
  rowsPerSecond: number;
  /** Building the COPY text, per row (included in rowsPerSecond). */
  copyTextMicros: number | null;
  /** How busy the whole machine was meanwhile, in cores: well above ~1-2 means other load. */
  machineBusyCores: number | null;
}

async function variant(
  store: Store,
  schema: string,
  rows: EventRow[],
  method: 'unnest' | 'copy',
  indexes: number,
  writers = 1,
): Promise<Result> {
  const table = `${schema}.ev`;
  await store.exec(`drop table if exists ${table}`);
  await store.exec(`create table ${table} (like public.events including defaults) partition by range (time)`);
  const day = Date.parse(new Date().toISOString().slice(0, 10));
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  await store.exec(
    `create table ${schema}.ev_p partition of ${table} for values from ('${iso(day - 86_400_000)}') to ('${iso(day + 86_400_000)}')`,
  );
  for (const ix of INDEXES.slice(0, indexes)) await store.exec(`create index on ${table} ${ix}`);
  const conns = [store];
  for (let i = 1; i < writers; i++) conns.push(await store.fork!());
  const batches: EventRow[][] = [];
  for (let i = 0; i < rows.length; i += BATCH) batches.push(rows.slice(i, i + BATCH));
  let textMs = 0;
  let next = 0;
  const m0 = machineCpuMicros();
  const t0 = performance.now();
  await Promise.all(
    conns.map(async (c) => {
      const org = randomUUID();
      const src = randomUUID();
      while (next < batches.length) {
        const b = batches[next++]!;
        if (method === 'copy') {
          const t = performance.now();
          const text = copyText(org, src, b);
          textMs += performance.now() - t;
          await c.exec('begin');
          await c.copy(table, text);
          await c.exec('commit');
        } else {
          await c.exec('begin');
          await c.query(unnestSql(table), unnestParams(org, src, b));
          await c.exec('commit');
        }
      }
    }),
  );
  const ms = performance.now() - t0;
  const m1 = machineCpuMicros();
  for (const c of conns.slice(1)) await c.close();
  await store.exec(`drop table ${table}`);
  return {
    database: store.name,
    method,
    indexes,
    writers,
    rowsPerSecond: rows.length / (ms / 1000),
    copyTextMicros: method === 'copy' ? (textMs * 1000) / rows.length : null,
    machineBusyCores:
      m0 && m1 && m1.total > m0.total
        ? ((m1.busy - m0.busy) / (m1.total - m0.total)) * os.cpus().length
        : null,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rows: { type: 'string', default: '100000' }, only: { type: 'string' } },
  });
  const n = Number(values.rows);
  if (!Number.isInteger(n) || n < BATCH) throw new Error(`--rows must be an integer >= ${BATCH}`);
  console.log(
    `store-step experiment: ${n.toLocaleString('en-US')} parsed sshd rows in batches of ${BATCH.toLocaleString('en-US')}, ` +
      `one transaction per batch; ${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
  );
  const rows = makeRows(n);
  const results: Result[] = [];
  const run = async (store: Store, schema: string) => {
    const plan: [Result['method'], number, number][] = [
      ['unnest', 5, 1],
      ['copy', 5, 1],
      ['unnest', 2, 1],
      ['copy', 2, 1],
      ['unnest', 0, 1],
      ['copy', 0, 1],
    ];
    if (store.fork) plan.push(['unnest', 5, 2], ['copy', 2, 2]);
    for (const [method, indexes, writers] of plan) {
      const r = await variant(store, schema, rows, method, indexes, writers);
      results.push(r);
      console.log(
        `  ${r.database.padEnd(8)} ${r.method.padEnd(6)} ${r.indexes} indexes, ${r.writers} writer(s): ` +
          `${Math.round(r.rowsPerSecond).toLocaleString('en-US').padStart(8)} rows/s` +
          (r.copyTextMicros !== null ? ` (COPY text built at ${r.copyTextMicros.toFixed(1)} µs/row)` : '') +
          (r.machineBusyCores !== null ? `, machine busy ${r.machineBusyCores.toFixed(2)} cores` : ''),
      );
    }
  };
  if (values.only !== 'postgres') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-store-exp-'));
    const store = await pgliteStore(dir);
    try {
      await store.exec('create schema scratch');
      await run(store, 'scratch');
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (values.only !== 'pglite') {
    const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
    const database = await openPostgres(url, 2);
    await migrate(database.db); // the scratch table copies public.events
    await database.close();
    const schema = `accord_bench_scratch_${process.pid}`;
    const store = await postgresStore(url, schema);
    try {
      await store.exec(`create schema ${schema}`);
      await run(store, schema);
    } finally {
      await store.exec(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await store.close();
    }
  }
  const out = path.join(os.tmpdir(), 'accord-bench', `store-experiment-${Date.now()}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(
    out,
    JSON.stringify({ rows: n, batch: BATCH, loadAverage: os.loadavg(), results }, null, 2),
  );
  console.log(`results: ${out}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
