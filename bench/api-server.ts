/**
 * The server side of `bench/api.bench.ts`: a child process that opens one database, seeds the
 * organisations and users the scenarios need, and serves the real HTTP app (`startHttp`) on a free
 * loopback port. It talks to the bench over the IPC channel of `child_process.fork`, so the load
 * generator never shares this process's event loop. Not meant to be started by hand.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../packages/server/src/platform/config.ts';
import { createLogger } from '../packages/server/src/platform/logger.ts';
import { openRuntime, startHttp } from '../packages/server/src/server.ts';
import {
  addUser,
  createCustomer,
  createMsp,
  type TestUser,
} from '../packages/server/test/support/factories.ts';

export type BenchDb = 'pglite' | 'postgres';

export interface StartMessage {
  type: 'start';
  db: BenchDb;
  /** A real directory for PGlite (what users run); ignored for PostgreSQL. */
  dataDir: string;
  databaseUrl?: string;
  /** How many customer_member accounts to seed for the sign-in scenario. */
  members: number;
}
export type ToServer = StartMessage | { type: 'stats' } | { type: 'stop' };

export interface ReadyMessage {
  type: 'ready';
  pid: number;
  url: string;
  database: string;
  dbPoolSize: number;
  logLevel: string;
  seedSeconds: number;
  mspAdmin: TestUser;
  customerAdmin: TestUser;
  customerOrgId: string;
  members: { email: string; password: string }[];
}
export interface StatsMessage {
  type: 'stats';
  rssBytes: number;
  heapUsedBytes: number;
  /** process.cpuUsage() of the server process, in microseconds. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
}
export type FromServer =
  ReadyMessage | StatsMessage | { type: 'stopped' } | { type: 'error'; message: string; stack?: string };

const send = (m: FromServer) =>
  new Promise<void>((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(m, undefined, undefined, () => resolve());
  });

/** Runs `fn` over 0..n-1 with at most `limit` calls in flight. */
async function inPool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

let stopServer: (() => Promise<void>) | null = null;

async function start(m: StartMessage): Promise<ReadyMessage> {
  const env = { ...process.env, DATABASE_URL: undefined } as NodeJS.ProcessEnv;
  const flags: Partial<Record<keyof Config, unknown>> = {
    host: '127.0.0.1',
    port: 0,
    dataDir: m.db === 'pglite' ? m.dataDir : 'memory://',
    databaseUrl: m.db === 'postgres' ? m.databaseUrl : undefined,
    secretKey: randomBytes(32).toString('hex'),
    logLevel: process.env.ACCORD_LOG_LEVEL || 'warn',
    // Every sign-in comes from 127.0.0.1: keep the per-address throttle out of the way.
    loginIpMaxFailures: 10_000,
  };
  const config = loadConfig(env, flags);
  const rt = await openRuntime(config, createLogger(config.logLevel));
  try {
    const t0 = performance.now();
    const run = randomUUID().slice(0, 8);
    const { org: msp, admin: mspAdmin } = await createMsp(rt, `Bench MSP ${run}`);
    const { org: customer, admin: customerAdmin } = await createCustomer(rt, msp.id, {
      name: `Bench Customer ${run}`,
    });
    const members: { email: string; password: string }[] = new Array(m.members);
    // argon2id hashing dominates seeding; PGlite serialises the transactions anyway.
    await inPool(m.members, 4, async (i) => {
      const u = await addUser(rt, customer.id, 'customer_member', {
        email: `bench-member-${i}-${run}@bench.example`,
      });
      members[i] = { email: u.email, password: u.password };
    });
    const seedSeconds = (performance.now() - t0) / 1000;
    const http = await startHttp(rt);
    stopServer = http.stop;
    return {
      type: 'ready',
      pid: process.pid,
      url: http.url,
      database: rt.database.describe,
      dbPoolSize: config.dbPoolSize,
      logLevel: config.logLevel,
      seedSeconds,
      mspAdmin,
      customerAdmin,
      customerOrgId: customer.id,
      members,
    };
  } catch (e) {
    await rt.close().catch(() => undefined);
    throw e;
  }
}

async function stop(code: number): Promise<never> {
  const s = stopServer;
  stopServer = null;
  try {
    await s?.();
  } finally {
    await send({ type: 'stopped' });
    process.exit(code);
  }
}

if (!process.send) {
  console.error('bench/api-server.ts is started by bench/api.bench.ts (npm run bench:api), not by hand');
  process.exit(2);
}

process.on('message', (msg: ToServer) => {
  const handle = async () => {
    switch (msg.type) {
      case 'start':
        await send(await start(msg));
        return;
      case 'stats': {
        const cpu = process.cpuUsage();
        const mem = process.memoryUsage();
        await send({
          type: 'stats',
          rssBytes: mem.rss,
          heapUsedBytes: mem.heapUsed,
          cpuUserMicros: cpu.user,
          cpuSystemMicros: cpu.system,
        });
        return;
      }
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
