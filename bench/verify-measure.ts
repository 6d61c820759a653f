/**
 * Instruments for `bench/verify.bench.ts`: the verification service the server composes, built on
 * a query-counting view of the same database with every registered check wrapped in a timer; and
 * the small statistics the report prints.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { KyselyPlugin } from 'kysely';
import type { Db } from '../packages/server/src/platform/db/db.ts';
import type { Runtime } from '../packages/server/src/server.ts';
import type { Check } from '../packages/server/src/modules/verification/check.types.ts';
import { CHECKS } from '../packages/server/src/modules/verification/checks/index.ts';
import {
  createVerificationService,
  verificationConcurrency,
} from '../packages/server/src/modules/verification/verification.service.ts';

export interface CheckTiming {
  controlId: string;
  runs: number;
  ms: number;
  queries: number;
  statuses: Record<string, number>;
}

/** Counts every statement sent through the database handle it is attached to. */
export class QueryCounter implements KyselyPlugin {
  count = 0;
  /** Queries per check, by the control id of the check that sent them. */
  readonly byCheck = new Map<string, number>();
  readonly check = new AsyncLocalStorage<string>();
  transformQuery(args: Parameters<KyselyPlugin['transformQuery']>[0]) {
    this.count++;
    const id = this.check.getStore();
    if (id) this.byCheck.set(id, (this.byCheck.get(id) ?? 0) + 1);
    return args.node;
  }
  async transformResult(args: Parameters<KyselyPlugin['transformResult']>[0]) {
    return args.result;
  }
}

/**
 * `createVerificationService` over `rt`'s database (with the server's concurrency), counting
 * queries and timing each check. Agreements may be evaluated concurrently: a check's time is then
 * its wall time including waits for the database, and its queries are told apart by async context.
 */
export function instrumentedVerification(rt: Runtime) {
  const counter = new QueryCounter();
  const db: Db = rt.database.db.withPlugin(counter);
  const timings = new Map<string, CheckTiming>();
  const wrapped = new Map<string, Check>();
  for (const [id, check] of CHECKS) {
    const t: CheckTiming = { controlId: id, runs: 0, ms: 0, queries: 0, statuses: {} };
    timings.set(id, t);
    wrapped.set(id, {
      ...check,
      async run(input) {
        const t0 = performance.now();
        try {
          const out = await counter.check.run(id, () => check.run({ ...input, db }));
          t.statuses[out.status] = (t.statuses[out.status] ?? 0) + 1;
          return out;
        } catch (e) {
          t.statuses.error = (t.statuses.error ?? 0) + 1;
          throw e;
        } finally {
          t.ms += performance.now() - t0;
          t.runs++;
        }
      },
    });
  }
  const concurrency = verificationConcurrency(rt.config);
  const service = createVerificationService({ db, audit: rt.services.audit, checks: wrapped, concurrency });
  const perCheck = () =>
    [...timings.values()]
      .filter((t) => t.runs > 0)
      .map((t) => ({ ...t, queries: counter.byCheck.get(t.controlId) ?? 0 }));
  return { service, counter, perCheck, concurrency, checkIds: [...CHECKS.keys()] };
}

/** Samples this process's RSS every 50 ms; `stop()` answers the peak seen. */
export function rssSampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return {
    peak: () => Math.max(peak, process.memoryUsage().rss),
    stop: () => clearInterval(timer),
  };
}

export function percentiles(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
  return { p50: at(50), p95: at(95), max: s[s.length - 1] ?? 0 };
}

export const fmt = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(1)} ms`);
export const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
