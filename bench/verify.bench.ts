/**
 * `npm run bench:verify`: seeds one MSP with 1,000 customers (20 with --smoke), each with an active
 * agreement of every catalog control and realistic logs and inventories, then measures continuous
 * verification: a full `runDue` (and a second that must find nothing due), per-check time and
 * queries, peak RSS, and the MSP's portfolio read in-process and over HTTP. On PGlite (a fresh
 * directory on disk) and on PostgreSQL. See bench/README.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../packages/server/src/platform/config.ts';
import { createLogger } from '../packages/server/src/platform/logger.ts';
import { openRuntime, startHttp } from '../packages/server/src/server.ts';
import { signIn } from '../packages/server/test/support/api-client.ts';
import { ctxFor } from '../packages/server/test/support/factories.ts';
import { fmt, instrumentedVerification, mb, percentiles, rssSampler } from './verify-measure.ts';
import { seedPortfolio } from './verify-seed.ts';
import { resolveDatabase } from './detect-db.ts';

const TARGET_RUN_MS = 30_000;
const TARGET_READ_MS = 200;

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    customers: { type: 'string' },
    reads: { type: 'string' },
    db: { type: 'string', default: 'both' },
  },
});
const customers = Number(args.customers ?? (args.smoke ? 20 : 1000));
const reads = Number(args.reads ?? (args.smoke ? 10 : 50));
const failures: string[] = [];

interface Report {
  database: string;
  seedS: number;
  first: { evaluated: number; ms: number; queries: number };
  second: { evaluated: number; ms: number; queries: number };
  peakRss: number;
  inProcess: ReturnType<typeof percentiles>;
  http: ReturnType<typeof percentiles> & { bytes: number };
}

async function benchOne(name: 'pglite' | 'postgres', databaseUrl?: string): Promise<Report> {
  const dataDir = name === 'pglite' ? fs.mkdtempSync(path.join(os.tmpdir(), 'accord-verify-')) : 'memory://';
  const flags: Partial<Record<keyof Config, unknown>> = {
    host: '127.0.0.1',
    port: 0,
    mode: 'api', // no background jobs: the bench alone decides when verification runs
    dataDir,
    databaseUrl,
    logLevel: process.env.ACCORD_LOG_LEVEL || 'warn',
  };
  const config = loadConfig({ ...process.env, DATABASE_URL: undefined } as NodeJS.ProcessEnv, flags);
  const rt = await openRuntime(config, createLogger(config.logLevel));
  const rss = rssSampler();
  try {
    const t0 = performance.now();
    const seeded = await seedPortfolio(rt, customers);
    const seedS = (performance.now() - t0) / 1000;
    console.log(`\n[${name}] ${rt.database.describe}`);
    console.log(
      `  seeded ${customers} customers x ${seeded.controls} controls, ${seeded.batches} sealed batches ` +
        `(${seeded.events} events), ${seeded.inventoryItems} inventory items in ${seedS.toFixed(1)} s`,
    );
    for (const [step, s] of Object.entries(seeded.steps))
      console.log(`    ${step.padEnd(44)} ${s.toFixed(1)} s`);

    // The seeded agreements only: a shared database may hold other tenants' agreements.
    const { service, counter, perCheck: checkTimes, concurrency, checkIds } = instrumentedVerification(rt);
    const only = { agreementIds: seeded.agreementIds };
    const timed = async (now: Date) => {
      const q0 = counter.count;
      const s = performance.now();
      const r = await service.runDue(now, only);
      return { evaluated: r.evaluated, ms: performance.now() - s, queries: counter.count - q0 };
    };
    const first = await timed(new Date());
    const perCheck = checkTimes();
    const second = await timed(new Date());
    const checked = checkIds.filter((id) => rt.services.catalog.control(id)).length;
    const expected = customers * checked;
    console.log(
      `  full evaluation: ${first.evaluated} controls (${checked} checks x ${customers}) in ${fmt(first.ms)}, ` +
        `${first.queries} queries`,
    );
    console.log(`  (agreements evaluated ${concurrency} at a time)`);
    console.log(`  second run:      ${second.evaluated} due, ${fmt(second.ms)}, ${second.queries} queries`);
    if (first.evaluated !== expected)
      failures.push(`${name}: the full run evaluated ${first.evaluated} controls, not ${expected}`);
    if (second.evaluated !== 0) failures.push(`${name}: the second run found ${second.evaluated} due, not 0`);
    console.log('  per check:       control   runs   total      mean     queries  statuses');
    for (const t of perCheck.sort((a, b) => b.ms - a.ms))
      console.log(
        `                   ${t.controlId.padEnd(9)} ${String(t.runs).padStart(5)}  ${fmt(t.ms).padStart(9)} ` +
          `${(t.ms / t.runs).toFixed(2).padStart(7)} ms ${String(t.queries).padStart(7)}  ` +
          Object.entries(t.statuses)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
      );
    const checkMs = perCheck.reduce((a, t) => a + t.ms, 0);
    console.log(
      `                   checks summed ${fmt(checkMs)} (wall time per agreement; run wall ${fmt(first.ms)})`,
    );

    // The portfolio: the service call, then GET /api/v1/portfolio with the MSP admin's session.
    const ctx = ctxFor(seeded.mspAdmin, 'msp');
    const inProc: number[] = [];
    for (let i = 0; i < reads; i++) {
      const s = performance.now();
      const p = await rt.services.verification.portfolio(ctx);
      inProc.push(performance.now() - s);
      if (i === 0 && p.agreements.length !== customers)
        failures.push(`${name}: the portfolio lists ${p.agreements.length} agreements, not ${customers}`);
      if (i === 0 && p.agreements.some((a) => a.controls.length !== checked))
        failures.push(`${name}: a portfolio agreement does not list its ${checked} evaluated controls`);
    }
    const http = await startHttp(rt);
    const viaHttp: number[] = [];
    let bytes = 0;
    try {
      const client = await signIn(http.url, seeded.mspAdmin);
      for (let i = 0; i < reads; i++) {
        const s = performance.now();
        const res = await fetch(`${http.url}/api/v1/portfolio`, { headers: { cookie: client.cookie! } });
        const body = await res.text();
        viaHttp.push(performance.now() - s);
        bytes = body.length;
        if (res.status !== 200) {
          failures.push(`${name}: GET /api/v1/portfolio answered ${res.status}`);
          break;
        }
      }
    } finally {
      await http.stop();
    }
    const report: Report = {
      database: name,
      seedS,
      first,
      second,
      peakRss: rss.peak(),
      inProcess: percentiles(inProc),
      http: { ...percentiles(viaHttp), bytes },
    };
    const pr = (p: ReturnType<typeof percentiles>) =>
      `p50 ${fmt(p.p50)}, p95 ${fmt(p.p95)}, max ${fmt(p.max)}`;
    console.log(`  portfolio (${reads} reads) in-process: ${pr(report.inProcess)}`);
    console.log(
      `  portfolio (${reads} reads) HTTP:       ${pr(report.http)} (${Math.round(bytes / 1024)} KiB)`,
    );
    console.log(`  peak RSS (this process): ${mb(report.peakRss)}`);
    return report;
  } finally {
    rss.stop();
    await rt.close();
    if (name === 'pglite') fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  console.log(
    `bench:verify${args.smoke ? ' --smoke' : ''}: ${customers} customers, ${reads} portfolio reads; ` +
      `${os.cpus().length} CPUs, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; node ${process.version}`,
  );
  const reports: Report[] = [];
  if (args.db === 'both' || args.db === 'pglite') reports.push(await benchOne('pglite'));
  if (args.db === 'both' || args.db === 'postgres') {
    // Never the shared `test` database: its name is replaced by acc_bench_verify (created if missing).
    const db = await resolveDatabase('acc_bench_verify');
    for (const n of db.notes) console.log(`\n[postgres] ${n}`);
    if (db.url) reports.push(await benchOne('postgres', db.url));
    else if (db.error) failures.push(`postgres: ${db.error}`);
  }
  console.log(
    '\n| database | customers | full evaluation | second run | queries | peak RSS | portfolio in-process p50 / p95 / max | portfolio HTTP p50 / p95 / max |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of reports) {
    const p = (x: ReturnType<typeof percentiles>) => `${fmt(x.p50)} / ${fmt(x.p95)} / ${fmt(x.max)}`;
    console.log(
      `| ${r.database} | ${customers} | ${r.first.evaluated} in ${fmt(r.first.ms)} | ${r.second.evaluated} in ${fmt(r.second.ms)} | ` +
        `${r.first.queries} + ${r.second.queries} | ${mb(r.peakRss)} | ${p(r.inProcess)} | ${p(r.http)} |`,
    );
  }
  console.log('\nTargets (full evaluation < 30 s, portfolio read p95 < 200 ms):');
  for (const r of reports) {
    const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
    console.log(
      `  ${r.database.padEnd(9)} full evaluation ${met(r.first.ms < TARGET_RUN_MS)} (${fmt(r.first.ms)}); ` +
        `portfolio in-process ${met(r.inProcess.p95 < TARGET_READ_MS)} (p95 ${fmt(r.inProcess.p95)}); ` +
        `HTTP ${met(r.http.p95 < TARGET_READ_MS)} (p95 ${fmt(r.http.p95)})`,
    );
  }
  if (failures.length > 0) {
    console.error(`\nFAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
