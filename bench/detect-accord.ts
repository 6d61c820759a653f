/**
 * Accord's side of `bench/detect.bench.ts`, run as a child process so that its wall time and the
 * memory of its process tree are measured as the peers' are:
 *
 *   node --import tsx bench/detect-accord.ts detect FILE OUT.json      # parse + normalise + detect
 *   node --import tsx bench/detect-accord.ts full FILE OUT.json URL    # ... + store and seal in PostgreSQL
 *
 * The file is streamed in 1 MiB chunks and cut into batches of 10,000 lines, in file (= time)
 * order. `detect` runs the ingest service's parse step (the linux_syslog parser and the row
 * normalisation, no database), turns the rows into EngineEvents and hands each batch to the
 * engine's `process`. `full` stores each batch through an ingest service wired as the product wires
 * it (parse, normalise, MSP-account marking, INSERT, seal, and detection inside the batch's
 * transaction: engine, alerts and engine state), on the rows ingest parsed; the detection step is
 * timed apart through the hook it runs in.
 *
 * Detections are mapped to addresses here (the evidence refers to events by batch and position),
 * from the latest state of each episode (evidence an episode withdrew does not count): each
 * detection's srcIp group value, and for rules grouped by anything else (account, or nothing) the
 * source addresses of its evidence events.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import {
  createIngestService,
  type IngestRecord,
} from '../packages/server/src/modules/telemetry/ingest.service.ts';
import { parserFor } from '../packages/server/src/modules/telemetry/parsers/registry.ts';
import { toEngineEvent } from '../packages/server/src/modules/detection/engine-port.ts';
import { createDetectionStream } from '../packages/server/src/modules/detection/detection-stream.ts';
import { createMspAccountResolver } from '../packages/server/src/modules/telemetry/msp-accounts.ts';
import type { EventRow } from '../packages/server/src/modules/telemetry/event-row.ts';
import type { SourceRow } from '../packages/server/src/modules/telemetry/sources.service.ts';
import type { Db } from '../packages/server/src/platform/db/db.ts';
import {
  compileBuiltinRules,
  createEngine,
  type Detection,
  type EngineEvent,
  type TenantContext,
} from '../packages/server/src/modules/detection/engine/index.ts';

export const BATCH = 10_000;
const CTX: TenantContext = { approvedRemoteTools: [], mspNetworks: [], maintenanceWindows: [] };

export interface AccordResult {
  mode: 'detect' | 'full';
  lines: number;
  events: number;
  rejected: number;
  batches: number;
  /** From the first line read to the last batch done (no start-up, no set-up), seconds. */
  loopSeconds: number;
  /** Time inside ingest() (full) or the parse step (detect), seconds. */
  ingestSeconds: number;
  /** Time inside the engine's process() (detect); detection inside ingest's transaction (full), seconds. */
  engineSeconds: number;
  setupSeconds: number;
  /** full: deleting the bench tenant's events afterwards (not part of the measurement), seconds. */
  cleanupSeconds: number;
  detections: number;
  /** address -> rule ids that flagged it */
  flagged: Record<string, string[]>;
  /** rule id -> episodes (detections collapsed by group and first-seen) */
  byRule: Record<string, number>;
  database?: string;
}

/** Batches of IngestRecords from a file read in 1 MiB chunks, lines numbered from 1. */
export async function* batches(file: string, size = BATCH): AsyncGenerator<IngestRecord[]> {
  let rest = '';
  let line = 0;
  let batch: IngestRecord[] = [];
  for await (const chunk of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      batch.push({ line: ++line, text: text.slice(from, nl) });
      from = nl + 1;
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
    rest = text.slice(from);
  }
  if (rest !== '') batch.push({ line: ++line, text: rest });
  if (batch.length > 0) yield batch;
}

export function toEngineEvents(
  orgId: string,
  sourceId: string,
  batchId: string,
  rows: EventRow[],
): EngineEvent[] {
  const out = new Array<EngineEvent>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = toEngineEvent(orgId, sourceId, batchId, i, rows[i]!);
  return out;
}

/**
 * Keeps each batch's source addresses (as small integers) so that evidence, which may point into
 * earlier batches, can be resolved to addresses; keeps the latest state of each episode and, at the
 * end, the flagged addresses.
 */
export class Flagger {
  private ipId = new Map<string, number>();
  private ips: string[] = [''];
  private byBatch = new Map<string, Int32Array>();
  private latest = new Map<string, Detection>();
  detections = 0;

  /** Events (or rows) of a batch, in their stored positions. */
  addBatch(batchId: string, events: readonly { srcIp: string | null }[]): void {
    const a = new Int32Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const ip = events[i]!.srcIp;
      if (ip === null) continue;
      let id = this.ipId.get(ip);
      if (id === undefined) {
        // A flat copy: the parser's match may be a slice that keeps the whole line alive.
        const own = JSON.parse(JSON.stringify(ip)) as string;
        id = this.ips.push(own) - 1;
        this.ipId.set(own, id);
      }
      a[i] = id;
    }
    this.byBatch.set(batchId, a);
  }

  add(ds: readonly Detection[]): void {
    for (const d of ds) {
      this.detections++;
      this.latest.set(`${d.ruleId}\u0000${d.groupKey}\u0000${d.firstSeen}`, d);
    }
  }

  result(): Pick<AccordResult, 'detections' | 'flagged' | 'byRule'> {
    const flagged = new Map<string, Set<string>>();
    const flag = (ip: string, rule: string) => {
      let s = flagged.get(ip);
      if (!s) flagged.set(ip, (s = new Set()));
      s.add(rule);
    };
    const byRule: Record<string, number> = {};
    for (const d of this.latest.values()) {
      byRule[d.ruleId] = (byRule[d.ruleId] ?? 0) + 1;
      const src = d.groupValues.srcIp;
      if (src !== undefined) {
        if (src !== null) flag(src, d.ruleId);
        continue;
      }
      for (const ev of d.evidence) {
        const id = this.byBatch.get(ev.batchId)?.[ev.batchPos];
        if (id) flag(this.ips[id]!, d.ruleId);
      }
    }
    const out: Record<string, string[]> = {};
    for (const [ip, rules] of flagged) out[ip] = [...rules].sort();
    return { detections: this.detections, flagged: out, byRule };
  }
}

function sourceRow(orgId: string): SourceRow {
  return {
    id: randomUUID(),
    org_id: orgId,
    kind: 'linux_syslog',
    name: 'sshd',
    expected_interval_minutes: 60,
    utc_offset_minutes: 0,
    mapping: null,
    categories: ['server_auth'],
    created_at: new Date(),
    disabled_at: null,
    last_received_at: null,
    last_event_at: null,
  };
}

async function runDetect(file: string): Promise<AccordResult> {
  const t0 = performance.now();
  // The parse step needs no database.
  const ingest = createIngestService({ db: null as unknown as Db, parserFor });
  const engine = createEngine(compileBuiltinRules());
  const orgId = randomUUID();
  const source = sourceRow(orgId);
  const flagger = new Flagger();
  const receivedAt = new Date();
  const setupSeconds = (performance.now() - t0) / 1000;
  let lines = 0;
  let events = 0;
  let rejected = 0;
  let nb = 0;
  let parseMs = 0;
  let engineMs = 0;
  const l0 = performance.now();
  for await (const records of batches(file)) {
    lines += records.length;
    const a = performance.now();
    const { rows, rejected: rej } = ingest.parse(source, records, receivedAt);
    const batchId = randomUUID();
    const evs = toEngineEvents(orgId, source.id, batchId, rows);
    const b = performance.now();
    flagger.addBatch(batchId, evs);
    const c = performance.now();
    const ds = engine.process(orgId, evs, CTX);
    const d = performance.now();
    flagger.add(ds);
    parseMs += b - a;
    engineMs += d - c;
    events += rows.length;
    rejected += rej.length;
    nb++;
  }
  const loopSeconds = (performance.now() - l0) / 1000;
  return {
    mode: 'detect',
    lines,
    events,
    rejected,
    batches: nb,
    loopSeconds,
    ingestSeconds: parseMs / 1000,
    engineSeconds: engineMs / 1000,
    setupSeconds,
    cleanupSeconds: 0,
    ...flagger.result(),
  };
}

async function runFull(file: string, databaseUrl: string): Promise<AccordResult> {
  const t0 = performance.now();
  const { loadConfig } = await import('../packages/server/src/platform/config.ts');
  const { createLogger } = await import('../packages/server/src/platform/logger.ts');
  const { openRuntime } = await import('../packages/server/src/server.ts');
  const { systemContext } = await import('../packages/server/src/platform/context.ts');
  const { createCustomer, createMsp } = await import('../packages/server/test/support/factories.ts');
  const { randomBytes } = await import('node:crypto');
  const config = loadConfig({ ...process.env, DATABASE_URL: undefined } as NodeJS.ProcessEnv, {
    host: '127.0.0.1',
    port: 0,
    dataDir: 'memory://',
    databaseUrl,
    secretKey: randomBytes(32).toString('hex'),
    logLevel: process.env.ACCORD_LOG_LEVEL || 'warn',
    // No background log retention while measuring (and none on another tenant's old partitions).
    retentionIntervalMinutes: 0,
  });
  const rt = await openRuntime(config, createLogger(config.logLevel));
  try {
    const run = randomUUID().slice(0, 8);
    const { org: msp } = await createMsp(rt, `Bench detect MSP ${run}`);
    const { org } = await createCustomer(rt, msp.id, { name: `Bench detect ${run}` });
    const { ingestToken: _token, ...source } = await rt.services.sources.create(
      systemContext('detect bench'),
      org.id,
      { kind: 'linux_syslog', name: 'sshd', expectedIntervalMinutes: 60, utcOffsetMinutes: 0 },
    );
    // The ingest service as the composition root wires it, with the detection hook observed: it
    // runs inside each batch's transaction on the rows ingest parsed.
    const flagger = new Flagger();
    const stream = createDetectionStream({
      rules: rt.services.rules,
      settings: rt.services.detectionSettings,
    });
    let detectMs = 0;
    const ingest = createIngestService({
      db: rt.database.db,
      parserFor,
      mspAccounts: createMspAccountResolver(rt.database.db, rt.services.groups.membersOf),
      detection: {
        async onBatch(tx, b) {
          const t = performance.now();
          const r = await stream.onBatch(tx, b);
          detectMs += performance.now() - t;
          flagger.addBatch(b.batchId, b.rows);
          if (r) flagger.add(r.detections);
          return r;
        },
      },
    });
    const receivedAt = new Date();
    const setupSeconds = (performance.now() - t0) / 1000;
    let lines = 0;
    let events = 0;
    let rejected = 0;
    let nb = 0;
    let ingestMs = 0;
    const l0 = performance.now();
    for await (const records of batches(file)) {
      lines += records.length;
      const a = performance.now();
      const out = await ingest.ingest(source, records, receivedAt);
      ingestMs += performance.now() - a;
      events += out.accepted;
      rejected += out.rejectedTotal;
      nb++;
    }
    const loopSeconds = (performance.now() - l0) / 1000;
    const c0 = performance.now();
    if (process.env.ACCORD_BENCH_KEEP_DATA !== '1') {
      // The bench's tenant is its own: drop its events so that runs do not pile up.
      const { sql } = await import('kysely');
      await sql`delete from events where org_id = ${org.id}`.execute(rt.database.db);
    }
    const cleanupSeconds = (performance.now() - c0) / 1000;
    return {
      mode: 'full',
      lines,
      events,
      rejected,
      batches: nb,
      loopSeconds,
      ingestSeconds: ingestMs / 1000,
      engineSeconds: detectMs / 1000,
      setupSeconds,
      cleanupSeconds,
      database: rt.database.describe,
      ...flagger.result(),
    };
  } finally {
    await rt.close().catch(() => undefined);
  }
}

if (process.argv[1]?.endsWith('detect-accord.ts')) {
  const [mode, file, out, url] = process.argv.slice(2);
  if ((mode !== 'detect' && mode !== 'full') || !file || !out || (mode === 'full' && !url)) {
    console.error('usage: detect-accord.ts detect|full FILE OUT.json [DATABASE_URL]');
    process.exit(2);
  }
  const r = mode === 'detect' ? await runDetect(file) : await runFull(file, url!);
  fs.writeFileSync(out, JSON.stringify(r));
}
