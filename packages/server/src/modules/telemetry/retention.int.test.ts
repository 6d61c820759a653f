import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { createCustomer, createMsp, ctxFor } from '../../../test/support/factories.ts';
import { systemContext } from '../../platform/context.ts';
import { AppError } from '../../platform/errors.ts';
import type { Runtime } from '../../server.ts';
import { verifyStoredLogs } from './logs.service.ts';
import { createRetentionService, startRetentionJob, type RetentionService } from './retention.service.ts';

const DAY = 86_400_000;
const H = 3_600_000;
const JUSTIFICATION = 'Legacy SIEM keeps 90 days until the Q3 migration; risk accepted by the board.';
const iso = (ms: number) => new Date(ms).toISOString();
const dayOf = (ms: number) => iso(ms).slice(0, 10);
const part = (ms: number) => `events_p${dayOf(ms).replace(/-/g, '')}`;

describe.each(dbTargets())('log retention ($name)', (target) => {
  let rt: Runtime;
  let retention: RetentionService;
  const ctx = systemContext('system (retention test)');
  beforeAll(async () => {
    rt = await openTestRuntime(target);
    retention = createRetentionService({ db: rt.database.db, audit: rt.services.audit });
  });
  afterAll(() => rt.close());

  const partitionExists = async (ms: number) =>
    (
      await sql<{ n: number }>`select count(*)::int as n from pg_class where relname = ${part(ms)}`.execute(
        rt.database.db,
      )
    ).rows[0]!.n === 1;

  /**
   * A UTC midnight between 1975 and 2005 with no partition within 15 days: the shared PostgreSQL
   * test database holds other tests' events, never there, so these days are this test's alone.
   */
  async function freshDay(): Promise<number> {
    for (;;) {
      const d = Date.UTC(1975, 0, 1) + Math.floor(Math.random() * 11_000) * DAY;
      const names = Array.from({ length: 31 }, (_, i) => part(d + (i - 15) * DAY));
      const r = await sql<{ n: number }>`
        select count(*)::int as n from pg_class where relname = any(${names}::text[])`.execute(
        rt.database.db,
      );
      if (r.rows[0]!.n === 0) return d;
    }
  }

  /** A customer (with its MSP), an active agreement if `days` is given, and a syslog source. */
  async function tenant(terms?: { days: number; justification?: string }) {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    const c = ctxFor(cust.admin, 'customer');
    if (terms) {
      const overrides = terms.justification
        ? [{ parameter: 'log_retention_days', justification: terms.justification }]
        : [];
      const d = await rt.services.agreements.create(m, {
        customerOrgId: cust.org.id,
        title: 'Schedule',
        controls: [{ controlId: 'LOG-01', parameters: { log_retention_days: terms.days }, overrides }],
      });
      const p = await rt.services.agreements.propose(m, d.agreement_id, 1);
      await rt.services.agreements.accept(m, d.agreement_id, 1, p.digest!);
      await rt.services.agreements.accept(c, d.agreement_id, 1, p.digest!);
    }
    const source = await rt.services.sources.create(c, cust.org.id, {
      kind: 'linux_syslog',
      name: 'bastion',
      expectedIntervalMinutes: 60,
    });
    /** One batch with an event at each time, received an hour after the last one. */
    const send = async (...times: number[]) => {
      const r = await rt.services.ingest.ingest(
        source,
        times.map((t, i) => ({
          line: i + 1,
          text: `${iso(t)} host sshd[1]: Failed password for root from 203.0.113.5 port 22 ssh2`,
        })),
        new Date(Math.max(...times) + H),
      );
      expect(r.accepted).toBe(times.length);
      return r.batchId!;
    };
    return { orgId: cust.org.id, mspOrgId: msp.org.id, m, c, send };
  }

  const batches = (orgId: string) =>
    rt.database.db
      .selectFrom('ingest_batches')
      .select(['id', 'expired_at'])
      .where('org_id', '=', orgId)
      .orderBy('seq')
      .execute();
  const eventCount = async (orgId: string) =>
    Number(
      (
        await rt.database.db
          .selectFrom('events')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('org_id', '=', orgId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const dropAudits = async (orgId: string) =>
    (await rt.services.audit.list(systemContext(), orgId)).filter(
      (e) => e.action === 'logs.retention_dropped',
    );
  const verified = (orgId: string) => verifyStoredLogs(rt.database.db, orgId);

  it('requires the longest active LOG-01 term, never under 180 days without a recorded override', async () => {
    const plain = await tenant();
    const long = await tenant({ days: 365 });
    const short = await tenant({ days: 90, justification: JUSTIFICATION });
    expect(await retention.requiredDays(plain.orgId)).toMatchObject({ days: 180, basis: 'default' });
    expect(await retention.requiredDays(long.orgId)).toMatchObject({ days: 365, basis: 'agreement' });
    expect(await retention.requiredDays(long.mspOrgId)).toMatchObject({ days: 365, overridden: false });
    expect(await retention.requiredDays(short.orgId)).toMatchObject({
      days: 90,
      basis: 'override',
      overridden: true,
      justification: JUSTIFICATION,
    });
    // The MSP of two customers keeps its own logs for the longer of the two agreements.
    const second = await createCustomer(rt, short.mspOrgId);
    const d = await rt.services.agreements.create(short.m, {
      customerOrgId: second.org.id,
      title: 'Second',
      controls: [{ controlId: 'LOG-01', parameters: { log_retention_days: 400 } }],
    });
    expect(await retention.requiredDays(short.mspOrgId)).toMatchObject({ days: 90 }); // a draft counts for nothing
    const p = await rt.services.agreements.propose(short.m, d.agreement_id, 1);
    await rt.services.agreements.accept(short.m, d.agreement_id, 1, p.digest!);
    await rt.services.agreements.accept(ctxFor(second.admin, 'customer'), d.agreement_id, 1, p.digest!);
    expect(await retention.requiredDays(short.mspOrgId)).toMatchObject({ days: 400, overridden: false });
    // An active agreement without LOG-01 still holds the tenant to the advisory's 180 days.
    const noLog = await tenant();
    const v = await rt.services.agreements.create(noLog.m, {
      customerOrgId: noLog.orgId,
      title: 'MFA only',
      controls: [{ controlId: 'MFA-01' }],
    });
    const pv = await rt.services.agreements.propose(noLog.m, v.agreement_id, 1);
    await rt.services.agreements.accept(noLog.m, v.agreement_id, 1, pv.digest!);
    await rt.services.agreements.accept(noLog.c, v.agreement_id, 1, pv.digest!);
    expect(await retention.requiredDays(noLog.orgId)).toMatchObject({ days: 180, basis: 'agreement' });
    // The default may be longer than the advisory, never shorter.
    const db = rt.database.db;
    const audit = rt.services.audit;
    expect(() => createRetentionService({ db, audit, defaultDays: 90 })).toThrow(AppError);
    const strict = createRetentionService({ db, audit, defaultDays: 365 });
    expect(await strict.requiredDays(plain.orgId)).toMatchObject({ days: 365, basis: 'default' });
  });

  it("drops exactly the days no tenant needs, and keeps a day a 365-day tenant needs though a 180-day tenant's events in it are past retention", async () => {
    const d = await freshDay();
    const a = await tenant(); // 180 days
    const b = await tenant({ days: 365 });
    await a.send(d + 10 * H, d + 11 * H);
    await b.send(d + 12 * H);
    await a.send(d + 2 * DAY + 10 * H);
    await b.send(d + 4 * DAY + 10 * H);
    const now = new Date(d + 250 * DAY);
    const mine = new Set([part(d), part(d + 2 * DAY), part(d + 4 * DAY)]);

    const plan = await retention.plan(now);
    expect(plan.drop.filter((p) => mine.has(p.partition))).toEqual([
      { partition: part(d + 2 * DAY), day: dayOf(d + 2 * DAY), tenants: [{ orgId: a.orgId, events: 1 }] },
    ]);
    const kept = plan.keep.filter((p) => mine.has(p.partition));
    expect(kept.map((k) => [k.partition, k.requiredBy])).toEqual([
      [part(d), [{ orgId: b.orgId, requiredDays: 365, until: iso(d + DAY + 365 * DAY) }]],
      [part(d + 4 * DAY), [{ orgId: b.orgId, requiredDays: 365, until: iso(d + 5 * DAY + 365 * DAY) }]],
    ]);

    const r = await retention.run(ctx, now);
    expect(r.dropped).toContain(part(d + 2 * DAY));
    expect(r.dropped).not.toContain(part(d));
    expect(r.tenants.find((t) => t.orgId === a.orgId)).toEqual({
      orgId: a.orgId,
      daysDropped: [dayOf(d + 2 * DAY)],
      eventsRemoved: 1,
      batchesExpired: 1,
      requiredDays: 180,
      overridden: false,
    });
    expect(r.tenants.find((t) => t.orgId === b.orgId)).toBeUndefined();
    expect([
      await partitionExists(d),
      await partitionExists(d + 2 * DAY),
      await partitionExists(d + 4 * DAY),
    ]).toEqual([true, false, true]);
    expect(
      (await batches(a.orgId)).map((x) => x.expired_at && iso(new Date(x.expired_at).getTime())),
    ).toEqual([null, iso(now.getTime())]);
    expect(await verified(a.orgId)).toMatchObject({ ok: true, batches: 2, events: 2 });
    expect(await verified(b.orgId)).toMatchObject({ ok: true, batches: 2, events: 2 });
    expect(await eventCount(b.orgId)).toBe(2);
    const entries = await dropAudits(a.orgId);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.details).toMatchObject({
      daysDropped: [dayOf(d + 2 * DAY)],
      eventsRemoved: 1,
      requiredDays: 180,
    });
    expect(await dropAudits(b.orgId)).toEqual([]);
  });

  it('honours an override below 180 days, and the 180-day floor without one', async () => {
    const d = await freshDay();
    const short = await tenant({ days: 90, justification: JUSTIFICATION });
    const plain = await tenant();
    await short.send(d + 10 * H);
    await plain.send(d + 2 * DAY + 10 * H);
    const now = new Date(d + 120 * DAY);
    const r = await retention.run(ctx, now);
    expect(r.dropped).toContain(part(d));
    expect(r.plan.keep.find((k) => k.partition === part(d + 2 * DAY))?.requiredBy).toEqual([
      { orgId: plain.orgId, requiredDays: 180, until: iso(d + 3 * DAY + 180 * DAY) },
    ]);
    expect(r.tenants.find((t) => t.orgId === short.orgId)).toMatchObject({
      requiredDays: 90,
      overridden: true,
    });
    expect(await partitionExists(d + 2 * DAY)).toBe(true);
    expect(await verified(short.orgId)).toMatchObject({ ok: true, batches: 1, events: 0 });
    expect((await dropAudits(short.orgId))[0]!.details).toMatchObject({ requiredDays: 90, overridden: true });
  });

  it('never cuts a batch in two: a day shared with a kept day is held, and seals still verify', async () => {
    const d = await freshDay();
    const a = await tenant();
    const b = await tenant({ days: 365 });
    const x = await a.send(d + 22 * H, d + DAY + 2 * H); // days d and d+1
    const z = await a.send(d + DAY + 12 * H); // day d+1
    const y = await a.send(d + DAY + 23 * H, d + 2 * DAY + H); // days d+1 and d+2
    await b.send(d + 2 * DAY + 12 * H); // day d+2: needed by the 365-day tenant
    const now = new Date(d + 250 * DAY);

    const r = await retention.run(ctx, now);
    expect(r.dropped).toContain(part(d));
    expect(r.dropped).not.toContain(part(d + DAY));
    const held = r.plan.keep.find((k) => k.partition === part(d + DAY))!;
    expect(held.reason).toContain(`batch ${y} of tenant ${a.orgId}`);
    expect(held.requiredBy).toEqual([expect.objectContaining({ orgId: a.orgId, requiredDays: 180 })]);
    // x lay in the dropped day and the held one: expired, and its event in the held day removed.
    expect(r.tenants.find((t) => t.orgId === a.orgId)).toMatchObject({ eventsRemoved: 2, batchesExpired: 1 });
    const state = new Map((await batches(a.orgId)).map((q) => [q.id, q.expired_at !== null]));
    expect([state.get(x), state.get(z), state.get(y)]).toEqual([true, false, false]);
    const left = await rt.database.db
      .selectFrom('events')
      .select('batch_id')
      .where('org_id', '=', a.orgId)
      .execute();
    expect(left.map((e) => e.batch_id).sort()).toEqual([z, y, y].sort()); // an expired batch holds no events
    expect(await verified(a.orgId)).toMatchObject({ ok: true, batches: 3, events: 3 });

    // Once the 365-day tenant no longer needs d+2, the rest goes, and every chain still verifies.
    const later = new Date(d + 370 * DAY);
    const r2 = await retention.run(ctx, later);
    expect(r2.dropped).toEqual(expect.arrayContaining([part(d + DAY), part(d + 2 * DAY)]));
    expect((await batches(a.orgId)).every((q) => q.expired_at !== null)).toBe(true);
    expect(await verified(a.orgId)).toMatchObject({ ok: true, batches: 3, events: 0 });
    expect(await verified(b.orgId)).toMatchObject({ ok: true, batches: 1, events: 0 });
    expect(await dropAudits(a.orgId)).toHaveLength(2);
    expect(await dropAudits(b.orgId)).toHaveLength(1);
  });

  it('changes nothing on a dry run, and running twice is harmless', async () => {
    const d = await freshDay();
    const a = await tenant();
    await a.send(d + 10 * H);
    const now = new Date(d + 200 * DAY);

    const dry = await retention.run(ctx, now, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, dropped: [], tenants: [] });
    expect(dry.plan.drop.map((p) => p.partition)).toContain(part(d));
    expect(await partitionExists(d)).toBe(true);
    expect((await batches(a.orgId))[0]!.expired_at).toBeNull();
    expect(await dropAudits(a.orgId)).toEqual([]);

    expect((await retention.run(ctx, now)).dropped).toContain(part(d));
    const again = await retention.run(ctx, now);
    expect(again.dropped).not.toContain(part(d));
    expect(again.tenants.find((t) => t.orgId === a.orgId)).toBeUndefined();
    expect(await dropAudits(a.orgId)).toHaveLength(1);
    expect(await verified(a.orgId)).toMatchObject({ ok: true, batches: 1, events: 0 });

    // A late event for the dropped day recreates its partition, and the next run drops it again.
    await a.send(d + 11 * H);
    expect(await partitionExists(d)).toBe(true);
    expect((await retention.run(ctx, now)).dropped).toContain(part(d));
    expect(await verified(a.orgId)).toMatchObject({ ok: true, batches: 2, events: 0 });
  });

  it('runs on a timer that logs failures instead of crashing, and stops', async () => {
    const run = vi
      .fn<RetentionService['run']>()
      .mockRejectedValueOnce(new Error('database unavailable'))
      .mockResolvedValue({
        dryRun: false,
        plan: { now: '', drop: [], keep: [] },
        dropped: ['events_p19800101'],
        tenants: [],
      });
    const logger = { info: vi.fn(), error: vi.fn() };
    const stop = startRetentionJob({ run }, { intervalMs: 5, logger });
    await vi.waitFor(() => expect(run.mock.calls.length).toBeGreaterThanOrEqual(2));
    await stop();
    const calls = run.mock.calls.length;
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ err: expect.any(Error) }),
      expect.any(String),
    );
    expect(logger.info).toHaveBeenCalledWith(
      expect.objectContaining({ dropped: ['events_p19800101'] }),
      expect.any(String),
    );
    await new Promise((r) => setTimeout(r, 30));
    expect(run.mock.calls.length).toBe(calls);
  });
});
