import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/platform/config.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { openRuntime, startHttp, type Runtime } from '../../src/server.ts';

/**
 * The databases every DB test runs against: the embedded PGlite always, and the PostgreSQL server
 * when DATABASE_URL is set (CI sets it). Tests make their own organisations, so a shared
 * PostgreSQL database needs no truncation between tests or files.
 */
export interface DbTarget {
  name: 'pglite' | 'postgres';
  flags: Partial<Record<keyof Config, unknown>>;
}

export function dbTargets(): DbTarget[] {
  const targets: DbTarget[] = [{ name: 'pglite', flags: { dataDir: 'memory://' } }];
  if (process.env.DATABASE_URL)
    targets.push({
      name: 'postgres',
      flags: { dataDir: 'memory://', databaseUrl: process.env.DATABASE_URL },
    });
  return targets;
}

export function testConfig(target: DbTarget, overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  const env = { ...process.env, DATABASE_URL: undefined } as NodeJS.ProcessEnv;
  return loadConfig(env, {
    port: 0,
    logLevel: process.env.ACCORD_TEST_LOG_LEVEL ?? 'silent',
    secretKey: randomBytes(32).toString('hex'),
    // Tests share the PostgreSQL database: a background retention run would drop the old days other
    // tests just wrote. Retention tests call the service directly.
    retentionIntervalMinutes: 0,
    verifyIntervalSeconds: 0,
    // Likewise the source-silence check: its tests run it directly.
    silenceIntervalMinutes: 0,
    // And notification delivery: tests deliver their own tenant's outbox (deliverDue({ alertOrgId })).
    notifyIntervalSeconds: 0,
    // Evidence expiry warnings are recorded by tests calling the service with their own clock.
    evidenceExpiryIntervalMinutes: 0,
    // And the mail-domain DNS check: its tests run checks directly against their own DNS server.
    mailCheckIntervalMinutes: 0,
    ...target.flags,
    ...overrides,
  });
}

export async function openTestRuntime(
  target: DbTarget,
  overrides: Partial<Record<keyof Config, unknown>> = {},
): Promise<Runtime> {
  const config = testConfig(target, overrides);
  return openRuntime(config, createLogger(config.logLevel));
}

export interface TestServer {
  rt: Runtime;
  url: string;
  app: Awaited<ReturnType<typeof startHttp>>['app'];
  stop(): Promise<void>;
}

/** A real HTTP server on a free loopback port over a real database. */
export async function startTestServer(
  target: DbTarget,
  overrides: Partial<Record<keyof Config, unknown>> = {},
): Promise<TestServer> {
  const rt = await openTestRuntime(target, overrides);
  const http = await startHttp(rt);
  return { rt, url: http.url, app: http.app, stop: http.stop };
}
