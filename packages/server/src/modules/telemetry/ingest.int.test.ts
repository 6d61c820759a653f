import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { createCustomer, createMsp, ctxFor } from '../../../test/support/factories.ts';
import { systemContext } from '../../platform/context.ts';
import { AppError } from '../../platform/errors.ts';
import type { Runtime } from '../../server.ts';
import type { Parser } from './parsers/parser.types.ts';
import { createIngestService, type IngestRecord } from './ingest.service.ts';
import { createLogsService, verifyStoredLogs } from './logs.service.ts';
import { createSourcesService } from './sources.service.ts';
import { createQuarantineService } from './quarantine.service.ts';

/** A minimal line format for storage tests: `ISO-time|user|outcome|srcIp`. */
let acceptPending = false; // the "parser fix" of the replay test: outcome `pending` becomes valid
const pipeParser: Parser<string> = {
  kind: 'linux_syslog',
  input: 'line',
  parse(line) {
    const [time, user, rawOutcome, ip] = line.split('|');
    const outcome = acceptPending && rawOutcome === 'pending' ? 'failure' : rawOutcome;
    if (!time || Number.isNaN(Date.parse(time)) || !user || !outcome)
      return { ok: false, error: 'expected time|user|outcome|ip' };
    if (outcome !== 'success' && outcome !== 'failure')
      return { ok: false, error: `unknown outcome ${outcome}` };
    return {
      ok: true,
      event: { time, class: 'authentication', activity: 'logon', outcome, user, srcIp: ip || null },
    };
  },
};

const lines = (...texts: string[]): IngestRecord[] => texts.map((text, i) => ({ line: i + 1, text }));

describe.each(dbTargets())('log ingest, seals and search ($name)', (target) => {
  let rt: Runtime;
  let sources: ReturnType<typeof createSourcesService>;
  let ingest: ReturnType<typeof createIngestService>;
  let logs: ReturnType<typeof createLogsService>;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
    const db = rt.database.db;
    sources = createSourcesService({ db, audit: rt.services.audit, validateMapping: () => {} });
    ingest = createIngestService({ db, parserFor: () => pipeParser as Parser });
    logs = createLogsService({ db });
  });
  afterAll(() => rt.close());

  async function tenant() {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const c = ctxFor(cust.admin, 'customer');
    const source = await sources.create(c, cust.org.id, {
      kind: 'linux_syslog',
      name: 'bastion',
      expectedIntervalMinutes: 60,
    });
    return { msp, cust, c, source, m: ctxFor(msp.admin, 'msp') };
  }
  const now = Date.now();
  const t = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();

  it('stores good records, quarantines bad ones with line and reason, and seals the batch', async () => {
    const { cust, c, source } = await tenant();
    const r = await ingest.ingest(
      source,
      lines(
        `${t(5)}|alice|failure|203.0.113.9`,
        'garbage',
        '',
        `${t(4)}|alice|success|203.0.113.9`,
        `${t(3)}|bob|maybe|`,
      ),
    );
    expect(r.accepted).toBe(2);
    expect(r.rejected).toEqual([
      { line: 2, reason: 'expected time|user|outcome|ip' },
      { line: 5, reason: 'unknown outcome maybe' },
    ]);
    expect(r.seq).toBe(1);
    expect(r.seal).toMatch(/^[0-9a-f]{64}$/);
    const found = await logs.search(c, cust.org.id, { order: 'asc', limit: 10 });
    expect(found.events.map((e) => [e.user, e.outcome, e.srcIp])).toEqual([
      ['alice', 'failure', '203.0.113.9'],
      ['alice', 'success', '203.0.113.9'],
    ]);
    expect(found.events[0]!.raw).toBe(`${t(5)}|alice|failure|203.0.113.9`);
    const q = await logs.quarantine(c, cust.org.id);
    expect(q.map((x) => [x.line_no, x.raw]).sort()).toEqual([
      [2, 'garbage'],
      [5, `${t(3)}|bob|maybe|`],
    ]);
    const src = await sources.one(c, cust.org.id, source.id);
    expect(new Date(src.last_event_at!).toISOString()).toBe(t(4));
    expect(await verifyStoredLogs(rt.database.db, cust.org.id)).toMatchObject({
      ok: true,
      batches: 1,
      events: 2,
    });
  });

  it('refuses timestamps outside the plausible window instead of creating far-off partitions', async () => {
    const { source } = await tenant();
    const r = await ingest.ingest(
      source,
      lines('1970-01-01T00:00:00Z|x|failure|', `${new Date(now + 5 * 86_400_000).toISOString()}|x|failure|`),
    );
    expect(r.accepted).toBe(0);
    expect(r.rejected.map((x) => x.reason)).toEqual([
      expect.stringMatching(/outside the accepted window/),
      expect.stringMatching(/outside the accepted window/),
    ]);
    expect(r.batchId).toBeNull();
  });

  it('chains batches and names the first altered, deleted or inserted one', async () => {
    const { cust, source } = await tenant();
    for (let b = 0; b < 4; b++)
      await ingest.ingest(
        source,
        lines(`${t(60 - b)}|u${b}|failure|198.51.100.${b}`, `${t(50 - b)}|u${b}|success|198.51.100.${b}`),
      );
    const org = cust.org.id;
    expect(await verifyStoredLogs(rt.database.db, org)).toMatchObject({ ok: true, batches: 4, events: 8 });
    const batch = async (seq: number) =>
      (
        await rt.database.db
          .selectFrom('ingest_batches')
          .select('id')
          .where('org_id', '=', org)
          .where('seq', '=', seq)
          .executeTakeFirstOrThrow()
      ).id;
    // Altered: one field of one event of batch 2.
    await sql`update events set outcome = 'success' where batch_id = ${await batch(2)} and outcome = 'failure'`.execute(
      rt.database.db,
    );
    expect(await verifyStoredLogs(rt.database.db, org)).toMatchObject({
      ok: false,
      firstBrokenSeq: 2,
      reason: expect.stringMatching(/altered/),
    });
    await sql`update events set outcome = 'failure' where batch_id = ${await batch(2)} and username = 'u1' and batch_pos = 0`.execute(
      rt.database.db,
    );
    expect(await verifyStoredLogs(rt.database.db, org)).toMatchObject({ ok: true });
    // Deleted: an event of batch 3.
    const victim = await rt.database.db
      .selectFrom('events')
      .selectAll()
      .where('batch_id', '=', await batch(3))
      .where('batch_pos', '=', 1)
      .executeTakeFirstOrThrow();
    await sql`delete from events where batch_id = ${victim.batch_id} and batch_pos = 1`.execute(
      rt.database.db,
    );
    expect(await verifyStoredLogs(rt.database.db, org)).toMatchObject({
      ok: false,
      firstBrokenSeq: 3,
      reason: expect.stringMatching(/deleted/),
    });
    await rt.database.db
      .insertInto('events')
      .values({ ...victim, id: undefined } as never)
      .execute();
    expect(await verifyStoredLogs(rt.database.db, org)).toMatchObject({ ok: true });
    // Inserted: an event with no sealed batch.
    await rt.database.db
      .insertInto('events')
      .values({ ...victim, id: undefined, batch_id: crypto.randomUUID(), batch_pos: 0 } as never)
      .execute();
    expect(await verifyStoredLogs(rt.database.db, org)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no sealed batch/),
    });
  });

  it('searches by user, address, outcome and free text with a stable cursor, for its own tenant only', async () => {
    const { cust, c, source, m } = await tenant();
    const recs = Array.from(
      { length: 25 },
      (_, i) => `${t(100 - i)}|${i % 2 ? 'carol' : 'dave'}|${i % 3 ? 'failure' : 'success'}|192.0.2.${i % 4}`,
    );
    await ingest.ingest(source, lines(...recs));
    const carol = await logs.search(c, cust.org.id, { order: 'asc', limit: 100, user: 'carol' });
    expect(carol.events).toHaveLength(12);
    const fails = await logs.search(c, cust.org.id, {
      order: 'asc',
      limit: 100,
      user: 'carol',
      outcome: 'failure',
      srcIp: '192.0.2.1',
    });
    expect(
      fails.events.every((e) => e.user === 'carol' && e.outcome === 'failure' && e.srcIp === '192.0.2.1'),
    ).toBe(true);
    expect(fails.events.length).toBeGreaterThan(0);
    const text = await logs.search(c, cust.org.id, { order: 'asc', limit: 100, q: '192.0.2.3' });
    expect(text.events.every((e) => e.raw.includes('192.0.2.3'))).toBe(true);
    // Pages of 10 cover all 25 exactly once, newest first.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await logs.search(m, cust.org.id, { order: 'desc', limit: 10, cursor });
      seen.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    // Another tenant: 404, as if the organisation did not exist.
    const other = await tenant();
    await expect(logs.search(other.c, cust.org.id, { order: 'asc', limit: 10 })).rejects.toSatisfy(
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
    await expect(logs.verify(other.c, cust.org.id)).rejects.toSatisfy(
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
    await expect(logs.search(c, cust.org.id, { order: 'asc', limit: 10, cursor: 'bogus' })).rejects.toSatisfy(
      (e: unknown) => e instanceof AppError && e.code === 'validation_failed',
    );
  });

  it('authenticates ingest by the source token only, and stops a rotated or disabled source', async () => {
    const { cust, c, source } = await tenant();
    expect((await sources.authenticateIngest(source.ingestToken)).id).toBe(source.id);
    const rotated = await sources.rotateToken(c, cust.org.id, source.id);
    await expect(sources.authenticateIngest(source.ingestToken)).rejects.toSatisfy(
      (e: unknown) => e instanceof AppError && e.code === 'unauthenticated',
    );
    await sources.setDisabled(c, cust.org.id, source.id, true);
    await expect(sources.authenticateIngest(rotated.ingestToken)).rejects.toSatisfy(
      (e: unknown) => e instanceof AppError && e.code === 'forbidden',
    );
    await expect(
      sources.create(systemContext(), cust.org.id, {
        kind: 'linux_syslog',
        name: 'BASTION',
        expectedIntervalMinutes: 5,
      }),
    ).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === 'conflict');
  });

  it('recreates a day partition dropped behind its back and still stores the batch', async () => {
    const { cust, c, source } = await tenant();
    const day = new Date(now - 3 * 86_400_000).toISOString();
    await ingest.ingest(source, lines(`${day}|erin|failure|`));
    await sql.raw(`drop table events_p${day.slice(0, 10).replace(/-/g, '')}`).execute(rt.database.db);
    const r = await ingest.ingest(source, lines(`${day}|erin|success|`));
    expect(r.accepted).toBe(1);
    const found = await logs.search(c, cust.org.id, { order: 'asc', limit: 10, user: 'erin' });
    expect(found.events.map((e) => e.outcome)).toEqual(['success']);
  });

  it('replays quarantined records after a parser fix, storing each exactly once', async () => {
    const { cust, c, source } = await tenant();
    const quarantine = createQuarantineService({ db: rt.database.db, ingest, audit: rt.services.audit });
    const r = await ingest.ingest(source, lines(`${t(9)}|gina|pending|`, `${t(8)}|gina|failure|`, 'junk'));
    expect(r.rejectedTotal).toBe(2);
    expect(await quarantine.replay(c, cust.org.id)).toEqual({ replayed: 0, stillRejected: 2 });
    acceptPending = true;
    try {
      expect(await quarantine.replay(c, cust.org.id)).toEqual({ replayed: 1, stillRejected: 1 });
      expect(await quarantine.replay(c, cust.org.id)).toEqual({ replayed: 0, stillRejected: 1 });
    } finally {
      acceptPending = false;
    }
    const gina = await logs.search(c, cust.org.id, { order: 'asc', limit: 10, user: 'gina' });
    expect(gina.events).toHaveLength(2);
    expect((await logs.quarantine(c, cust.org.id)).map((q) => q.raw)).toEqual(['junk']);
    expect(await verifyStoredLogs(rt.database.db, cust.org.id)).toMatchObject({ ok: true });
  });
});
